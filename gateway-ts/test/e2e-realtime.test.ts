import { decode as decodeMsgpack, encode as encodeMsgpack } from '@msgpack/msgpack';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { ErrorCode } from '../src/gen/infidraw/realtime/v1/frames';
import { GetEventsResponse, IngestStrokesRequest, IngestStrokesResponse } from '../src/gen/infidraw/realtime/v1/realtime_service';
import { Role } from '../src/gen/infidraw/room/v1/event';
import { Tool } from '../src/gen/infidraw/stroke/v1/stroke';
import { RoomsService } from '../src/services/rooms.service';
import { SigningKeyService } from '../src/services/signing-key.service';
import { bytesToUuid } from '../src/utils/uuid';
import { Caller, PASSWORD, REALTIME_BIN, realtimeAvailable, signup, Stack, startStack, testDb } from './helpers';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';
import { claimsOf } from './jwt';
import { penStroke, RealtimeClient } from './ws-client';

// Deleting a room purges in realtime-go and tile-delta-go: the stack has both (and snapshot-rs).
const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP e2e-realtime: ${skip}`);

type User = Awaited<ReturnType<typeof signup>>;

describe('end to end with realtime-go', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;
  let objectDir: string;
  let db: Pool;
  let owner: User;
  let base: string;
  let wsUrl: string;
  const clients: RealtimeClient[] = [];

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-e2e-objects-'));
    // A snapshot after every stroke, so that a room gets one as soon as its tiles are read.
    tiles = await startTileServices(`file://${objectDir}`, 1);
    stack = await startStack({
      LOG_LEVEL: 'info',
      TILE_DELTA_TARGET: tiles.tileDeltaTarget,
      SNAPSHOT_TARGET: tiles.snapshotTarget,
    });
    base = stack.gateway.url;
    wsUrl = stack.realtime.wsUrl;
    db = testDb();
    owner = await signup(base, 'e2e-owner');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stack?.close();
    await db?.end();
    await tiles?.stop();
    if (objectDir) rmSync(objectDir, { recursive: true, force: true });
  });

  async function connect() {
    const c = await RealtimeClient.connect(wsUrl);
    clients.push(c);
    return c;
  }
  async function room(): Promise<string> {
    return (await owner.post('/api/rooms', { name: 'e2e' })).json.id;
  }
  async function token(who: Caller, roomId: string): Promise<string> {
    const res = await who.post(`/api/rooms/${roomId}/token`);
    assert.equal(res.status, 200, res.text);
    return res.json.token;
  }

  it('sign-up → log in → create room → token → a WebSocket client joins realtime-go', async () => {
    const email = `e2e-${randomUUID().slice(0, 8)}@example.test`;
    const anon = new Caller(base);
    assert.equal((await anon.post('/api/auth/signup', { email, password: PASSWORD, displayName: 'Eve', session: 'bearer' })).status, 201);
    const login = await anon.post('/api/auth/login', { email, password: PASSWORD, session: 'bearer' });
    assert.equal(login.status, 200);
    const eve = new Caller(base);
    eve.bearer = login.json.token;
    const created = await eve.post('/api/rooms', { name: 'Eve draws' });
    assert.equal(created.status, 201);
    const roomId: string = created.json.id;
    const tok = await eve.post(`/api/rooms/${roomId}/token`);
    assert.equal(tok.json.wsUrl, wsUrl);

    const c = await connect();
    c.join(roomId, tok.json.token);
    const welcome = await c.next('welcome');
    assert.equal(welcome.roomId, roomId);
    assert.equal(welcome.userId, login.json.user.id);
    assert.equal(welcome.role, Role.ROLE_OWNER);
    assert.equal(welcome.headSeq, 0);
  });

  it('the same token is refused for another room', async () => {
    const a = await room();
    const b = await room();
    const c = await connect();
    c.join(b, await token(owner, a));
    const err = await c.next('error');
    assert.equal(err.code, ErrorCode.ERROR_CODE_PERMISSION_DENIED);
    assert.equal(err.fatal, true);
    assert.equal((await c.closed).code, 4000 + ErrorCode.ERROR_CODE_PERMISSION_DENIED);
  });

  it('a tampered token is refused', async () => {
    const a = await room();
    const good = await token(owner, a);
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.role = 'owner';
    claims.sub = randomUUID();
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const c = await connect();
    c.join(a, forged);
    assert.equal((await c.next('error')).code, ErrorCode.ERROR_CODE_UNAUTHENTICATED);
  });

  it('an expired room token is refused by realtime-go', async () => {
    const roomId = await room();
    // The claims of a fresh token, signed as if two minutes ago with a one-minute lifetime.
    const { iss, aud, sub, room: claimedRoom, role, name, sid, acc, axp } = claimsOf(await token(owner, roomId));
    const { token: stale } = stack.gateway.app.get(SigningKeyService).signJwt(
      { iss, aud, sub, room: claimedRoom, role, name, sid, acc, axp },
      60,
      Date.now() - 120_000,
    );
    const c = await connect();
    c.join(roomId, stale);
    const err = await c.next('error');
    assert.equal(err.code, ErrorCode.ERROR_CODE_UNAUTHENTICATED);
    assert.match(err.message, /expired/);
  });

  it("a viewer's token cannot draw; an editor's can, and REST reads it back", async () => {
    const roomId = await room();
    const viewer = await signup(base, 'e2e-viewer');
    const editor = await signup(base, 'e2e-editor');
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    await owner.post(`/api/rooms/${roomId}/members`, { email: editor.email, role: 'editor' });

    const v = await connect();
    v.join(roomId, await token(viewer, roomId));
    assert.equal((await v.next('welcome')).role, Role.ROLE_VIEWER);
    const [req] = v.send({ $case: 'commitStroke', value: { stroke: penStroke() } });
    const denied = await v.next('error', (e) => e.requestId === req);
    assert.equal(denied.code, ErrorCode.ERROR_CODE_PERMISSION_DENIED);

    const e = await connect();
    e.join(roomId, await token(editor, roomId));
    await e.next('welcome');
    const stroke = penStroke();
    const [req2] = e.send({ $case: 'commitStroke', value: { stroke } });
    const ack = await e.next('ack', (a) => a.requestId === req2);
    assert.equal(ack.seq, 1);

    const proto = await viewer.get(`/api/rooms/${roomId}/events`);
    assert.equal(proto.status, 200);
    assert.equal(proto.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(proto.headers.get('x-head-seq'), '1');
    const page = GetEventsResponse.decode(proto.body);
    assert.equal(page.events.length, 1, 'only the editor’s stroke was stored');
    assert.equal(page.headSeq, 1);
    assert.equal(page.events[0].authorId, editor.userId);
    assert.equal(page.events[0].kind?.$case, 'strokeAdded');

    const json = await viewer.get(`/api/rooms/${roomId}/events`, { accept: 'application/json' });
    assert.match(json.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(json.json.headSeq, 1);
    assert.equal(json.json.events[0].strokeAdded.stroke.id, Buffer.from(stroke.id).toString('base64'));
    assert.deepEqual((await viewer.get(`/api/rooms/${roomId}/events?format=json&since=1`)).json, { events: [], headSeq: 1, hasMore: false });
  });

  it('POST strokes in JSON, msgpack and protobuf commits them once (idempotent by id) and logs event timing', async () => {
    const roomId = await room();
    const a = penStroke();
    const b = penStroke();
    const c = penStroke();
    const json = await owner.post(`/api/rooms/${roomId}/strokes`, {
      strokes: [{ id: a.uuid, tool: 'pen', rgba: a.rgba, width: a.width, quantum: 1, points: a.points }],
    });
    assert.equal(json.status, 200, json.text);
    assert.deepEqual(json.json, { results: [{ strokeId: a.uuid, seq: 1, duplicate: false }] });

    const packed = await owner.request('POST', `/api/rooms/${roomId}/strokes`, {
      body: Buffer.from(
        encodeMsgpack({
          strokes: [
            { id: b.id, tool: 'highlighter', rgba: 0xffee0080, width: 900, quantum: 1, points: b.points },
            { id: a.uuid, tool: 'pen', rgba: a.rgba, width: a.width, quantum: 1, points: a.points },
          ],
        }),
      ),
      headers: { 'content-type': 'application/msgpack' },
    });
    assert.equal(packed.status, 200, packed.text);
    assert.equal(packed.headers.get('content-type'), 'application/msgpack');
    assert.deepEqual(decodeMsgpack(packed.body), {
      results: [
        { strokeId: b.uuid, seq: 2, duplicate: false },
        { strokeId: a.uuid, seq: 1, duplicate: true },
      ],
    });

    const proto = await owner.request('POST', `/api/rooms/${roomId}/strokes`, {
      // b again as first sent: a duplicate (the same id with other content would be a 409 conflict).
      body: Buffer.from(IngestStrokesRequest.encode({ roomId, authorId: '', strokes: [c, { ...b, tool: Tool.TOOL_HIGHLIGHTER, rgba: 0xffee0080, width: 900 }] }).finish()),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    assert.equal(proto.status, 200, proto.text);
    const results = IngestStrokesResponse.decode(proto.body).results;
    assert.deepEqual(
      results.map((r) => [bytesToUuid(r.strokeId), r.seq, r.duplicate]),
      [
        [c.uuid, 3, false],
        [b.uuid, 2, true],
      ],
    );

    const listed = (await owner.get('/api/rooms')).json.find((r: { id: string }) => r.id === roomId);
    assert.ok(Date.parse(listed.lastActivityAt) > Date.parse(listed.updatedAt), 'drawing counts as activity');
    assert.equal((await owner.get('/api/rooms')).json[0].id, roomId, 'most recently active first');

    const events = await owner.get(`/api/rooms/${roomId}/events?format=json`);
    assert.equal(events.json.events.length, 3);
    assert.deepEqual(events.json.events.map((e: { seq: number }) => e.seq), [1, 2, 3]);
    assert.equal(events.json.events[1].strokeAdded.stroke.tool, 'TOOL_HIGHLIGHTER');

    const paged = await owner.get(`/api/rooms/${roomId}/events?format=json&since=1&limit=1`);
    assert.deepEqual(paged.json.events.map((e: { seq: number }) => e.seq), [2]);
    assert.equal(paged.json.hasMore, true);
    assert.equal(paged.headers.get('x-has-more'), 'true');

    const line = stack.gateway.logs.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith(`GET events room=${roomId} since=0`));
    assert.ok(line, 'a timing line for the full replay');
    assert.match(String(line.msg), /grpc=\d+\.\dms total=\d+\.\dms$/);
    assert.equal(typeof line.totalMs, 'number');

    const invalid = await owner.post(`/api/rooms/${roomId}/strokes`, {
      strokes: [{ id: randomUUID(), tool: 'pen', rgba: 1, width: 1, points: [0, 0] }],
    });
    assert.equal(invalid.status, 400, 'realtime-go refuses a width below its minimum');
    assert.match(invalid.json.message, /width/);
  });

  it('a viewer cannot POST strokes', async () => {
    const roomId = await room();
    const viewer = await signup(base, 'e2e-rest-viewer');
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    const s = penStroke();
    const res = await viewer.post(`/api/rooms/${roomId}/strokes`, { strokes: [{ id: s.uuid, tool: 'pen', rgba: 1, width: 300, points: s.points }] });
    assert.equal(res.status, 403);
    assert.equal((await owner.get(`/api/rooms/${roomId}/events?format=json`)).json.headSeq, 0);
  });

  it('presence lists who is connected', async () => {
    const roomId = await room();
    const c = await connect();
    c.join(roomId, await token(owner, roomId));
    const welcome = await c.next('welcome');
    const res = await owner.get(`/api/rooms/${roomId}/presence`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.peers, [{ sessionId: welcome.sessionId, userId: owner.userId, displayName: 'e2e-owner', role: 'owner' }]);
  });

  it('removing a member disconnects them at once; revoking a link disconnects its guests', async () => {
    const roomId = await room();
    const member = await signup(base, 'e2e-removed');
    await owner.post(`/api/rooms/${roomId}/members`, { email: member.email, role: 'editor' });
    const m = await connect();
    m.join(roomId, await token(member, roomId));
    await m.next('welcome');

    const link = await owner.post(`/api/rooms/${roomId}/links`, { role: 'viewer' });
    const guest = new Caller(base);
    guest.bearer = (await guest.post(`/api/links/${link.json.token}/join`, { displayName: 'G', session: 'bearer' })).json.token;
    const g = await connect();
    g.join(roomId, await token(guest, roomId));
    await g.next('welcome');

    assert.equal((await owner.delete(`/api/rooms/${roomId}/members/${member.userId}`)).status, 204);
    await m.closed;
    assert.equal((await member.post(`/api/rooms/${roomId}/token`)).status, 404);

    assert.equal((await owner.delete(`/api/rooms/${roomId}/links/${link.json.id}`)).status, 204);
    await g.closed;
    assert.equal((await guest.post(`/api/rooms/${roomId}/token`)).status, 404);
  });

  it("changing a member's role disconnects them, and their next token carries the new role", async () => {
    const roomId = await room();
    const member = await signup(base, 'e2e-demoted');
    await owner.post(`/api/rooms/${roomId}/members`, { email: member.email, role: 'editor' });
    const m = await connect();
    m.join(roomId, await token(member, roomId));
    assert.equal((await m.next('welcome')).role, Role.ROLE_EDITOR);
    assert.equal((await owner.patch(`/api/rooms/${roomId}/members/${member.userId}`, { role: 'viewer' })).status, 200);
    await m.closed;
    const again = await connect();
    again.join(roomId, await token(member, roomId));
    assert.equal((await again.next('welcome')).role, Role.ROLE_VIEWER);
  });

  it('deleting a room disconnects its clients, purges its events and tile snapshots, and the sweeper removes it', async () => {
    const roomId = await room();
    const s = penStroke();
    await owner.post(`/api/rooms/${roomId}/strokes`, { strokes: [{ id: s.uuid, tool: 'pen', rgba: 1, width: 300, points: s.points }] });
    // The commit makes tile-delta-go render the tile's snapshot; poll until it is there and its PNG is served.
    let pngUrl: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!pngUrl) {
      const page = await owner.get(`/api/rooms/${roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600&format=json`);
      assert.equal(page.status, 200, page.text);
      pngUrl = page.json.tiles[0]?.snapshot?.url;
      if (!pngUrl && Date.now() > deadline) assert.fail('no snapshot within 30 s');
    }
    assert.equal((await owner.get(pngUrl)).status, 200);
    const snapshotRows = async () => (await db.query('select count(*)::int as n from tile_snapshots where room_id = $1', [roomId])).rows[0].n;
    assert.ok((await snapshotRows()) > 0);
    const roomObjects = join(objectDir, 'rooms', roomId);
    assert.ok(existsSync(roomObjects), 'the snapshot PNG is in the object store');

    const c = await connect();
    c.join(roomId, await token(owner, roomId));
    await c.next('welcome');

    assert.equal((await owner.delete(`/api/rooms/${roomId}`)).status, 204);
    const closed = await c.closed;
    assert.equal(closed.code, 4000 + ErrorCode.ERROR_CODE_ACCESS_REVOKED, 'the access ended with the room');
    const left = await db.query('select count(*)::int as n from stroke_events where room_id = $1', [roomId]);
    assert.equal(left.rows[0].n, 0);
    assert.equal(await snapshotRows(), 0, 'the tile snapshot rows are purged');
    assert.ok(!existsSync(roomObjects), 'the snapshot PNGs are purged from the object store');
    assert.equal((await owner.get(pngUrl)).status, 404);
    assert.equal((await owner.post(`/api/rooms/${roomId}/token`)).status, 404);

    await db.query(`update rooms set deleted_at = now() - interval '1 hour' where id = $1`, [roomId]);
    await stack.gateway.app.get(RoomsService).sweepDeleted();
    assert.equal((await db.query('select 1 from rooms where id = $1', [roomId])).rows.length, 0);
    assert.equal(await snapshotRows(), 0);
  });

  it('/healthz sees realtime-go SERVING', async () => {
    const res = await new Caller(base).get('/healthz');
    assert.equal(res.json.details.realtime.status, 'up');
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { ErrorCode } from '../src/gen/infidraw/realtime/v1/frames';
import { GetTilesResponse } from '../src/gen/infidraw/tile/v1/tile';
import { uuidToBytes } from '../src/utils/uuid';
import { Caller, REALTIME_BIN, realtimeAvailable, signup, Stack, startStack, testDb } from './helpers';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';
import { penStroke, RealtimeClient } from './ws-client';

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP restore: ${skip}`);

type Member = Awaited<ReturnType<typeof signup>>;
type Guest = Caller & { userId: string };

/** A horizontal pen line 30 world units long starting at (x, y) world units. */
function line(x: number, y: number) {
  return { ...penStroke(), points: [x * 100, y * 100, 3000, 0] };
}

/** A room's WebSocket session of one member: commits, erases and undoes by stroke name. */
class Drawer {
  private constructor(
    readonly ws: RealtimeClient,
    private readonly ids: Record<string, string>,
  ) {}

  static async join(stack: Stack, who: Caller, roomId: string, ids: Record<string, string>): Promise<Drawer> {
    const ws = await RealtimeClient.connect(stack.realtime.wsUrl);
    const token = await who.post(`/api/rooms/${roomId}/token`);
    assert.equal(token.status, 200, token.text);
    ws.join(roomId, token.json.token);
    await ws.next('welcome');
    return new Drawer(ws, ids);
  }

  async commit(name: string, x: number, y: number): Promise<number> {
    const s = line(x, y);
    this.ids[name] = Buffer.from(s.id).toString('hex');
    const [req] = this.ws.send({ $case: 'commitStroke', value: { stroke: s } });
    return (await this.ws.next('ack', (a) => a.requestId === req)).seq;
  }

  async erase(...names: string[]): Promise<number> {
    const strokeIds = names.map((n) => Buffer.from(this.ids[n], 'hex'));
    const [req] = this.ws.send({ $case: 'eraseStrokes', value: { actionId: uuidToBytes(randomUUID())!, strokeIds } });
    return (await this.ws.next('ack', (a) => a.requestId === req)).seq;
  }

  async undo(actionId: string): Promise<number> {
    const [req] = this.ws.send({ $case: 'undo', value: { actionId: uuidToBytes(actionId)! } });
    return (await this.ws.next('ack', (a) => a.requestId === req)).seq;
  }
}

describe('restore a region, revert a person, ban a guest (issue 16)', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;
  let objectDir: string;
  let db: Pool;
  let owner: Member;
  let editor: Member;
  let viewer: Member;
  let roomId: string;
  /** Stroke ids in hex, by name. */
  const ids: Record<string, string> = {};
  let drawer: Drawer;

  /** The names of the strokes visible now in the level-0 tiles of [0, 1024) x [0, 256) world units. */
  async function visible(room = roomId): Promise<string[]> {
    const res = await owner.get(`/api/rooms/${room}/tiles?level=0&minX=0&minY=0&maxX=102400&maxY=25600`);
    assert.equal(res.status, 200, res.text);
    const byId = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
    const names = GetTilesResponse.decode(res.body).tiles.flatMap((t) => {
      assert.ok(!t.pending && !t.snapshot, 'small tiles are read as strokes');
      return t.strokes.map((s) => byId[Buffer.from(s.id).toString('hex')]);
    });
    return [...new Set(names)].sort(); // a stroke across a tile border is in both
  }
  /** The commit time of an event, exactly as stored (microseconds), in RFC 3339. */
  async function committedAt(room: string, seq: number): Promise<string> {
    const { rows } = await db.query(
      `select to_char(committed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t from stroke_events where room_id = $1 and seq = $2`,
      [room, seq],
    );
    return rows[0].t;
  }
  /** The region [0, 300) x [0, 256) world units, in world units x100. */
  const region = { minX: 0, minY: 0, maxX: 30000, maxY: 25600 };

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-restore-objects-'));
    // No snapshot below 1000 strokes: every read answers strokes, which the tests name.
    tiles = await startTileServices(`file://${objectDir}`, 1000);
    stack = await startStack({ TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget });
    db = testDb();
    owner = await signup(stack.gateway.url, 'restore-owner');
    editor = await signup(stack.gateway.url, 'restore-editor');
    viewer = await signup(stack.gateway.url, 'restore-viewer');
    roomId = (await owner.post('/api/rooms', { name: 'Restore' })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: editor.email, role: 'editor' });
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    drawer = await Drawer.join(stack, editor, roomId, ids);
  });
  after(async () => {
    await drawer?.ws.close();
    await stack?.close();
    await db?.end();
    await tiles?.stop();
    if (objectDir) rmSync(objectDir, { recursive: true, force: true });
  });

  let point: number;
  let actionId: string;

  it('restores a region to a point as one action: added since goes, erased since comes back, outside stays', async () => {
    await drawer.commit('kept', 20, 20);
    await drawer.commit('erasedSince', 20, 60);
    point = await drawer.commit('before', 20, 100);
    await drawer.commit('addedInside', 100, 150);
    await drawer.commit('addedOutside', 500, 150);
    await drawer.erase('erasedSince');
    assert.deepEqual(await visible(), ['addedInside', 'addedOutside', 'before', 'kept']);

    const res = await editor.post(`/api/rooms/${roomId}/restore`, { ...region, at: point });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual({ ...res.json, actionId: undefined }, { actionId: undefined, seq: point + 5, pointSeq: point, erased: 1, restored: 1 });
    actionId = res.json.actionId;
    assert.deepEqual(await visible(), ['addedOutside', 'before', 'erasedSince', 'kept']);
    // The editor's socket received the revert's two events, carrying its action id.
    for (const [seq, kind] of [[point + 4, 'strokesErased'], [point + 5, 'strokesRestored']] as const) {
      const batch = await drawer.ws.next('events', (b) => b.events.some((e) => e.seq === seq));
      const event = batch.events.find((e) => e.seq === seq)!;
      assert.equal(event.kind?.$case, kind);
      assert.equal(Buffer.from(event.kind.value.actionId).toString('hex'), actionId.replace(/-/g, ''));
    }
  });

  it('its author undoes it over the WebSocket: the region is as before the restore', async () => {
    assert.equal(await drawer.undo(actionId), point + 7);
    assert.deepEqual(await visible(), ['addedInside', 'addedOutside', 'before', 'kept']);
  });

  it('atTime names the point too; restoring what is already restored is 409', async () => {
    const res = await editor.post(`/api/rooms/${roomId}/restore`, { ...region, atTime: await committedAt(roomId, point) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.pointSeq, point);
    assert.deepEqual(await visible(), ['addedOutside', 'before', 'erasedSince', 'kept']);
    const again = await owner.post(`/api/rooms/${roomId}/restore`, { ...region, at: point });
    assert.equal(again.status, 409, again.text);
    assert.match(again.json.message, /nothing to restore/);
  });

  it('viewers get 403, strangers 404, anonymous callers 401', async () => {
    assert.equal((await viewer.post(`/api/rooms/${roomId}/restore`, { ...region, at: 0 })).status, 403);
    const stranger = await signup(stack.gateway.url, 'restore-stranger');
    assert.equal((await stranger.post(`/api/rooms/${roomId}/restore`, { ...region, at: 0 })).status, 404);
    assert.equal((await new Caller(stack.gateway.url).post(`/api/rooms/${roomId}/restore`, { ...region, at: 0 })).status, 401);
  });

  it('bad requests are 400 naming the problem', async () => {
    for (const [body, reason] of [
      [{ ...region }, /give at \(a seq\) or atTime/],
      [{ ...region, at: 1, atTime: '2001-01-01T00:00:00Z' }, /at or atTime, not both/],
      [{ ...region, at: -1 }, /at must not be less than 0/],
      [{ ...region, at: 1.5 }, /at must be an integer/],
      [{ ...region, at: '3' }, /at must be an integer/],
      [{ ...region, atTime: 'yesterday' }, /atTime must be RFC 3339/],
      [{ ...region, maxX: 0, at: 0 }, /the region is empty/],
      [{ ...region, minX: -1_000_000_001, at: 0 }, /minX must not be less than -1000000000/],
      [{ ...region, maxY: 1_000_000_002, at: 0 }, /maxY must not be greater than 1000000001/],
      [{ minX: 0, minY: 0, maxX: 10, at: 0 }, /maxY must be an integer/],
      [{ ...region, at: 0, extra: 1 }, /property extra should not exist/],
    ] as const) {
      const res = await editor.post(`/api/rooms/${roomId}/restore`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.json.message, reason, JSON.stringify(body));
    }
  });

  describe('revert a person', () => {
    let vandalRoom: string;
    let guest: Guest;
    let guestDrawer: Drawer;
    let ownerDrawer: Drawer;
    let since: number;
    let linkToken: string;

    before(async () => {
      vandalRoom = (await owner.post('/api/rooms', { name: 'Vandalised' })).json.id;
      await owner.post(`/api/rooms/${vandalRoom}/members`, { email: editor.email, role: 'editor' });
      ownerDrawer = await Drawer.join(stack, owner, vandalRoom, ids);
      await ownerDrawer.commit('o1', 20, 20);
      since = await ownerDrawer.commit('o2', 20, 60);
      linkToken = (await owner.post(`/api/rooms/${vandalRoom}/links`, { role: 'editor' })).json.token;
      guest = new Caller(stack.gateway.url) as Guest;
      const joined = await guest.post(`/api/links/${linkToken}/join`, { displayName: 'Vandal', session: 'bearer' });
      assert.equal(joined.status, 200, joined.text);
      guest.bearer = joined.json.token;
      guest.userId = joined.json.user.id;
      guestDrawer = await Drawer.join(stack, guest, vandalRoom, ids);
      await guestDrawer.commit('g1', 100, 20);
      await guestDrawer.commit('g2', 100, 60);
      await guestDrawer.erase('o1', 'o2');
      await ownerDrawer.commit('o3', 20, 100); // the owner keeps drawing meanwhile
      assert.deepEqual(await visible(vandalRoom), ['g1', 'g2', 'o3']);
    });
    after(async () => {
      await guestDrawer?.ws.close();
      await ownerDrawer?.ws.close();
    });

    it("only the owner reverts: an editor gets 403, the guest too", async () => {
      for (const who of [editor, guest]) {
        const res = await who.post(`/api/rooms/${vandalRoom}/revert`, { userId: guest.userId, since });
        assert.equal(res.status, 403, res.text);
      }
    });

    it("the owner's revert erases the guest's strokes and restores what the guest erased, as the owner's action", async () => {
      const res = await owner.post(`/api/rooms/${vandalRoom}/revert`, { userId: guest.userId, since });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.erased, 2);
      assert.equal(res.json.restored, 2);
      assert.equal(res.json.pointSeq, since);
      assert.deepEqual(await visible(vandalRoom), ['o1', 'o2', 'o3']);
      const again = await owner.post(`/api/rooms/${vandalRoom}/revert`, { userId: guest.userId, sinceTime: await committedAt(vandalRoom, since) });
      assert.equal(again.status, 409, again.text);
      assert.match(again.json.message, /nothing to revert/);
      // The revert is the owner's: the owner undoes it over the WebSocket.
      assert.equal(await ownerDrawer.undo(res.json.actionId), res.json.seq + 2);
      assert.deepEqual(await visible(vandalRoom), ['g1', 'g2', 'o3']);
    });

    it('the owner bans the guest: out at once, and the link does not let them back until the ban is lifted', async () => {
      assert.equal((await editor.request('PUT', `/api/rooms/${vandalRoom}/bans/${guest.userId}`)).status, 403, 'owners only');
      assert.equal((await owner.request('PUT', `/api/rooms/${vandalRoom}/bans/${owner.userId}`)).status, 400, 'not the owner');
      assert.equal((await owner.request('PUT', `/api/rooms/${vandalRoom}/bans/${randomUUID()}`)).status, 404, 'no such user');
      const banned = await owner.request('PUT', `/api/rooms/${vandalRoom}/bans/${guest.userId}`);
      assert.equal(banned.status, 204, banned.text);
      assert.equal((await guestDrawer.ws.closed).code, 4000 + ErrorCode.ERROR_CODE_ACCESS_REVOKED, 'their socket ends at once');
      assert.equal((await guest.post(`/api/rooms/${vandalRoom}/token`)).status, 404, 'no room token');
      const back = await guest.post(`/api/links/${linkToken}/join`, {});
      assert.equal(back.status, 403, back.text);
      assert.match(back.json.message, /banned/);
      const list = await owner.get(`/api/rooms/${vandalRoom}/bans`);
      assert.deepEqual(
        list.json.map((b: { userId: string; kind: string; displayName: string }) => [b.userId, b.kind, b.displayName]),
        [[guest.userId, 'guest', 'Vandal']],
      );
      assert.equal((await owner.request('PUT', `/api/rooms/${vandalRoom}/bans/${guest.userId}`)).status, 204, 'idempotent');
      // What they did stays revertable after the ban.
      const revert = await owner.post(`/api/rooms/${vandalRoom}/revert`, { userId: guest.userId, since });
      assert.equal(revert.status, 200, revert.text);

      assert.equal((await owner.delete(`/api/rooms/${vandalRoom}/bans/${guest.userId}`)).status, 204);
      assert.equal((await owner.delete(`/api/rooms/${vandalRoom}/bans/${guest.userId}`)).status, 404, 'lifted already');
      const rejoined = await guest.post(`/api/links/${linkToken}/join`, {});
      assert.equal(rejoined.status, 200, rejoined.text);
      assert.equal((await guest.post(`/api/rooms/${vandalRoom}/token`)).status, 200);
    });

    it('bad requests are 400 naming the problem', async () => {
      for (const [body, reason] of [
        [{ userId: guest.userId }, /give since \(a seq\) or sinceTime/],
        [{ userId: 'guest', since: 0 }, /userId must be a UUID/],
        [{ userId: guest.userId, since: 0, sinceTime: '2001-01-01T00:00:00Z' }, /since or sinceTime, not both/],
        [{ userId: guest.userId, since: -3 }, /since must not be less than 0/],
      ] as const) {
        const res = await owner.post(`/api/rooms/${vandalRoom}/revert`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.json.message, reason, JSON.stringify(body));
      }
    });
  });
});

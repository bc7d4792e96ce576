import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Caller, freePort, PASSWORD, Res, signup, startGateway, startStack, testDb, uniqueEmail, realtimeAvailable } from './helpers';
import { startTileServices, TileServices, tileServicesAvailable } from './tiles-stack';
import { penStroke } from './ws-client';

/**
 * Every endpoint × {owner, editor, viewer, other user, anonymous, expired token, revoked link} gives
 * exactly the expected status, and no response carries another room's data.
 */

const PRINCIPALS = ['owner', 'editor', 'viewer', 'other', 'anonymous', 'expired', 'revoked'] as const;
type Principal = (typeof PRINCIPALS)[number];
type Min = 'viewer' | 'editor' | 'owner';
const RANK: Record<string, number> = { viewer: 1, editor: 2, owner: 3 };

interface Ctx {
  base: string;
  roomId: string;
  linkRoomToken: string;
  realtime: boolean;
  tiles: boolean;
  owner: Caller;
  fresh: Record<string, () => Promise<string>>;
}

interface RoomEndpoint {
  name: string;
  min: Min;
  ok: number;
  realtime?: boolean;
  /** Needs tile-delta-go (503 without it). */
  tiles?: boolean;
  call: (c: Caller, ctx: Ctx, p: Principal) => Promise<Res>;
}

const stroke = () => {
  const s = penStroke();
  return { strokes: [{ id: s.uuid, tool: 'pen', rgba: 0xff0000ff, width: 300, points: s.points }] };
};

const ROOM_ENDPOINTS: RoomEndpoint[] = [
  { name: 'GET /api/rooms/:id', min: 'viewer', ok: 200, call: (c, x) => c.get(`/api/rooms/${x.roomId}`) },
  { name: 'PATCH /api/rooms/:id', min: 'owner', ok: 200, call: (c, x) => c.patch(`/api/rooms/${x.roomId}`, { name: 'Main room' }) },
  { name: 'POST /api/rooms/:id/token', min: 'viewer', ok: 200, call: (c, x) => c.post(`/api/rooms/${x.roomId}/token`) },
  { name: 'GET /api/rooms/:id/members', min: 'viewer', ok: 200, call: (c, x) => c.get(`/api/rooms/${x.roomId}/members`) },
  {
    name: 'POST /api/rooms/:id/members',
    min: 'owner',
    ok: 201,
    call: async (c, x) => c.post(`/api/rooms/${x.roomId}/members`, { email: await x.fresh.userEmail(), role: 'viewer' }),
  },
  {
    name: 'PATCH /api/rooms/:id/members/:userId',
    min: 'owner',
    ok: 200,
    call: async (c, x) => c.patch(`/api/rooms/${x.roomId}/members/${await x.fresh.member()}`, { role: 'editor' }),
  },
  {
    name: 'DELETE /api/rooms/:id/members/:userId',
    min: 'owner',
    ok: 204,
    call: async (c, x) => c.delete(`/api/rooms/${x.roomId}/members/${await x.fresh.member()}`),
  },
  { name: 'GET /api/rooms/:id/links', min: 'owner', ok: 200, call: (c, x) => c.get(`/api/rooms/${x.roomId}/links`) },
  { name: 'POST /api/rooms/:id/links', min: 'owner', ok: 201, call: (c, x) => c.post(`/api/rooms/${x.roomId}/links`, { role: 'viewer' }) },
  {
    name: 'DELETE /api/rooms/:id/links/:linkId',
    min: 'owner',
    ok: 204,
    call: async (c, x) => c.delete(`/api/rooms/${x.roomId}/links/${await x.fresh.link()}`),
  },
  { name: 'GET /api/rooms/:id/events', min: 'viewer', ok: 200, realtime: true, call: (c, x) => c.get(`/api/rooms/${x.roomId}/events?format=json`) },
  { name: 'POST /api/rooms/:id/strokes', min: 'editor', ok: 200, realtime: true, call: (c, x) => c.post(`/api/rooms/${x.roomId}/strokes`, stroke()) },
  { name: 'GET /api/rooms/:id/presence', min: 'viewer', ok: 200, realtime: true, call: (c, x) => c.get(`/api/rooms/${x.roomId}/presence`) },
  {
    name: 'GET /api/rooms/:id/tiles',
    min: 'viewer',
    ok: 200,
    tiles: true,
    call: (c, x) => c.get(`/api/rooms/${x.roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600`),
  },
  {
    name: 'POST /api/rooms/:id/tiles/known',
    min: 'viewer',
    ok: 200,
    tiles: true,
    call: (c, x) => c.post(`/api/rooms/${x.roomId}/tiles/known`, { level: 0, tiles: [{ x: 0, y: 0, coversSeq: 0 }] }),
  },
  // The object eraser's hit test: editors and owners (a viewer cannot erase).
  { name: 'GET /api/rooms/:id/strokes/at', min: 'editor', ok: 200, tiles: true, call: (c, x) => c.get(`/api/rooms/${x.roomId}/strokes/at?x=1.5&y=-2&r=8`) },
  // Last: the owner's delete removes a room of its own made for this cell.
  {
    name: 'DELETE /api/rooms/:id',
    min: 'owner',
    ok: 204,
    call: async (c, x, p) => c.delete(`/api/rooms/${p === 'owner' ? await x.fresh.room() : x.roomId}`),
  },
];

function expectedRoom(e: RoomEndpoint, p: Principal, realtime: boolean, tiles: boolean): number {
  if (p === 'anonymous' || p === 'expired') return 401;
  if (p === 'other' || p === 'revoked') return 404;
  if (RANK[p] < RANK[e.min]) return 403;
  return (e.realtime && !realtime) || (e.tiles && !tiles) ? 503 : e.ok;
}

interface GlobalEndpoint {
  name: string;
  expect: Record<Principal, number>;
  call: (c: Caller, ctx: Ctx) => Promise<Res>;
}

const all = (n: number): Record<Principal, number> => Object.fromEntries(PRINCIPALS.map((p) => [p, n])) as Record<Principal, number>;
const authed = (ok: number, guest = ok): Record<Principal, number> => ({
  owner: ok,
  editor: ok,
  viewer: ok,
  other: ok,
  anonymous: 401,
  expired: 401,
  revoked: guest,
});

const GLOBAL_ENDPOINTS: GlobalEndpoint[] = [
  { name: 'GET /api/rooms', expect: authed(200), call: (c) => c.get('/api/rooms') },
  { name: 'POST /api/rooms', expect: authed(201, 403), call: (c) => c.post('/api/rooms', { name: 'Matrix room' }) },
  { name: 'GET /api/auth/me', expect: authed(200), call: (c) => c.get('/api/auth/me') },
  {
    name: 'POST /api/auth/password',
    expect: authed(200, 403),
    call: (c) => c.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: PASSWORD }),
  },
  {
    name: 'POST /api/auth/signup',
    expect: all(201),
    call: (c) => c.post('/api/auth/signup', { email: uniqueEmail('matrix-signup'), password: PASSWORD, displayName: 'S', session: 'bearer' }),
  },
  {
    name: 'POST /api/auth/login',
    expect: all(200),
    call: (c, x) => c.post('/api/auth/login', { email: (x.owner as Caller & { email: string }).email, password: PASSWORD, session: 'bearer' }),
  },
  { name: 'GET /api/links/:token', expect: all(200), call: (c, x) => c.get(`/api/links/${x.linkRoomToken}`) },
  {
    name: 'POST /api/links/:token/join',
    expect: { ...all(200), expired: 401 },
    call: (c, x) => c.post(`/api/links/${x.linkRoomToken}/join`, { displayName: 'Joiner', session: 'bearer' }),
  },
  { name: 'GET /.well-known/jwks.json', expect: all(200), call: (c) => c.get('/.well-known/jwks.json') },
  { name: 'GET /metrics', expect: all(200), call: (c) => c.get('/metrics') },
  { name: 'GET /api/docs-json', expect: all(200), call: (c) => c.get('/api/docs-json') },
  // Last: it ends the caller's session.
  { name: 'POST /api/auth/logout', expect: authed(204), call: (c) => c.post('/api/auth/logout') },
];

describe('access-control matrix', () => {
  let close: () => Promise<void>;
  let db: Pool;
  let ctx: Ctx;
  const callers = {} as Record<Principal, Caller>;
  let secret: { id: string; name: string };
  let mainName: string;

  let tileServices: TileServices | undefined;
  let objectDir: string | undefined;

  before(async () => {
    const realtime = realtimeAvailable();
    // tile-delta-go and snapshot-rs when built; otherwise a port nobody listens on (tile endpoints then 503).
    const tiles = tileServicesAvailable();
    if (tiles) {
      objectDir = mkdtempSync(join(tmpdir(), 'gw-matrix-objects-'));
      tileServices = await startTileServices(`file://${objectDir}`);
    } else console.log('# access matrix without tile-delta-go (bin/tile-delta-go missing): tile endpoints expect 503 when allowed');
    const tileEnv = { TILE_DELTA_TARGET: tileServices?.tileDeltaTarget ?? `127.0.0.1:${await freePort()}` };
    let base: string;
    if (realtime) {
      const stack = await startStack(tileEnv);
      base = stack.gateway.url;
      close = () => stack.close();
    } else {
      console.log('# access matrix without realtime-go (bin/realtime-go missing): realtime endpoints expect 503 when allowed');
      const gw = await startGateway(tileEnv);
      base = gw.url;
      close = () => gw.close();
    }
    db = testDb();
    const owner = await signup(base, 'm-owner');
    const editor = await signup(base, 'm-editor', 'cookie');
    const viewer = await signup(base, 'm-viewer');
    const other = await signup(base, 'm-other');
    const expired = await signup(base, 'm-expired');

    mainName = `Main ${randomUUID()}`;
    const roomId: string = (await owner.post('/api/rooms', { name: mainName })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: editor.email, role: 'editor' });
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    await owner.post(`/api/rooms/${roomId}/members`, { email: expired.email, role: 'editor' });
    await db.query(`update sessions set expires_at = now() - interval '1 second' where user_id = $1`, [expired.userId]);

    const link = await owner.post(`/api/rooms/${roomId}/links`, { role: 'editor' });
    const revoked = new Caller(base);
    const joined = await revoked.post(`/api/links/${link.json.token}/join`, { displayName: 'Revoked guest', session: 'bearer' });
    revoked.bearer = joined.json.token;
    assert.equal((await revoked.get(`/api/rooms/${roomId}`)).status, 200, 'the guest had access before the revocation');
    assert.equal((await owner.delete(`/api/rooms/${roomId}/links/${link.json.id}`)).status, 204);

    const secretName = `SECRET-${randomUUID()}`;
    secret = { id: (await other.post('/api/rooms', { name: secretName })).json.id, name: secretName };
    const s = stroke();
    if (realtime) await other.post(`/api/rooms/${secret.id}/strokes`, s);

    const linkRoom: string = (await owner.post('/api/rooms', { name: 'Link room' })).json.id;
    const linkRoomToken: string = (await owner.post(`/api/rooms/${linkRoom}/links`, { role: 'viewer' })).json.token;

    Object.assign(callers, { owner, editor, viewer, other, anonymous: new Caller(base), expired, revoked });
    ctx = {
      base,
      roomId,
      linkRoomToken,
      realtime,
      tiles,
      owner,
      fresh: {
        userEmail: async () => (await signup(base, 'm-invitee')).email,
        member: async () => {
          const u = await signup(base, 'm-member');
          assert.equal((await owner.post(`/api/rooms/${roomId}/members`, { email: u.email, role: 'viewer' })).status, 201);
          return u.userId;
        },
        link: async () => (await owner.post(`/api/rooms/${roomId}/links`, { role: 'viewer' })).json.id,
        room: async () => (await owner.post('/api/rooms', { name: 'To delete' })).json.id,
      },
    };
  });

  after(async () => {
    await close?.();
    await db?.end();
    await tileServices?.stop();
    if (objectDir) rmSync(objectDir, { recursive: true, force: true });
  });

  /** No response may carry the other user's room (id or name), nor the main room to those outside it. */
  function assertNoLeak(res: Res, p: Principal) {
    if (p !== 'other') {
      assert.ok(!res.text.includes(secret.id), `${p} saw the other room's id`);
      assert.ok(!res.text.includes(secret.name), `${p} saw the other room's name`);
    }
    if (p === 'other' || p === 'anonymous' || p === 'expired' || p === 'revoked') {
      assert.ok(!res.text.includes(mainName), `${p} saw the main room's name`);
    }
  }

  for (const e of ROOM_ENDPOINTS) {
    for (const p of PRINCIPALS) {
      it(`${e.name} as ${p}`, async () => {
        const want = expectedRoom(e, p, ctx.realtime, ctx.tiles);
        const res = await e.call(callers[p], ctx, p);
        assert.equal(res.status, want, `${e.name} as ${p}: ${res.text}`);
        if (res.status >= 400) assert.equal(typeof res.json?.message, 'string');
        assertNoLeak(res, p);
      });
    }
  }

  for (const e of GLOBAL_ENDPOINTS) {
    for (const p of PRINCIPALS) {
      it(`${e.name} as ${p}`, async () => {
        const res = await e.call(callers[p], ctx);
        assert.equal(res.status, e.expect[p], `${e.name} as ${p}: ${res.text}`);
        assertNoLeak(res, p);
        if (e.name === 'GET /api/rooms' && res.status === 200) {
          const ids = res.json.map((r: { id: string }) => r.id);
          assert.equal(ids.includes(ctx.roomId), p === 'owner' || p === 'editor' || p === 'viewer', `${p} listing`);
        }
      });
    }
  }

  it('/healthz answers the same whoever asks', async () => {
    const statuses = new Set<number>();
    for (const p of PRINCIPALS) statuses.add((await callers[p].get('/healthz')).status);
    assert.equal(statuses.size, 1);
  });

  it('refused requests changed nothing: the main room, its name and its explicit members are intact', async () => {
    const room = await db.query('select name, deleted_at from rooms where id = $1', [ctx.roomId]);
    assert.equal(room.rows[0].deleted_at, null);
    assert.equal(room.rows[0].name, 'Main room', 'renamed by the owner only');
    const members = await db.query(
      `select u.display_name as name, m.role from room_members m join users u on u.id = m.user_id
        where m.room_id = $1 and u.display_name like 'm-%' and u.display_name <> 'm-member' order by 1`,
      [ctx.roomId],
    );
    assert.deepEqual(members.rows, [
      { name: 'm-editor', role: 'editor' },
      { name: 'm-expired', role: 'editor' },
      { name: 'm-invitee', role: 'viewer' },
      { name: 'm-owner', role: 'owner' },
      { name: 'm-viewer', role: 'viewer' },
    ]);
    if (ctx.realtime) {
      const events = await db.query('select author_id from stroke_events where room_id = $1 order by seq', [ctx.roomId]);
      const authors = events.rows.map((r: { author_id: string }) => r.author_id);
      assert.deepEqual(authors, [(callers.owner as Caller & { userId: string }).userId, (callers.editor as Caller & { userId: string }).userId]);
    }
  });
});

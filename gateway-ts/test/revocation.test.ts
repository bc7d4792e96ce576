import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { ErrorCode } from '../src/gen/infidraw/realtime/v1/frames';
import { Role } from '../src/gen/infidraw/room/v1/event';
import { AccessVersionsRepository } from '../src/repositories/access-versions.repository';
import { DatabaseRepository } from '../src/repositories/database.repository';
import { AuthService } from '../src/services/auth.service';
import { LinksService } from '../src/services/links.service';
import { Caller, freePort, PASSWORD, REALTIME_BIN, realtimeAvailable, signup, Stack, startStack, testDb } from './helpers';
import { claimsOf } from './jwt';
import { penStroke, RealtimeClient } from './ws-client';

const skip = realtimeAvailable() ? false : `missing ${REALTIME_BIN} (bash scripts/build.sh)`;
if (skip) console.log(`# SKIP revocation: ${skip}`);

/** How soon after access is taken away its live sockets must close (issue 12). */
const DEADLINE_MS = 2000;

type User = Awaited<ReturnType<typeof signup>>;

/** Resolves with p, or rejects when it has not settled by `deadline` (epoch ms). */
function by<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: not within ${DEADLINE_MS} ms of the change`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// Every way access is taken away (a) closes the sockets opened with it within 2 s with a fatal
// ACCESS_REVOKED, and (b) makes the room token obtained before the change unusable for a new Join.
describe('revocation: access taken away ends live sockets and earlier room tokens', { skip }, () => {
  let stack: Stack;
  let db: Pool;
  let owner: User;
  let base: string;
  const clients: RealtimeClient[] = [];

  before(async () => {
    // Deleting a room also asks tile-delta-go to purge; nothing listens there, and the sweeper would retry.
    stack = await startStack({ TILE_DELTA_TARGET: `127.0.0.1:${await freePort()}` });
    base = stack.gateway.url;
    db = testDb();
    owner = await signup(base, 'rev-owner');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stack?.close();
    await db?.end();
  });

  async function room(): Promise<string> {
    const res = await owner.post('/api/rooms', { name: 'revocation' });
    assert.equal(res.status, 201, res.text);
    return res.json.id;
  }
  async function member(roomId: string, role: 'editor' | 'viewer'): Promise<User> {
    const m = await signup(base, `rev-${role}`);
    assert.equal((await owner.post(`/api/rooms/${roomId}/members`, { email: m.email, role })).status, 201);
    return m;
  }
  async function token(who: Caller, roomId: string): Promise<string> {
    const res = await who.post(`/api/rooms/${roomId}/token`);
    assert.equal(res.status, 200, res.text);
    return res.json.token;
  }
  /** A socket joined to the room with who's token; resolves with both once welcomed. */
  async function joined(who: Caller, roomId: string): Promise<{ ws: RealtimeClient; token: string }> {
    const tok = await token(who, roomId);
    const ws = await RealtimeClient.connect(stack.realtime.wsUrl);
    clients.push(ws);
    ws.join(roomId, tok);
    await ws.next('welcome');
    return { ws, token: tok };
  }
  /** (a): a fatal ACCESS_REVOKED, then the close, within 2 s of `changedAt`. */
  async function revokedLive(ws: RealtimeClient, changedAt: number): Promise<void> {
    const deadline = changedAt + DEADLINE_MS;
    const err = await by(ws.next('error', (e) => e.fatal, DEADLINE_MS + 1000), deadline, 'fatal error');
    assert.equal(err.code, ErrorCode.ERROR_CODE_ACCESS_REVOKED, err.message);
    assert.equal((await by(ws.closed, deadline, 'close')).code, 4000 + ErrorCode.ERROR_CODE_ACCESS_REVOKED);
  }
  /** (b): a new Join with the token obtained before the change is refused. */
  async function refusedAtJoin(roomId: string, tok: string): Promise<void> {
    const ws = await RealtimeClient.connect(stack.realtime.wsUrl);
    clients.push(ws);
    ws.join(roomId, tok);
    const err = await ws.next('error');
    assert.equal(err.code, ErrorCode.ERROR_CODE_ACCESS_REVOKED, err.message);
    assert.equal(err.fatal, true);
    assert.equal((await ws.closed).code, 4000 + ErrorCode.ERROR_CODE_ACCESS_REVOKED);
  }
  /** Checks that a socket still serves: a commit is acknowledged. */
  async function stillServes(ws: RealtimeClient): Promise<void> {
    const [req] = ws.send({ $case: 'commitStroke', value: { stroke: penStroke() } });
    await ws.next('ack', (a) => a.requestId === req);
  }
  /** A guest who opened a share link, with a bearer session. */
  async function guestByLink(linkToken: string): Promise<Caller> {
    const guest = new Caller(base);
    const res = await guest.post(`/api/links/${linkToken}/join`, { displayName: 'Guest', session: 'bearer' });
    assert.equal(res.status, 200, res.text);
    guest.bearer = res.json.token;
    return guest;
  }

  it('removing a member', async () => {
    const roomId = await room();
    const m = await member(roomId, 'editor');
    const { ws, token: before } = await joined(m, roomId);
    const stays = await joined(owner, roomId);
    const changedAt = Date.now();
    assert.equal((await owner.delete(`/api/rooms/${roomId}/members/${m.userId}`)).status, 204);
    await revokedLive(ws, changedAt);
    await refusedAtJoin(roomId, before);
    assert.equal((await m.post(`/api/rooms/${roomId}/token`)).status, 404, 'no new token either');
    await stillServes(stays.ws);
  });

  it('lowering an editor to viewer', async () => {
    const roomId = await room();
    const m = await member(roomId, 'editor');
    const { ws, token: before } = await joined(m, roomId);
    assert.equal(claimsOf(before).role, 'editor');
    const changedAt = Date.now();
    assert.equal((await owner.patch(`/api/rooms/${roomId}/members/${m.userId}`, { role: 'viewer' })).status, 200);
    await revokedLive(ws, changedAt);
    await refusedAtJoin(roomId, before);
    const now = await joined(m, roomId);
    assert.equal((await now.ws.next('welcome')).role, Role.ROLE_VIEWER, 'a new token carries the new role');
  });

  it('revoking a share link', async () => {
    const roomId = await room();
    const link = await owner.post(`/api/rooms/${roomId}/links`, { role: 'editor' });
    assert.equal(link.status, 201, link.text);
    const guest = await guestByLink(link.json.token);
    const { ws, token: before } = await joined(guest, roomId);
    assert.equal(claimsOf(before).lnk, link.json.id);
    assert.ok(`link:${link.json.id}` in claimsOf(before).acc);
    const changedAt = Date.now();
    assert.equal((await owner.delete(`/api/rooms/${roomId}/links/${link.json.id}`)).status, 204);
    await revokedLive(ws, changedAt);
    await refusedAtJoin(roomId, before);
  });

  it('a share link expiring', async () => {
    const roomId = await room();
    // Links expire after a minute at the least through the API; the service itself takes any expiry.
    const auth = (await stack.gateway.app.get(AuthService).authenticate(owner.bearer!, 'bearer'))!;
    const link = await stack.gateway.app.get(LinksService).create(auth, roomId, { role: 'editor', expiresInSeconds: 3 });
    const expiresAt = Date.parse(link.expiresAt!);
    const guest = await guestByLink(link.token);
    const { ws, token: before } = await joined(guest, roomId);
    assert.equal(claimsOf(before).axp, Math.floor(expiresAt / 1000), 'the access ends with the link');
    await revokedLive(ws, expiresAt);
    // axp has whole seconds: the socket may close up to a second before the link's exact expiry, never after.
    assert.ok(Date.now() >= expiresAt - 1000, 'closed before the link expired');
    await refusedAtJoin(roomId, before);
  });

  it('deleting the room', async () => {
    const roomId = await room();
    const m = await member(roomId, 'viewer');
    const { ws, token: before } = await joined(m, roomId);
    const changedAt = Date.now();
    assert.equal((await owner.delete(`/api/rooms/${roomId}`)).status, 204);
    await revokedLive(ws, changedAt);
    await refusedAtJoin(roomId, before);
  });

  it('logging out', async () => {
    const roomId = await room();
    const m = await member(roomId, 'editor');
    const { ws, token: before } = await joined(m, roomId);
    const changedAt = Date.now();
    assert.equal((await m.post('/api/auth/logout')).status, 204);
    await revokedLive(ws, changedAt);
    await refusedAtJoin(roomId, before);
  });

  it('changing the password ends every other session', async () => {
    const roomId = await room();
    const m = await member(roomId, 'editor');
    const elsewhere = new Caller(base);
    const login = await elsewhere.post('/api/auth/login', { email: m.email, password: PASSWORD, session: 'bearer' });
    assert.equal(login.status, 200, login.text);
    elsewhere.bearer = login.json.token;
    const { ws, token: before } = await joined(m, roomId);
    const here = await joined(elsewhere, roomId);
    const changedAt = Date.now();
    const changed = await elsewhere.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another horse battery' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.json.revokedSessions, 1);
    await revokedLive(ws, changedAt);
    await refusedAtJoin(roomId, before);
    await stillServes(here.ws); // the session that changed it keeps its access
  });

  it('a token issued after a change carries the new version with the new role; the one issued before is refused', async () => {
    const roomId = await room();
    const m = await member(roomId, 'editor');
    const before = await token(m, roomId);
    assert.equal((await owner.patch(`/api/rooms/${roomId}/members/${m.userId}`, { role: 'viewer' })).status, 200);
    const scope = `member:${roomId}:${m.userId}`;
    const stored = (await db.query('select version from access_versions where scope = $1', [scope])).rows[0];
    assert.ok(Number(stored.version) > claimsOf(before).acc[scope], 'the change bumped the member scope past the old token');
    const after = await token(m, roomId);
    assert.equal(claimsOf(after).acc[scope], Number(stored.version));
    assert.equal(claimsOf(after).role, 'viewer');
    await refusedAtJoin(roomId, before);
    await joined(m, roomId);
  });

  it('versions bumped more than a day ago are deleted, and a later bump still outranks them', async () => {
    const versions = stack.gateway.app.get(AccessVersionsRepository);
    const [old, recent] = [`session:${randomUUID()}`, `session:${randomUUID()}`];
    await db.query(
      `insert into access_versions (scope, version, changed_at)
       values ($1, nextval('access_version_seq'), now() - interval '25 hours'), ($2, nextval('access_version_seq'), now())`,
      [old, recent],
    );
    const version = async (scope: string) => (await db.query('select version from access_versions where scope = $1', [scope])).rows[0]?.version;
    const before = Number(await version(old));
    assert.ok((await versions.deleteOlderThan(86_400)) >= 1);
    assert.equal(await version(old), undefined);
    assert.notEqual(await version(recent), undefined);
    await stack.gateway.app.get(DatabaseRepository).transaction((tx) => versions.bump([old], tx));
    assert.ok(Number(await version(old)) > before, 'the sequence never hands out a version a token may hold');
  });
});

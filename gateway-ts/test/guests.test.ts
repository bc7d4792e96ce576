import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { GuestSweeperService } from '../src/services/guest-sweeper.service';
import { Caller, Gateway, signup, startGateway, testDb } from './helpers';

const PER_ADDRESS = 5;
const PER_LINK = 8;

describe('guests: join limits and retention', () => {
  let gw: Gateway;
  let db: Pool;
  let owner: Awaited<ReturnType<typeof signup>>;
  before(async () => {
    gw = await startGateway({
      // The tests' peer is the proxy, so that X-Forwarded-For can stand for many clients.
      GATEWAY_TRUSTED_PROXIES: '127.0.0.1',
      GATEWAY_GUEST_RATE_LIMIT_PER_ADDRESS: String(PER_ADDRESS),
      GATEWAY_GUEST_RATE_LIMIT_PER_LINK: String(PER_LINK),
      GATEWAY_GUEST_RETENTION_DAYS: '30',
    });
    db = testDb();
    owner = await signup(gw.url, 'guest-owner');
  });
  after(async () => {
    await gw.close();
    await db.end();
  });

  async function link(): Promise<{ roomId: string; token: string }> {
    const roomId = (await owner.post('/api/rooms', { name: 'Guests' })).json.id;
    const token = (await owner.post(`/api/rooms/${roomId}/links`, { role: 'viewer' })).json.token;
    return { roomId, token };
  }

  const joinAsGuest = (token: string, from: string) =>
    new Caller(gw.url).post(`/api/links/${token}/join`, { displayName: 'G', session: 'bearer' }, { 'x-forwarded-for': from });

  it('a flood of guest joins from one address gets 429 with Retry-After; other addresses still join', async () => {
    const { token } = await link();
    const statuses: number[] = [];
    for (let i = 0; i < PER_ADDRESS + 2; i++) statuses.push((await joinAsGuest(token, '203.0.113.50')).status);
    assert.deepEqual(statuses, [...Array<number>(PER_ADDRESS).fill(200), 429, 429]);
    const limited = await joinAsGuest(token, '203.0.113.50');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 600, `retry-after ${retry}`);
    assert.equal((await joinAsGuest(token, '203.0.113.51')).status, 200);
    // A signed-in user opening the link creates no guest and is not counted.
    const member = await signup(gw.url, 'link-member');
    const joined = await member.post(`/api/links/${token}/join`, {}, { 'x-forwarded-for': '203.0.113.50' });
    assert.equal(joined.status, 200, joined.text);
  });

  it('limits guests per link across addresses', async () => {
    const { token } = await link();
    const statuses: number[] = [];
    for (let i = 0; i < PER_LINK + 1; i++) statuses.push((await joinAsGuest(token, `198.51.100.${i + 1}`)).status);
    assert.deepEqual(statuses, [...Array<number>(PER_LINK).fill(200), 429]);
    const other = await link();
    assert.equal((await joinAsGuest(other.token, '198.51.100.200')).status, 200, 'another link is not affected');
  });

  it('deletes guests unseen past the retention with their sessions and memberships, and keeps active ones', async () => {
    const { roomId, token } = await link();
    const stale = await joinAsGuest(token, '192.0.2.1');
    const active = await joinAsGuest(token, '192.0.2.2');
    const staleId: string = stale.json.user.id;
    const activeId: string = active.json.user.id;
    const longAgo = `now() - interval '31 days'`;
    await db.query(`update users set last_seen_at = ${longAgo} where id = $1`, [staleId]);
    // The active guest was also unseen for long, then came back: the request marks it seen.
    await db.query(`update users set last_seen_at = ${longAgo} where id = $1`, [activeId]);
    const guest = new Caller(gw.url);
    guest.bearer = active.json.token;
    assert.equal((await guest.get(`/api/rooms/${roomId}`)).status, 200);
    // Accounts are never swept, however long unseen.
    await db.query(`update users set last_seen_at = ${longAgo} where id = $1`, [owner.userId]);

    assert.ok((await gw.app.get(GuestSweeperService).sweep()) >= 1);
    const left = async (table: string, column: string, id: string) =>
      (await db.query(`select count(*)::int as n from ${table} where ${column} = $1`, [id])).rows[0].n as number;
    assert.deepEqual([await left('users', 'id', staleId), await left('sessions', 'user_id', staleId), await left('room_members', 'user_id', staleId)], [0, 0, 0]);
    assert.deepEqual([await left('users', 'id', activeId), await left('room_members', 'user_id', activeId)], [1, 1]);
    assert.equal(await left('users', 'id', owner.userId), 1);
    assert.equal((await guest.get(`/api/rooms/${roomId}`)).status, 200, 'the active guest keeps its access');
    const gone = new Caller(gw.url);
    gone.bearer = stale.json.token;
    assert.equal((await gone.get('/api/auth/me')).status, 401);
  });

  it('writes last_seen_at at most once an hour', async () => {
    const { roomId, token } = await link();
    const joined = await joinAsGuest(token, '192.0.2.9');
    const guest = new Caller(gw.url);
    guest.bearer = joined.json.token;
    const seen = async () => (await db.query('select last_seen_at from users where id = $1', [joined.json.user.id])).rows[0].last_seen_at as Date;
    await db.query(`update users set last_seen_at = now() - interval '50 minutes' where id = $1`, [joined.json.user.id]);
    const before = await seen();
    assert.equal((await guest.get(`/api/rooms/${roomId}`)).status, 200);
    assert.equal((await seen()).getTime(), before.getTime(), 'seen within the hour: no write');
    await db.query(`update users set last_seen_at = now() - interval '61 minutes' where id = $1`, [joined.json.user.id]);
    assert.equal((await guest.get(`/api/rooms/${roomId}`)).status, 200);
    assert.ok(Date.now() - (await seen()).getTime() < 60_000, 'seen again after an hour');
  });
});

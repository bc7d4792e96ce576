import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { RoomsService } from '../src/services/rooms.service';
import { SigningKeyService } from '../src/services/signing-key.service';
import { UpstreamError } from '../src/utils/upstream-error';
import { Caller, Gateway, signup, startGateway, testDb } from './helpers';
import { verifyWithJwks } from './jwt';

type User = Awaited<ReturnType<typeof signup>>;

describe('rooms, members, links and room tokens', () => {
  let gw: Gateway;
  let db: Pool;
  let owner: User;
  let grace: User;
  before(async () => {
    gw = await startGateway();
    db = testDb();
    owner = await signup(gw.url, 'owner');
    grace = await signup(gw.url, 'grace');
  });
  after(async () => {
    await gw.close();
    await db.end();
  });

  async function room(name = 'Room'): Promise<string> {
    const res = await owner.post('/api/rooms', { name });
    assert.equal(res.status, 201, res.text);
    return res.json.id;
  }

  it('creates, lists (owned and shared, with last activity), gets, renames and deletes a room', async () => {
    const created = await owner.post('/api/rooms', { name: '  Sprint board  ' });
    assert.equal(created.status, 201);
    assert.equal(created.json.name, 'Sprint board');
    assert.equal(created.json.role, 'owner');
    assert.equal(created.json.owner.id, owner.userId);
    assert.ok(Date.parse(created.json.lastActivityAt) > 0);
    const id = created.json.id;

    const shared = await grace.post('/api/rooms', { name: 'Grace shares' });
    await grace.post(`/api/rooms/${shared.json.id}/members`, { email: owner.email, role: 'viewer' });

    const list = await owner.get('/api/rooms');
    assert.equal(list.status, 200);
    const mine = list.json.find((r: { id: string }) => r.id === id);
    const theirs = list.json.find((r: { id: string }) => r.id === shared.json.id);
    assert.equal(mine.role, 'owner');
    assert.equal(theirs.role, 'viewer');
    assert.equal(theirs.owner.displayName, 'grace');

    const renamed = await owner.patch(`/api/rooms/${id}`, { name: 'Renamed' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json.name, 'Renamed');
    assert.equal((await owner.get(`/api/rooms/${id}`)).json.name, 'Renamed');

    assert.equal((await owner.delete(`/api/rooms/${id}`)).status, 204);
    assert.equal((await owner.get(`/api/rooms/${id}`)).status, 404);
    assert.equal((await owner.post(`/api/rooms/${id}/token`)).status, 404);
    assert.ok(!(await owner.get('/api/rooms')).json.some((r: { id: string }) => r.id === id));
  });

  it('invites a registered user by email, changes the role, and removes the member', async () => {
    const id = await room();
    assert.equal((await owner.post(`/api/rooms/${id}/members`, { email: 'nobody@example.test', role: 'editor' })).status, 404);
    const invited = await owner.post(`/api/rooms/${id}/members`, { email: grace.email.toUpperCase(), role: 'editor' });
    assert.equal(invited.status, 201, invited.text);
    assert.equal(invited.json.userId, grace.userId);
    assert.equal(invited.json.role, 'editor');
    assert.equal((await owner.post(`/api/rooms/${id}/members`, { email: grace.email, role: 'viewer' })).status, 409);

    assert.equal((await grace.get(`/api/rooms/${id}`)).json.role, 'editor');
    const seenByGrace = await grace.get(`/api/rooms/${id}/members`);
    assert.ok(seenByGrace.json.every((m: { email: unknown }) => m.email === null), 'emails are for the owner only');
    const seenByOwner = await owner.get(`/api/rooms/${id}/members`);
    assert.deepEqual(
      seenByOwner.json.map((m: { email: string; role: string }) => [m.email, m.role]),
      [
        [owner.email, 'owner'],
        [grace.email, 'editor'],
      ],
    );

    const changed = await owner.patch(`/api/rooms/${id}/members/${grace.userId}`, { role: 'viewer' });
    assert.equal(changed.status, 200);
    assert.equal(changed.json.role, 'viewer');
    assert.equal((await owner.patch(`/api/rooms/${id}/members/${owner.userId}`, { role: 'viewer' })).status, 403);

    assert.equal((await owner.delete(`/api/rooms/${id}/members/${grace.userId}`)).status, 204);
    assert.equal((await grace.get(`/api/rooms/${id}`)).status, 404);
    assert.equal((await owner.delete(`/api/rooms/${id}/members/${grace.userId}`)).status, 404);
  });

  it('lets a member leave, but not the owner', async () => {
    const id = await room();
    await owner.post(`/api/rooms/${id}/members`, { email: grace.email, role: 'viewer' });
    assert.equal((await owner.delete(`/api/rooms/${id}/members/${owner.userId}`)).status, 400);
    assert.equal((await grace.delete(`/api/rooms/${id}/members/${owner.userId}`)).status, 403);
    assert.equal((await grace.delete(`/api/rooms/${id}/members/${grace.userId}`)).status, 204);
    assert.equal((await grace.get(`/api/rooms/${id}`)).status, 404);
  });

  it('share links: an anonymous visitor becomes a named guest, a signed-in user joins; revoking ends both', async () => {
    const id = await room('Shared by link');
    const created = await owner.post(`/api/rooms/${id}/links`, { role: 'editor', expiresInSeconds: 3600 });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.status, 'active');
    assert.equal(created.json.url, `${gw.config.publicOrigin}/join/${created.json.token}`);
    const token: string = created.json.token;
    assert.ok(Date.parse(created.json.expiresAt) > Date.now());

    const listed = await owner.get(`/api/rooms/${id}/links`);
    assert.equal(listed.json.length, 1);
    assert.equal(listed.json[0].token, undefined, 'the secret is shown once');

    const anon = new Caller(gw.url);
    const preview = await anon.get(`/api/links/${token}`);
    assert.deepEqual(preview.json, { roomId: id, roomName: 'Shared by link', role: 'editor', expiresAt: created.json.expiresAt });

    const joined = await anon.post(`/api/links/${token}/join`, { displayName: 'Visitor' });
    assert.equal(joined.status, 200, joined.text);
    assert.equal(joined.json.user.kind, 'guest');
    assert.equal(joined.json.user.displayName, 'Visitor');
    assert.equal(joined.json.room.id, id);
    assert.equal(joined.json.room.role, 'editor');
    assert.ok(anon.cookie, 'the guest got a session cookie');
    anon.csrf = joined.json.csrfToken;
    assert.equal((await anon.get(`/api/rooms/${id}`)).status, 200);
    const guestToken = await anon.post(`/api/rooms/${id}/token`);
    assert.equal(guestToken.status, 200);
    assert.equal(guestToken.json.role, 'editor');
    assert.equal((await anon.post('/api/rooms', { name: 'guest room' })).status, 403, 'guests cannot create rooms');
    assert.equal((await anon.post('/api/auth/password', { currentPassword: 'x', newPassword: 'yyyyyyyy' })).status, 403);

    const user = await signup(gw.url, 'linkuser');
    const userJoin = await user.post(`/api/links/${token}/join`);
    assert.equal(userJoin.status, 200);
    assert.equal(userJoin.json.user.id, user.userId);
    assert.equal(userJoin.json.token, undefined);
    const members = await owner.get(`/api/rooms/${id}/members`);
    assert.equal(members.json.filter((m: { viaLink: boolean }) => m.viaLink).length, 2);

    assert.equal((await owner.delete(`/api/rooms/${id}/links/${created.json.id}`)).status, 204);
    assert.equal((await anon.get(`/api/rooms/${id}`)).status, 404);
    assert.equal((await anon.post(`/api/rooms/${id}/token`)).status, 404);
    assert.equal((await user.get(`/api/rooms/${id}`)).status, 404);
    assert.equal((await new Caller(gw.url).get(`/api/links/${token}`)).status, 410);
    assert.equal((await new Caller(gw.url).post(`/api/links/${token}/join`)).status, 410);
    assert.equal((await owner.get(`/api/rooms/${id}/links`)).json[0].status, 'revoked');
  });

  it('an explicit member keeps their role when opening a weaker link', async () => {
    const id = await room();
    await owner.post(`/api/rooms/${id}/members`, { email: grace.email, role: 'editor' });
    const link = await owner.post(`/api/rooms/${id}/links`, { role: 'viewer' });
    const joined = await grace.post(`/api/links/${link.json.token}/join`);
    assert.equal(joined.json.room.role, 'editor');
    await owner.delete(`/api/rooms/${id}/links/${link.json.id}`);
    assert.equal((await grace.get(`/api/rooms/${id}`)).json.role, 'editor');
  });

  it('access through an expired link ends, and the link cannot be opened', async () => {
    const id = await room();
    const link = await owner.post(`/api/rooms/${id}/links`, { role: 'viewer', expiresInSeconds: 60 });
    const guest = new Caller(gw.url);
    const joined = await guest.post(`/api/links/${link.json.token}/join`, { displayName: 'Late', session: 'bearer' });
    guest.bearer = joined.json.token;
    assert.equal((await guest.get(`/api/rooms/${id}`)).status, 200);
    await db.query(`update room_links set expires_at = now() - interval '1 second' where id = $1`, [link.json.id]);
    assert.equal((await guest.get(`/api/rooms/${id}`)).status, 404);
    assert.equal((await new Caller(gw.url).post(`/api/links/${link.json.token}/join`)).status, 410);
    assert.equal((await owner.get(`/api/rooms/${id}/links`)).json[0].status, 'expired');
  });

  it('room tokens carry exactly the contract claims, are EdDSA-signed and verify against the JWKS', async () => {
    const id = await room();
    await owner.post(`/api/rooms/${id}/members`, { email: grace.email, role: 'viewer' });
    const res = await grace.post(`/api/rooms/${id}/token`);
    assert.equal(res.status, 200);
    assert.equal(res.json.wsUrl, gw.config.realtimePublicUrl);
    const jwks = (await new Caller(gw.url).get('/.well-known/jwks.json')).json;
    assert.ok(jwks.keys.every((k: { kty: string; crv: string; alg: string }) => k.kty === 'OKP' && k.crv === 'Ed25519' && k.alg === 'EdDSA'));
    const { header, claims } = verifyWithJwks(res.json.token, jwks);
    assert.equal(header.alg, 'EdDSA');
    assert.deepEqual(Object.keys(claims).sort(), ['acc', 'aud', 'axp', 'exp', 'iat', 'iss', 'jti', 'name', 'role', 'room', 'sid', 'sub']);
    const session = (await db.query('select id, expires_at from sessions where user_id = $1 and revoked_at is null', [grace.userId])).rows;
    assert.equal(session.length, 1);
    assert.equal(claims.sid, session[0].id);
    assert.equal(claims.axp, Math.floor(session[0].expires_at.getTime() / 1000), 'no link: the access ends with the session');
    assert.deepEqual(Object.keys(claims.acc).sort(), [`member:${id}:${grace.userId}`, `room:${id}`, `session:${claims.sid}`]);
    assert.ok(Object.values(claims.acc).every((v) => Number.isSafeInteger(v) && v >= 0));
    assert.equal(claims.iss, 'infidraw-gateway');
    assert.equal(claims.aud, 'infidraw-realtime');
    assert.equal(claims.sub, grace.userId);
    assert.equal(claims.room, id);
    assert.equal(claims.role, 'viewer');
    assert.equal(claims.name, 'grace');
    assert.ok(claims.exp - claims.iat <= 300 && claims.exp - claims.iat === gw.config.roomTokenTtlSeconds);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 5);
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    assert.equal(Date.parse(res.json.expiresAt), claims.exp * 1000);
    const again = verifyWithJwks((await grace.post(`/api/rooms/${id}/token`)).json.token, jwks);
    assert.notEqual(again.claims.jti, claims.jti);
  });

  it('rotates keys by adding a key file: the newest signs, every key stays published', async () => {
    const keys = gw.app.get(SigningKeyService);
    const before = (await new Caller(gw.url).get('/.well-known/jwks.json')).json.keys.map((k: { kid: string }) => k.kid);
    const { privateKey } = generateKeyPairSync('ed25519');
    // Named as the chart names keys, stamped later than the key the gateway generated at start.
    writeFileSync(join(gw.config.signingKeyDir, 'ed25519-20991231T235959Z.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await keys.reload();
    const jwks = (await new Caller(gw.url).get('/.well-known/jwks.json')).json;
    assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid), [...before, 'ed25519-20991231T235959Z']);
    const id = await room();
    const { header } = verifyWithJwks((await owner.post(`/api/rooms/${id}/token`)).json.token, jwks);
    assert.equal(header.kid, 'ed25519-20991231T235959Z');
  });

  it('keeps a deleted room for the purge until realtime-go and tile-delta-go have confirmed it', async () => {
    const id = await room();
    assert.equal((await owner.delete(`/api/rooms/${id}`)).status, 204);
    await db.query(`update rooms set deleted_at = now() - interval '1 hour' where id = $1`, [id]);
    // No realtime-go nor tile-delta-go in this test: the purge fails and the row must stay for the next sweep.
    await assert.rejects(gw.app.get(RoomsService).sweepDeleted(), (err) => err instanceof UpstreamError && err.service === 'realtime');
    const { rows } = await db.query('select deleted_at from rooms where id = $1', [id]);
    assert.equal(rows.length, 1);
    assert.ok(rows[0].deleted_at);
  });
});

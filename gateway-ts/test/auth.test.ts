import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { SessionsRepository } from '../src/repositories/sessions.repository';
import { Caller, Gateway, PASSWORD, signup, startGateway, testDb, uniqueEmail } from './helpers';

describe('accounts and sessions', () => {
  let gw: Gateway;
  let db: Pool;
  before(async () => {
    gw = await startGateway();
    db = testDb();
  });
  after(async () => {
    await gw.close();
    await db.end();
  });

  it('signs up with a bearer token and stores only an argon2id hash and a token hash', async () => {
    const ada = await signup(gw.url, 'ada');
    const me = await ada.get('/api/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.user.email, ada.email);
    assert.equal(me.json.user.kind, 'user');
    assert.equal(me.json.session.kind, 'bearer');
    assert.equal(me.json.csrfToken, undefined);
    const { rows } = await db.query('select password_hash from users where id = $1', [ada.userId]);
    assert.match(rows[0].password_hash, /^\$argon2id\$/);
    const tokens = await db.query('select token_hash from sessions where user_id = $1', [ada.userId]);
    assert.equal(tokens.rows.length, 1);
    assert.notEqual(Buffer.from(tokens.rows[0].token_hash).toString('base64url'), ada.bearer);
  });

  it('refuses a second account with the same email, whatever its case', async () => {
    const ada = await signup(gw.url, 'dup');
    const res = await new Caller(gw.url).post('/api/auth/signup', {
      email: ada.email.toUpperCase(),
      password: PASSWORD,
      displayName: 'Other',
    });
    assert.equal(res.status, 409);
    assert.match(res.json.message, /already exists/);
  });

  it('logs in with the right password only, and says the same for an unknown email', async () => {
    const ada = await signup(gw.url, 'login');
    const anon = new Caller(gw.url);
    const wrong = await anon.post('/api/auth/login', { email: ada.email, password: 'wrong password', session: 'bearer' });
    assert.equal(wrong.status, 401);
    const unknown = await anon.post('/api/auth/login', { email: uniqueEmail('ghost'), password: PASSWORD, session: 'bearer' });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.json.message, wrong.json.message);
    const ok = await anon.post('/api/auth/login', { email: ada.email, password: PASSWORD, session: 'bearer' });
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.json.token, 'string');
    assert.notEqual(ok.json.token, ada.bearer);
  });

  it('gives browsers an httpOnly SameSite cookie and requires the CSRF token on changes', async () => {
    const anon = new Caller(gw.url);
    const email = uniqueEmail('browser');
    const res = await anon.post('/api/auth/signup', { email, password: PASSWORD, displayName: 'Browser' });
    assert.equal(res.status, 201);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('infidraw_session='))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.match(cookie, /Path=\//);
    assert.equal(res.json.token, undefined);
    const csrf: string = res.json.csrfToken;
    assert.ok(csrf.length >= 20);

    const me = await anon.get('/api/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.csrfToken, csrf);

    const without = await anon.request('POST', '/api/rooms', { json: { name: 'x' } });
    assert.equal(without.status, 403);
    assert.match(without.json.message, /CSRF/);
    const wrong = await anon.request('POST', '/api/rooms', { json: { name: 'x' }, headers: { 'x-csrf-token': 'nope' } });
    assert.equal(wrong.status, 403);
    anon.csrf = csrf;
    const ok = await anon.post('/api/rooms', { name: 'made with cookie' });
    assert.equal(ok.status, 201);
    const rooms = await db.query('select count(*)::int as n from rooms r join users u on u.id = r.owner_id where u.email = $1', [email]);
    assert.equal(rooms.rows[0].n, 1, 'the refused requests created nothing');
  });

  it('refuses state changes from another origin without a bearer token (log-in CSRF too)', async () => {
    const ada = await signup(gw.url, 'origin');
    const anon = new Caller(gw.url);
    const foreign = await anon.post(
      '/api/auth/login',
      { email: ada.email, password: PASSWORD },
      { origin: 'https://evil.example' },
    );
    assert.equal(foreign.status, 403);
    const same = await anon.post('/api/auth/login', { email: ada.email, password: PASSWORD }, { origin: gw.config.publicOrigin });
    assert.equal(same.status, 200);
    // A bearer token is not sent by browsers on their own, so the origin does not matter for it.
    const bearer = await ada.post('/api/rooms', { name: 'from a tool' }, { origin: 'https://elsewhere.example' });
    assert.equal(bearer.status, 201);
  });

  it('logout revokes the token and the cookie', async () => {
    const ada = await signup(gw.url, 'logout');
    assert.equal((await ada.post('/api/auth/logout')).status, 204);
    assert.equal((await ada.get('/api/auth/me')).status, 401);

    const browser = await signup(gw.url, 'logout-cookie', 'cookie');
    const saved = browser.cookie;
    const out = await browser.post('/api/auth/logout');
    assert.equal(out.status, 204);
    assert.match(out.headers.getSetCookie().join(';'), /infidraw_session=;/);
    browser.cookie = saved;
    const after = await browser.get('/api/auth/me');
    assert.equal(after.status, 401);
    assert.match(after.json.message, /expired or revoked/);
  });

  it('a password change revokes every other session and token, and swaps the password', async () => {
    const ada = await signup(gw.url, 'pw');
    const other = new Caller(gw.url);
    const login = await other.post('/api/auth/login', { email: ada.email, password: PASSWORD, session: 'bearer' });
    other.bearer = login.json.token;
    assert.equal((await other.get('/api/auth/me')).status, 200);

    const wrong = await ada.post('/api/auth/password', { currentPassword: 'not it', newPassword: 'another long password' });
    assert.equal(wrong.status, 403);
    const ok = await ada.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another long password' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.revokedSessions, 1);

    assert.equal((await other.get('/api/auth/me')).status, 401);
    assert.equal((await ada.get('/api/auth/me')).status, 200, 'the session that changed it stays');
    const anon = new Caller(gw.url);
    assert.equal((await anon.post('/api/auth/login', { email: ada.email, password: PASSWORD })).status, 401);
    assert.equal((await anon.post('/api/auth/login', { email: ada.email, password: 'another long password' })).status, 200);
  });

  it('an expired session is refused', async () => {
    const ada = await signup(gw.url, 'expired');
    await db.query(`update sessions set expires_at = now() - interval '1 second' where user_id = $1`, [ada.userId]);
    const res = await ada.get('/api/auth/me');
    assert.equal(res.status, 401);
  });

  it('deletes sessions that died more than a week ago', async () => {
    const ada = await signup(gw.url, 'stale');
    await db.query(`update sessions set expires_at = now() - interval '8 days' where user_id = $1`, [ada.userId]);
    assert.ok((await gw.app.get(SessionsRepository).deleteStale(7)) >= 1);
    assert.equal((await db.query('select 1 from sessions where user_id = $1', [ada.userId])).rows.length, 0);
  });

  it('rejects a malformed Authorization header and an unknown token', async () => {
    const anon = new Caller(gw.url);
    const basic = await anon.get('/api/auth/me', { authorization: 'Basic YTpi' });
    assert.equal(basic.status, 401);
    assert.match(basic.json.message, /Bearer/);
    anon.bearer = 'x'.repeat(43);
    assert.equal((await anon.get('/api/auth/me')).status, 401);
  });
});

describe('rate limits on sign-up and log-in', () => {
  let gw: Gateway;
  before(async () => {
    gw = await startGateway({ GATEWAY_AUTH_RATE_LIMIT: '3', GATEWAY_AUTH_RATE_WINDOW_SECONDS: '60' });
  });
  after(() => gw.close());

  it('answers 429 with Retry-After once an email has used up its log-in attempts', async () => {
    const anon = new Caller(gw.url);
    const email = uniqueEmail('limited');
    // Sign-up counts against the address, not against this email's log-in budget.
    assert.equal((await anon.post('/api/auth/signup', { email, password: PASSWORD, displayName: 'L' })).status, 201);
    for (let i = 0; i < 3; i++) {
      assert.equal((await anon.post('/api/auth/login', { email, password: 'wrong password!' })).status, 401);
    }
    const limited = await anon.post('/api/auth/login', { email, password: PASSWORD });
    assert.equal(limited.status, 429);
    assert.match(limited.json.message, /too many attempts/);
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `retry-after ${retry}`);
  });

  it('limits sign-ups per client address', async () => {
    const anon = new Caller(gw.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await anon.post('/api/auth/signup', { email: uniqueEmail('many'), password: PASSWORD, displayName: 'M' })).status);
    }
    // The first sign-up of this address happened in the test above.
    assert.deepEqual(statuses, [201, 201, 429, 429]);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Caller, freePort, Gateway, PASSWORD, startGateway, uniqueEmail } from './helpers';

/** Signs up a browser (cookie session) sending `origin`, then creates a room with it. */
async function signupAndCreateRoom(base: string, origin: string): Promise<{ signup: number; room: number; message?: string }> {
  const browser = new Caller(base);
  const headers = { origin };
  const res = await browser.post('/api/auth/signup', { email: uniqueEmail('origin'), password: PASSWORD, displayName: 'O' }, headers);
  if (res.status !== 201) return { signup: res.status, room: 0, message: res.json?.message };
  browser.csrf = res.json.csrfToken;
  const room = await browser.post('/api/rooms', { name: 'same origin' }, headers);
  return { signup: res.status, room: room.status, message: room.json?.message };
}

describe('origin check of state-changing requests', () => {
  let gw: Gateway;
  let port: number;
  before(async () => {
    port = await freePort();
    // The public origin names localhost; the browser below opens the gateway as 127.0.0.1.
    gw = await startGateway({
      GATEWAY_HTTP_LISTEN: `127.0.0.1:${port}`,
      GATEWAY_PUBLIC_ORIGIN: `http://localhost:${port}`,
      GATEWAY_ALLOWED_ORIGINS: 'https://app.example.test, http://localhost:5173',
    });
  });
  after(() => gw.close());

  it('accepts a page on the address it was sent to (127.0.0.1) although the public origin says localhost', async () => {
    assert.deepEqual(await signupAndCreateRoom(gw.url, `http://127.0.0.1:${port}`), { signup: 201, room: 201, message: undefined });
  });

  it('accepts the public origin and every GATEWAY_ALLOWED_ORIGINS entry', async () => {
    for (const origin of [`http://localhost:${port}`, 'https://app.example.test', 'http://LOCALHOST:5173']) {
      assert.deepEqual(await signupAndCreateRoom(gw.url, origin), { signup: 201, room: 201, message: undefined }, origin);
    }
  });

  it('still refuses foreign origins, another port of the same host, and an opaque origin', async () => {
    for (const origin of ['https://evil.example', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, 'null']) {
      const res = await signupAndCreateRoom(gw.url, origin);
      assert.equal(res.signup, 403, origin);
      assert.equal(res.message, `cross-origin request from ${origin} refused`);
    }
  });

  it('ignores X-Forwarded-Proto and X-Forwarded-Host from a peer that is not a trusted proxy', async () => {
    const res = await new Caller(gw.url).post(
      '/api/auth/signup',
      { email: uniqueEmail('fwd'), password: PASSWORD, displayName: 'F' },
      { origin: 'https://draw.example.test', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'draw.example.test' },
    );
    assert.equal(res.status, 403);
  });
});

describe('origin check behind a trusted proxy', () => {
  let gw: Gateway;
  before(async () => {
    gw = await startGateway({ GATEWAY_PUBLIC_ORIGIN: 'https://draw.example.test', GATEWAY_TRUSTED_PROXIES: '127.0.0.0/8' });
  });
  after(() => gw.close());

  it('takes the origin a request was sent to from X-Forwarded-Proto and X-Forwarded-Host of the proxy', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'alias.example.test' };
    const ok = await new Caller(gw.url).post(
      '/api/auth/signup',
      { email: uniqueEmail('alias'), password: PASSWORD, displayName: 'A' },
      { ...forwarded, origin: 'https://alias.example.test' },
    );
    assert.equal(ok.status, 201, ok.text);
    const foreign = await new Caller(gw.url).post(
      '/api/auth/signup',
      { email: uniqueEmail('alias'), password: PASSWORD, displayName: 'A' },
      { ...forwarded, origin: 'https://evil.example' },
    );
    assert.equal(foreign.status, 403);
  });
});

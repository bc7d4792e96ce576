import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addressKey } from '../src/middleware/client-address';
import { Caller, Gateway, PASSWORD, signup, startGateway } from './helpers';

const LIMIT = 10;

/** `count` wrong-password log-ins on `email` sent as if from `forwardedFor`; returns their statuses. */
async function badLogins(base: string, email: string, forwardedFor: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await new Caller(base).post('/api/auth/login', { email, password: 'not the password' }, { 'x-forwarded-for': forwardedFor });
    statuses.push(res.status);
  }
  return statuses;
}

const login = (base: string, email: string, forwardedFor: string) =>
  new Caller(base).post('/api/auth/login', { email, password: PASSWORD, session: 'bearer' }, { 'x-forwarded-for': forwardedFor });

describe('log-in limits behind a trusted reverse proxy', () => {
  let gw: Gateway;
  before(async () => {
    // The tests connect from 127.0.0.1: here that is the proxy (the Ingress controller in a cluster).
    gw = await startGateway({
      GATEWAY_TRUSTED_PROXIES: '127.0.0.1/32, ::1',
      GATEWAY_AUTH_RATE_LIMIT: String(LIMIT),
      GATEWAY_AUTH_RATE_LIMIT_PER_ADDRESS: '50',
    });
  });
  after(() => gw.close());

  it('eleven bad log-ins from one X-Forwarded-For do not block a second one', async () => {
    const ada = await signup(gw.url, 'proxied');
    const statuses = await badLogins(gw.url, ada.email, '203.0.113.7', LIMIT + 1);
    assert.deepEqual(statuses, [...Array<number>(LIMIT).fill(401), 429]);
    const other = await signup(gw.url, 'bystander');
    assert.equal((await login(gw.url, other.email, '198.51.100.9')).status, 200, 'another client behind the same proxy');
  });

  it("an attacker's failures on a victim's email do not lock the victim out from another address", async () => {
    const victim = await signup(gw.url, 'victim');
    await badLogins(gw.url, victim.email, '203.0.113.66', LIMIT + 2);
    assert.equal((await login(gw.url, victim.email, '203.0.113.66')).status, 429, 'the attacker is limited');
    const res = await login(gw.url, victim.email, '198.51.100.23');
    assert.equal(res.status, 200, res.text);
  });

  it('keys the client by the address the proxy appended, not by what the client claimed before it', async () => {
    const ada = await signup(gw.url, 'chain');
    // A client sending its own X-Forwarded-For: the proxy appends the real peer, the last entry counts.
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      const res = await new Caller(gw.url).post(
        '/api/auth/login',
        { email: ada.email, password: 'not the password' },
        { 'x-forwarded-for': `10.9.${i}.1, 203.0.113.99` },
      );
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [...Array<number>(LIMIT).fill(401), 429]);
  });
});

describe('log-in limits without a trusted proxy', () => {
  let gw: Gateway;
  before(async () => {
    // Only 10.0.0.0/8 is a proxy: the test's peer 127.0.0.1 is not, so its X-Forwarded-For is ignored.
    gw = await startGateway({ GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8', GATEWAY_AUTH_RATE_LIMIT: String(LIMIT) });
  });
  after(() => gw.close());

  it('ignores X-Forwarded-For from an untrusted peer: changing it does not escape the limit', async () => {
    const ada = await signup(gw.url, 'direct');
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      const res = await new Caller(gw.url).post(
        '/api/auth/login',
        { email: ada.email, password: 'not the password' },
        { 'x-forwarded-for': `203.0.113.${i + 1}` },
      );
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [...Array<number>(LIMIT).fill(401), 429]);
  });
});

describe('addressKey', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    const cases: [string, string][] = [
      ['203.0.113.7', '203.0.113.7'],
      ['::ffff:203.0.113.7', '203.0.113.7'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
      ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
      ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['::1', '0:0:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ];
    for (const [ip, key] of cases) assert.equal(addressKey(ip), key, ip);
  });
});

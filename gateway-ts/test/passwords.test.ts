import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PasswordHasher } from '../src/services/password-hasher.service';
import { Bulkhead } from '../src/utils/bulkhead';
import { Caller, Gateway, PASSWORD, signup, startGateway, uniqueEmail } from './helpers';

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((ok) => (open = ok));
  return { opened, open };
}

describe('Bulkhead', () => {
  it('runs limit tasks at once, queues up to queue more in order, refuses the rest at once', async () => {
    const pool = new Bulkhead(2, 1, () => new Error('busy'));
    const started: number[] = [];
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g, i) => pool.run(async () => (started.push(i), await g.opened, i)));
    assert.deepEqual(started, [0, 1], 'the third waits');
    await assert.rejects(pool.run(async () => 'never'), /busy/);
    gates[0].open();
    assert.equal(await runs[0], 0);
    await new Promise((ok) => setImmediate(ok));
    assert.deepEqual(started, [0, 1, 2], 'the finished task handed its slot to the waiting one');
    gates[1].open();
    gates[2].open();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2]);
    assert.equal(await pool.run(async () => 'free again'), 'free again');
  });

  it('frees the slot of a failed task', async () => {
    const pool = new Bulkhead(1, 0, () => new Error('busy'));
    await assert.rejects(pool.run(async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await pool.run(async () => 'ok'), 'ok');
  });
});

describe('password checks: bounded argon2 pool and per-user limit', () => {
  let gw: Gateway;
  // Accounts are made on a second gateway without limits (same database): sign-ups from the tests'
  // one address would use up the limit of three.
  let signups: Gateway;
  before(async () => {
    gw = await startGateway({ GATEWAY_ARGON2_CONCURRENCY: '1', GATEWAY_ARGON2_QUEUE: '1', GATEWAY_AUTH_RATE_LIMIT: '3' });
    signups = await startGateway();
  });
  after(async () => {
    await gw.close();
    await signups.close();
  });

  /** A new account whose bearer token is used against the limited gateway. */
  async function account(tag: string) {
    const user = await signup(signups.url, tag);
    return Object.assign(new Caller(gw.url), { bearer: user.bearer, email: user.email });
  }

  it('answers 429 with Retry-After to password changes, log-ins and sign-ups while the pool and its queue are full', async () => {
    const ada = await account('pool');
    const hasher = gw.app.get(PasswordHasher);
    const g = gate();
    // One argon2 slot running and one waiting: the pool is full.
    const held = [hasher.occupy(() => g.opened), hasher.occupy(() => g.opened)];
    try {
      const change = await ada.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'a new long password' });
      assert.equal(change.status, 429, change.text);
      assert.equal(change.headers.get('retry-after'), '1');
      assert.match(change.json.message, /too many password checks/);
      const login = await new Caller(gw.url).post('/api/auth/login', { email: ada.email, password: PASSWORD });
      assert.equal(login.status, 429);
      const created = await new Caller(gw.url).post('/api/auth/signup', { email: uniqueEmail('pool'), password: PASSWORD, displayName: 'P' });
      assert.equal(created.status, 429);
    } finally {
      g.open();
      await Promise.all(held);
    }
    const change = await ada.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'a new long password' });
    assert.equal(change.status, 200, change.text);
    const metrics = await new Caller(gw.url).get('/metrics');
    assert.match(metrics.text, /gateway_busy_total\{limit="argon2"\} 3/);
  });

  it('concurrent password changes within the pool and its queue wait their turn and all complete', async () => {
    const users = await Promise.all([account('queue-a'), account('queue-b')]);
    // Two changes (each a verify, then a hash) never need more than one slot and one place in the queue.
    const changes = await Promise.all(
      users.map((u) => u.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another long password' })),
    );
    assert.deepEqual(changes.map((c) => c.status), [200, 200]);
  });

  it('limits password changes per user, whatever the password', async () => {
    const ada = await account('guessing');
    for (let i = 0; i < 3; i++) {
      assert.equal((await ada.post('/api/auth/password', { currentPassword: `guess ${i} guess`, newPassword: 'x new long password' })).status, 403);
    }
    const limited = await ada.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'x new long password' });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    const bob = await account('unaffected');
    assert.equal((await bob.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'x new long password' })).status, 200);
  });
});

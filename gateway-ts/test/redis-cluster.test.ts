import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterNodes } from '../src/repositories/redis.repository';
import { Caller, Gateway, startGateway, uniqueEmail } from './helpers';

const LIMIT = 3;

describe('the gateway on a Redis Cluster (REDIS_CLUSTER_URL)', () => {
  let gw: Gateway;
  before(async () => {
    const url = process.env.REDIS_CLUSTER_URL;
    assert.ok(url, 'REDIS_CLUSTER_URL must point at the test cluster (scripts/test.sh starts it)');
    gw = await startGateway({ REDIS_CLUSTER_URL: url, REDIS_URL: 'redis://127.0.0.1:1/0', GATEWAY_AUTH_RATE_LIMIT: String(LIMIT) });
  });
  after(() => gw.close());

  it('is ready, and counts log-in attempts of accounts whose keys live on different masters', async () => {
    assert.equal((await new Caller(gw.url).get('/readyz')).status, 200);
    // Enough addresses that their counters fall in the slots of every master.
    for (let i = 0; i < 6; i++) {
      const email = uniqueEmail(`cluster-${i}`);
      const statuses: number[] = [];
      for (let k = 0; k <= LIMIT; k++) {
        statuses.push((await new Caller(gw.url).post('/api/auth/login', { email, password: 'wrong password' })).status);
      }
      assert.deepEqual(statuses, [...Array<number>(LIMIT).fill(401), 429], `account ${i}`);
    }
  });
});

describe('cluster URLs', () => {
  it('name every entry node and the credentials', () => {
    assert.deepEqual(clusterNodes('rediss://u%40x:p%3Aw@r0:7000?addr=r1:7001&addr=r2:7002'), {
      nodes: [{ host: 'r0', port: 7000 }, { host: 'r1', port: 7001 }, { host: 'r2', port: 7002 }],
      username: 'u@x', password: 'p:w', tls: {},
    });
    assert.deepEqual(clusterNodes('redis://r0'), { nodes: [{ host: 'r0', port: 6379 }], username: undefined, password: undefined, tls: undefined });
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';
import { Caller, Gateway, REALTIME_BIN, realtimeAvailable, signup, Stack, startGateway, startStack, testEnv } from './helpers';
import { Pki } from './pki';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';
import { penStroke } from './ws-client';

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP internal-tls: ${skip}`);

const stroke = () => {
  const s = penStroke();
  return { strokes: [{ id: s.uuid, tool: 'pen', rgba: 0xff0000ff, width: 300, points: s.points }] };
};

// The gateway talks to realtime-go, tile-delta-go and snapshot-rs over mutual TLS, presenting its own
// certificate; each service admits the gateway (snapshot-rs only tile-delta-go for rendering).
describe('the gateway over internal mutual TLS', { skip }, () => {
  const pki = new Pki();
  let objectDir: string;
  let tiles: TileServices;
  let stack: Stack;

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-tls-objects-'));
    tiles = await startTileServices(`file://${objectDir}`, 3, {
      snapshot: pki.env(pki.issue('snapshot'), 'tile-delta'),
      tileDelta: pki.env(pki.issue('tile-delta'), 'gateway'),
    });
    stack = await startStack(
      {
        TILE_DELTA_TARGET: tiles.tileDeltaTarget,
        SNAPSHOT_TARGET: tiles.snapshotTarget,
        ...pki.env(pki.issue('gateway')),
      },
      pki.env(pki.issue('realtime'), 'gateway'),
    );
  });
  after(async () => {
    await stack?.close();
    await tiles?.stop();
    rmSync(objectDir, { recursive: true, force: true });
    pki.close();
  });

  it('creates a room, commits a stroke, reads it back as events and as a tile', async () => {
    const owner = await signup(stack.gateway.url, 'tls-owner');
    const roomId: string = (await owner.post('/api/rooms', { name: 'over TLS' })).json.id;
    const posted = await owner.post(`/api/rooms/${roomId}/strokes`, stroke());
    assert.equal(posted.status, 200, posted.text);
    const events = await owner.get(`/api/rooms/${roomId}/events?format=json`);
    assert.equal(events.status, 200, events.text);
    assert.deepEqual(events.json.events.map((e: { seq: number }) => e.seq), [1]);
    const tile = await owner.get(`/api/rooms/${roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600&format=json`);
    assert.equal(tile.status, 200, tile.text);
    assert.equal(tile.json.tiles.length, 1);
    assert.equal(tile.json.tiles[0].strokes.length, 1);
  });

  it('/healthz reaches all three services over TLS', async () => {
    const res = await new Caller(stack.gateway.url).get('/healthz');
    assert.equal(res.status, 200, res.text);
    for (const dep of ['realtime', 'tile-delta', 'snapshot']) assert.equal(res.json.details[dep].status, 'up', dep);
  });

  it('a gateway without the certificate is refused by every service', async () => {
    let plain: Gateway | undefined;
    try {
      plain = await startGateway({ REALTIME_TARGET: stack.realtime.grpcTarget, TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget });
      const owner = await signup(plain.url, 'tls-plain');
      const roomId: string = (await owner.post('/api/rooms', { name: 'plaintext' })).json.id;
      const posted = await owner.post(`/api/rooms/${roomId}/strokes`, stroke());
      assert.ok(posted.status >= 500, `POST strokes in plaintext answered ${posted.status}`);
      const health = await owner.get('/healthz');
      assert.equal(health.status, 503);
      assert.equal(health.json.message, 'unhealthy: realtime, tile-delta, snapshot');
    } finally {
      await plain?.close();
    }
  });
});

describe('INTERNAL_TLS_* configuration', () => {
  const pki = new Pki();
  after(() => pki.close());

  it('takes all three files or none, and refuses files that do not make a TLS context', () => {
    const gateway = pki.issue('gateway');
    const other = pki.issue('other');
    const cases: Record<string, string>[] = [
      { INTERNAL_TLS_CERT_FILE: gateway.certFile },
      { INTERNAL_TLS_CERT_FILE: gateway.certFile, INTERNAL_TLS_KEY_FILE: gateway.keyFile },
      { ...pki.env(gateway), INTERNAL_TLS_KEY_FILE: other.keyFile },
      { ...pki.env(gateway), INTERNAL_TLS_CA_FILE: join(pki.dir, 'missing.crt') },
    ];
    for (const env of cases) {
      assert.throws(() => loadConfig(testEnv(env)), (err: unknown) => err instanceof ConfigError && /INTERNAL_TLS_/.test(err.message), JSON.stringify(env));
    }
    assert.deepEqual(loadConfig(testEnv(pki.env(gateway))).internalTls, { certFile: gateway.certFile, keyFile: gateway.keyFile, caFile: pki.caFile });
    assert.equal(loadConfig(testEnv()).internalTls, undefined);
  });
});

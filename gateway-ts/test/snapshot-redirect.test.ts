import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { credentials } from '@grpc/grpc-js';
import { GetSnapshotRequest, GetSnapshotResponse, GetTilesResponse, TileDeltaServiceClient } from '../src/gen/infidraw/tile/v1/tile';
import { REALTIME_BIN, realtimeAvailable, signup, Stack, startStack } from './helpers';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';

/**
 * With tile-delta-go on S3 and TILE_DELTA_SNAPSHOT_URL_TTL set, the snapshot route redirects to a presigned URL
 * (the gateway never touches the object store) whose target serves the PNG tile-delta-go has.
 */

const S3_ENDPOINT = process.env.S3_ENDPOINT ?? '127.0.0.1:58333';
const s3Reachable = () =>
  new Promise<boolean>((ok) => {
    const colon = S3_ENDPOINT.lastIndexOf(':');
    const s = connect({ host: S3_ENDPOINT.slice(0, colon), port: Number(S3_ENDPOINT.slice(colon + 1)) }, () => (s.destroy(), ok(true)));
    s.on('error', () => ok(false));
  });

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;

describe('snapshot route with presigned URLs', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;

  before(async () => {
    if (!(await s3Reachable())) return;
    tiles = await startTileServices(`s3://gw-redirect-${Date.now()}?endpoint=${S3_ENDPOINT}`, 1, { tileDelta: { TILE_DELTA_SNAPSHOT_URL_TTL: '60s' } });
    stack = await startStack({ TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget });
  });
  after(async () => {
    await stack?.close();
    await tiles?.stop();
  });

  it('GET …/{coversSeq}.png answers 302 to a presigned URL, cached for less than it lives; the URL serves the PNG', async (t) => {
    if (!stack) return t.skip(`no S3 at ${S3_ENDPOINT} (bash scripts/backing.sh start s3)`);
    const base = stack.gateway.url;
    const owner = await signup(base, 'redirect-owner');
    const roomId = (await owner.post('/api/rooms', { name: 'Redirects' })).json.id;
    const stroke = { id: randomUUID(), tool: 'pen', rgba: 0x1e1e1eff, width: 400, points: [2000, 2000, 15000, 8000] };
    assert.equal((await owner.post(`/api/rooms/${roomId}/strokes`, { strokes: [stroke] })).status, 200);

    // One stroke is past the threshold: the first read queues the render; poll until the snapshot is there.
    const tilesPath = `/api/rooms/${roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600`;
    const deadline = Date.now() + 30_000;
    let snap: GetTilesResponse['tiles'][number]['snapshot'];
    while (!snap) {
      snap = GetTilesResponse.decode((await owner.get(tilesPath)).body).tiles[0]?.snapshot;
      if (!snap && Date.now() > deadline) assert.fail('no snapshot within 30 s');
    }
    assert.equal(snap.url, `/api/rooms/${roomId}/tiles/0/0/0/${snap.coversSeq}.png`);
    assert.equal(snap.key, '');

    const redirect = await owner.get(snap.url);
    assert.equal(redirect.status, 302, redirect.text);
    assert.equal(redirect.headers.get('cache-control'), 'private, max-age=54', 'a tenth less than the 60 s the URL lives, never immutable');
    assert.equal(redirect.headers.get('etag'), null, 'a redirect to a URL that expires is not revalidated');
    const location = redirect.headers.get('location') ?? '';
    assert.ok(location.startsWith(`http://${S3_ENDPOINT}/`), location);
    assert.ok(!location.includes(process.env.S3_SECRET_KEY ?? 'infidraw-secret-key'), 'no secret in the URL');

    const target = await fetch(location);
    assert.equal(target.status, 200);
    const png = Buffer.from(await target.arrayBuffer());
    assert.equal(png.length, snap.sizeBytes);
    const client = new TileDeltaServiceClient(tiles.tileDeltaTarget, credentials.createInsecure());
    try {
      const request: GetSnapshotRequest = { roomId, coord: { level: 0, x: 0, y: 0 }, coversSeq: snap.coversSeq, acceptUrl: false };
      const direct = await new Promise<GetSnapshotResponse>((ok, fail) => client.getSnapshot(request, (err, res) => (err ? fail(err) : ok(res))));
      assert.equal(direct.content?.$case, 'png');
      assert.ok(direct.content?.$case === 'png' && png.equals(direct.content.value), 'the URL serves the bytes tile-delta-go has');
    } finally {
      client.close();
    }

    // A covers_seq without a snapshot is 404, not a redirect.
    assert.equal((await owner.get(`/api/rooms/${roomId}/tiles/0/0/0/${snap.coversSeq + 1}.png`)).status, 404);
  });
});

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { uuidToBytes } from '../src/utils/uuid';
import { REALTIME_BIN, realtimeAvailable, signup, Stack, startStack } from './helpers';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';
import { readWebm } from './webm';
import { penStroke, RealtimeClient } from './ws-client';

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP timelapse: ${skip}`);

describe('timelapse: a region being drawn, as a WebM video', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;
  let objectDir: string;
  let owner: Awaited<ReturnType<typeof signup>>;
  let viewer: Awaited<ReturnType<typeof signup>>;
  let stranger: Awaited<ReturnType<typeof signup>>;
  let roomId: string;
  let client: RealtimeClient;

  /** The region the strokes are drawn in: 60 × 60 world units; a video 120 px wide is 120 px high. */
  const region = 'minX=0&minY=0&maxX=6000&maxY=6000';
  const video = (q: string, who = viewer) => who.get(`/api/rooms/${roomId}/timelapse?${region}${q}`);

  async function commit(y: number): Promise<{ id: Uint8Array; seq: number }> {
    const s = { ...penStroke(), points: [1000, y * 100, 4000, 0] };
    const [req] = client.send({ $case: 'commitStroke', value: { stroke: s } });
    return { id: s.id, seq: (await client.next('ack', (a) => a.requestId === req)).seq };
  }

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-timelapse-objects-'));
    tiles = await startTileServices(`file://${objectDir}`, 1000);
    stack = await startStack({ TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget });
    owner = await signup(stack.gateway.url, 'timelapse-owner');
    viewer = await signup(stack.gateway.url, 'timelapse-viewer');
    stranger = await signup(stack.gateway.url, 'timelapse-stranger');
    roomId = (await owner.post('/api/rooms', { name: 'Timelapse' })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    client = await RealtimeClient.connect(stack.realtime.wsUrl);
    client.join(roomId, (await owner.post(`/api/rooms/${roomId}/token`)).json.token);
    await client.next('welcome');
    // Events 1–5: a, b, erase a, undo the erase (a back), c. Event 6 lies outside the region.
    const a = await commit(10);
    await commit(20);
    const erase = randomUUID();
    const [req] = client.send({ $case: 'eraseStrokes', value: { actionId: uuidToBytes(erase)!, strokeIds: [Buffer.from(a.id)] } });
    await client.next('ack', (x) => x.requestId === req);
    const [undo] = client.send({ $case: 'undo', value: { actionId: uuidToBytes(erase)! } });
    await client.next('ack', (x) => x.requestId === undo);
    await commit(30);
    const far = { ...penStroke(), points: [900_000, 900_000, 4000, 0] };
    const [farReq] = client.send({ $case: 'commitStroke', value: { stroke: far } });
    assert.equal((await client.next('ack', (x) => x.requestId === farReq)).seq, 6);
  });
  after(async () => {
    await client?.close();
    await stack?.close();
    await tiles?.stop();
    if (objectDir) rmSync(objectDir, { recursive: true, force: true });
  });

  it('a viewer downloads the region from empty to now: one frame per event in the region, at the frame rate asked', async () => {
    const res = await video('&width=120&fps=10');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'video/webm');
    assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="timelapse-${roomId}\\.webm"`));
    assert.deepEqual(
      ['x-timelapse-frames', 'x-timelapse-frame-rate', 'x-timelapse-strokes', 'x-from-seq', 'x-to-seq'].map((h) => res.headers.get(h)),
      ['5', '10', '3', '0', '6'],
      'five events touch the region (the sixth is far away); three strokes are drawn in some frame',
    );
    const webm = readWebm(res.body);
    assert.equal(webm.codecId, 'V_VP8');
    assert.deepEqual([webm.width, webm.height], [120, 120]);
    assert.equal(webm.frames, 5);
    assert.ok(webm.keyframes >= 1, 'the first frame is a keyframe');
    assert.ok(Math.abs(webm.durationSeconds - 0.5) < 1e-6, `duration ${webm.durationSeconds} s = 5 frames at 10/s`);
    assert.deepEqual(webm.times.map((t) => Math.round(t * 1000)), [0, 100, 200, 300, 400]);
  });

  it('frames, from and to choose the span and how it is spread', async () => {
    const cases: [string, string[]][] = [
      // Five events over two frames.
      ['&frames=2', ['2', '0', '6']],
      // Events 3 and 4 (the erase and its undo): the first frame starts from a and b.
      ['&from=2&to=4', ['2', '2', '4']],
      // Nothing changes in the region after event 5: one frame of it as it is.
      ['&from=5', ['1', '5', '6']],
    ];
    for (const [q, want] of cases) {
      const res = await video(`&width=64${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
      assert.deepEqual(['x-timelapse-frames', 'x-from-seq', 'x-to-seq'].map((h) => res.headers.get(h)), want, q);
      assert.equal(readWebm(res.body).frames, Number(want[0]), q);
    }
  });

  it('reports progress under the token the request carries', async () => {
    const token = randomBytes(18).toString('base64url');
    const progress = () => viewer.get(`/api/rooms/${roomId}/timelapse/progress/${token}`);
    assert.equal((await progress()).status, 404, 'not started');
    const res = await video(`&width=64&progress=${token}`);
    assert.equal(res.status, 200, res.text);
    const p = await progress();
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.json, { framesDone: 5, frames: 5, state: 'done' });
    assert.equal((await stranger.get(`/api/rooms/${roomId}/timelapse/progress/${token}`)).status, 404, 'a stranger learns nothing of the room');
  });

  it('bad requests get a clear 400 and strangers a 404', async () => {
    const cases: [string, RegExp][] = [
      ['&width=121', /width must be even/],
      ['&width=8', /width must not be less than 16/],
      ['&width=2000', /width must not be greater than 1920/],
      ['&width=64&from=5&to=3', /end \(3\) before it starts \(5\)/],
      ['&width=64&fps=0', /fps must not be less than 1/],
      ['&width=64&frames=4000', /frames must not be greater than 3600/],
      ['&width=64&progress=short', /progress must be 16 to 64/],
      ['&width=64&from=1&fromTime=2026-01-01T00:00:00Z', /give from or fromTime, not both/],
    ];
    for (const [q, message] of cases) {
      const res = await video(q);
      assert.equal(res.status, 400, q);
      assert.match(res.text, message, q);
    }
    const thin = await viewer.get(`/api/rooms/${roomId}/timelapse?minX=0&minY=0&maxX=60000&maxY=100&width=1000`);
    assert.equal(thin.status, 400);
    assert.match(thin.text, /is 2 pixels high; it must be 16 to 1080/);
    assert.equal((await viewer.get(`/api/rooms/${roomId}/timelapse/progress/bad`)).status, 400);
    assert.equal((await video('&width=64', stranger)).status, 404);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetTilesResponse, HitStrokesResponse } from '../src/gen/infidraw/tile/v1/tile';
import { Caller, REALTIME_BIN, realtimeAvailable, signup, Stack, startStack } from './helpers';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP tiles: ${skip}`);

const RAW = process.env.INFIDRAW_STROKES_DIR ?? join(__dirname, '../../../../shared/data/strokes/raw');

/** Real pen strokes (Quick, Draw!) as JSON strokes for POST /strokes, placed at (ox, oy) world units. */
function realStrokes(file: string, count: number, ox: number, oy: number): { id: string; tool: string; rgba: number; width: number; points: number[] }[] {
  const out: { id: string; tool: string; rgba: number; width: number; points: number[] }[] = [];
  // The files have no trailing newline: split, not line-by-line streaming.
  for (const line of readFileSync(join(RAW, file), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const drawing = (JSON.parse(line) as { drawing: number[][][] }).drawing;
    for (const [xs, ys] of drawing) {
      const points: number[] = [];
      let px = 0;
      let py = 0;
      for (let i = 0; i < xs.length; i++) {
        const x = Math.round((ox + xs[i] * 0.5) * 100);
        const y = Math.round((oy + ys[i] * 0.5) * 100);
        points.push(x - px, y - py);
        px = x;
        py = y;
      }
      out.push({ id: randomUUID(), tool: 'pen', rgba: 0x1e1e1eff, width: 300, points });
      if (out.length === count) return out;
    }
  }
  return out;
}

const isPng = (b: Buffer) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

describe('tile endpoints on the real stack', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;
  let objectDir: string;
  let base: string;
  let owner: Awaited<ReturnType<typeof signup>>;
  let editor: Awaited<ReturnType<typeof signup>>;
  let viewer: Awaited<ReturnType<typeof signup>>;
  let other: Awaited<ReturnType<typeof signup>>;
  let roomId: string;
  let otherRoomId: string;
  /** The snapshot URL found by the lifecycle test. */
  let pngUrl: string;
  /** The first stroke of the lifecycle test: baked into that snapshot. */
  let baked: ReturnType<typeof realStrokes>[number];

  /** How many GetSnapshot calls the gateway made that succeeded (its gRPC client metrics). */
  const getSnapshotCalls = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('gateway_grpc_client_duration_seconds_count{') && l.includes('method="GetSnapshot"') && l.includes('code="OK"'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  const tilesPath = (room: string, q = 'level=0&minX=0&minY=0&maxX=25600&maxY=25600') => `/api/rooms/${room}/tiles?${q}`;

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-objects-'));
    tiles = await startTileServices(`file://${objectDir}`, 3);
    stack = await startStack({ TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget });
    base = stack.gateway.url;
    owner = await signup(base, 'tiles-owner');
    editor = await signup(base, 'tiles-editor');
    viewer = await signup(base, 'tiles-viewer');
    other = await signup(base, 'tiles-other');
    roomId = (await owner.post('/api/rooms', { name: 'Tiles' })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: editor.email, role: 'editor' });
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    otherRoomId = (await other.post('/api/rooms', { name: 'Elsewhere' })).json.id;
  });
  after(async () => {
    await stack?.close();
    await tiles?.stop();
    if (objectDir) rmSync(objectDir, { recursive: true, force: true });
  });

  it('GET tiles returns the strokes of the viewport; after the threshold a snapshot appears and its PNG is served immutable', async () => {
    const strokes = realStrokes('axe.ndjson', 2, 20, 20);
    baked = strokes[0];
    const res = await editor.post(`/api/rooms/${roomId}/strokes`, { strokes });
    assert.equal(res.status, 200, res.text);

    const proto = await viewer.get(tilesPath(roomId));
    assert.equal(proto.status, 200, proto.text);
    assert.equal(proto.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(proto.headers.get('x-head-seq'), '2');
    const page = GetTilesResponse.decode(proto.body);
    assert.equal(page.headSeq, 2);
    assert.equal(page.tiles.length, 1);
    assert.deepEqual(page.tiles[0].coord, { level: 0, x: 0, y: 0 });
    assert.equal(page.tiles[0].snapshot, undefined, 'below the threshold: no snapshot yet');
    assert.deepEqual(page.tiles[0].strokes.map((s) => Buffer.from(s.id).toString('hex')), strokes.map((s) => s.id.replaceAll('-', '')));

    const json = await viewer.get(tilesPath(roomId), { accept: 'application/json' });
    assert.match(json.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(json.json.headSeq, 2);
    assert.equal(json.json.tiles[0].strokes.length, 2);
    assert.deepEqual((await viewer.get(tilesPath(roomId, 'level=0&minX=0&minY=0&maxX=25600&maxY=25600&format=json'))).json, json.json);

    // Past the threshold (3 strokes): the next read queues a render; poll until the snapshot is there.
    assert.equal((await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: realStrokes('barn.ndjson', 3, 30, 30) })).status, 200);
    let withSnapshot: GetTilesResponse | undefined;
    const deadline = Date.now() + 30_000;
    while (!withSnapshot) {
      const r = GetTilesResponse.decode((await viewer.get(tilesPath(roomId))).body);
      if (r.tiles[0]?.snapshot) withSnapshot = r;
      else if (Date.now() > deadline) assert.fail('no snapshot within 30 s');
    }
    const tile = withSnapshot.tiles[0];
    const snap = tile.snapshot!;
    assert.equal(snap.coversSeq, 5);
    assert.equal(tile.strokes.length, 0, 'every stroke is in the picture');
    pngUrl = `/api/rooms/${roomId}/tiles/0/0/0/5.png`;
    assert.equal(snap.url, pngUrl, 'the snapshot has the URL of its PNG');
    assert.equal(snap.key, '', 'browsers never see object keys');
    const asJson = (await viewer.get(tilesPath(roomId, 'level=0&minX=0&minY=0&maxX=100&maxY=100&format=json'))).json;
    assert.equal(asJson.tiles[0].snapshot.url, pngUrl);
    assert.equal(asJson.tiles[0].snapshot.key, undefined);

    const png = await viewer.get(pngUrl);
    assert.equal(png.status, 200, png.text);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.ok(isPng(png.body), 'a PNG');
    assert.equal(png.body.length, snap.sizeBytes);
    assert.equal(png.headers.get('cache-control'), 'private, max-age=31536000, immutable');
    const etag = png.headers.get('etag');
    assert.match(etag ?? '', /^"[^"]+"$/, 'a strong ETag');
    const calls = await getSnapshotCalls();
    assert.ok(calls >= 1, 'the PNG came from tile-delta-go GetSnapshot');
    const again = await viewer.get(pngUrl, { 'if-none-match': etag! });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal(again.headers.get('cache-control'), 'private, max-age=31536000, immutable');
    assert.equal(await getSnapshotCalls(), calls, 'a revalidation does not ask tile-delta-go');
    assert.equal((await viewer.get(pngUrl, { 'if-none-match': '"something-else"' })).status, 200);

    // One more stroke: the snapshot stays, the stroke comes as delta on top of it.
    assert.equal((await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: realStrokes('arm.ndjson', 1, 60, 60) })).status, 200);
    const after = GetTilesResponse.decode((await viewer.get(tilesPath(roomId))).body);
    assert.equal(after.headSeq, 6);
    assert.ok(after.tiles[0].snapshot, 'still a snapshot');
    assert.equal(after.tiles[0].strokes.length, (after.tiles[0].snapshot?.coversSeq ?? 0) >= 6 ? 0 : 1);
  });

  const knownPath = (room: string, q = '') => `/api/rooms/${room}/tiles/known${q}`;
  const snapshotUrlOf = (coversSeq: number) => `/api/rooms/${roomId}/tiles/0/0/0/${coversSeq}.png`;

  it('POST tiles/known: per listed tile what it gained after coversSeq, answered like GET tiles', async () => {
    assert.ok(pngUrl, 'needs the snapshot of the previous test');
    const viewport = GetTilesResponse.decode((await viewer.get(tilesPath(roomId))).body);
    const head = viewport.headSeq;
    const tile = viewport.tiles[0];
    const snap = tile.snapshot!;
    assert.ok(snap, 'the tile has a snapshot');
    const ids = (t: GetTilesResponse['tiles'][number]) => t.strokes.map((x) => Buffer.from(x.id).toString('hex'));

    // coversSeq 0 (the client holds nothing) over a tile with content and an empty one.
    const proto = await viewer.post(knownPath(roomId), { level: 0, tiles: [{ x: 0, y: 0, coversSeq: 0 }, { x: 5, y: 5, coversSeq: 0 }] });
    assert.equal(proto.status, 200, proto.text);
    assert.equal(proto.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(proto.headers.get('x-head-seq'), String(head));
    assert.equal(proto.headers.get('cache-control'), 'no-store');
    const page = GetTilesResponse.decode(proto.body);
    assert.equal(page.headSeq, head);
    assert.equal(page.tiles.length, 1, 'the empty tile has no content');
    assert.deepEqual(page.tiles[0].coord, { level: 0, x: 0, y: 0 });
    // tile-delta-go answers coversSeq 0 with the newest snapshot and the strokes after it (as a viewport read).
    assert.equal(page.tiles[0].snapshot?.url, snapshotUrlOf(snap.coversSeq), 'the snapshot has the URL of its PNG');
    assert.equal(page.tiles[0].snapshot?.key, '', 'and no object key');
    assert.equal(page.tiles[0].snapshot?.coversSeq, snap.coversSeq);
    assert.deepEqual(ids(page.tiles[0]), ids(tile));

    // JSON, by Accept or ?format=json.
    const json = await viewer.post(knownPath(roomId), { level: 0, tiles: [{ x: 0, y: 0, coversSeq: 0 }] }, { accept: 'application/json' });
    assert.equal(json.status, 200, json.text);
    assert.match(json.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(json.json.headSeq, head);
    assert.equal(json.json.tiles[0].snapshot.url, snapshotUrlOf(snap.coversSeq));
    assert.equal(json.json.tiles[0].snapshot.key, undefined);
    assert.deepEqual((await viewer.post(knownPath(roomId, '?format=json'), { level: 0, tiles: [{ x: 0, y: 0, coversSeq: 0 }] })).json, json.json);

    // Holding the snapshot's seq: no snapshot, only the strokes drawn after it; holding the head: nothing.
    const since = GetTilesResponse.decode(
      (await viewer.post(knownPath(roomId), { level: 0, tiles: [{ x: 0, y: 0, coversSeq: snap.coversSeq }] })).body,
    );
    assert.equal(since.tiles.length, tile.strokes.length ? 1 : 0);
    if (since.tiles.length) {
      assert.equal(since.tiles[0].snapshot, undefined);
      assert.deepEqual(ids(since.tiles[0]), ids(tile));
    }
    const current = GetTilesResponse.decode((await viewer.post(knownPath(roomId), { level: 0, tiles: [{ x: 0, y: 0, coversSeq: head }] })).body);
    assert.equal(current.headSeq, head);
    assert.equal(current.tiles.length, 0);

    // A browser session needs the CSRF token as for every POST.
    const browser = await signup(base, 'tiles-browser', 'cookie');
    assert.equal((await owner.post(`/api/rooms/${roomId}/members`, { email: browser.email, role: 'viewer' })).status, 201);
    const list = { level: 0, tiles: [{ x: 0, y: 0, coversSeq: 0 }] };
    const noCsrf = await browser.post(knownPath(roomId), list, { 'x-csrf-token': 'wrong' });
    assert.equal(noCsrf.status, 403, noCsrf.text);
    assert.match(noCsrf.json.message, /CSRF/);
    assert.equal((await browser.post(knownPath(roomId), list)).status, 200);
  });

  const atPath = (room: string, q: string) => `/api/rooms/${room}/strokes/at?${q}`;
  const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');

  it('GET strokes/at finds the strokes baked into a snapshot PNG (the object eraser), not only the delta', async () => {
    assert.ok(pngUrl, 'needs the snapshot of the first test');
    // The first stroke of the first test is only pixels now: the viewport read has a snapshot and no vectors for it.
    const first = baked;
    const viewport = GetTilesResponse.decode((await viewer.get(tilesPath(roomId))).body);
    assert.ok(viewport.tiles[0].snapshot, 'tile (0, 0) has a snapshot');
    assert.ok(!viewport.tiles[0].strokes.some((s) => hex(s.id) === first.id.replaceAll('-', '')), 'the stroke is only in the PNG');

    const [x, y] = [first.points[0] / 100, first.points[1] / 100];
    const res = await editor.get(atPath(roomId, `x=${x}&y=${y}&r=0.5`));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const hit = HitStrokesResponse.decode(res.body);
    assert.equal(res.headers.get('x-head-seq'), String(hit.headSeq));
    assert.equal(res.headers.get('x-hit-partial'), '0');
    assert.equal(hit.partial, false);
    assert.equal(hit.level, 0);
    assert.equal(hit.headSeq, viewport.headSeq);
    assert.ok(hit.strokes.some((s) => hex(s.id) === first.id.replaceAll('-', '')), 'the snapshot stroke is hit');

    // JSON, by Accept or ?format=json; the owner may ask too.
    const json = await owner.get(atPath(roomId, `x=${x}&y=${y}&r=0.5`), { accept: 'application/json' });
    assert.equal(json.status, 200, json.text);
    assert.match(json.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(json.json.headSeq, hit.headSeq);
    assert.deepEqual(json.json.strokes.map((s: { id: string }) => Buffer.from(s.id, 'base64').toString('hex')), hit.strokes.map((s) => hex(s.id)));
    assert.deepEqual((await owner.get(atPath(roomId, `x=${x}&y=${y}&r=0.5&format=json`))).json, json.json);

    // Nothing far away.
    const miss = HitStrokesResponse.decode((await editor.get(atPath(roomId, 'x=-5000.5&y=90000.25&r=3'))).body);
    assert.deepEqual(miss.strokes, []);
    assert.equal(miss.headSeq, hit.headSeq);
  });

  it('GET strokes/at lists the strokes under the disk topmost first, with sub-unit coordinates and negative ones', async () => {
    // A horizontal line, then a vertical one across it, around (-1000.5, 1000.25) world units.
    const line = (x0: number, y0: number, x1: number, y1: number) => ({
      id: randomUUID(),
      tool: 'pen',
      rgba: 0x1971c2ff,
      width: 400,
      points: [Math.round(x0 * 100), Math.round(y0 * 100), Math.round((x1 - x0) * 100), Math.round((y1 - y0) * 100)],
    });
    const h = line(-1100, 1000.25, -900, 1000.25);
    const v = line(-1000.5, 900, -1000.5, 1100);
    assert.equal((await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: [h] })).status, 200);
    assert.equal((await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: [v] })).status, 200);
    const ids = async (q: string) => {
      const r = await editor.get(atPath(roomId, q));
      assert.equal(r.status, 200, r.text);
      return HitStrokesResponse.decode(r.body).strokes.map((s) => hex(s.id));
    };
    const [hid, vid] = [h.id.replaceAll('-', ''), v.id.replaceAll('-', '')];
    assert.deepEqual(await ids('x=-1000.5&y=1000.25&r=1'), [vid, hid], 'the later stroke first');
    assert.deepEqual(await ids('x=-1050&y=1002.5&r=0.5'), [hid], 'within half the width (2 world units) plus r of the line');
    assert.deepEqual(await ids('x=-1050&y=1005&r=0.5'), [], 'beyond it');
    assert.deepEqual(await ids('x=-1000.5&y=950&r=0.01'), [vid]);
    // A wide disk reads a coarser level and still finds both.
    const wide = HitStrokesResponse.decode((await editor.get(atPath(roomId, 'x=-1000&y=1000&r=400'))).body);
    assert.deepEqual(wide.strokes.map((s) => hex(s.id)), [vid, hid]);
    assert.equal(wide.level, 2);
  });

  it('GET strokes/at: editors and owners; a viewer 403, another user 404, anonymous 401; bad input 400', async () => {
    const q = 'x=10&y=10&r=2';
    const anonymous = new Caller(base);
    for (const [name, who, status] of [
      ['owner', owner, 200],
      ['editor', editor, 200],
      ['viewer', viewer, 403],
      ['other', other, 404],
      ['anonymous', anonymous, 401],
    ] as const) {
      const r = await who.get(atPath(roomId, q));
      assert.equal(r.status, status, `GET strokes/at as ${name}: ${r.text}`);
      if (status >= 400) assert.equal(typeof r.json?.message, 'string');
    }
    const cases: [string, RegExp][] = [
      ['y=0&r=1', /x must be a number/],
      ['x=&y=0&r=1', /x must be a number/],
      ['x=abc&y=0&r=1', /x must be a number/],
      ['x=0&y=NaN&r=1', /y must be a number/],
      ['x=0&y=Infinity&r=1', /y must be a number/],
      ['x=10000001&y=0&r=1', /x must not be greater than 10000000/],
      ['x=0&y=-10000001&r=1', /y must not be less than -10000000/],
      ['x=0&y=0', /r must be a number/],
      ['x=0&y=0&r=0', /r must not be less than 0.01/],
      ['x=0&y=0&r=-3', /r must not be less than 0.01/],
      ['x=0&y=0&r=1000001', /r must not be greater than 1000000/],
      ['x=0&y=0&r=1&format=xml', /format must be one of/],
      ['x=0&y=0&r=1&extra=1', /property extra should not exist/],
    ];
    for (const [query, message] of cases) {
      const r = await editor.get(atPath(roomId, query));
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      assert.match(r.json.message, message, query);
    }
    assert.equal((await editor.get(atPath(roomId, 'x=10000000&y=-10000000&r=1000000'))).status, 200, 'the bounds themselves are fine');
    assert.equal((await editor.get(atPath(roomId, q), { accept: 'text/html' })).status, 406);
    assert.equal((await editor.get(atPath('not-a-uuid', q))).status, 400);
  });

  it('access: owner, editor and viewer read tiles and PNGs; another user gets 404, an anonymous caller 401', async () => {
    assert.ok(pngUrl, 'needs the snapshot of the previous test');
    const anonymous = new Caller(base);
    const expect: [string, Caller, number][] = [
      ['owner', owner, 200],
      ['editor', editor, 200],
      ['viewer', viewer, 200],
      ['other', other, 404],
      ['anonymous', anonymous, 401],
    ];
    for (const [name, who, status] of expect) {
      const t = await who.get(tilesPath(roomId));
      assert.equal(t.status, status, `GET tiles as ${name}: ${t.text}`);
      const p = await who.get(pngUrl);
      assert.equal(p.status, status, `GET png as ${name}: ${p.text}`);
      const k = await who.post(knownPath(roomId), { level: 0, tiles: [{ x: 0, y: 0, coversSeq: 0 }] });
      assert.equal(k.status, status, `POST tiles/known as ${name}: ${k.text}`);
      if (status >= 400) {
        assert.equal(typeof p.json?.message, 'string');
        assert.ok(!p.text.includes(`rooms/${roomId}/0/`), 'no object key in an error');
      }
    }
    // A revalidation is access-checked too: no 304 for someone without access.
    assert.equal((await other.get(pngUrl, { 'if-none-match': '*' })).status, 404);
  });

  it("another room's snapshot cannot be read through one's own room", async () => {
    // `other` owns otherRoomId; asking for the same tile path there names a key under otherRoomId only.
    const own = await other.get(`/api/rooms/${otherRoomId}/tiles/0/0/0/5.png`);
    assert.equal(own.status, 404);
    assert.match(own.json.message, /no snapshot covering seq 5/);
    // Missing snapshot of an accessible room: tile-delta-go's NOT_FOUND, never cached.
    const missing = await owner.get(`/api/rooms/${roomId}/tiles/0/0/0/4.png`);
    assert.equal(missing.status, 404, missing.text);
    assert.match(missing.json.message, /no snapshot covering seq 4/);
    assert.equal(missing.headers.get('etag'), null);
    assert.doesNotMatch(missing.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await owner.get(`/api/rooms/${roomId}/tiles/0/50/0/5.png`)).status, 404, "a tile nothing was drawn on has no snapshot");
    // Path tricks never reach the store.
    for (const path of [
      `/api/rooms/${roomId}/tiles/0/0/0/..%2F..%2F${otherRoomId}%2F0%2F0_0%2F5.png`,
      `/api/rooms/${roomId}/tiles/0/0/0/5.png.png`,
      `/api/rooms/${roomId}/tiles/0/0_0/0/5.png`,
    ]) {
      const r = await owner.get(path);
      assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
    }
  });

  it('bad input: level, non-integers, empty or huge viewports, bad path segments', async () => {
    const cases: [string, RegExp][] = [
      ['level=17&minX=0&minY=0&maxX=100&maxY=100', /level must not be greater than 16/],
      ['level=-1&minX=0&minY=0&maxX=100&maxY=100', /level must not be less than 0/],
      ['level=one&minX=0&minY=0&maxX=100&maxY=100', /level must be an integer/],
      ['level=0&minX=1.5&minY=0&maxX=100&maxY=100', /minX must be an integer/],
      ['level=0&minX=abc&minY=0&maxX=100&maxY=100', /minX must be an integer/],
      ['level=0&minY=0&maxX=100&maxY=100', /minX/],
      ['level=0&minX=0&minY=0&maxX=100&maxY=1e20', /maxY/],
      ['level=0&minX=100&minY=0&maxX=100&maxY=100', /viewport is empty/],
      ['level=0&minX=0&minY=0&maxX=100&maxY=100&format=xml', /format must be one of/],
      ['level=0&minX=0&minY=0&maxX=100&maxY=100&extra=1', /property extra should not exist/],
    ];
    for (const [q, message] of cases) {
      const r = await owner.get(tilesPath(roomId, q));
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.match(r.json.message, message, q);
    }
    // 1000 x 1000 level-0 tiles: tile-delta-go refuses more than 256 tiles; its message comes through.
    const huge = await owner.get(tilesPath(roomId, 'level=0&minX=0&minY=0&maxX=25600000&maxY=25600000'));
    assert.equal(huge.status, 400, huge.text);
    assert.match(huge.json.message, /tiles?/);
    assert.doesNotMatch(huge.json.message, /realtime/);
    // The same area one level up per factor of 2 is fine at level 2 (a 1920x1080 screen at 25 %).
    assert.equal((await owner.get(tilesPath(roomId, 'level=2&minX=0&minY=0&maxX=768000&maxY=432000'))).status, 200);
    assert.equal((await owner.get(tilesPath(roomId), { accept: 'text/html' })).status, 406);
    for (const [path, message] of [
      ['17/0/0/5.png', /level must be an integer from 0 to 16/],
      ['a/0/0/5.png', /level must be an integer/],
      ['0/x/0/5.png', /x must be an integer/],
      ['0/0/99999999999/5.png', /y must be an integer/],
      ['0/0/0/0.png', /coversSeq must be an integer from 1/],
      ['0/0/0/1.5.png', /coversSeq must be an integer/],
    ] as const) {
      const r = await owner.get(`/api/rooms/${roomId}/tiles/${path}`);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.json.message, message, path);
    }
    assert.equal((await owner.get(`/api/rooms/not-a-uuid/tiles/0/0/0/5.png`)).status, 400);

    const one = { x: 0, y: 0, coversSeq: 0 };
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ x: i % 64, y: Math.floor(i / 64), coversSeq: 0 }));
    const knownCases: [string, unknown, RegExp][] = [
      ['level 17', { level: 17, tiles: [one] }, /level must not be greater than 16/],
      ['level -1', { level: -1, tiles: [one] }, /level must not be less than 0/],
      ['level as a string', { level: '0', tiles: [one] }, /level must be an integer/],
      ['level 1.5', { level: 1.5, tiles: [one] }, /level must be an integer/],
      ['no level', { tiles: [one] }, /level/],
      ['no tiles', { level: 0 }, /tiles/],
      ['tiles not an array', { level: 0, tiles: one }, /tiles must be an array/],
      ['empty list', { level: 0, tiles: [] }, /tiles must contain at least 1 elements/],
      ['257 tiles', { level: 0, tiles: many(257) }, /tiles must contain no more than 256 elements/],
      ['x 1.5', { level: 0, tiles: [{ ...one, x: 1.5 }] }, /x must be an integer/],
      ['y as a string', { level: 0, tiles: [{ ...one, y: '1' }] }, /y must be an integer/],
      ['x beyond int32', { level: 0, tiles: [{ ...one, x: 2 ** 31 }] }, /x must not be greater than/],
      ['coversSeq -1', { level: 0, tiles: [{ ...one, coversSeq: -1 }] }, /coversSeq must not be less than 0/],
      ['coversSeq 2.5', { level: 0, tiles: [{ ...one, coversSeq: 2.5 }] }, /coversSeq must be an integer/],
      ['no coversSeq', { level: 0, tiles: [{ x: 0, y: 0 }] }, /coversSeq/],
      ['a tile that is not an object', { level: 0, tiles: [5] }, /tiles/],
      ['unknown field', { level: 0, tiles: [one], extra: 1 }, /property extra should not exist/],
      ['unknown tile field', { level: 0, tiles: [{ ...one, level: 0 }] }, /property level should not exist/],
      ['a tile twice', { level: 0, tiles: [one, { ...one, coversSeq: 3 }] }, /tile 0,0 is listed twice/],
    ];
    for (const [name, body, message] of knownCases) {
      const r = await owner.post(knownPath(roomId), body);
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.match(r.json.message, message, name);
    }
    assert.equal((await owner.post(knownPath(roomId), { level: 0, tiles: many(256) })).status, 200, '256 tiles are fine');
    assert.equal((await owner.post(knownPath(roomId, '?format=xml'), { level: 0, tiles: [one] })).status, 400);
    assert.equal((await owner.post(knownPath(roomId), { level: 0, tiles: [one] }, { accept: 'text/html' })).status, 406);
    assert.equal((await owner.post(knownPath('not-a-uuid'), { level: 0, tiles: [one] })).status, 400);
  });
});

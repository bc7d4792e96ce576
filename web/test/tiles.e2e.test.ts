// Browser tests: the board drawn from tiles. A reload shows snapshot PNGs under the strokes drawn since, and a large
// seeded board far out is filled from one tiles request of snapshots, never blank while the zoom changes level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './stack.ts';
import {
  allSent, browserSuite, createBoard, drawnView, online, openBoard, opt, signup, stroke, strokeCount, waitInk, waitInPage, type TilesJson,
} from './browser.ts';

const suite = browserSuite();

test('reload shows the drawing from tiles: a snapshot PNG under the strokes drawn since', opt, async () => {
  const alice = await suite.newPage();
  await signup(alice, 'Alice');
  const roomId = await createBoard(alice, 'From tiles');
  // Four strokes in the same level-0 tile pass tile-delta-go's threshold (3 in the test stack).
  await stroke(alice, [[150, 200], [250, 200], [350, 200], [450, 205]]);
  for (const y of [230, 250, 270]) await stroke(alice, [[160, y], [200, y + 5], [240, y]]);
  await allSent(alice);
  // The commits make tile-delta-go render the tile; wait (a condition) until the tile (0, 0) comes with a snapshot.
  await waitInPage(alice, 'a snapshot of tile (0, 0)', async (roomId) => {
    const r = await fetch(`/api/rooms/${roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600&format=json`);
    const j = (await r.json()) as TilesJson;
    return !!j.tiles?.some((t) => t.snapshot);
  }, roomId);
  const pngs: { url: string; status: number; type: string | undefined }[] = [];
  let tilesRequests = 0;
  alice.on('response', (r) => {
    if (/\/tiles\/\d+\/-?\d+\/-?\d+\/\d+\.png$/.test(r.url())) pngs.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] });
    else if (r.url().includes('/tiles?')) tilesRequests++;
  });
  await alice.reload();
  await online(alice);
  await alice.waitForFunction(() => Number(document.querySelector('#stage')?.getAttribute('data-tile-snapshots')) > 0, null, { timeout: 60_000 });
  assert.ok(tilesRequests >= 1, 'the board asked for tiles');
  assert.ok(pngs.some((p) => p.status === 200 && p.type === 'image/png'), `a snapshot PNG was loaded: ${JSON.stringify(pngs)}`);
  assert.equal(await strokeCount(alice), 0, 'nothing came over the WebSocket catch-up: the tiles held everything');
  // The pixels: the first stroke (in the snapshot) and the later ones.
  await waitInk(alice, 300, 200);
  for (const y of [230, 250, 270]) await waitInk(alice, 200, y + 5);
  await waitInk(alice, 300, 240, false);
});

// ---- a large seeded board, far out
const DRAWINGS = process.env.INFIDRAW_STROKES_DIR ?? join(ROOT, '..', 'shared', 'data', 'strokes', 'raw');
const SEED_STROKES = Number(process.env.WEB_E2E_SEED_STROKES ?? 60_000);
const SEED_SPREAD = 60_000; // world units, centred on the origin

/** bin/seed when it is built, else a fresh build of realtime-go/cmd/seed in a temporary directory. */
function seedBinary(): string {
  const bin = process.env.SEED_BIN ?? join(ROOT, 'bin', 'seed');
  if (existsSync(bin)) return bin;
  const dir = mkdtempSync(join(tmpdir(), 'infidraw-seed-'));
  execFileSync('go', ['build', '-o', join(dir, 'seed'), './realtime-go/cmd/seed'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'seed');
}

async function deleteRoom(page: Page, roomId: string): Promise<void> {
  await page.evaluate(async (roomId) => {
    const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken?: string };
    await fetch(`/api/rooms/${roomId}`, { method: 'DELETE', headers: { 'x-csrf-token': me.csrfToken ?? '' } });
  }, roomId);
}

test('a large seeded board zoomed far out is filled from one tiles request of snapshot PNGs', {
  ...opt, skip: opt.skip || !existsSync(DRAWINGS), timeout: 300_000,
}, async () => {
  const viewport = { width: 1280, height: 800 };
  const owner = await suite.newPage({ viewport });
  await signup(owner, 'Sam');
  const roomId = await createBoard(owner, 'Large board');
  const t0 = Date.now();
  const out = execFileSync(seedBinary(), ['-room', roomId, '-strokes', String(SEED_STROKES), '-spread', String(SEED_SPREAD), '-drawings', DRAWINGS],
    { env: { ...process.env, DATABASE_URL: suite.stack.db }, encoding: 'utf8' });
  console.log(`# seed: ${out.trim().split('\n').pop()} (${Date.now() - t0} ms)`);

  // Far out: 20 × "−" around the centre (each 1/1.25) puts the 60,000-unit square inside an 800-px-high stage.
  const PRESSES = 20;
  let z = 1;
  for (let i = 0; i < PRESSES; i++) z *= 1 / 1.25;
  const zoomOut = async (p: Page) => {
    await p.locator('#board-canvas').focus();
    for (let i = 0; i < PRESSES; i++) await p.keyboard.press('-');
  };
  // Snapshots first: the owner's own zoom-out reads the far tiles (a read queues their renders); poll the tiles
  // API for that view until every tile with content is one snapshot without delta.
  await owner.reload();
  await online(owner);
  await zoomOut(owner);
  await owner.waitForFunction((z) => Number(document.querySelector('#stage')?.getAttribute('data-view')?.split(',')[2]) === z, z);
  const level = Number(await owner.getAttribute('#stage', 'data-drawn-level'));
  const v = await drawnView(owner);
  const stageBox = (await owner.locator('#stage').boundingBox())!;
  const q = `level=${level}&minX=${Math.floor(v.x * 100)}&minY=${Math.floor(v.y * 100)}&maxX=${Math.ceil((v.x + stageBox.width / v.z) * 100)}&maxY=${Math.ceil((v.y + stageBox.height / v.z) * 100)}`;
  const t1 = Date.now();
  await waitInPage(owner, `every tile at level ${level} is one snapshot`, async ([roomId, q]) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/tiles?${q}&format=json`)).json()) as TilesJson;
    return !!j.tiles?.length && j.tiles.every((t) => t.snapshot && !t.strokes?.length && !t.pending);
  }, [roomId, q] as const, 240_000, 1000);
  // And the owner's own screen (tiles answered pending are asked for again until their snapshots exist).
  await owner.waitForSelector(`#stage[data-drawn-level="${level}"][data-filled="true"][data-tiles-awaiting="0"]`, { timeout: 240_000 });
  console.log(`# far-out snapshots at level ${level} ready ${Date.now() - t1} ms after the first read`);

  // The measurement: a fresh context (empty HTTP cache), same session, 1280×800, DPR 1.
  const page = await suite.newPage({ viewport, storageState: await owner.context().storageState() });
  const reqs: { url: string; level: number; at: number; bytes: Promise<number> }[] = [];
  page.on('response', (r) => {
    const u = r.url();
    const png = /\/tiles\/(\d+)\/-?\d+\/-?\d+\/\d+\.png$/.exec(u);
    const list = /\/tiles\?level=(\d+)/.exec(u);
    if (!png && !list) return;
    reqs.push({ url: u, level: Number((png ?? list)![1]), at: Date.now(), bytes: r.request().sizes().then((z) => z.responseBodySize, () => r.body().then((b) => b.length, () => -1)) });
  });
  await openBoard(page, roomId);
  await page.waitForSelector('#stage[data-filled="true"]');
  const start = Date.now();
  await zoomOut(page);
  const settled = Date.now();
  await page.waitForFunction((z) => {
    const st = document.querySelector('#stage');
    return Number(st?.getAttribute('data-view')?.split(',')[2]) === z && st?.getAttribute('data-filled') === 'true';
  }, z, { timeout: 60_000, polling: 'raf' });
  const filled = Date.now();
  assert.equal(Number(await page.getAttribute('#stage', 'data-drawn-level')), level);
  const visibleTiles = Number(await page.getAttribute('#stage', 'data-tiles-visible'));
  const afterSettle = reqs.filter((r) => r.at >= settled && r.url.includes('/tiles?'));
  const farList = reqs.filter((r) => r.level === level && r.url.includes('/tiles?'));
  const farPng = reqs.filter((r) => r.level === level && r.url.endsWith('.png'));
  const sum = async (rs: typeof reqs) => (await Promise.all(rs.map((r) => r.bytes))).reduce((a, b) => a + b, 0);
  const listBytes = await sum(farList);
  const pngBytes = await sum(farPng);
  const allBytes = await sum(reqs.filter((r) => r.at >= start));
  console.log(`# far zoom (${SEED_STROKES} strokes over ${SEED_SPREAD}² world units, 1280×800, DPR 1): level ${level}, ${visibleTiles} visible tiles, ` +
    `${farList.length} tiles request(s) at that level (${listBytes} B) + ${farPng.length} PNGs (${pngBytes} B) = ${listBytes + pngBytes} B; ` +
    `tiles requests after the view settled: ${afterSettle.length}; all tile traffic while zooming: ${reqs.filter((r) => r.at >= start).length} responses, ${allBytes} B; ` +
    `time to filled: ${filled - settled} ms after the last key press (${filled - start} ms after the first)`);
  assert.ok(visibleTiles <= 54, `visible tiles ${visibleTiles} ≤ 54`);
  assert.ok(afterSettle.length <= 1, `at most one tiles request once the view settled, got ${afterSettle.map((r) => r.url).join(' ')}`);
  assert.ok(farList.length <= Math.ceil(visibleTiles / 256) * 2, `few tiles requests at the far level: ${farList.length}`);
  assert.ok(listBytes + pngBytes <= 2 * 1024 * 1024, `PNG + delta bytes at the far level ≤ 2 MB: ${listBytes + pngBytes}`);

  // Not blank: sample the seeded square on the canvas; the area outside it stays empty.
  const ink = await page.evaluate(([half]) => {
    const c = document.querySelector<HTMLCanvasElement>('#board-canvas')!;
    const [vx, vy, vz] = document.querySelector('#stage')!.getAttribute('data-view')!.split(',').map(Number);
    const s = c.width / c.getBoundingClientRect().width;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const frac = (x0: number, y0: number, x1: number, y1: number) => {
      let n = 0;
      let inked = 0;
      for (let i = 0; i < 60; i++) {
        for (let j = 0; j < 60; j++) {
          const px = Math.floor(((x0 + ((x1 - x0) * (i + 0.5)) / 60 - vx) * vz) * s);
          const py = Math.floor(((y0 + ((y1 - y0) * (j + 0.5)) / 60 - vy) * vz) * s);
          if (px < 0 || py < 0 || px >= c.width || py >= c.height) continue;
          n++;
          if (d[(py * c.width + px) * 4 + 3] > 0) inked++;
        }
      }
      return n ? inked / n : -1;
    };
    return { inside: frac(-half, -half, half, half), outside: frac(half + 2000, -half, half + 8000, half) };
  }, [SEED_SPREAD / 2] as const);
  console.log(`# inked share of sampled pixels: ${(ink.inside * 100).toFixed(1)} % inside the seeded square, ${(ink.outside * 100).toFixed(1)} % beside it`);
  assert.ok(ink.inside > 0.05, `the seeded square is drawn: ${ink.inside}`);
  assert.ok(ink.outside >= 0 && ink.outside < 0.01, `beside it is empty: ${ink.outside}`);
  if (process.env.WEB_E2E_ZOOMED_OUT_PNG) await page.screenshot({ path: process.env.WEB_E2E_ZOOMED_OUT_PNG });

  // No blank screen while zooming: two steps in reach the next finer level, whose tiles are asked for only after
  // the 120 ms debounce; the first frames at that level are drawn from the cached coarser tiles, scaled.
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  const during = await (await page.waitForFunction(([level, half]) => {
    const st = document.querySelector<HTMLElement>('#stage')!;
    if (st.dataset.drawnLevel !== String(level)) return false;
    const c = document.querySelector<HTMLCanvasElement>('#board-canvas')!;
    const [vx, vy, vz] = st.dataset.view!.split(',').map(Number);
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    let inked = 0;
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 60; j++) {
        const px = Math.floor((-half + (2 * half * (i + 0.5)) / 60 - vx) * vz);
        const py = Math.floor((-half + (2 * half * (j + 0.5)) / 60 - vy) * vz);
        if (px < 0 || py < 0 || px >= c.width || py >= c.height) continue;
        n++;
        if (d[(py * c.width + px) * 4 + 3] > 0) inked++;
      }
    }
    return { filled: st.dataset.filled, fallback: Number(st.dataset.tilesFallback), visible: Number(st.dataset.tilesVisible), ink: inked / n };
  }, [level - 1, SEED_SPREAD / 2] as const, { timeout: 20_000, polling: 'raf' })).jsonValue() as { filled: string; fallback: number; visible: number; ink: number };
  console.log(`# first frame at level ${level - 1}: ${JSON.stringify(during)}`);
  assert.equal(during.filled, 'false', 'the finer tiles are not there yet');
  assert.ok(during.fallback > 0, 'coarser tiles stand in');
  assert.ok(during.ink > 0.05, `not blank while the finer tiles load: ${during.ink}`);
  const zin = Date.now();
  await page.waitForSelector(`#stage[data-drawn-level="${level - 1}"][data-filled="true"]`, { timeout: 60_000 });
  console.log(`# level ${level - 1} filled ${Date.now() - zin} ms later`);
  await deleteRoom(owner, roomId);
});

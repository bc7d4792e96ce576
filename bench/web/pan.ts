// Panning benchmark of the browser client: frame times while a seeded board is dragged and wheel-zoomed.
//
//   node bench/web/pan.ts --out bench/results/pan.json [--room UUID | --seed N] [--spread 200000] [--seconds 4]
//                          [--quick] [--profile DIR]
//
// Starts the real stack as the web e2e tests do (web/test/stack.ts: snapshot-rs, tile-delta-go, the gateway
// serving web/dist, realtime-go) against TEST_DATABASE_URL and REDIS_URL, signs a user up, and opens a room:
// --room adopts a room that already holds strokes in that database (the open benchmark's seeded room: it gets
// a gateway `rooms` row owned by the user, and its snapshot rows are dropped because their objects were in
// the open benchmark's temporary store), --seed seeds a new one with bin/seed. It waits until tile-delta-go's follower
// has snapshotted the room's whole log (a board at rest). Then, in headless Chromium
// (Debian's /usr/bin/chromium through playwright-core, GPU off: software raster on the CPU) at 1920×1080, DPR 1,
// at each zoom (100 %, a middle zoom, and the farthest: the whole seeded square on screen) it waits until the
// screen is filled from tiles with no tile pending, then for --seconds drags the board along a loop with the
// hand tool and then wheel-zooms in and out across levels, while the page records the time between
// requestAnimationFrame callbacks and every long task (PerformanceObserver). It prints and writes JSON: frames/s,
// p50/p95/p99/max frame time, dropped frames, long tasks, tiles requests and bytes fetched during the phase.
// --profile DIR also writes a CPU profile (CDP Profiler) and a trace (CDP Tracing) of each phase, and prints the
// hottest functions and trace events.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { startStack, missing, ROOT } from '../../web/test/stack.ts';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    room: { type: 'string' },
    seed: { type: 'string' },
    spread: { type: 'string', default: '200000' },
    seconds: { type: 'string', default: '4' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'string' },
    zooms: { type: 'string' }, // comma-separated subset of: 100,middle,farthest
  },
});
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** The database the stack runs on: bench/cmd/bench passes the bench database (it holds the room --room adopts). */
const DB = process.env.TEST_DATABASE_URL ?? 'postgres://infidraw:infidraw@127.0.0.1:55432/infidraw_test?sslmode=disable';
const SPREAD = Number(args.spread);
const SECONDS = args.quick ? 1 : Number(args.seconds);
const VIEWPORT = { width: 1920, height: 1080 };
const log = (s: string) => console.error(`[pan] ${s}`);
if (args.profile) mkdirSync(args.profile, { recursive: true });

const absent = [...missing(), ...(existsSync(CHROMIUM) ? [] : [CHROMIUM])];
if (absent.length) {
  console.error(`pan: missing ${absent.join(', ')} (scripts/build.sh; apt-get install chromium)`);
  process.exit(2);
}

/** How long the follower may take to snapshot the room before the passes (the open benchmark's bound). */
const CATCH_UP_LIMIT_MS = 30 * 60_000;

function psql(sql: string): string {
  return execFileSync('psql', ['-qtAX', '-v', 'ON_ERROR_STOP=1', DB, '-c', sql], { encoding: 'utf8' }).trim();
}

/** Zoom key presses ('-' divides by 1.25, around the centre) from 100 %; the farthest fits the seeded square. */
function presses(z: number): number {
  return Math.round(Math.log(1 / z) / Math.log(1.25));
}

interface Stats {
  seconds: number;
  frames: number;
  fps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  dropped_pct: number;
}

/** Frame statistics of requestAnimationFrame timestamps: intervals, their quantiles, and frames short of 60/s. */
function stats(frames: number[]): Stats {
  const d = frames.slice(1).map((t, k) => t - frames[k]).sort((a, b) => a - b);
  const span = frames.length > 1 ? frames[frames.length - 1] - frames[0] : 0;
  const q = (f: number) => d[Math.min(d.length - 1, Math.floor(f * d.length))] ?? 0;
  const expected = span / (1000 / 60);
  return {
    seconds: span / 1000, frames: d.length, fps: span ? (d.length * 1000) / span : 0, p50_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99),
    max_ms: d[d.length - 1] ?? 0, dropped_pct: expected ? Math.max(0, (100 * (expected - d.length)) / expected) : 0,
  };
}

interface Phase extends Stats {
  name: string;
  zoom: number;
  level: number;
  drag: Stats;
  wheel: Stats;
  long_tasks: number;
  long_task_ms: number;
  cold?: Partial<Phase>;
  /** Frames by how the client made its base picture: drawn in full, scrolled (strips only), a scaled preview; and repaints of changed tiles. */
  base_draws: { full: number; scroll: number; preview: number; repaint: number };
  tiles_requests: number;
  tile_bytes: number;
  levels_drawn: number[];
  fill_wait_ms: number;
}

const stack = await startStack({ db: DB });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'],
});
let exitCode = 0;
let cleanup = () => {};
try {
  const ctx = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(`${stack.origin}/signup`);
  await page.fill('input[name=email]', `pan-${Date.now().toString(36)}@example.test`);
  await page.fill('input[name=displayName]', 'Pan');
  await page.fill('input[name=password]', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForSelector('#rooms');
  const me = await page.evaluate(async () => (await (await fetch('/api/auth/me')).json()) as { user: { id: string }; csrfToken: string });

  let roomId = args.room;
  let strokes: number;
  if (roomId) {
    if (!/^[0-9a-f-]{36}$/.test(roomId)) throw new Error(`bad --room ${roomId}`);
    strokes = Number(psql(`select count(*) from strokes where room_id = '${roomId}'`));
    // Without its snapshots and its follow position, tile-delta-go follows the room again from the start.
    psql(`delete from tile_snapshots where room_id = '${roomId}'; delete from tile_follow where room_id = '${roomId}';
      insert into rooms (id, name, owner_id) values ('${roomId}', 'Pan benchmark', '${me.user.id}') on conflict (id) do update set owner_id = excluded.owner_id, deleted_at = null;
      insert into room_members (room_id, user_id, role) values ('${roomId}', '${me.user.id}', 'owner') on conflict do nothing;`);
    log(`adopted room ${roomId} (${strokes} strokes)`);
    // Afterwards (also after a failure) the room goes back to what it was: strokes without a gateway room or snapshots.
    cleanup = () => psql(`delete from tile_snapshots where room_id = '${roomId}'; delete from tile_follow where room_id = '${roomId}'; delete from rooms where id = '${roomId}'; delete from users where id = '${me.user.id}';`);
  } else {
    strokes = Number(args.seed ?? 20_000);
    roomId = await page.evaluate(async (csrf) => {
      const r = await fetch('/api/rooms', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ name: 'Pan benchmark' }) });
      if (!r.ok) throw new Error(`POST /api/rooms: ${r.status} ${await r.text()}`);
      return ((await r.json()) as { id: string }).id;
    }, me.csrfToken);
    const t0 = Date.now();
    execFileSync(process.env.SEED_BIN ?? join(ROOT, 'bin', 'seed'), ['-room', roomId, '-strokes', String(strokes), '-spread', String(SPREAD), '-drawings',
      process.env.INFIDRAW_STROKES_DIR ?? join(ROOT, '..', 'shared', 'data', 'strokes', 'raw')], { env: { ...process.env, DATABASE_URL: DB }, stdio: ['ignore', 'ignore', 'inherit'] });
    log(`seeded ${strokes} strokes in ${Date.now() - t0} ms`);
  }

  // The passes measure a board at rest: tile-delta-go's follower first snapshots the whole bulk-written log
  // (minutes for a million strokes, on the same two cores as the browser); a board that grew by commits is
  // followed as it grows.
  const followStart = Date.now();
  const caughtUp = `select coalesce((select f.followed_seq >= h.head_seq from room_heads h join tile_follow f using (room_id) where h.room_id = '${roomId}'), false)`;
  while (psql(caughtUp) !== 't') {
    if (Date.now() - followStart > CATCH_UP_LIMIT_MS) throw new Error(`tile-delta-go did not follow room ${roomId} to its head in ${CATCH_UP_LIMIT_MS / 60_000} min`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const catchUpSeconds = (Date.now() - followStart) / 1000;
  log(`tile-delta-go followed the room to its head in ${catchUpSeconds.toFixed(1)} s`);

  await page.goto(`${stack.origin}/b/${roomId}`);
  await page.waitForSelector('#conn[data-state="online"]', { timeout: 60_000 });
  await page.locator('#board-canvas').focus();
  await page.keyboard.press('h'); // the hand tool: a left drag pans
  const cdp = await ctx.newCDPSession(page);

  const farZoom = Math.min(VIEWPORT.width, VIEWPORT.height) / SPREAD / 1.05;
  const plan: { name: string; presses: number }[] = args.quick ? [{ name: '100 %', presses: 0 }] : [
    { name: '100 %', presses: 0 },
    { name: 'middle', presses: Math.round(presses(farZoom) / 2) },
    { name: 'farthest', presses: presses(farZoom) },
  ];
  if (args.zooms) plan.splice(0, plan.length, ...plan.filter((p) => args.zooms!.split(',').some((z) => p.name.startsWith(z))));
  const phases: Phase[] = [];
  const profiles: { phase: string; top: { fn: string; url: string; self_ms: number; pct: number }[]; trace: { name: string; ms: number; count: number }[] }[] = [];
  /** One measured gesture at the current view. */
  async function pass(name: string, z: number, level: number, fillWait: number, profile: boolean): Promise<Phase> {
    if (profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      await browser.startTracing(page, { path: join(args.profile!, `pan-${level}.trace.json`), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'gpu'] });
    }
    await page.evaluate(() => {
      const w = window as unknown as { __pan: { frames: number[]; long: number[]; levels: Set<string>; run: boolean; obs: PerformanceObserver; tiles: [number, number]; draws: number[] } };
      const st = document.querySelector<HTMLElement>('#stage')!.dataset;
      const p = { frames: [] as number[], long: [] as number[], levels: new Set<string>(), run: true, obs: new PerformanceObserver((l) => { for (const e of l.getEntries()) p.long.push(e.duration); }),
        tiles: [Number(st.tileRequests), Number(st.tileBytes)] as [number, number], draws: (st.draws ?? '0,0,0,0').split(',').map(Number) };
      p.obs.observe({ type: 'longtask' });
      const tick = (t: number) => {
        if (!p.run) return;
        p.frames.push(t);
        if (st.drawnLevel) p.levels.add(st.drawnLevel);
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      w.__pan = p;
    });
    // The gesture: a drag along a loop for 60 % of the time, then wheel in and out across levels.
    const cx = VIEWPORT.width / 2;
    const cy = VIEWPORT.height / 2;
    const box = (await page.locator('#board-canvas').boundingBox())!;
    // Input at 60 per second through CDP without waiting for each event's round trip (a loaded machine would
    // otherwise slow the gesture down): whole loops of 90 moves (1.5 s), then whole cycles of 24 wheel notches
    // (12 out: 0.86 each, about 1.6 levels; 12 in) around a point off centre, so the view ends where it began.
    const loops = Math.max(1, Math.round((SECONDS * 0.6) / 1.5));
    const cycles = Math.max(1, Math.round((SECONDS * 0.4 * 60) / 24));
    const x0 = box.x + cx;
    const y0 = box.y + cy / 1.2;
    const input = (type: 'mouseMoved' | 'mousePressed' | 'mouseReleased' | 'mouseWheel', x: number, y: number, extra: object = {}) =>
      cdp.send('Input.dispatchMouseEvent', { type, x, y, ...extra }).catch(() => {});
    const tick = async (k: number, t0: number) => {
      const wait = t0 + k * (1000 / 60) - performance.now();
      if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
    };
    await input('mouseMoved', x0, y0);
    await input('mousePressed', x0, y0, { button: 'left', buttons: 1, clickCount: 1 });
    const sent: Promise<unknown>[] = [];
    let t0 = performance.now();
    for (let i = 1; i <= loops * 90; i++) {
      const a = (i / 90) * 2 * Math.PI;
      sent.push(input('mouseMoved', x0 + 500 * Math.sin(a), y0 + 250 * Math.sin(2 * a), { button: 'left', buttons: 1 }));
      await tick(i, t0);
    }
    await Promise.all(sent);
    await input('mouseReleased', x0, y0, { button: 'left', buttons: 0, clickCount: 1 });
    const wheelAt = await page.evaluate(() => performance.now());
    t0 = performance.now();
    for (let i = 0; i < cycles * 24; i++) {
      sent.push(input('mouseWheel', x0, y0, { deltaX: 0, deltaY: i % 24 < 12 ? 100 : -100 }));
      await tick(i + 1, t0);
    }
    await Promise.all(sent);
    // The last wheel events may still be on their way (CDP acknowledges them before the page has handled them):
    // the view is back at the start zoom before the pass ends.
    await page.waitForFunction((z) => Math.abs(Number(document.querySelector<HTMLElement>('#stage')!.dataset.view?.split(',')[2]) / z - 1) < 1e-6, z,
      { timeout: 10_000, polling: 50 }).catch(() => log(`${name}: the view did not come back to zoom ${z}`));
    const r = await page.evaluate(() => {
      const w = window as unknown as { __pan: { frames: number[]; long: number[]; levels: Set<string>; run: boolean; obs: PerformanceObserver; tiles: [number, number]; draws: number[] } };
      const p = w.__pan;
      p.run = false;
      p.obs.disconnect();
      const st = document.querySelector<HTMLElement>('#stage')!.dataset;
      const draws = (st.draws ?? '0,0,0,0').split(',').map((v, i) => Number(v) - (p.draws[i] ?? 0));
      return { frames: p.frames, long: p.long, levels: [...p.levels].map(Number), tiles: [Number(st.tileRequests) - p.tiles[0], Number(st.tileBytes) - p.tiles[1]], draws };
    });
    if (profile) {
      const { profile: cpu } = await cdp.send('Profiler.stop');
      writeFileSync(join(args.profile!, `pan-${level}.cpuprofile`), JSON.stringify(cpu));
      const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: { name: string; ph: string; dur?: number; tid: number; pid: number }[] };
      profiles.push({ phase: name, top: hottest(cpu as Profile), trace: traceTop(trace.traceEvents) });
    }
    const st = stats(r.frames);
    return {
      name, zoom: z, level, ...st,
      drag: stats(r.frames.filter((t) => t < wheelAt)), wheel: stats(r.frames.filter((t) => t >= wheelAt)),
      long_tasks: r.long.length, long_task_ms: r.long.reduce((a, b) => a + b, 0),
      tiles_requests: r.tiles[0], tile_bytes: r.tiles[1], base_draws: { full: r.draws[0], scroll: r.draws[1], preview: r.draws[2], repaint: r.draws[3] ?? 0 }, levels_drawn: r.levels.sort((a, b) => a - b), fill_wait_ms: fillWait,
    };
  }
  for (const step of plan) {
    await page.keyboard.press('0');
    for (let i = 0; i < step.presses; i++) await page.keyboard.press('-');
    const z = 1.25 ** -step.presses;
    const t0 = Date.now();
    const waitFilled = () => page.waitForFunction((z) => {
      const st = document.querySelector<HTMLElement>('#stage')!.dataset;
      return Math.abs(Number(st.view?.split(',')[2]) / z - 1) < 1e-6 && st.filled === 'true' && st.tilesAwaiting === '0';
    }, z, { timeout: 300_000, polling: 200 }).catch(async (e: unknown) => {
      throw new Error(`${step.name}: the screen was not filled: ${JSON.stringify(await page.evaluate(() => ({ ...document.querySelector<HTMLElement>('#stage')!.dataset })))}`, { cause: e });
    });
    await waitFilled();
    const fillWait = Date.now() - t0;
    const level = Number(await page.getAttribute('#stage', 'data-drawn-level'));
    log(`${step.name}: zoom ${z.toPrecision(3)}, level ${level}, filled after ${fillWait} ms; measuring ${SECONDS} s`);
    // Two passes of the same gesture, which ends where it began: the first (cold) reads tiles the server has not
    // rendered snapshots for yet and renders them meanwhile; the second (warm, the reported one) pans over what
    // the first left, which is what a board that has been looked at serves.
    const cold = args.quick ? null : await pass(step.name, z, level, fillWait, false);
    if (cold) {
      log(`${step.name}: cold pass ${cold.fps.toFixed(1)} fps, p95 ${cold.p95_ms.toFixed(1)} ms, ${cold.tiles_requests} tiles requests, ${cold.tile_bytes} B`);
      await waitFilled();
      await page.waitForTimeout(2000);
      await waitFilled();
    }
    phases.push({
      ...(await pass(step.name, z, level, fillWait, !!args.profile)),
      ...(cold ? { cold: { fps: cold.fps, p95_ms: cold.p95_ms, p99_ms: cold.p99_ms, dropped_pct: cold.dropped_pct, long_task_ms: cold.long_task_ms, tiles_requests: cold.tiles_requests, tile_bytes: cold.tile_bytes } } : {}),
    });
    const ph = phases[phases.length - 1];
    log(`${step.name}: ${ph.fps.toFixed(1)} fps (drag ${ph.drag.fps.toFixed(1)}, wheel ${ph.wheel.fps.toFixed(1)}), frame p50 ${ph.p50_ms.toFixed(1)} / p95 ${ph.p95_ms.toFixed(1)} / p99 ${ph.p99_ms.toFixed(1)} ms, dropped ${ph.dropped_pct.toFixed(1)} %, ` +
      `${ph.long_tasks} long tasks (${ph.long_task_ms.toFixed(0)} ms), ${ph.tiles_requests} tiles requests, ${ph.tile_bytes} B, levels ${ph.levels_drawn.join(',')}, base ${JSON.stringify(ph.base_draws)}`);
  }
  const result = {
    browser: `${browser.version()} headless, --disable-gpu (software raster), ${VIEWPORT.width}×${VIEWPORT.height}, DPR 1`,
    room_strokes: strokes, catch_up_seconds: catchUpSeconds, spread: SPREAD, seconds_per_zoom: SECONDS, quick: args.quick,
    gesture: 'hand-tool drag along a 1000×500 px figure-eight (whole 1.5 s loops, 60 % of the time), then wheel notches of 100 (12 out, 12 in, repeated); run twice, the second (warm) pass reported',
    phases, ...(profiles.length ? { profiles } : {}),
  };
  if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
  if (!args.room) { // the seeded room does not stay
    await page.goto('about:blank');
    await ctx.request.delete(`${stack.origin}/api/rooms/${roomId}`, { headers: { 'x-csrf-token': me.csrfToken } });
  }
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await browser.close();
  await stack.close();
  cleanup();
}
process.exit(exitCode);

interface Profile { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[]; samples: number[]; timeDeltas: number[] }

/** Self time per function of a CPU profile, hottest first. */
function hottest(p: Profile): { fn: string; url: string; self_ms: number; pct: number }[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, k) => {
    const n = byId.get(id)!;
    const dt = (p.timeDeltas[k] ?? 0) / 1000;
    total += dt;
    const key = `${n.callFrame.functionName || '(anonymous)'}\t${n.callFrame.url.replace(/^.*\//, '')}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, ms]) => {
    const [fn, url] = k.split('\t');
    return { fn, url, self_ms: Math.round(ms), pct: Math.round((1000 * ms) / total) / 10 };
  });
}

/** Total duration per complete trace event name (renderer and GPU/compositor work), longest first. */
function traceTop(events: { name: string; ph: string; dur?: number }[]): { name: string; ms: number; count: number }[] {
  const m = new Map<string, { ms: number; count: number }>();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const v = m.get(e.name) ?? { ms: 0, count: 0 };
    v.ms += e.dur / 1000;
    v.count++;
    m.set(e.name, v);
  }
  return [...m].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15).map(([name, v]) => ({ name, ms: Math.round(v.ms), count: v.count }));
}


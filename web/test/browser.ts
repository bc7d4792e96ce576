// The harness of the browser tests (*.e2e.test.ts): each file starts the real stack (stack.ts) and Debian's Chromium
// through playwright-core once, and its tests share these helpers to sign up, open boards, draw and read pixels.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, missing, type Stack, type StackOptions } from './stack.ts';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const unavailable = [...missing(), ...(existsSync(CHROMIUM) ? [] : [CHROMIUM])];

/** Options of every browser test: skipped, with the reason printed once, when the stack or Chromium is missing. */
export const opt = { skip: unavailable.length > 0, timeout: 120_000 };

export interface PageOptions {
  /** Device pixel ratio. */
  scale?: number;
  viewport?: { width: number; height: number };
  /** Cookies and storage of another page (the same session in a fresh context: an empty HTTP cache). */
  storageState?: Awaited<ReturnType<BrowserContext['storageState']>>;
  /** Touch events (CDP Input.dispatchTouchEvent). */
  hasTouch?: boolean;
}

export interface Suite {
  readonly stack: Stack;
  /** A page in a context of its own, at the stack's origin (relative URLs work). */
  newPage(o?: PageOptions): Promise<Page>;
}

/** Starts the stack and the browser before the file's tests, stops both after them. */
export function browserSuite(options: StackOptions = {}): Suite {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  before(async () => {
    if (unavailable.length) {
      console.log(`# browser tests skipped: missing ${unavailable.join(', ')} (build with scripts/build.sh; apt-get install chromium)`);
      return;
    }
    stack = await startStack(options);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      // playwright gives every non-persistent launch a fresh temporary --user-data-dir of its own.
    });
  }, { timeout: 120_000 });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stack?.close();
  }, { timeout: 60_000 });
  return {
    get stack() {
      assert.ok(stack, 'the stack runs');
      return stack;
    },
    async newPage({ scale = 1, viewport = { width: 1000, height: 700 }, storageState, hasTouch = false }: PageOptions = {}) {
      assert.ok(browser && stack, 'the browser runs');
      const ctx = await browser.newContext({ viewport, deviceScaleFactor: scale, storageState, hasTouch, baseURL: stack.origin });
      contexts.push(ctx);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().includes('ERR_CONNECTION_REFUSED')) console.log(`# console: ${m.text()}`);
      });
      return page;
    },
  };
}

const run = Date.now().toString(36);
let userNo = 0;

export async function signup(page: Page, name: string): Promise<void> {
  await page.goto('/signup');
  await page.fill('input[name=email]', `${name.toLowerCase()}-${run}-${++userNo}@example.test`);
  await page.fill('input[name=displayName]', name);
  await page.fill('input[name=password]', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForSelector('#rooms');
}

/** Creates a board from the boards page and opens it; resolves with its id. */
export async function createBoard(page: Page, name: string): Promise<string> {
  await page.fill('form.create input', name);
  await page.click('form.create button');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  await online(page);
  return page.url().split('/b/')[1];
}

export async function openBoard(page: Page, roomId: string): Promise<void> {
  await page.goto(`/b/${roomId}`);
  await online(page);
}

export async function online(page: Page): Promise<void> {
  await page.waitForSelector('#conn[data-state="online"]', { timeout: 20_000 });
}

/** Every stroke drawn here was acknowledged. */
export async function allSent(page: Page): Promise<void> {
  await page.waitForSelector('#conn[data-unsent="0"]', { timeout: 20_000 });
}

/** A share link of the board with a role, made from the boards page (the page stays there). */
export async function shareLink(page: Page, roomId: string, role: 'editor' | 'viewer'): Promise<string> {
  await page.goto('/');
  await page.click(`li[data-room="${roomId}"] button.share`);
  await page.selectOption('.share-dialog select[name=role]', role);
  await page.click('#create-link');
  await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('#share-url')?.value ?? '').includes('/join/'));
  const url = await page.inputValue('#share-url');
  await page.click('.share-dialog .close');
  return url;
}

/** Opens a share link, as a guest with this name when given, and waits for the board. */
export async function openLink(page: Page, url: string, guestName?: string): Promise<void> {
  await page.goto(url);
  if (guestName) await page.fill('input[name=displayName]', guestName);
  await page.click('#join');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  await online(page);
}

/** A new board of the owner's, open on both pages, the guest having joined it by an editor link (both sign up first). */
export async function sharedBoard(owner: Page, guest: Page, names: [string, string], board: string): Promise<string> {
  await signup(owner, names[0]);
  const roomId = await createBoard(owner, board);
  const link = await shareLink(owner, roomId, 'editor');
  await openBoard(owner, roomId);
  await signup(guest, names[1]);
  await openLink(guest, link);
  return roomId;
}

/** The canvas's top-left corner in page coordinates: canvas-relative CSS points are added to it. */
export async function origin(page: Page): Promise<{ x: number; y: number }> {
  const box = await page.locator('#board-canvas').boundingBox();
  assert.ok(box);
  return { x: box.x, y: box.y };
}

/** Draws with the mouse through canvas-relative CSS points (the pointer stays down with keepDown). */
export async function stroke(page: Page, pts: [number, number][], opts: { keepDown?: boolean } = {}): Promise<void> {
  const o = await origin(page);
  await page.mouse.move(o.x + pts[0][0], o.y + pts[0][1]);
  await page.mouse.down();
  for (const [x, y] of pts.slice(1)) await page.mouse.move(o.x + x, o.y + y, { steps: 4 });
  if (!opts.keepDown) await page.mouse.up();
}

/** Waits until the canvas pixel at a canvas-relative CSS point is (or is not) dark ink. */
export async function waitInk(page: Page, x: number, y: number, inked = true, timeout = 15_000): Promise<void> {
  await page.waitForFunction(([x, y, inked]) => {
    const c = document.querySelector<HTMLCanvasElement>('#board-canvas');
    if (!c) return false;
    const s = c.width / c.getBoundingClientRect().width;
    const d = c.getContext('2d')!.getImageData(Math.floor(x * s), Math.floor(y * s), 1, 1).data;
    return (d[3] > 200 && d[0] < 80 && d[1] < 80 && d[2] < 80) === inked;
  }, [x, y, inked] as const, { timeout, polling: 'raf' });
}

/** A canvas-relative CSS point and whether dark ink is expected there. */
export type Expected = [x: number, y: number, inked: boolean];

/** Waits until the canvas shows ink at every expected point, and none at the others, all in the same frame. */
export async function waitPicture(page: Page, expected: Expected[], what: string): Promise<void> {
  try {
    await page.waitForFunction((expected) => {
      const c = document.querySelector<HTMLCanvasElement>('#board-canvas');
      if (!c) return false;
      const s = c.width / c.getBoundingClientRect().width;
      const ctx = c.getContext('2d')!;
      return expected.every(([x, y, inked]) => {
        const d = ctx.getImageData(Math.floor(x * s), Math.floor(y * s), 1, 1).data;
        return (d[3] > 200 && d[0] < 80 && d[1] < 80 && d[2] < 80) === inked;
      });
    }, expected, { timeout: 20_000, polling: 'raf' });
  } catch (e) {
    throw new Error(`${what}: the canvas never showed ${JSON.stringify(expected)}`, { cause: e });
  }
}

/** Waits until the board shows the past at `seq`, every visible tile drawn from an answer at that point. */
export async function showsPast(page: Page, seq: number): Promise<void> {
  await page.waitForSelector(`#stage[data-history="past"][data-at-seq="${seq}"][data-filled="true"]`, { timeout: 20_000 });
}

/** The kinds of the room's events in order, with their seqs. */
export async function events(page: Page, roomId: string): Promise<{ seq: number; kind: string }[]> {
  return page.evaluate(async (roomId) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/events?format=json&limit=1000`)).json()) as { events: Record<string, unknown>[] };
    return j.events.map((e) => ({ seq: Number(e.seq), kind: e.strokeAdded ? 'added' : e.strokesErased ? 'erased' : 'other' }));
  }, roomId);
}

/** The canvas pixel (r, g, b, a) at a canvas-relative CSS point. */
export async function pixel(page: Page, x: number, y: number): Promise<[number, number, number, number]> {
  return page.evaluate(([x, y]) => {
    const c = document.querySelector<HTMLCanvasElement>('#board-canvas')!;
    const s = c.width / c.getBoundingClientRect().width;
    const [r, g, b, a] = c.getContext('2d')!.getImageData(Math.floor(x * s), Math.floor(y * s), 1, 1).data;
    return [r, g, b, a] as [number, number, number, number];
  }, [x, y] as const);
}

/** The alpha of the canvas pixel at a canvas-relative CSS point. */
export async function inkAt(page: Page, x: number, y: number): Promise<number> {
  return (await pixel(page, x, y))[3];
}

/** Committed strokes the page received over the WebSocket. */
export async function strokeCount(page: Page): Promise<number> {
  return Number(await page.getAttribute('#stage', 'data-strokes'));
}

export async function waitStrokes(page: Page, n: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction((n) => Number(document.querySelector('#stage')?.getAttribute('data-strokes')) >= n, n, { timeout });
}

/** The stage's last drawn view: world x, y of the top-left corner and zoom. */
export async function drawnView(page: Page): Promise<{ x: number; y: number; z: number }> {
  const [x, y, z] = ((await page.getAttribute('#stage', 'data-view')) ?? '0,0,1').split(',').map(Number);
  return { x, y, z };
}

/** A stored stroke as the events endpoint gives it in JSON. */
export interface StoredStroke {
  id: string;
  tool?: string;
  width?: number;
  quantum?: number;
  points?: number[];
  pressures?: number[];
}

/** Every stroke stored in the room, in order, from the events endpoint. */
export async function storedStrokes(page: Page, roomId: string): Promise<StoredStroke[]> {
  return page.evaluate(async (roomId) => {
    const r = await fetch(`/api/rooms/${roomId}/events?format=json&limit=10000`);
    const j = (await r.json()) as { events: { strokeAdded?: { stroke?: StoredStroke } }[] };
    return j.events.map((e) => e.strokeAdded?.stroke).filter((s): s is StoredStroke => !!s?.id);
  }, roomId);
}

/** A REST call from a signed-in page, with its session's CSRF token; resolves with the status. */
export async function api(page: Page, method: string, path: string, body?: unknown): Promise<number> {
  return page.evaluate(async ([method, path, body]) => {
    const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken?: string };
    const headers: Record<string, string> = { 'x-csrf-token': me.csrfToken ?? '' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return (await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).status;
  }, [method, path, body] as const);
}

/** The tiles endpoint's JSON answer. */
export interface TilesJson {
  headSeq?: number;
  tiles?: { coord?: { x?: number; y?: number }; snapshot?: { key: string }; strokes?: unknown[]; pending?: boolean }[];
}

/**
 * Polls an asynchronous check run in the page (every intervalMs) until it holds; fails naming `what` after timeoutMs.
 * Not page.waitForFunction: it does not await a promise, and a pending promise is truthy, so an async check there
 * passes at once.
 */
export async function waitInPage<A>(page: Page, what: string, check: (arg: A) => Promise<boolean>, arg: A, timeoutMs = 30_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // The check's argument goes through the page as JSON (plain data here), which is what evaluate's Unboxed<A> says.
  while (!(await page.evaluate(check as (arg: unknown) => Promise<boolean>, arg))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until the level-0 tile holding a world point is one snapshot without delta strokes (tile-delta-go renders it after the commits). */
export async function waitSnapshotOnly(page: Page, roomId: string, wx: number, wy: number): Promise<void> {
  const span = 256 * 100;
  const [tx, ty] = [Math.floor((wx * 100) / span), Math.floor((wy * 100) / span)];
  const q = `level=0&minX=${tx * span}&minY=${ty * span}&maxX=${(tx + 1) * span - 1}&maxY=${(ty + 1) * span - 1}`;
  await waitInPage(page, `tile (${tx}, ${ty}) is one snapshot`, async ([roomId, q]) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/tiles?${q}&format=json`)).json()) as TilesJson;
    return j.tiles?.length === 1 && !!j.tiles[0].snapshot && !j.tiles[0].strokes?.length;
  }, [roomId, q] as const);
}

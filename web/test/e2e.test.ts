// Browser tests of the web client against the real stack (Debian's Chromium through playwright-core).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, missing, type Stack } from './stack.ts';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const skip = [...missing(), ...(existsSync(CHROMIUM) ? [] : [CHROMIUM])];
if (skip.length) console.log(`# e2e skipped: missing ${skip.join(', ')} (build with scripts/build.sh; apt-get install chromium)`);

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const run = Date.now().toString(36);
let userNo = 0;

before(async () => {
  if (skip.length) return;
  stack = await startStack();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    // playwright gives every non-persistent launch a fresh temporary --user-data-dir of its own.
  });
}, { timeout: 120_000 });

after(async () => {
  if (skip.length) return;
  await browser?.close();
  await stack?.close();
}, { timeout: 60_000 });

async function newPage(scale = 1): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 }, deviceScaleFactor: scale });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('ERR_CONNECTION_REFUSED')) console.log(`# console: ${m.text()}`);
  });
  return page;
}

async function signup(page: Page, name: string): Promise<void> {
  await page.goto(`${stack.origin}/signup`);
  await page.fill('input[name=email]', `${name.toLowerCase()}-${run}-${++userNo}@example.test`);
  await page.fill('input[name=displayName]', name);
  await page.fill('input[name=password]', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForSelector('#rooms');
}

async function createBoard(page: Page, name: string): Promise<string> {
  await page.fill('form.create input', name);
  await page.click('form.create button');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  await online(page);
  return page.url().split('/b/')[1];
}

async function online(page: Page): Promise<void> {
  await page.waitForSelector('#conn[data-state="online"]', { timeout: 20_000 });
}

async function shareLink(page: Page, roomId: string, role: 'editor' | 'viewer'): Promise<string> {
  await page.goto(`${stack.origin}/`);
  await page.click(`li[data-room="${roomId}"] button.share`);
  await page.selectOption('.share-dialog select[name=role]', role);
  await page.click('#create-link');
  await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('#share-url')?.value ?? '').includes('/join/'));
  const url = await page.inputValue('#share-url');
  await page.click('.share-dialog .close');
  return url;
}

/** Canvas-relative CSS point → page point. */
async function origin(page: Page): Promise<{ x: number; y: number }> {
  const box = await page.locator('#board-canvas').boundingBox();
  assert.ok(box);
  return { x: box.x, y: box.y };
}

async function stroke(page: Page, pts: [number, number][], opts: { keepDown?: boolean } = {}): Promise<void> {
  const o = await origin(page);
  await page.mouse.move(o.x + pts[0][0], o.y + pts[0][1]);
  await page.mouse.down();
  for (const [x, y] of pts.slice(1)) await page.mouse.move(o.x + x, o.y + y, { steps: 4 });
  if (!opts.keepDown) await page.mouse.up();
}

/** Waits until the canvas pixel at a canvas-relative CSS point is (or is not) inked. */
async function waitInk(page: Page, x: number, y: number, inked = true, timeout = 15_000): Promise<void> {
  await page.waitForFunction(([x, y, inked]) => {
    const c = document.querySelector<HTMLCanvasElement>('#board-canvas');
    if (!c) return false;
    const s = c.width / c.getBoundingClientRect().width;
    const d = c.getContext('2d')!.getImageData(Math.floor(x * s), Math.floor(y * s), 1, 1).data;
    return (d[3] > 200 && d[0] < 80 && d[1] < 80 && d[2] < 80) === inked;
  }, [x, y, inked] as const, { timeout, polling: 'raf' });
}

async function inkAt(page: Page, x: number, y: number): Promise<number> {
  return page.evaluate(([x, y]) => {
    const c = document.querySelector<HTMLCanvasElement>('#board-canvas')!;
    const s = c.width / c.getBoundingClientRect().width;
    return c.getContext('2d')!.getImageData(Math.floor(x * s), Math.floor(y * s), 1, 1).data[3];
  }, [x, y] as const);
}

async function strokeCount(page: Page): Promise<number> {
  return Number(await page.getAttribute('#stage', 'data-strokes'));
}

async function waitStrokes(page: Page, n: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction((n) => Number(document.querySelector('#stage')?.getAttribute('data-strokes')) >= n, n, { timeout });
}

async function openLink(page: Page, url: string, guestName?: string): Promise<void> {
  await page.goto(url);
  if (guestName) await page.fill('input[name=displayName]', guestName);
  await page.click('#join');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  await online(page);
}

/** Ids of every stroke stored in the room, from the events endpoint. */
async function eventStrokeIds(page: Page, roomId: string): Promise<string[]> {
  return page.evaluate(async (roomId) => {
    const r = await fetch(`/api/rooms/${roomId}/events?format=json&limit=10000`);
    const j = (await r.json()) as { events: { strokeAdded?: { stroke?: { id?: string } } }[] };
    return j.events.map((e) => e.strokeAdded?.stroke?.id).filter((x): x is string => !!x);
  }, roomId);
}

const opt = { skip: skip.length > 0, timeout: 120_000 };
let shared: { roomId: string; alice: Page; bob: Page };

test('two users: what one draws appears on the other canvas while it is drawn', opt, async () => {
  const alice = await newPage(1);
  const bob = await newPage(2); // HiDPI on one side
  await signup(alice, 'Alice');
  const roomId = await createBoard(alice, 'Shared sketch');
  const link = await shareLink(alice, roomId, 'editor');
  await alice.goto(`${stack.origin}/b/${roomId}`);
  await online(alice);
  await signup(bob, 'Bob');
  await openLink(bob, link);
  assert.equal(await bob.textContent('.role'), 'editor');
  await alice.waitForSelector('#presence li[data-session]');

  await waitInk(bob, 300, 200, false);
  await stroke(alice, [[150, 200], [250, 200], [350, 200], [450, 205]], { keepDown: true });
  // Still drawing: Bob already sees the ink (live strokes), before any commit.
  await waitInk(bob, 300, 200);
  assert.equal(await strokeCount(bob), 0, 'not committed yet');
  await alice.mouse.up();
  await waitStrokes(bob, 1);
  await waitInk(bob, 300, 200);
  // Bob sees Alice's cursor with her name.
  await bob.waitForSelector('.cursor .cursor-name:text("Alice")');
  shared = { roomId, alice, bob };
});

test('reload shows the drawing from tiles: a snapshot PNG under the strokes drawn since', opt, async () => {
  const { alice, roomId } = shared;
  // Three more strokes in the same level-0 tile pass tile-delta-go's threshold (3 in the test stack).
  for (const y of [230, 250, 270]) await stroke(alice, [[160, y], [200, y + 5], [240, y]]);
  await alice.waitForSelector('#conn[data-unsent="0"]');
  // A read queues the render; wait (a condition) until the tile (0, 0) comes with a snapshot.
  await alice.waitForFunction(async (roomId) => {
    const r = await fetch(`/api/rooms/${roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600&format=json`);
    const j = (await r.json()) as { tiles?: { snapshot?: { key: string } }[] };
    return !!j.tiles?.some((t) => t.snapshot);
  }, roomId, { timeout: 30_000, polling: 200 });
  const pngs: { url: string; status: number; type: string | undefined }[] = [];
  let tilesRequests = 0;
  alice.on('response', (r) => {
    if (/\/tiles\/\d+\/-?\d+\/-?\d+\/\d+\.png$/.test(r.url())) pngs.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] });
    else if (r.url().includes('/tiles?')) tilesRequests++;
  });
  await alice.reload();
  await online(alice);
  await alice.waitForFunction(() => Number(document.querySelector('#stage')?.getAttribute('data-tile-snapshots')) > 0, null, { timeout: 20_000 });
  assert.ok(tilesRequests >= 1, 'the board asked for tiles');
  assert.ok(pngs.some((p) => p.status === 200 && p.type === 'image/png'), `a snapshot PNG was loaded: ${JSON.stringify(pngs)}`);
  assert.equal(await strokeCount(alice), 0, 'nothing came over the WebSocket catch-up: the tiles held everything');
  // The pixels: the first stroke (in the snapshot) and the later ones.
  await waitInk(alice, 300, 200);
  for (const y of [230, 250, 270]) await waitInk(alice, 200, y + 5);
  await waitInk(alice, 300, 240, false);
});

test('a viewer link opens the board read-only and the viewer cannot draw', opt, async () => {
  const { alice, roomId } = shared;
  const link = await shareLink(alice, roomId, 'viewer');
  await alice.goto(`${stack.origin}/b/${roomId}`);
  await online(alice);
  const before = await strokeCount(alice);
  const guest = await newPage(1);
  await openLink(guest, link, 'Gina');
  assert.equal(await guest.textContent('.role'), 'viewer');
  assert.equal(await guest.isVisible('.readonly'), true);
  assert.equal(await guest.isVisible('button[data-tool="pen"]'), false);
  await waitInk(guest, 300, 200);
  // The viewer drags across an empty area and back (a drag pans for a viewer, by zero overall): nothing is
  // drawn, locally or for others.
  await stroke(guest, [[150, 400], [300, 400], [450, 400], [300, 400], [150, 400]]);
  assert.equal(await inkAt(guest, 300, 400), 0);
  // Barrier: Alice draws a marker; once the viewer has it, the viewer's drag would have arrived too.
  await stroke(alice, [[600, 100], [700, 100]]);
  await waitStrokes(guest, before + 1);
  await waitInk(guest, 650, 100);
  assert.equal(await strokeCount(alice), before + 1);
  assert.equal(await strokeCount(guest), before + 1);
  assert.equal(await inkAt(alice, 300, 400), 0);
  assert.equal(await inkAt(guest, 300, 400), 0);
});

test('realtime-go stops while a user draws: after its restart the strokes arrive exactly once', opt, async () => {
  const { alice, bob, roomId } = shared;
  await bob.goto(`${stack.origin}/b/${roomId}`);
  await online(bob);
  const start = await strokeCount(bob);
  const storedBefore = (await eventStrokeIds(alice, roomId)).length;
  await stack.realtime.stop();
  await alice.waitForSelector('#conn[data-state="offline"]', { timeout: 20_000 });
  // Draw while offline: two strokes, then reload (they live in localStorage), then a third.
  await stroke(alice, [[550, 300], [700, 300]]);
  await stroke(alice, [[550, 340], [700, 340]]);
  await alice.waitForSelector('#conn[data-unsent="2"]');
  await alice.reload();
  await alice.waitForSelector('#conn[data-state="offline"]', { timeout: 20_000 });
  await alice.waitForSelector('#conn[data-unsent="2"]');
  await waitInk(alice, 620, 300); // unsent strokes stay visible
  await stroke(alice, [[550, 380], [700, 380]]);
  await alice.waitForSelector('#conn[data-unsent="3"]');

  stack.realtime = await stack.startRealtime();
  await online(alice);
  await alice.waitForSelector('#conn[data-unsent="0"]', { timeout: 20_000 });
  await online(bob);
  await waitStrokes(bob, start + 3);
  for (const y of [300, 340, 380]) await waitInk(bob, 620, y);
  // Exactly once: every stroke id appears in one event only.
  const ids = await eventStrokeIds(alice, roomId);
  assert.equal(ids.length, storedBefore + 3);
  assert.equal(new Set(ids).size, ids.length, 'no stroke stored twice');
  assert.equal(await strokeCount(bob), start + 3);
});

test('undo, redo and the object eraser reach the other user', opt, async () => {
  const { alice, bob } = shared;
  await online(alice);
  await online(bob);
  await waitInk(bob, 300, 460, false);
  await stroke(alice, [[150, 460], [300, 460], [450, 460]]);
  await waitInk(bob, 300, 460);
  await alice.waitForSelector('#conn[data-unsent="0"]');
  await alice.keyboard.press('Control+z');
  await waitInk(bob, 300, 460, false);
  await waitInk(alice, 300, 460, false);
  await alice.keyboard.press('Control+Shift+z');
  await waitInk(bob, 300, 460);
  await alice.keyboard.press('e');
  await stroke(alice, [[300, 440], [300, 480]]);
  await waitInk(bob, 300, 460, false);
  await waitInk(bob, 620, 300); // other strokes stay
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
});

// Browser tests of the web client against the real stack (Debian's Chromium through playwright-core).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, missing, DB, ROOT, type Stack } from './stack.ts';
import { decodePng } from '../../gateway-ts/test/png.ts';

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

async function newPage(scale = 1, viewport = { width: 1000, height: 700 }, storageState?: Awaited<ReturnType<BrowserContext['storageState']>>): Promise<Page> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: scale, storageState });
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
  await alice.waitForFunction(() => Number(document.querySelector('#stage')?.getAttribute('data-tile-snapshots')) > 0, null, { timeout: 60_000 });
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

/** A REST call from a signed-in page, with its session's CSRF token; resolves with the status. */
async function api(page: Page, method: string, path: string, body?: unknown): Promise<number> {
  return page.evaluate(async ([method, path, body]) => {
    const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken?: string };
    const headers: Record<string, string> = { 'x-csrf-token': me.csrfToken ?? '' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return (await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).status;
  }, [method, path, body] as const);
}

test('an editor lowered to viewer sees "your access changed" and goes on read-only; removed, the access ends', opt, async () => {
  const owner = await newPage(1);
  await signup(owner, 'Olga');
  const roomId = await createBoard(owner, 'Roles change');
  const link = await shareLink(owner, roomId, 'editor');
  const ed = await newPage(1);
  await signup(ed, 'Ed');
  await openLink(ed, link);
  assert.equal(await ed.textContent('.role'), 'editor');
  assert.equal(await ed.isVisible('.readonly'), false);
  const edId = await ed.evaluate(async () => ((await (await fetch('/api/auth/me')).json()) as { user: { id: string } }).user.id);

  assert.equal(await api(owner, 'PATCH', `/api/rooms/${roomId}/members/${edId}`, { role: 'viewer' }), 200);
  await ed.waitForSelector('#toast:has-text("Your access changed")', { timeout: 10_000 });
  await ed.waitForSelector('.readonly', { state: 'visible', timeout: 10_000 });
  await online(ed);
  assert.equal(await ed.textContent('.role'), 'viewer');
  assert.equal(await ed.isVisible('button[data-tool="pen"]'), false);

  assert.equal(await api(owner, 'DELETE', `/api/rooms/${roomId}/members/${edId}`), 204);
  await ed.waitForSelector('#toast:has-text("Your access to this board has ended")', { timeout: 10_000 });
  await ed.waitForSelector('#conn[data-state="closed"]', { timeout: 10_000 });
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

test('the object eraser hits a stroke that lives only in a snapshot PNG; the other user sees it go', opt, async () => {
  const ann = await newPage(1);
  const ben = await newPage(1);
  await signup(ann, 'Ann');
  const roomId = await createBoard(ann, 'Erase in a snapshot');
  const link = await shareLink(ann, roomId, 'editor');
  await signup(ben, 'Ben');
  await openLink(ben, link);
  await ann.goto(`${stack.origin}/b/${roomId}`);
  await online(ann);
  // Four strokes inside level-0 tile (0, 0) (world 0..256; the view starts at -40): past the threshold of 3.
  await stroke(ann, [[150, 200], [200, 200], [270, 200]]);
  for (const y of [230, 250, 270]) await stroke(ann, [[160, y], [200, y + 5], [240, y]]);
  await ann.waitForSelector('#conn[data-unsent="0"]');
  // Until the tile is one snapshot with no delta: then nobody gets these strokes as vectors from the tiles API.
  await ann.waitForFunction(async (roomId) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600&format=json`)).json()) as TilesJson;
    return j.tiles?.length === 1 && !!j.tiles[0].snapshot && !j.tiles[0].strokes?.length;
  }, roomId, { timeout: 30_000, polling: 200 });
  for (const p of [ann, ben]) {
    await p.reload();
    await online(p);
    await p.waitForSelector('#stage[data-tile-snapshots="1"][data-tile-strokes="0"]');
    assert.equal(await strokeCount(p), 0, 'no stroke as a vector: the first one is only in the PNG');
    await waitInk(p, 210, 200);
  }
  // Ann erases across the first stroke: no vector of it is here, so the eraser asks the server's hit test
  // (GET strokes/at, the tile index), never the room's events.
  const asked: string[] = [];
  ann.on('request', (r) => {
    if (r.url().includes('/strokes/at?') || r.url().includes('/events')) asked.push(r.url());
  });
  await ann.keyboard.press('e');
  await stroke(ann, [[210, 185], [210, 215]]);
  await waitInk(ben, 210, 200, false);
  await waitInk(ann, 210, 200, false);
  assert.ok(asked.some((u) => u.includes('/strokes/at?')), 'the eraser asked the server hit test');
  assert.ok(!asked.some((u) => u.includes('/events')), `the eraser read no event history: ${asked.join(' ')}`);
  const [requests, hits] = ((await ann.getAttribute('#stage', 'data-eraser-lookups')) ?? '').split(',').map(Number);
  assert.ok(requests >= 1 && hits === 1, `lookups ${requests}, strokes found ${hits}`);
  for (const y of [230, 250, 270]) await waitInk(ben, 200, y + 5); // the others stay
  const erased = await ann.evaluate(async (roomId) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/events?format=json`)).json()) as { events: { strokesErased?: { strokeIds?: string[] } }[] };
    return j.events.filter((e) => e.strokesErased).map((e) => e.strokesErased!.strokeIds?.length ?? 0);
  }, roomId);
  assert.deepEqual(erased, [1], 'one erase of exactly one stroke');
  // After a reload the erased stroke does not come back from any snapshot, for either of them.
  for (const p of [ben, ann]) {
    await p.reload();
    await online(p);
    await waitInk(p, 200, 275);
    await waitInk(p, 210, 200, false);
    assert.equal(await inkAt(p, 210, 200), 0);
  }
});

test('a stroke id someone else took: the browser sends the stroke again under a new id and loses nothing', opt, async () => {
  const alice = await newPage(1);
  const bob = await newPage(1);
  // Each page's next 16 random bytes (the next stroke id) can be set: both mint the same id.
  for (const page of [alice, bob]) {
    await page.addInitScript(() => {
      const w = window as unknown as { nextId?: number[] };
      const random = crypto.getRandomValues.bind(crypto);
      crypto.getRandomValues = ((a: Uint8Array) => {
        if (w.nextId && a.length === 16) {
          a.set(w.nextId);
          w.nextId = undefined;
          return a;
        }
        return random(a);
      }) as typeof crypto.getRandomValues;
    });
  }
  await signup(alice, 'Alice');
  const roomId = await createBoard(alice, 'Taken ids');
  const link = await shareLink(alice, roomId, 'editor');
  await alice.goto(`${stack.origin}/b/${roomId}`);
  await online(alice);
  await signup(bob, 'Bob');
  await openLink(bob, link);
  const taken = Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);
  const nextId = (page: Page) => page.evaluate((id) => ((window as unknown as { nextId?: number[] }).nextId = id), taken);

  await nextId(bob);
  await stroke(bob, [[150, 150], [250, 150], [350, 155]]);
  await waitStrokes(alice, 1);
  await nextId(alice);
  await stroke(alice, [[150, 320], [250, 320], [350, 325]]);
  await alice.waitForSelector('#conn[data-unsent="0"]');
  await waitStrokes(bob, 2);
  await waitInk(bob, 250, 320);
  await waitInk(alice, 250, 150);
  const ids = await eventStrokeIds(alice, roomId);
  assert.equal(new Set(ids).size, 2, `two strokes under two ids: ${ids}`);
  assert.equal(await alice.evaluate((roomId) => localStorage.getItem(`infidraw:pending:${roomId}`), roomId), null, 'nothing left unsent');
  // Alice's undo follows the new id: her stroke goes, Bob's stays.
  await alice.keyboard.press('Control+z');
  await waitInk(bob, 250, 320, false);
  await waitInk(bob, 250, 150);
});

test('export an area: drag a rectangle, get exactly that world rectangle as a PNG at 2×; a viewer may export too', opt, async () => {
  const page = await newPage(1, { width: 1280, height: 800 });
  await signup(page, 'Xena');
  const roomId = await createBoard(page, 'Area export');
  // A horizontal stroke (4 px at 100 %), committed: the export is rendered by the server from the stored strokes.
  await stroke(page, [[200, 300], [300, 300], [400, 300]]);
  await page.waitForSelector('#conn[data-unsent="0"]');
  await waitStrokes(page, 1);
  const strokes = await strokeCount(page);
  const v = await drawnView(page);
  assert.equal(v.z, 1);
  const o = await origin(page);
  const drag = async (p: Page, a: [number, number], b: [number, number]) => {
    const q = await origin(p);
    await p.mouse.move(q.x + a[0], q.y + a[1]);
    await p.mouse.down();
    await p.mouse.move(q.x + (a[0] + b[0]) / 2, q.y + (a[1] + b[1]) / 2, { steps: 3 });
    await p.mouse.move(q.x + b[0], q.y + b[1], { steps: 3 });
    await p.mouse.up();
  };

  // Escape cancels a selection.
  await page.keyboard.press('a');
  assert.equal(await page.getAttribute('.board-page', 'data-tool'), 'select');
  await drag(page, [150, 250], [450, 350]);
  await page.waitForSelector('#selection:not([hidden])');
  await page.waitForSelector('#export-panel:not([hidden])');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#selection', { state: 'hidden' });
  assert.equal(await page.isVisible('#export-panel'), false);
  assert.equal(await inkAt(page, 300, 300) > 0, true, 'selecting erased nothing');
  assert.equal(await strokeCount(page), strokes, 'selecting drew nothing');

  // Too big: 1,100 screen pixels wide at 4× is 4,400 px, over the server's 4,096 a side.
  await drag(page, [50, 50], [1150, 450]);
  await page.click('button.scale[data-scale="4"]');
  await page.waitForSelector('#export-panel .export-msg.error');
  assert.match((await page.textContent('#export-panel .export-msg')) ?? '', /Too big.*4096 px a side/);
  assert.equal(await page.isDisabled('#export-area'), true);
  assert.equal(await page.textContent('.selection-size'), '4400 × 1600 px');

  // The area around the stroke at 2×: 300 × 100 screen (= world) units → 600 × 200 px.
  await page.keyboard.press('Escape');
  await drag(page, [150, 250], [450, 350]);
  await page.click('button.scale[data-scale="2"]');
  await page.waitForFunction(() => document.querySelector('.selection-size')?.textContent === '600 × 200 px');
  const box = (await page.locator('#selection').boundingBox())!;
  assert.deepEqual([Math.round(box.x - o.x), Math.round(box.y - o.y), Math.round(box.width), Math.round(box.height)], [150, 250, 300, 100], 'the outline sits on the dragged rectangle');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-area')]);
  assert.equal(download.suggestedFilename(), 'Area_export.png');
  const png = decodePng(readFileSync((await download.path())!));
  assert.deepEqual([png.width, png.height], [600, 200], 'selection × scale');
  // The stroke runs through world y = 300 + v.y from x = 200 + v.x to 400 + v.x; the area starts at (150, 250)
  // on screen, so in the picture at 2×: y = 100, x from 100 to 500.
  const inked = (x: number, y: number) => {
    const [r, g, b, a] = png.at(x, y);
    return a > 200 && r < 80 && g < 80 && b < 80;
  };
  for (const x of [110, 200, 300, 400, 490]) assert.ok(inked(x, 100), `stroke pixel at (${x}, 100): ${png.at(x, 100)}`);
  assert.ok(!inked(300, 90) && !inked(300, 110), 'the 4-unit stroke is 8 px thick at 2×');
  for (const [x, y] of [[300, 30], [300, 170], [40, 100], [570, 100], [5, 5], [595, 195]]) {
    assert.equal(png.at(x, y)[3], 0, `transparent beside the stroke at (${x}, ${y})`);
  }
  await page.waitForSelector('#selection', { state: 'hidden' });
  assert.equal(await page.getAttribute('#stage', 'data-export'), 'done');

  // A viewer has the tool too (read-only UI) and gets the same picture at 1×.
  const link = await shareLink(page, roomId, 'viewer');
  const guest = await newPage(1, { width: 1280, height: 800 });
  await openLink(guest, link, 'Vera');
  assert.equal(await guest.isVisible('button[data-tool="select"]'), true);
  assert.equal(await guest.isVisible('button[data-tool="pen"]'), false);
  await waitInk(guest, 300, 300);
  const guestStrokes = await strokeCount(guest);
  await guest.keyboard.press('a');
  await drag(guest, [150, 250], [450, 350]);
  const [gd] = await Promise.all([guest.waitForEvent('download'), guest.click('#export-area')]);
  const gp = decodePng(readFileSync((await gd.path())!));
  assert.deepEqual([gp.width, gp.height], [300, 100]);
  assert.ok(gp.at(150, 50)[3] > 200 && gp.at(150, 15)[3] === 0);
  await waitInk(guest, 300, 300); // and nothing was drawn or erased
  assert.equal(await strokeCount(guest), guestStrokes);
  if (process.env.WEB_E2E_SELECTION_PNG) {
    await guest.keyboard.press('a');
    await drag(guest, [150, 250], [450, 350]);
    await guest.screenshot({ path: process.env.WEB_E2E_SELECTION_PNG });
  }
});

// ---- a large seeded board, far out
const DRAWINGS = process.env.INFIDRAW_DRAWINGS ?? join(ROOT, '..', 'shared', 'data', 'strokes', 'raw');
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

interface TilesJson { headSeq?: number; tiles?: { coord?: { x?: number; y?: number }; snapshot?: { key: string }; strokes?: unknown[]; pending?: boolean }[] }

/** The stage's last drawn view: world x, y of the top-left corner and zoom. */
async function drawnView(page: Page): Promise<{ x: number; y: number; z: number }> {
  const [x, y, z] = ((await page.getAttribute('#stage', 'data-view')) ?? '0,0,1').split(',').map(Number);
  return { x, y, z };
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
  const owner = await newPage(1, viewport);
  await signup(owner, 'Sam');
  const roomId = await createBoard(owner, 'Large board');
  const t0 = Date.now();
  const out = execFileSync(seedBinary(), ['-room', roomId, '-strokes', String(SEED_STROKES), '-spread', String(SEED_SPREAD), '-drawings', DRAWINGS],
    { env: { ...process.env, DATABASE_URL: DB }, encoding: 'utf8' });
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
  await owner.waitForFunction(async ([roomId, q]) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/tiles?${q}&format=json`)).json()) as TilesJson;
    return !!j.tiles?.length && j.tiles.every((t) => t.snapshot && !t.strokes?.length && !t.pending);
  }, [roomId, q] as const, { timeout: 240_000, polling: 1000 });
  // And the owner's own screen (tiles answered pending are asked for again until their snapshots exist).
  await owner.waitForSelector(`#stage[data-drawn-level="${level}"][data-filled="true"][data-tiles-awaiting="0"]`, { timeout: 240_000 });
  console.log(`# far-out snapshots at level ${level} ready ${Date.now() - t1} ms after the first read`);

  // The measurement: a fresh context (empty HTTP cache), same session, 1280×800, DPR 1.
  const page = await newPage(1, viewport, await owner.context().storageState());
  const reqs: { url: string; level: number; at: number; bytes: Promise<number> }[] = [];
  page.on('response', (r) => {
    const u = r.url();
    const png = /\/tiles\/(\d+)\/-?\d+\/-?\d+\/\d+\.png$/.exec(u);
    const list = /\/tiles\?level=(\d+)/.exec(u);
    if (!png && !list) return;
    reqs.push({ url: u, level: Number((png ?? list)![1]), at: Date.now(), bytes: r.request().sizes().then((z) => z.responseBodySize, () => r.body().then((b) => b.length, () => -1)) });
  });
  await page.goto(`${stack.origin}/b/${roomId}`);
  await online(page);
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

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
});

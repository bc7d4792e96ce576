// Browser tests: interest management (issue 17). Two people far apart on one board each get only what touches their
// own area over the WebSocket (strokes and cursors), and each sees the other's strokes after panning there: read from
// tiles, since none of them came as events. In a crowded room viewers are counted, not listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  allSent, browserSuite, createBoard, drawnView, events, openBoard, openLink, opt, shareLink, sharedBoard, signup, stroke, strokeCount, waitInPage,
  waitPicture, waitStrokes, type Expected,
} from './browser.ts';

// Two people listed make the room crowded: viewers who join then are counted.
const suite = browserSuite({ crowdSize: 2 });
let shared: { roomId: string; ann: Page } | undefined;

/** Ben works this far (world units) right of and below Ann. */
const FAR = 200_000;

/** Two animation frames: the board drew what the input before this call changed (data-view is the last frame's). */
async function frames(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

/** Drags the view with the hand tool by CSS pixels, in moves of at most 250 px from the stage's centre. */
async function dragBy(page: Page, dx: number, dy: number): Promise<void> {
  const box = (await page.locator('#board-canvas').boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  while (Math.abs(dx) >= 1 || Math.abs(dy) >= 1) {
    const sx = Math.max(-250, Math.min(250, Math.round(dx)));
    const sy = Math.max(-250, Math.min(250, Math.round(dy)));
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + sx, cy + sy, { steps: 5 });
    await page.mouse.up();
    dx -= sx;
    dy -= sy;
    if (sx === 0 && sy === 0) break;
  }
  await frames(page);
}

/**
 * Pans the board so that its top-left corner shows world (wx, wy) at 100 %, as a person would: zoomed far out (a
 * coarse level, where the server sends tile notices instead of events), dragged there, zoomed back to 100 % around
 * the centre and dragged the rest of the way. Ends with the pen.
 */
async function panTo(page: Page, wx: number, wy: number): Promise<void> {
  await page.keyboard.press('h');
  for (let i = 0; i < 31; i++) await page.keyboard.press('-'); // 1.25^-31: about 0.1 %, level 9
  await frames(page);
  const box = (await page.locator('#board-canvas').boundingBox())!;
  const [hw, hh] = [box.width / 2, box.height / 2];
  // The centre goes where zooming back around it puts the corner at (wx, wy).
  let v = await drawnView(page);
  await dragBy(page, (v.x + hw / v.z - (wx + hw)) * v.z, (v.y + hh / v.z - (wy + hh)) * v.z);
  await page.keyboard.press('0');
  await frames(page);
  v = await drawnView(page);
  assert.equal(v.z, 1);
  await dragBy(page, v.x - wx, v.y - wy);
  v = await drawnView(page);
  assert.ok(Math.abs(v.x - wx) < 1 && Math.abs(v.y - wy) < 1, `panned to ${v.x}, ${v.y}, not ${wx}, ${wy}`);
  await page.keyboard.press('p');
}

/** Waits until the server acknowledged a view at level 0 holding the world point (#stage data-watch). */
async function watches(page: Page, wx: number, wy: number): Promise<void> {
  try {
    await page.waitForFunction(([x, y]) => {
      const m = /^0:(-?\d+),(-?\d+),(-?\d+),(-?\d+)@\d+$/.exec(document.querySelector('#stage')?.getAttribute('data-watch') ?? '');
      return !!m && Number(m[1]) <= x && x <= Number(m[3]) && Number(m[2]) <= y && y <= Number(m[4]);
    }, [wx * 100, wy * 100] as const, { timeout: 20_000 });
  } catch (e) {
    const watch = await page.getAttribute('#stage', 'data-watch');
    throw new Error(`no view holding (${wx}, ${wy}) acknowledged: data-watch="${watch}"${watch === 'all' ? ' (realtime-go refused SetView: no interest management)' : ''}`, { cause: e });
  }
}

/** Waits until the page applied everything up to `seq` (its events, or the server saying none of them touch its view). */
async function caughtUp(page: Page, seq: number): Promise<void> {
  await page.waitForFunction((seq) => Number(document.querySelector('#stage')?.getAttribute('data-last-seq')) >= seq, seq, { timeout: 20_000 });
}

/** Canvas points along a horizontal line at world y from world x0 to x1 (the page's view at 100 %), all inked. */
async function inkedLine(page: Page, x0: number, x1: number, y: number): Promise<Expected[]> {
  const v = await drawnView(page);
  return [0.2, 0.5, 0.8].map((f) => [x0 + (x1 - x0) * f - v.x, y - v.y, true]);
}

/** A line from world x 60 to 260 at world y (the view's corner at world (-40, -40) or as far from it), acknowledged. */
async function line(page: Page, y: number): Promise<void> {
  await stroke(page, [[100, y + 40], [200, y + 40], [300, y + 40]]);
  await allSent(page);
}

/** Waits until a number in a #stage data attribute is at least `n`. */
async function atLeast(page: Page, attribute: string, n: number): Promise<void> {
  await page.waitForFunction(([a, n]) => Number(document.querySelector('#stage')?.getAttribute(a)) >= n, [attribute, n] as const, { timeout: 20_000 });
}

/** The room's last event's seq. */
async function head(page: Page, roomId: string): Promise<number> {
  return (await events(page, roomId)).at(-1)?.seq ?? 0;
}

test('two people far apart: each gets only its own area live, and sees the other\'s strokes after panning there', opt, async () => {
  const ann = await suite.newPage();
  const ben = await suite.newPage();
  const roomId = await sharedBoard(ann, ben, ['Ann', 'Ben'], 'Far apart');
  // Ann at the origin (the board opens with world (-40, -40) top left), Ben 200,000 px right and down.
  await watches(ann, 0, 0);
  await panTo(ben, FAR - 40, FAR - 40);
  await watches(ben, FAR, FAR);

  // Each draws twice in turn in their own area: lines at world y 60 and 160 (Ann), 110 and 210 (Ben).
  await line(ann, 60);
  await line(ben, 110);
  await line(ann, 160);
  await line(ben, 210);
  const last = await head(ann, roomId);
  assert.equal(last, 4);
  // Events come in order: Ann got her second stroke (3), so Ben's first (2) would have come before it; Ben got his
  // second (4), after Ann's second.
  await caughtUp(ann, 3);
  await caughtUp(ben, 4);
  assert.equal(await strokeCount(ann), 2, 'Ann got her own strokes only');
  assert.equal(await strokeCount(ben), 2, 'Ben got his own strokes only');
  // (Ben's pointer did pass over Ann's area, zoomed out, on his way.)
  assert.equal(await ben.locator('.cursor').count(), 0, 'Ann\'s pointer, far away, never reached Ben');

  // Ann pans to Ben's area: his strokes show, read from tiles (no event of them came).
  const requests = async (p: Page) => Number(await p.getAttribute('#stage', 'data-tile-requests'));
  const annBefore = await requests(ann);
  await panTo(ann, FAR - 40, FAR - 40);
  await watches(ann, FAR, FAR);
  await ann.waitForSelector('#stage[data-filled="true"]', { timeout: 20_000 });
  await waitPicture(ann, [...await inkedLine(ann, FAR + 60, FAR + 260, FAR + 110), ...await inkedLine(ann, FAR + 60, FAR + 260, FAR + 210)], 'Ben\'s strokes on Ann\'s screen');
  assert.equal(await strokeCount(ann), 2);
  console.log(`# Ann's pan there (through level 9 and back): ${await requests(ann) - annBefore} tiles requests, ${await ann.getAttribute('#stage', 'data-tiles-stale')} stale tiles held`);
  // Now Ann is where Ben draws: his next stroke comes to her live.
  await line(ben, 310);
  await waitStrokes(ann, 3);
  await waitPicture(ann, await inkedLine(ann, FAR + 60, FAR + 260, FAR + 310), 'Ben\'s stroke after Ann came');

  // Ben pans to the origin: the tiles he had there went stale when he left (Ann drew there since); read again.
  const benBefore = await requests(ben);
  await panTo(ben, -40, -40);
  await watches(ben, 0, 0);
  await ben.waitForSelector('#stage[data-filled="true"]', { timeout: 20_000 });
  await waitPicture(ben, [...await inkedLine(ben, 60, 260, 60), ...await inkedLine(ben, 60, 260, 160)], 'Ann\'s strokes on Ben\'s screen');
  assert.equal(await strokeCount(ben), 3, 'Ben got no event of Ann\'s strokes');
  console.log(`# Ben's pan back: ${await requests(ben) - benBefore} tiles requests, ${await ben.getAttribute('#stage', 'data-tiles-stale')} stale tiles held`);
  shared = { roomId, ann };
});

test('in a crowded room a viewer who joins is counted, not listed: "1 watching"', opt, async () => {
  assert.ok(shared, 'the board of the first test');
  const { roomId, ann } = shared;
  const link = await shareLink(ann, roomId, 'viewer');
  await openBoard(ann, roomId);
  const listed = Number(await ann.getAttribute('#presence', 'data-count'));
  assert.equal(await ann.locator('#presence .watching').count(), 0);
  const vic = await suite.newPage();
  await openLink(vic, link, 'Vic');
  await ann.waitForSelector('#presence[data-watching="1"] .watching:text("1 watching")', { timeout: 20_000 });
  assert.equal(Number(await ann.getAttribute('#presence', 'data-count')), listed, 'Vic is not listed');
  await vic.close();
  await ann.waitForSelector('#presence[data-watching="0"]', { timeout: 20_000 });
  assert.equal(await ann.locator('#presence .watching').count(), 0);
});

test('zoomed out to a coarse level, a stroke in view comes as a tile notice; the tiles of every level under it are read again', opt, async () => {
  const cat = await suite.newPage();
  const dan = await suite.newPage();
  await sharedBoard(cat, dan, ['Cat', 'Dan'], 'Coarse');
  await watches(cat, 0, 0);
  await cat.waitForSelector('#stage[data-filled="true"][data-tile-strokes="0"]', { timeout: 20_000 }); // level 0, empty
  // 13 × '−' around the centre: zoom 1.25^-13 ≈ 1/18, level 4, where the server sends notices instead of events.
  for (let i = 0; i < 13; i++) await cat.keyboard.press('-');
  await cat.waitForSelector('#stage[data-watch^="4:"][data-level="4"][data-filled="true"]', { timeout: 20_000 });

  await line(dan, 60);
  await atLeast(cat, 'data-tiles-changed', 1);
  await cat.waitForSelector('#stage[data-tile-strokes="1"][data-filled="true"]', { timeout: 20_000 }); // its level-4 tile read again
  assert.equal(await strokeCount(cat), 0, 'the stroke came as a notice, not as an event');
  // Back at 100 %: the level-0 tiles held from before went stale with the notice, and are read again.
  await cat.keyboard.press('0');
  await watches(cat, 0, 0);
  await cat.waitForSelector('#stage[data-level="0"][data-filled="true"]', { timeout: 20_000 });
  await atLeast(cat, 'data-tile-strokes', 1); // in the two tiles it crosses
  assert.equal(await strokeCount(cat), 0);
  await waitPicture(cat, await inkedLine(cat, 60, 260, 60), 'Dan\'s stroke on Cat\'s screen');
});

test('a stroke erased, then brought back by an undo made far away, shows when its author comes back', opt, async () => {
  const eve = await suite.newPage();
  await signup(eve, 'Eve');
  const roomId = await createBoard(eve, 'Undo from afar');
  await watches(eve, 0, 0);
  await line(eve, 60);
  const drawn = await inkedLine(eve, 60, 260, 60);
  await waitPicture(eve, drawn, 'the line');
  await eve.keyboard.press('e');
  await stroke(eve, [[200, 60], [200, 100], [200, 140]]);
  await waitPicture(eve, drawn.map(([x, y]) => [x, y, false]), 'the line erased');
  const kinds = async (n: number) => waitInPage(eve, `${n} events`, async ([roomId, n]) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/events?format=json&limit=100`)).json()) as { events: unknown[] };
    return j.events.length >= n;
  }, [roomId, n] as const);
  await kinds(2); // the stroke and its erase
  // Far away, Ctrl+Z undoes the erase: its restore touches the line's area, which Eve's view no longer does.
  await panTo(eve, FAR - 40, FAR - 40);
  await watches(eve, FAR, FAR);
  await eve.keyboard.press('Control+z');
  await kinds(3);
  await panTo(eve, -40, -40);
  await watches(eve, 0, 0);
  await waitPicture(eve, await inkedLine(eve, 60, 260, 60), 'the line back, read from tiles');
});

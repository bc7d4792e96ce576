// Browser tests: touch. Two fingers pan and pinch-zoom (whatever the tool; a stroke the first finger began is
// cancelled), one finger pans with the hand tool; neither draws anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  allSent, browserSuite, createBoard, drawnView, inkAt, opt, origin, signup, storedStrokes, stroke, waitInk,
} from './browser.ts';

const suite = browserSuite();

type TouchType = 'touchStart' | 'touchMove' | 'touchEnd';

/**
 * Fingers on the canvas through CDP, in one session (it keeps the touches down): each call gives every touch point
 * down now, canvas-relative CSS; touchEnd with none lifts them all.
 */
async function fingers(page: Page): Promise<(type: TouchType, points: [number, number][]) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  const o = await origin(page);
  return async (type, points) => {
    await cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y], id) => ({ x: o.x + x, y: o.y + y, id })) });
  };
}

/** Waits until the drawn view is (x, y, z), to a millionth. */
async function waitView(page: Page, want: { x: number; y: number; z: number }): Promise<void> {
  await page.waitForFunction((w) => {
    const [x, y, z] = (document.querySelector('#stage')?.getAttribute('data-view') ?? '').split(',').map(Number);
    return Math.abs(x - w.x) < 1e-6 && Math.abs(y - w.y) < 1e-6 && Math.abs(z - w.z) < 1e-9;
  }, want, { timeout: 10_000 }).catch(async (e: unknown) => {
    throw new Error(`view ${JSON.stringify(await drawnView(page))}, expected ${JSON.stringify(want)}`, { cause: e });
  });
}

test('two fingers pan and pinch-zoom around their midpoint; one finger pans with the hand; nothing is drawn', opt, async () => {
  const page = await suite.newPage({ hasTouch: true });
  await signup(page, 'Tom');
  const roomId = await createBoard(page, 'Touch');
  await stroke(page, [[480, 200], [500, 200], [520, 200]]); // a mark to find after the gesture
  await allSent(page);
  const v0 = await drawnView(page);
  assert.equal(v0.z, 1);

  const touch = await fingers(page);
  // The first finger begins a stroke (the pen is the tool), the second one turns the gesture into a pinch: their
  // midpoint (420, 400) moves to (470, 430), and they spread from 200 to 400 px apart.
  await touch('touchStart', [[300, 400]]);
  await touch('touchMove', [[320, 400]]);
  await touch('touchStart', [[320, 400], [520, 400]]);
  await touch('touchMove', [[370, 430], [570, 430]]);
  await touch('touchMove', [[270, 430], [670, 430]]);
  await touch('touchEnd', []);
  // Twice the zoom, and the world point that was under the fingers' midpoint is under it again.
  const [wx, wy] = [v0.x + 420, v0.y + 400];
  const v1 = { x: wx - 470 / 2, y: wy - 430 / 2, z: 2 };
  await waitView(page, v1);
  // The mark is where the new view puts it, twice as long.
  const screen = (x: number, y: number): [number, number] => [(v0.x + x - v1.x) * 2, (v0.y + y - v1.y) * 2];
  for (const x of [485, 500, 515]) await waitInk(page, ...screen(x, 200));
  assert.equal(await inkAt(page, ...screen(310, 400)), 0, 'the stroke the first finger began is gone');

  // The hand: one finger drags the view by whole device pixels (100, 50 CSS px at 200 %: 50, 25 world units).
  await page.keyboard.press('h');
  await touch('touchStart', [[500, 300]]);
  await touch('touchMove', [[450, 275]]);
  await touch('touchMove', [[400, 250]]);
  await touch('touchEnd', []);
  await waitView(page, { x: v1.x + 50, y: v1.y + 25, z: 2 });

  // A barrier: a stroke drawn now is stored after anything the fingers could have committed.
  await page.keyboard.press('p');
  await stroke(page, [[100, 450], [200, 450]]);
  await allSent(page);
  assert.equal((await storedStrokes(page, roomId)).length, 2, 'the mark and the barrier: the fingers drew nothing');
});

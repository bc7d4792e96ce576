// Browser test: exporting a dragged area as a PNG rendered by the server, and its limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { decodePng } from '../../gateway-ts/test/png.ts';
import {
  allSent, browserSuite, createBoard, drawnView, inkAt, openLink, opt, origin, shareLink, signup, stroke, strokeCount, waitInk, waitStrokes,
} from './browser.ts';

const suite = browserSuite();
const viewport = { width: 1280, height: 800 };

/** A drag with the mouse between two canvas-relative CSS points. */
async function drag(p: Page, a: [number, number], b: [number, number]): Promise<void> {
  const q = await origin(p);
  await p.mouse.move(q.x + a[0], q.y + a[1]);
  await p.mouse.down();
  await p.mouse.move(q.x + (a[0] + b[0]) / 2, q.y + (a[1] + b[1]) / 2, { steps: 3 });
  await p.mouse.move(q.x + b[0], q.y + b[1], { steps: 3 });
  await p.mouse.up();
}

test('export an area: drag a rectangle, get exactly that world rectangle as a PNG at 2×; a viewer may export too', opt, async () => {
  const page = await suite.newPage({ viewport });
  await signup(page, 'Xena');
  const roomId = await createBoard(page, 'Area export');
  // A horizontal stroke (4 px at 100 %), committed: the export is rendered by the server from the stored strokes.
  await stroke(page, [[200, 300], [300, 300], [400, 300]]);
  await allSent(page);
  await waitStrokes(page, 1);
  const strokes = await strokeCount(page);
  const v = await drawnView(page);
  assert.equal(v.z, 1);
  const o = await origin(page);

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
  const guest = await suite.newPage({ viewport });
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

// Browser tests: how ink looks. The highlighter is one translucent path over what is under it, as the server renders
// it; a pen's pressure makes the stroke wider where it is pressed harder, and the pressures are stored with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { decodePng } from '../../gateway-ts/test/png.ts';
import {
  allSent, browserSuite, createBoard, drawnView, online, origin, opt, pixel, signup, storedStrokes, stroke, waitInk, waitStrokes,
} from './browser.ts';

const suite = browserSuite();

type Rgba = [number, number, number, number];

function near(got: Rgba, want: Rgba, tolerance: number, what: string): void {
  assert.ok(got.every((v, i) => Math.abs(v - want[i]) <= tolerance), `${what}: ${got} is not within ${tolerance} of ${want.map(Math.round)}`);
}

test('the highlighter is one translucent path over the ink under it, and the server renders it the same', opt, async () => {
  const page = await suite.newPage();
  await signup(page, 'Hana');
  const roomId = await createBoard(page, 'Highlighter');
  await stroke(page, [[300, 150], [300, 250], [300, 350]]); // the pen: #1e1e1e, 4 wide
  await page.keyboard.press('i');
  await page.click('button.swatch[data-colour="#1971c2"]');
  // 4 px × 4 = 16 wide: along y = 250 and back along y = 262, so the two passes overlap between y = 254 and 258.
  await stroke(page, [[200, 250], [450, 250], [450, 262], [200, 262]]);
  await allSent(page);
  await waitStrokes(page, 2);

  const only = await pixel(page, 380, 245); // the highlighter alone
  const twice = await pixel(page, 380, 256); // where its two passes overlap
  const over = await pixel(page, 300, 245); // over the pen stroke
  const pen = await pixel(page, 300, 300);
  const alpha = only[3] / 255;
  near(only, [0x19, 0x71, 0xc2, 0x60], 3, 'translucent blue (alpha 0x60)');
  near(twice, only, 2, 'a stroke crossing itself is not darker: one path, filled once');
  near(pen, [0x1e, 0x1e, 0x1e, 255], 2, 'the pen under it');
  near(over, [0, 1, 2].map((i) => alpha * only[i] + (1 - alpha) * pen[i]).concat(255) as Rgba, 4, 'the pen shows through the highlighter');

  // The same world points in the server's rendering of the area (export.png at 1×: one pixel per world unit).
  const v = await drawnView(page);
  assert.equal(v.z, 1);
  const [x0, y0] = [150, 150]; // the area's top-left corner on screen
  const q = `minX=${(v.x + x0) * 100}&minY=${(v.y + y0) * 100}&maxX=${(v.x + 500) * 100}&maxY=${(v.y + 350) * 100}&width=350`;
  const res = await page.request.get(`${suite.stack.origin}/api/rooms/${roomId}/export.png?${q}`);
  assert.equal(res.status(), 200);
  const png = decodePng(await res.body());
  const server = (sx: number, sy: number) => png.at(sx - x0, sy - y0) as Rgba;
  near(server(380, 245), only, 6, 'the server\'s highlighter');
  near(server(380, 256), only, 6, 'the server\'s highlighter where it crosses itself');
  near(server(300, 245), over, 6, 'the server\'s highlighter over the pen');
  near(server(300, 300), pen, 6, 'the server\'s pen');
  assert.equal(server(380, 300)[3], 0, 'nothing beside');
});

/** A stroke drawn with a pen through CDP: canvas-relative CSS points, each with the pen's pressure (0..1). */
async function penStroke(page: Page, points: [number, number, number][]): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const o = await origin(page);
  const at = ([x, y]: [number, number, number]) => ({ x: o.x + x, y: o.y + y, pointerType: 'pen' as const });
  await cdp.send('Input.dispatchMouseEvent', { type: 'mouseMoved', ...at(points[0]) });
  await cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', ...at(points[0]), button: 'left', buttons: 1, clickCount: 1, force: points[0][2] });
  for (const p of points.slice(1)) await cdp.send('Input.dispatchMouseEvent', { type: 'mouseMoved', ...at(p), button: 'left', buttons: 1, force: p[2] });
  const last = points[points.length - 1];
  await cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', ...at(last), button: 'left', buttons: 0, clickCount: 1 });
  await cdp.detach();
}

/** How many pixels of the column at x, between y0 and y1, are mostly inked. */
async function thickness(page: Page, x: number, y0: number, y1: number): Promise<number> {
  let n = 0;
  for (let y = y0; y <= y1; y++) if ((await pixel(page, x, y))[3] > 127) n++;
  return n;
}

test('a pen\'s pressure is stored with its stroke and makes the ink wider where it pressed harder', opt, async () => {
  const page = await suite.newPage();
  await signup(page, 'Petra');
  const roomId = await createBoard(page, 'Pressure');
  await page.click('button.width[data-width="16"]');
  // Light (0.1) on the left half, full (1.0) on the right: pen factors 0.5 + 26/255 and 0.5 + 255/255.
  const points: [number, number, number][] = [];
  for (let x = 150; x <= 650; x += 10) points.push([x, 300, x < 400 ? 0.1 : 1]);
  await penStroke(page, points);
  await allSent(page);
  await waitStrokes(page, 1);

  const [s] = await storedStrokes(page, roomId);
  const n = (s.points?.length ?? 0) / 2;
  assert.equal(s.pressures?.length, n, 'a pressure per point');
  const absolute = s.pressures!.reduce<number[]>((acc, d) => [...acc, (acc[acc.length - 1] ?? 0) + d], []);
  assert.equal(absolute[0], 26, 'the first point, pressed lightly');
  assert.equal(absolute[n - 1], 255, 'the last point, pressed fully');

  const measure = async () => [await thickness(page, 250, 270, 330), await thickness(page, 550, 270, 330)];
  const [light, hard] = await measure();
  assert.ok(Math.abs(light - 16 * (0.5 + 26 / 255)) <= 2, `light pressure: ${light} px for 16 × 0.6`);
  assert.ok(Math.abs(hard - 16 * 1.5) <= 2, `full pressure: ${hard} px for 16 × 1.5`);
  // The stored stroke draws the same after a reload (from the server's answer, not from what was drawn here).
  await page.reload();
  await online(page);
  await waitInk(page, 550, 300);
  assert.deepEqual(await measure(), [light, hard]);

  // A mouse has no pressure: a stroke drawn with it stores none and is as wide all along.
  await stroke(page, [[150, 500], [400, 500], [650, 500]]);
  await allSent(page);
  const mouse = (await storedStrokes(page, roomId))[1];
  assert.deepEqual(mouse.pressures ?? [], []);
  assert.equal(await thickness(page, 250, 470, 530), await thickness(page, 550, 470, 530));
});

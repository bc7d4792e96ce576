import { test } from 'node:test';
import assert from 'node:assert/strict';
import { View, MAX_ZOOM, MIN_ZOOM, wheelZoomFactor, zoomLabel } from '../src/board/view.ts';
import { fromQuantized, TOOL_PEN } from '../src/geometry.ts';

function view(x = -40, y = -40, z = 1, dpr = 1): View {
  const v = new View();
  v.resize(1000, 700, dpr);
  Object.assign(v, { x, y, z });
  return v;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

test('zooming keeps the world point under the pointer where it is', () => {
  for (const [z, sx, sy] of [[2, 300, 200], [0.37, 0, 0], [5, 999, 699], [1 / 1024, 512, 10]]) {
    const v = view(123.5, -987.25, 1.7);
    const [wx, wy] = v.toWorld(sx, sy);
    v.zoomTo(z, sx, sy);
    assert.equal(v.z, z);
    const [ax, ay] = v.toWorld(sx, sy);
    close(ax, wx, `x after zoom to ${z}`);
    close(ay, wy, `y after zoom to ${z}`);
  }
  const v = view(-40, -40, 1);
  v.zoomTo(2, 300, 200); // (260, 160) stays under (300, 200)
  assert.deepEqual([v.x, v.y, v.z], [110, 60, 2]);
  v.zoomBy(0.5); // around the centre (500, 350)
  assert.deepEqual(v.toScreen(110 + 250, 60 + 175), [500, 350]);
});

test('zoom is clamped to MIN_ZOOM … MAX_ZOOM, still around the pointer', () => {
  const v = view();
  const [wx, wy] = v.toWorld(100, 100);
  v.zoomTo(1e6, 100, 100);
  assert.equal(v.z, MAX_ZOOM);
  v.zoomTo(1e-12, 100, 100);
  assert.equal(v.z, MIN_ZOOM);
  const [ax, ay] = v.toWorld(100, 100);
  close(ax, wx, 'x');
  close(ay, wy, 'y');
});

test('a drag moves the view by whole device pixels from where it began', () => {
  for (const [z, dpr] of [[1, 1], [1.5, 2], [0.3, 1.25], [7.1, 3]]) {
    const v = view(10.5, -3.25, z, dpr);
    const start = v.dragStart(400, 300);
    for (const [px, py] of [[410.3, 300], [401.7, 290.1], [123.45, 678.9], [400, 300]]) {
      v.dragTo(start, px, py);
      const dx = (start.vx - v.x) * v.z * dpr;
      const dy = (start.vy - v.y) * v.z * dpr;
      close(dx, Math.round(dx), `device pixels x at z ${z} dpr ${dpr}`);
      close(dy, Math.round(dy), `device pixels y at z ${z} dpr ${dpr}`);
      assert.ok(Math.abs(dx - (px - 400) * dpr) <= 0.5 + 1e-9, 'follows the pointer within half a device pixel');
      assert.ok(Math.abs(dy - (py - 300) * dpr) <= 0.5 + 1e-9, 'follows the pointer within half a device pixel');
    }
  }
  const v = view(0, 0, 2, 2);
  v.dragTo(v.dragStart(100, 100), 110.3, 100); // 20.6 device pixels → 21 → 21 / 2 / 2 world units
  assert.equal(v.x, -5.25);
});

test('a pinch follows the midpoint of the fingers and zooms by how far they spread', () => {
  const v = view(0, 0, 1);
  const from = { d: 100, cx: 400, cy: 300 };
  const [wx, wy] = v.toWorld(from.cx, from.cy);
  const to = { d: 250, cx: 430, cy: 280 };
  v.pinch(from, to);
  close(v.z, 2.5, 'zoom');
  const [ax, ay] = v.toWorld(to.cx, to.cy);
  close(ax, wx, 'the world point under the fingers stays under them: x');
  close(ay, wy, 'y');
  v.pinch({ d: 0, cx: 430, cy: 280 }, { d: 50, cx: 430, cy: 290 });
  close(v.z, 2.5, 'no zoom from a zero distance');
});

test('level and visible tiles follow the zoom and the device pixel ratio', () => {
  const v = view(-40, -40, 1, 1);
  assert.equal(v.level(), 0);
  assert.deepEqual(v.visibleTiles(0), { x0: -1, y0: -1, x1: 3, y1: 2 }); // world -40 … 960 × -40 … 660, 256 a tile
  v.z = 1 / 4;
  assert.equal(v.level(), 2);
  assert.deepEqual(v.visibleTiles(2), { x0: -1, y0: -1, x1: 3, y1: 2 }); // 4000 × 2800 world units, 1024 a tile
  v.resize(1000, 700, 2);
  assert.equal(v.level(), 1, 'twice the device pixels: one level finer');
  v.z = 8;
  assert.equal(v.level(), 0, 'never finer than level 0');
  assert.deepEqual(v.mapping(), { ox: -40, oy: -40, scale: 16 });
});

test('a stroke is visible when its ink, not only its centre line, reaches the stage', () => {
  const v = view(0, 0, 1);
  const at = (x: number, w: number) => fromQuantized(TOOL_PEN, 255, w * 100, [x * 100, 100, x * 100, 200], null);
  assert.equal(v.sees(at(500, 4)), true);
  assert.equal(v.sees(at(1003, 4)), true, '3 units right of the edge, reach 0.75 × 4 + 1 = 4');
  assert.equal(v.sees(at(1005, 4)), false);
  assert.equal(v.sees(at(-10, 20)), true);
  assert.equal(v.sees(at(-17, 20)), false);
});

test('wheel: lines count 16 pixels, a touchpad pinch (ctrl) zooms faster, Shift scrolls sideways', () => {
  close(wheelZoomFactor(-100, 0, false), Math.exp(0.15), 'wheel up zooms in');
  close(wheelZoomFactor(3, 1, false), wheelZoomFactor(48, 0, false), 'three lines are 48 pixels');
  assert.ok(wheelZoomFactor(10, 0, true) < wheelZoomFactor(10, 0, false));
  const v = view(0, 0, 2);
  v.scrollX(100);
  assert.equal(v.x, 50);
});

test('the zoom label', () => {
  assert.equal(zoomLabel(1), '100\u00a0%');
  assert.equal(zoomLabel(0.125), '13\u00a0%');
  assert.equal(zoomLabel(0.0123), '1.2\u00a0%');
  assert.equal(zoomLabel(16), '1600\u00a0%');
});

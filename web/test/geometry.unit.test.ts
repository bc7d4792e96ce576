import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  centreLine, decodeStroke, drawStroke, encodePoints, decodeQuantized, hitStroke, levelFor, pieceMeans, penFactor,
  pixelWidth, tileOf, hexToRgba, rgbaToHex, deltaEncode, decodePressures, TOOL_PEN, TOOL_HIGHLIGHTER, TOOL_PIXEL_ERASER,
  MAX_COORD, MAX_PATH_TILES, MAX_POINTS, MAX_TILES_PER_STROKE, StrokeBudget, TILE_PX, COORD_SCALE, type Ctx,
} from '../src/geometry.ts';

test('points round-trip through delta + quantum encoding', () => {
  const abs = [2000, 12800, 2100, 12800, 2100, 13000, -500, -700];
  const { quantum, points } = encodePoints(abs);
  assert.equal(quantum, 100);
  assert.deepEqual(points, [20, 128, 1, 0, 0, 2, -26, -137]);
  assert.deepEqual(decodeQuantized(quantum, points), abs);
  assert.deepEqual(encodePoints([0, 0, 0, 0]), { quantum: 1, points: [0, 0, 0, 0] });
  assert.deepEqual(decodeQuantized(0, [3, 4, 1, 1]), [3, 4, 4, 5]);
});

test('pressures are running sums', () => {
  assert.deepEqual(decodePressures([100, 50, -150]), [100, 150, 0]);
  assert.deepEqual(deltaEncode([100, 150, 0], 1), [100, 50, -150]);
});

test('decodeStroke gives world units and a bounding box', () => {
  const s = decodeStroke({ tool: TOOL_PEN, rgba: 0xff0000ff, width: 400, quantum: 100, points: [20, 128, 216, 0], pressures: [] });
  assert.deepEqual(s.xs, [20, 236]);
  assert.deepEqual(s.ys, [128, 128]);
  assert.equal(s.width, 4);
  assert.equal(s.ps, null);
  assert.deepEqual([s.minX, s.minY, s.maxX, s.maxY], [20, 128, 236, 128]);
});

test('centre line: quadratics through midpoints, then a line to the last point', () => {
  assert.deepEqual(centreLine([0, 10], [0, 0]), [{ x0: 0, y0: 0, x1: 10, y1: 0 }]);
  assert.deepEqual(centreLine([0, 10, 20, 30], [0, 10, 0, 10]), [
    { x0: 0, y0: 0, cx: 10, cy: 10, x1: 15, y1: 5 },
    { x0: 15, y0: 5, cx: 20, cy: 0, x1: 25, y1: 5 },
    { x0: 25, y0: 5, x1: 30, y1: 10 },
  ]);
  assert.deepEqual(pieceMeans([1, 3]), [2]);
  assert.deepEqual(pieceMeans([0, 4, 8, 12]), [3, 8, 11]);
});

test('pen factor, width floor, levels and tiles', () => {
  assert.equal(penFactor(0), 0.5);
  assert.ok(Math.abs(penFactor(128) - 1) < 0.005);
  assert.equal(penFactor(255), 1.5);
  assert.equal(pixelWidth(0.1, 1, 1), 0.5);
  assert.equal(levelFor(1, 1), 0);
  assert.equal(levelFor(1, 2), 0);
  assert.equal(levelFor(0.5, 1), 1);
  assert.equal(levelFor(0.3, 1), 1);
  assert.equal(levelFor(0.25, 2), 1);
  assert.equal(levelFor(1e-9, 1), 16);
  assert.deepEqual(tileOf(0, -1, 255.9), [-1, 0]);
  assert.deepEqual(tileOf(1, 512, -512), [1, -1]);
});

test('colours', () => {
  assert.equal(hexToRgba('#ff8000'), 0xff8000ff);
  assert.equal(hexToRgba('#ff8000', 0x40), 0xff800040);
  assert.equal(rgbaToHex(0x12345678), '#123456');
});

test('hit test follows the ink', () => {
  const s = decodeStroke({ tool: TOOL_HIGHLIGHTER, rgba: 0, width: 1000, quantum: 100, points: [0, 0, 100, 0], pressures: [] });
  assert.ok(hitStroke(s, 50, 4, 0));
  assert.ok(!hitStroke(s, 50, 6, 0));
  assert.ok(hitStroke(s, 50, 6, 1.5));
  assert.ok(!hitStroke(s, 200, 0, 5));
});

function recorder() {
  const calls: string[] = [];
  const ctx: Ctx = {
    globalCompositeOperation: 'source-over', strokeStyle: '', fillStyle: '', lineWidth: 1, lineCap: 'butt', lineJoin: 'miter',
    beginPath: () => calls.push('begin'),
    moveTo: (x, y) => calls.push(`M${x},${y}`),
    lineTo: (x, y) => calls.push(`L${x},${y}`),
    quadraticCurveTo: (cx, cy, x, y) => calls.push(`Q${cx},${cy},${x},${y}`),
    arc: (x, y, r) => calls.push(`A${x},${y},${r}`),
    stroke: () => calls.push(`stroke:${ctx.lineWidth}:${String(ctx.strokeStyle)}:${ctx.globalCompositeOperation}:${ctx.lineCap}`),
    fill: () => calls.push(`fill:${String(ctx.fillStyle)}`),
  };
  return { ctx, calls };
}

test('drawStroke: pen with pressures piece by piece with mean factors', () => {
  const { ctx, calls } = recorder();
  const s = decodeStroke({ tool: TOOL_PEN, rgba: 0x00ff00ff, width: 200, quantum: 100, points: [0, 0, 10, 10, 10, -10], pressures: [0, 255, -255] });
  drawStroke(ctx, s, { ox: 0, oy: 0, scale: 2 });
  // pieces: Q (0,0)->(10,10)->(15,5) mean f of (0.5, (1.5+0.5)/2) ; L (15,5)->(20,0)
  const fa = (0.5 + 1.0) / 2;
  const fb = (1.0 + 0.5) / 2;
  assert.deepEqual(calls, [
    'begin', 'M0,0', 'Q20,20,30,10', `stroke:${2 * 2 * fa}:rgb(0,255,0):source-over:round`,
    'begin', 'M30,10', 'L40,0', `stroke:${2 * 2 * fb}:rgb(0,255,0):source-over:round`,
  ]);
});

test('drawStroke: highlighter as one translucent path, eraser destination-out, single point a dot', () => {
  let r = recorder();
  drawStroke(r.ctx, decodeStroke({ tool: TOOL_HIGHLIGHTER, rgba: 0xff000080, width: 1000, quantum: 1, points: [0, 0, 100, 0, 100, 0], pressures: [] }), { ox: 0, oy: 0, scale: 1 });
  assert.deepEqual(r.calls, ['begin', 'M0,0', 'Q1,0,1.5,0', 'L2,0', 'stroke:10:rgba(255,0,0,0.5020):source-over:round']);
  r = recorder();
  drawStroke(r.ctx, decodeStroke({ tool: TOOL_PIXEL_ERASER, rgba: 0, width: 1000, quantum: 1, points: [0, 0, 100, 0], pressures: [] }), { ox: 0, oy: 0, scale: 1 });
  assert.deepEqual(r.calls, ['begin', 'M0,0', 'L1,0', 'stroke:10:#000:destination-out:round']);
  r = recorder();
  drawStroke(r.ctx, decodeStroke({ tool: TOOL_PEN, rgba: 0x000000ff, width: 1000, quantum: 1, points: [500, 500], pressures: [] }), { ox: 0, oy: 0, scale: 1 });
  // A pen without pressures draws at the factor of pressure 128.
  assert.deepEqual(r.calls, ['begin', `A5,5,${(10 * penFactor(128)) / 2}`, 'fill:rgb(0,0,0)']);
});

test('the stroke budget ends a stroke at the first point the server would refuse', () => {
  const span0 = TILE_PX * COORD_SCALE;
  // addAll feeds points until one is refused and says how many were taken.
  const addAll = (b: StrokeBudget, pts: [number, number][]) => {
    let n = 0;
    while (n < pts.length && b.add(...pts[n])) n++;
    return n;
  };
  const zigzag = (n: number, x0: number, x1: number) => Array.from({ length: n }, (_, i): [number, number] => [i % 2 ? x1 : x0, span0 / 2]);
  // Issue 12's stroke: back and forth over 4,094 tiles. Four legs fit the path; the fifth would not.
  assert.equal(addAll(new StrokeBudget(1000), zigzag(MAX_POINTS, 12_800, 104_819_200)), 5);
  // Over four tiles, the path ends after MAX_PATH_TILES / 4 legs, exactly at the limit.
  assert.equal(addAll(new StrokeBudget(300), zigzag(MAX_POINTS, span0 / 2, span0 / 2 + 4 * span0)), MAX_PATH_TILES / 4 + 1);
  // Small steps: the point count ends it.
  assert.equal(addAll(new StrokeBudget(300), zigzag(MAX_POINTS + 5, 0, 100)), MAX_POINTS);
  // A straight line longer than the tile limit: one point, the next would cover too many tiles.
  assert.equal(addAll(new StrokeBudget(300), [[0, 0], [(MAX_TILES_PER_STROKE + 10) * span0, 0]]), 1);
  // A staircase that stays within the path but leaves the tile limit: ends before MAX_TILES_PER_STROKE tiles.
  const stairs = Array.from({ length: 3000 }, (_, i): [number, number] => [i * span0 * 2, (i % 2) * span0 * 3]);
  const b = new StrokeBudget(300);
  const taken = addAll(b, stairs);
  assert.ok(taken < stairs.length && b.tiles().length <= MAX_TILES_PER_STROKE, `${taken} points, ${b.tiles().length} tiles`);
  // Outside the world.
  assert.equal(addAll(new StrokeBudget(300), [[MAX_COORD + 1, 0]]), 0);
});

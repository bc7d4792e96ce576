import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrokeBuilder, strokeStyle, pressureByte, HIGHLIGHTER_ALPHA } from '../src/board/stroke-builder.ts';
import { decodeStroke, decodeQuantized, MAX_POINTS, MAX_WIDTH, MIN_WIDTH, TOOL_HIGHLIGHTER, TOOL_PEN, TOOL_PIXEL_ERASER } from '../src/geometry.ts';
import { id } from './fixtures.ts';

test('a stroke\'s width is the chosen screen width at the current zoom; the highlighter is wider and translucent', () => {
  assert.deepEqual(strokeStyle('pen', '#e03131', 4, 1), { tool: TOOL_PEN, rgba: 0xe03131ff, width: 400 });
  assert.equal(strokeStyle('pen', '#000000', 4, 2).width, 200, 'zoomed in: thinner in world units');
  assert.deepEqual(strokeStyle('highlighter', '#1971c2', 4, 1), { tool: TOOL_HIGHLIGHTER, rgba: (0x1971c200 | HIGHLIGHTER_ALPHA) >>> 0, width: 1600 });
  assert.deepEqual(strokeStyle('pixel', '#1971c2', 4, 1).tool, TOOL_PIXEL_ERASER);
  assert.equal(strokeStyle('pixel', '#000000', 4, 1).width, 1200);
  assert.equal(strokeStyle('pen', '#000000', 2, 1000).width, MIN_WIDTH);
  assert.equal(strokeStyle('pen', '#000000', 32, 2 ** -16).width, MAX_WIDTH);
});

test('points: whole world units ×100, repeats skipped; live messages carry each point once; the commit round-trips', () => {
  const b = new StrokeBuilder(id(1), strokeStyle('pen', '#000000', 4, 1), false);
  assert.equal(b.live(), null);
  assert.equal(b.end(false), null, 'nothing was sent: no StrokeEnd');
  assert.equal(b.add(10.004, 20, 0.5), true);
  assert.equal(b.add(10.001, 20.002, 0.5), false, 'the same point once quantized');
  b.add(12.5, 20, 0.5);
  const begin = b.live();
  assert.equal(begin?.$case, 'strokeBegin');
  assert.deepEqual(begin?.$case === 'strokeBegin' && begin.value.stroke?.points, [1000, 2000, 250, 0]);
  assert.equal(b.live(), null, 'nothing new');
  b.add(13, 21, 0.5);
  b.add(14, 21, 0.5);
  const more = b.live();
  assert.deepEqual(more, { $case: 'strokeMore', value: { strokeId: id(1), points: [50, 100, 100, 0], pressures: [] } });
  assert.deepEqual(b.end(true), { $case: 'strokeEnd', value: { strokeId: id(1), cancelled: true } });
  const s = b.stroke();
  assert.equal(s.quantum, 50, 'the greatest common divisor of the deltas');
  assert.deepEqual(decodeQuantized(s.quantum, s.points), [1000, 2000, 1250, 2000, 1300, 2100, 1400, 2100]);
  assert.deepEqual(decodeStroke(s).xs, b.decoded().xs);
  assert.equal(b.points, 4);
});

test('a pen stroke drawn with a pen records its pressures; other tools and pointers do not', () => {
  const pen = new StrokeBuilder(id(1), strokeStyle('pen', '#000000', 4, 1), true);
  pen.add(0, 0, 0.2);
  pen.add(1, 0, 0.9);
  pen.add(2, 0, 0);
  assert.deepEqual(pen.decoded().ps, [51, 230, 128], 'pressure 0 (none reported) counts as half');
  assert.deepEqual(pen.stroke().pressures, [51, 179, -102], 'delta encoded');
  const begin = pen.live();
  assert.deepEqual(begin?.$case === 'strokeBegin' && begin.value.stroke?.pressures, [51, 179, -102]);
  pen.add(3, 0, 1);
  const more = pen.live();
  assert.deepEqual(more?.$case === 'strokeMore' && more.value.pressures, [127]);

  const highlighter = new StrokeBuilder(id(2), strokeStyle('highlighter', '#000000', 4, 1), true);
  highlighter.add(0, 0, 0.2);
  assert.equal(highlighter.decoded().ps, null);
  assert.deepEqual(highlighter.stroke().pressures, []);
  const mouse = new StrokeBuilder(id(3), strokeStyle('pen', '#000000', 4, 1), false);
  mouse.add(0, 0, 0.2);
  mouse.add(1, 0, 0.2);
  assert.equal(mouse.decoded().ps, null);
  assert.equal(pressureByte(1.5), 255);
});

test('the stroke takes no more points past the server\'s limits', () => {
  const b = new StrokeBuilder(id(1), strokeStyle('pen', '#000000', 4, 1), false);
  let taken = 0;
  for (let i = 0; i < MAX_POINTS + 10; i++) if (b.add(i % 100, Math.floor(i / 100), 0.5)) taken++;
  assert.equal(taken, MAX_POINTS);
  assert.equal(b.points, MAX_POINTS);
});

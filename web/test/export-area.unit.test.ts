import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportFileName, exportSize, isClick, rectBetween, regionOf } from '../src/board/export-area.ts';
import { EXPORT_MAX_SIDE } from '../src/gen/limits.ts';

test('an area exports at a multiple of its size on screen, the height following the rounded width', () => {
  const r = rectBetween(410, 210, 110, 310); // dragged up and left
  assert.deepEqual(r, { x0: 110, y0: 210, x1: 410, y1: 310 });
  assert.deepEqual(exportSize(r, 1, 2), { minX: 11000, minY: 21000, maxX: 41000, maxY: 31000, w: 600, h: 200, fits: true });
  assert.deepEqual(exportSize(r, 0.5, 1), { minX: 11000, minY: 21000, maxX: 41000, maxY: 31000, w: 150, h: 50, fits: true });
  const odd = exportSize({ x0: 0, y0: 0, x1: 3, y1: 1 }, 1.5, 1); // 4.5 → 5 wide, 5 × 1/3 → 2 high
  assert.deepEqual([odd.w, odd.h], [5, 2]);
  const dot = exportSize({ x0: 1, y0: 1, x1: 1, y1: 1 }, 1, 1);
  assert.deepEqual([dot.maxX - dot.minX, dot.w, dot.h], [1, 1, 1], 'never empty');
});

test('the region sent (export, restore) is in world units ×100, rounded, and never empty', () => {
  assert.deepEqual(regionOf({ x0: 110.004, y0: -20.5, x1: 410.006, y1: 310 }), { minX: 11000, minY: -2050, maxX: 41001, maxY: 31000 });
  assert.deepEqual(regionOf({ x0: 1, y0: 2, x1: 1, y1: 2 }), { minX: 100, minY: 200, maxX: 101, maxY: 201 });
});

test('what the server would refuse is too big: a side over 4096 px or over 16 Mpx', () => {
  const wide = exportSize({ x0: 0, y0: 0, x1: 1100, y1: 400 }, 1, 4);
  assert.deepEqual([wide.w, wide.h, wide.fits], [4400, 1600, false]);
  assert.equal(exportSize({ x0: 0, y0: 0, x1: EXPORT_MAX_SIDE, y1: 10 }, 1, 1).fits, true);
  assert.equal(exportSize({ x0: 0, y0: 0, x1: 4096, y1: 4096 }, 1, 1).fits, true, 'exactly 16 Mpx');
  assert.equal(exportSize({ x0: 0, y0: 0, x1: 4096, y1: 4097 }, 1, 1).fits, false);
});

test('a click is no area; the file is named after the board', () => {
  assert.equal(isClick({ x0: 0, y0: 0, x1: 2, y1: 100 }, 1), true);
  assert.equal(isClick({ x0: 0, y0: 0, x1: 2, y1: 100 }, 2), false, '4 screen pixels wide at 200 %');
  assert.equal(exportFileName('Area export'), 'Area_export.png');
  assert.equal(exportFileName('a/b: c.v2'), 'a_b_c.v2.png');
  assert.equal(exportFileName('???'), '_.png');
  assert.equal(exportFileName(''), 'board.png');
});

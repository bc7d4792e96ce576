import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportFileName, exportSize, isClick, rectBetween, regionOf, timelapseSize } from '../src/board/export-area.ts';
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
  assert.equal(exportFileName('Area export', '.png'), 'Area_export.png');
  assert.equal(exportFileName('a/b: c.v2', '.png'), 'a_b_c.v2.png');
  assert.equal(exportFileName('???', '-timelapse.webm'), '_-timelapse.webm');
  assert.equal(exportFileName('', '.png'), 'board.png');
});

test('a timelapse is fitted into 1280 × 720 with even sides, the height as the gateway derives it', () => {
  const cases: [string, [number, number, number, number], { w: number; h: number; fits: boolean }][] = [
    ['wide: full width', [0, 0, 400_000, 100_000], { w: 1280, h: 320, fits: true }],
    ['16:9 exactly', [0, 0, 160_000, 90_000], { w: 1280, h: 720, fits: true }],
    ['tall: full height', [0, 0, 100_000, 400_000], { w: 180, h: 720, fits: true }],
    ['odd aspect: both sides even', [-500, -500, 99_501, 77_001], { w: 930, h: 720, fits: true }],
    ['a sliver: too thin for a video', [0, 0, 1_000_000, 1_000], { w: 1280, h: 2, fits: false }],
    ['a needle: 16 px wide, far over 1080 high', [0, 0, 1_000, 1_000_000], { w: 16, h: 16000, fits: false }],
  ];
  for (const [name, [minX, minY, maxX, maxY], want] of cases) {
    const got = timelapseSize({ minX, minY, maxX, maxY });
    assert.deepEqual(got, want, name);
    assert.equal(got.h, 2 * Math.round((got.w * (maxY - minY)) / (maxX - minX) / 2), `${name}: the gateway's height`);
  }
});

// The shared test vectors of docs/testdata/tile-math.json (expected values written by the Go
// implementation, shared-go/strokes), checked against this client's geometry. The browser computes
// tiles of points in world units, the level for a zoom, decodes strokes, and walks the tiles of the stroke
// being drawn (StrokeBudget) to end it before the server's tile limit would refuse it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  COORD_SCALE, MAX_COORD, MAX_LEVEL, MAX_PATH_TILES, MAX_POINTS, MAX_TILES_PER_STROKE, MAX_WIDTH, MIN_WIDTH, StrokeBudget, TILE_PX,
  decodeQuantized, levelFor, span, tileOf,
} from '../src/geometry.ts';

type Triple = [number, number, number];
interface Vectors {
  constants: Record<string, number>;
  tile_of_point: { level: number; x: number; y: number; tile: Triple }[];
  parent: { tile: Triple; parent: Triple | null }[];
  level_for_zoom: { zoom: number; dpr: number; level: number }[];
  tiles_touched: { name: string; width: number; absolute: number[]; quantum: number; points: number[]; refused: boolean; tiles: [number, number][] }[];
}

const v = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'testdata', 'tile-math.json'), 'utf8'),
) as Vectors;

test('constants agree', () => {
  assert.equal(v.constants.coord_scale, COORD_SCALE);
  assert.equal(v.constants.tile_px, TILE_PX);
  assert.equal(v.constants.max_level, MAX_LEVEL);
  assert.equal(v.constants.max_coord, MAX_COORD);
  assert.equal(v.constants.max_points, MAX_POINTS);
  assert.equal(v.constants.min_width, MIN_WIDTH);
  assert.equal(v.constants.max_width, MAX_WIDTH);
  assert.equal(v.constants.max_path_tiles, MAX_PATH_TILES);
  assert.equal(v.constants.max_tiles_per_stroke, MAX_TILES_PER_STROKE);
});

test('tile of a point (encoded units divided by COORD_SCALE, as the client holds them)', () => {
  for (const c of v.tile_of_point) {
    assert.deepEqual([c.level, ...tileOf(c.level, c.x / COORD_SCALE, c.y / COORD_SCALE)], c.tile, JSON.stringify(c));
  }
});

test('parent of a tile: the tile one level up of its top-left corner', () => {
  for (const c of v.parent) {
    const [level, x, y] = c.tile;
    if (c.parent === null) {
      assert.equal(level, MAX_LEVEL);
      continue;
    }
    assert.deepEqual([level + 1, ...tileOf(level + 1, x * span(level), y * span(level))], c.parent, JSON.stringify(c));
  }
});

test('level for zoom and device pixel ratio', () => {
  for (const c of v.level_for_zoom) {
    assert.equal(levelFor(c.zoom, c.dpr), c.level, JSON.stringify(c));
  }
});

test('stroke points decode to the absolute points of the tiles-touched cases', () => {
  for (const c of v.tiles_touched) {
    assert.deepEqual(decodeQuantized(c.quantum, c.points), c.absolute, c.name);
  }
});

test('the stroke budget walks the level-0 tiles a stroke touches, and refuses where the indexer would', () => {
  const byXY = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
  for (const c of v.tiles_touched) {
    const budget = new StrokeBudget(c.width);
    let taken = true;
    for (let i = 0; taken && i < c.absolute.length; i += 2) taken = budget.add(c.absolute[i], c.absolute[i + 1]);
    assert.equal(!taken, c.refused, c.name);
    if (!c.refused) assert.deepEqual(budget.tiles().sort(byXY), c.tiles, c.name);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChange, PendingChanges, touches } from '../src/embed/changes.ts';
import { alignedBlocks } from '../src/tile-grid.ts';

test('parseChange takes a seq with areas or null, and nothing else', () => {
  assert.deepEqual(parseChange('{"seq":7,"areas":null}'), { seq: 7, areas: null });
  assert.deepEqual(parseChange('{"seq":7,"areas":[[0,1,2,3]]}'), { seq: 7, areas: [[0, 1, 2, 3]] });
  for (const bad of ['', 'nope', '{"areas":null}', '{"seq":-1,"areas":null}', '{"seq":1.5,"areas":null}', '{"seq":1,"areas":[[0,1,2]]}', '{"seq":1,"areas":"x"}', '{"seq":1}']) {
    assert.equal(parseChange(bad), null, bad);
  }
});

test('PendingChanges merges what comes after the seq read; any change anywhere makes the whole board stale', () => {
  const p = new PendingChanges(10);
  assert.equal(p.add({ seq: 9, areas: null }), false, 'before the seq read');
  assert.equal(p.add({ seq: 10, areas: [[0, 0, 1, 1]] }), false, 'the seq read');
  assert.equal(p.add({ seq: 12, areas: [[0, 0, 1, 1]] }), true);
  assert.equal(p.add({ seq: 13, areas: [[5, 5, 6, 6]] }), true);
  assert.deepEqual(p.take(), { seq: 13, areas: [[0, 0, 1, 1], [5, 5, 6, 6]] });
  assert.equal(p.add({ seq: 13, areas: null }), false, 'what was taken is read');
  assert.equal(p.add({ seq: 14, areas: [[0, 0, 1, 1]] }), true);
  assert.equal(p.add({ seq: 15, areas: null }), true);
  assert.equal(p.add({ seq: 16, areas: [[0, 0, 1, 1]] }), true);
  assert.deepEqual(p.take(), { seq: 16, areas: null });
});

test('touches: the tiles an area meets at each level (tiles are 256 world units at level 0, twice as wide per level)', () => {
  const area: [number, number, number, number] = [250, 10, 300, 20];
  assert.equal(touches([area], { level: 0, x: 0, y: 0 }), true);
  assert.equal(touches([area], { level: 0, x: 1, y: 0 }), true);
  assert.equal(touches([area], { level: 0, x: 2, y: 0 }), false);
  assert.equal(touches([area], { level: 0, x: 0, y: 1 }), false);
  assert.equal(touches([area], { level: 0, x: -1, y: 0 }), false);
  assert.equal(touches([area], { level: 1, x: 0, y: 0 }), true);
  assert.equal(touches([[512, 0, 600, 10]], { level: 1, x: 0, y: 0 }), false, 'a tile ends before its right neighbour starts');
  assert.equal(touches([[-10, -10, -1, -1]], { level: 3, x: -1, y: -1 }), true);
  assert.equal(touches(null, { level: 5, x: 99, y: -99 }), true);
  assert.equal(touches([], { level: 0, x: 0, y: 0 }), false);
});

test('alignedBlocks: the aligned n × n blocks covering a range, the same whatever the range within them', () => {
  assert.deepEqual(alignedBlocks({ x0: 1, y0: 2, x1: 6, y1: 5 }, 8), [{ x0: 0, y0: 0, x1: 7, y1: 7 }]);
  assert.deepEqual(alignedBlocks({ x0: -1, y0: 0, x1: 8, y1: 0 }, 8), [
    { x0: -8, y0: 0, x1: -1, y1: 7 }, { x0: 0, y0: 0, x1: 7, y1: 7 }, { x0: 8, y0: 0, x1: 15, y1: 7 },
  ]);
  assert.deepEqual(alignedBlocks({ x0: 3, y0: 7, x1: 3, y1: 8 }, 4), [{ x0: 0, y0: 4, x1: 3, y1: 7 }, { x0: 0, y0: 8, x1: 3, y1: 11 }]);
});

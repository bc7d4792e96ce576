import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TileStore, isComplete, MAX_CACHED_TILES, PENDING_RETRY_MS, PENDING_RETRY_MAX_MS } from '../src/board/tile-store.ts';
import { ByteLru } from '../src/board/byte-lru.ts';
import { decodeStroke } from '../src/geometry.ts';
import type { Tile } from '../src/tiles.ts';
import { stroke } from './fixtures.ts';

/** Stands in for a decoded snapshot: the store only keeps and compares it. */
const bitmap = (name: string) => ({ name }) as unknown as ImageBitmap;

function tile(level: number, x: number, y: number, t: Partial<Tile> = {}): Tile {
  return { level, x, y, coversSeq: 10, snapshotUrl: null, bitmap: null, strokes: [], pending: false, ...t };
}

test('a tile answered again with the same content keeps the cached object; a changed one replaces it', () => {
  const s = new TileStore();
  const first = tile(0, 1, 2, { strokes: [{ id: 'a', d: decodeStroke(stroke(1, [1, 1, 2, 2])) }] });
  const a = s.accept(first)!;
  assert.equal(a.needsSnapshot, false);
  assert.equal(s.get(0, 1, 2), first);
  assert.equal(s.accept(tile(0, 1, 2, { strokes: [...first.strokes] })), null, 'same covers_seq, snapshot and strokes');
  assert.equal(s.get(0, 1, 2), first, 'the cached object (and what was drawn from it) stays');
  const newer = tile(0, 1, 2, { coversSeq: 11, strokes: [] });
  assert.ok(s.accept(newer));
  assert.equal(s.get(0, 1, 2), newer);
});

test('a snapshot is fetched once: a new answer with the same snapshot takes the decoded bitmap along', () => {
  const s = new TileStore();
  const t1 = tile(0, 0, 0, { snapshotUrl: '/s/1.png' });
  const a1 = s.accept(t1)!;
  assert.equal(a1.needsSnapshot, true);
  assert.equal(isComplete(s.get(0, 0, 0)), false, 'not complete until its snapshot is decoded');
  const decoded = bitmap('one');
  assert.equal(s.attachSnapshot(a1, decoded), true);
  assert.equal(isComplete(s.get(0, 0, 0)), true);
  const t2 = tile(0, 0, 0, { snapshotUrl: '/s/1.png', coversSeq: 12, strokes: [{ id: 'b', d: decodeStroke(stroke(2, [1, 1, 2, 2])) }] });
  const a2 = s.accept(t2)!;
  assert.equal(a2.needsSnapshot, false);
  assert.equal(t2.bitmap, decoded);
  assert.equal(s.get(0, 0, 0), t2);
});

test('a tile on screen stays until its replacement can be drawn; a late snapshot of a replaced answer is dropped', () => {
  const s = new TileStore();
  const old = tile(0, 0, 0, { snapshotUrl: '/s/1.png' });
  s.attachSnapshot(s.accept(old)!, bitmap('old'));
  // A newer snapshot: the old tile stays on screen while the new PNG loads.
  const next = tile(0, 0, 0, { snapshotUrl: '/s/2.png', coversSeq: 20 });
  const a = s.accept(next)!;
  assert.equal(a.keepsPrevious, true);
  assert.equal(s.get(0, 0, 0), old);
  // Pending over a complete tile: the old one stays, no snapshot is fetched for the pending answer.
  const pending = tile(0, 0, 0, { snapshotUrl: '/s/2.png', coversSeq: 30, pending: true });
  const p = s.accept(pending)!;
  assert.equal(p.keepsPrevious, true);
  assert.equal(p.needsSnapshot, false);
  assert.equal(s.get(0, 0, 0), old);
  assert.equal(s.awaiting(0), 1);
  // The PNG of `next` arrives: the old tile is still the one cached, so `next` takes its place.
  assert.equal(s.attachSnapshot(a, bitmap('new')), true);
  assert.equal(s.get(0, 0, 0), next);
  // A not-pending answer replaces it; a snapshot of the earlier answer arriving later is not attached.
  const latest = tile(0, 0, 0, { coversSeq: 40 });
  s.accept(latest);
  assert.equal(s.awaiting(0), 0);
  assert.equal(s.attachSnapshot(a, bitmap('late')), false);
  assert.equal(s.get(0, 0, 0), latest);
});

test('missing and pending tiles of a range; the retry of pending tiles backs off and resets', () => {
  const s = new TileStore();
  const r = { x0: 0, y0: 0, x1: 1, y1: 0 };
  assert.equal(s.missing(3, r), true);
  s.accept(tile(3, 0, 0));
  assert.equal(s.missing(3, r), true);
  s.accept(tile(3, 1, 0, { pending: true }));
  assert.equal(s.missing(3, r), true, 'a pending tile is asked for again');
  assert.equal(s.anyPending(3, r), true);
  assert.equal(s.anyPending(2, r), false);
  s.accept(tile(3, 1, 0));
  assert.equal(s.missing(3, r), false);
  const waits = Array.from({ length: 6 }, () => s.nextRetry());
  assert.deepEqual(waits, [PENDING_RETRY_MS, 600, 1200, 2400, PENDING_RETRY_MAX_MS, PENDING_RETRY_MAX_MS]);
  s.resetRetry();
  assert.equal(s.nextRetry(), PENDING_RETRY_MS);
});

test('past MAX_CACHED_TILES the other levels are dropped; clear forgets everything', () => {
  const s = new TileStore();
  for (let i = 0; i < MAX_CACHED_TILES; i++) s.accept(tile(i % 2, i, 0));
  s.trim(0);
  assert.equal(s.size, MAX_CACHED_TILES, 'at the limit nothing goes');
  s.accept(tile(1, -1, 0));
  s.trim(0);
  assert.equal(s.size, MAX_CACHED_TILES / 2);
  assert.ok(s.get(0, 0, 0) && !s.get(1, 1, 0));
  s.accept(tile(0, 5, 5, { pending: true }));
  s.clear();
  assert.equal(s.size, 0);
  assert.equal(s.awaiting(0), 0);
});

test('read at another point, the tiles of the level stay on screen as stale until their answers replace them', () => {
  const s = new TileStore();
  const r = { x0: 0, y0: 0, x1: 2, y1: 0 };
  const [kept, changed, slow] = [tile(2, 0, 0), tile(2, 1, 0, { coversSeq: 7 }), tile(2, 2, 0)];
  for (const t of [kept, changed, slow]) s.accept(t);
  s.accept(tile(3, 0, 0)); // a coarser tile: it would stand in with the old point's content
  s.accept(tile(2, 5, 5, { pending: true }));
  assert.deepEqual(s.reread(2).sort(), ['2:0:0', '2:1:0', '2:2:0', '2:5:5']);
  assert.equal(s.get(3, 0, 0), undefined, 'other levels go');
  assert.equal(s.awaiting(2), 0, 'pending answers of the old point are forgotten');
  assert.equal(s.get(2, 1, 0), changed, 'a stale tile is still drawn');
  assert.ok(s.isStale(kept) && s.isStale(changed) && s.isStale(slow));
  assert.equal(s.missing(2, r), true, 'stale tiles are asked for again');
  // The answers at the new point: one the same (it is current again, the object stays and is drawn again), one
  // changed, one whose new snapshot is still loading (the stale tile stays on screen, stale, until it is attached).
  const again = s.accept(tile(2, 0, 0))!;
  assert.equal(again.tile, kept);
  assert.equal(again.needsSnapshot, false);
  assert.equal(s.get(2, 0, 0), kept);
  assert.equal(s.isStale(kept), false);
  assert.equal(s.accept(tile(2, 0, 0)), null, 'once current, the same answer changes nothing');
  const replaced = tile(2, 1, 0, { coversSeq: 3 });
  s.accept(replaced);
  assert.equal(s.get(2, 1, 0), replaced);
  assert.equal(s.isStale(replaced), false);
  const loading = s.accept(tile(2, 2, 0, { snapshotUrl: '/s/9.png', coversSeq: 3 }))!;
  assert.equal(loading.keepsPrevious, true);
  assert.equal(s.get(2, 2, 0), slow);
  assert.equal(s.isStale(slow), true);
  assert.equal(s.missing(2, r), true);
  s.attachSnapshot(loading, bitmap('at 3'));
  assert.equal(s.isStale(s.get(2, 2, 0)!), false);
  assert.equal(s.missing(2, r), false, 'every tile of the range is read at the new point');
});

test('the nearest complete ancestor stands in, up to six levels coarser', () => {
  const s = new TileStore();
  s.accept(tile(9, 0, 0)); // level 3 tile (5, 6) is inside level 9 tile (0, 0): 5 >> 6 = 0
  s.accept(tile(5, 0, 0, { snapshotUrl: '/s.png' })); // not complete: its snapshot is not decoded
  assert.equal(s.ancestor(3, 5, 6)?.level, 9);
  s.accept(tile(4, 2, 3));
  assert.equal(s.ancestor(3, 5, 6)?.level, 4, 'the nearest wins');
  assert.equal(s.ancestor(2, 10, 12)?.level, 4);
  assert.equal(s.ancestor(2, 40, 40), undefined, 'level 9 is seven levels up from 2');
  assert.deepEqual(s.counts(4), { snapshots: 0, strokes: 0 });
});

test('the compositor\'s cache drops the least recently used canvases once its bytes pass the bound', () => {
  const lru = new ByteLru<string>(100);
  lru.set('a', 'A', 40);
  lru.set('b', 'B', 40);
  assert.equal(lru.get('a'), 'A'); // a is now the most recent
  lru.set('c', 'C', 40); // 120 > 100: b (least recent) goes
  assert.deepEqual([lru.peek('a'), lru.peek('b'), lru.peek('c')], ['A', undefined, 'C']);
  assert.equal(lru.bytes, 80);
  lru.set('a', 'A2', 70); // replacing counts the new size only: 110 > 100, c goes
  assert.deepEqual([lru.peek('a'), lru.peek('c'), lru.bytes], ['A2', undefined, 70]);
  lru.set('huge', 'H', 500);
  assert.deepEqual([lru.size, lru.peek('huge'), lru.bytes], [1, 'H', 500], 'what was just stored stays, even alone over the bound');
  lru.set('d', 'D', 10);
  assert.equal(lru.peek('huge'), undefined);
  lru.set('e', 'E', 10);
  lru.deleteWhere((v) => v === 'D');
  assert.deepEqual([lru.size, lru.bytes], [1, 10]);
  lru.clear();
  assert.deepEqual([lru.size, lru.bytes], [0, 0]);
});

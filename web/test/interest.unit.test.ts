import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declaredView, Interest, tileArea, watchedArea } from '../src/board/interest.ts';
import { BoardModel } from '../src/board/model.ts';
import { TileStore } from '../src/board/tile-store.ts';
import { View } from '../src/board/view.ts';
import { MAX_COORD, span } from '../src/geometry.ts';
import type { Tile } from '../src/tiles.ts';
import { added, erased, idHex, stroke } from './fixtures.ts';

function tile(level: number, x: number, y: number, t: Partial<Tile> = {}): Tile {
  return { level, x, y, coversSeq: 10, snapshotUrl: null, bitmap: null, strokes: [], pending: false, ...t };
}

/** A 1000×700 stage at (x, y), zoom z, DPR 1. */
function viewAt(x: number, y: number, z = 1): View {
  const v = new View();
  v.resize(1000, 700, 1);
  v.x = x;
  v.y = y;
  v.z = z;
  return v;
}

test('the declared view is the visible tiles of the level read; the watched region is it grown by half on every side', () => {
  const v = viewAt(-40, -40);
  const d = declaredView(v);
  const r = v.visibleTiles(0);
  assert.deepEqual(r, { x0: -1, y0: -1, x1: 3, y1: 2 });
  assert.deepEqual(d, { minX: -25600, minY: -25600, maxX: 4 * 25600, maxY: 3 * 25600, level: 0 });
  assert.deepEqual(watchedArea(d), { minX: -25600 - 64000, minY: -25600 - 51200, maxX: 102400 + 64000, maxY: 76800 + 51200 });
  const far = declaredView(viewAt(0, 0, 2 ** -5));
  assert.equal(far.level, 5);
  assert.equal(far.minX, 0);
  assert.equal(far.maxX % (span(5) * 100), 0, 'tile-aligned at its level');
});

test('a view acknowledged makes the cached tiles outside its region stale; they are missing until read again', () => {
  const store = new TileStore();
  const interest = new Interest(store);
  const near = tile(0, 0, 0);
  const edge = tile(0, 6, 0); // the view's tiles end with x = 3; the region 2.5 tiles further, half-way through x = 6
  const far = tile(0, 40, 40);
  const coarse = tile(4, 0, 0); // 16 level-0 tiles a side: not inside the region
  for (const t of [near, edge, far, coarse]) store.accept(t);
  const v = declaredView(viewAt(-40, -40));
  assert.equal(interest.watching(v), 3);
  assert.equal(store.isStale(near), false);
  assert.equal(store.isStale(edge), true);
  assert.equal(store.isStale(far), true);
  assert.equal(store.isStale(coarse), true);
  assert.equal(store.staleCount, 3);
  assert.equal(store.missing(0, { x0: 0, y0: 0, x1: 0, y1: 0 }), false);
  assert.equal(store.missing(0, { x0: 40, y0: 40, x1: 40, y1: 40 }), true);
  assert.equal(interest.watches(0, { x0: -1, y0: -1, x1: 3, y1: 2 }), true);
  assert.equal(interest.watches(0, { x0: 40, y0: 40, x1: 41, y1: 41 }), false, 'a read there waits for a view holding it');

  // The view moves there and is acknowledged: the far tile, read after the Ack, is current again.
  interest.watching(declaredView(viewAt(40 * 256, 40 * 256)));
  assert.equal(store.isStale(near), true, 'the first area is not watched any more');
  const read = interest.startRead();
  assert.ok(read.covers(far));
  const again = tile(0, 40, 40, { coversSeq: 21 });
  assert.ok(store.accept(again, read.covers(again)));
  interest.endRead(read);
  assert.equal(store.isStale(again), false);
  assert.equal(store.missing(0, { x0: 40, y0: 40, x1: 40, y1: 40 }), false);

  // Not connected (or a server that ignores views): every event after lastSeq comes, nothing new goes stale.
  assert.equal(interest.watching(null), 0);
  assert.equal(interest.watches(0, { x0: -1000, y0: -1000, x1: 1000, y1: 1000 }), true);
});

test('a read in flight while another view is acknowledged is trusted only where both watch', () => {
  const store = new TileStore();
  const interest = new Interest(store);
  interest.watching(declaredView(viewAt(-40, -40)));
  const read = interest.startRead();
  interest.watching(declaredView(viewAt(100 * 256, 0)));
  const here = tile(0, 0, 0, { coversSeq: 5 });
  assert.equal(read.covers(here), false, 'the events after the read touching it may have gone unsent');
  assert.ok(store.accept(here, read.covers(here)));
  assert.equal(store.isStale(here), true, 'taken, drawn, but read again once watched');
  assert.equal(store.missing(0, { x0: 0, y0: 0, x1: 0, y1: 0 }), true);
  // The same content answered untrusted again leaves the cached tile as it is; answered trusted, it is current.
  assert.equal(store.accept(tile(0, 0, 0, { coversSeq: 5 }), false), null);
  assert.equal(store.isStale(here), true);
  assert.ok(store.accept(tile(0, 0, 0, { coversSeq: 5 }), true));
  assert.equal(store.isStale(here), false);
  interest.endRead(read);
});

test('TilesChanged makes every cached tile over the changed tiles stale, of any level, and reads in flight there', () => {
  const store = new TileStore();
  const interest = new Interest(store);
  const changed = tile(4, 1, 0);
  const child = tile(0, 16 + 3, 5); // inside tile (4, 1, 0)
  const parent = tile(6, 0, 0);
  const beside = tile(4, 2, 0);
  const since = tile(0, 16, 0, { coversSeq: 12 }); // read after the change
  for (const t of [changed, child, parent, beside, since]) store.accept(t);
  const read = interest.startRead();
  assert.equal(interest.tilesChanged(4, [1, 0], 12), 3);
  assert.deepEqual([changed, child, parent, beside, since].map((t) => store.isStale(t)), [true, true, true, false, false]);
  assert.equal(read.covers(tile(1, 9, 1)), false, 'a read in flight may predate the change');
  assert.equal(read.covers(tile(1, 9, 1, { coversSeq: 12 })), true, 'unless it covers it');
  assert.equal(read.covers(tile(1, 16, 1)), true);
  interest.endRead(read);
  assert.deepEqual(tileArea(4, 1, 0), { minX: 409600, minY: 0, maxX: 819200, maxY: 409600 });
});

test('a snapshot decoded for an answer that is no longer trusted leaves its tile stale', () => {
  const store = new TileStore();
  const a = store.accept(tile(0, 0, 0, { snapshotUrl: '/s/1.png' }))!;
  assert.equal(a.needsSnapshot, true);
  assert.ok(store.attachSnapshot(a, {} as ImageBitmap, false));
  assert.equal(store.isStale(store.get(0, 0, 0)!), true);
});

test('one\'s own stroke is committed at its ack, in sequence order, and its event (if it comes) adds nothing', () => {
  const mine = stroke(1, [0, 0, 10, 0]);
  const m = new BoardModel('editor', []);
  m.drew(mine);
  m.applyEvents([added(3, stroke(3, [1, 1, 2, 2]))]);
  const rec = m.ackedStroke(idHex(1), 2);
  assert.ok(rec);
  assert.deepEqual(m.committed.map((r) => r.seq), [2, 3], 'before a later event that came first');
  assert.equal(m.pending.size, 0);
  assert.equal(m.ackedStroke(idHex(1), 2), null, 'once');
  assert.equal(m.ackedStroke(idHex(9), 4), null, 'not one of one\'s strokes');
  assert.deepEqual(m.applyEvents([added(2, mine)]).added, []);
  assert.equal(m.committed.length, 2);
});

test('viewers of a crowded room are counted from the Welcome and from Presence when it says', () => {
  const m = new BoardModel('viewer', []);
  m.welcome(1, 'viewer', [], 120);
  assert.equal(m.viewers, 120);
  m.presence({ joined: [], leftSessionIds: [] });
  assert.equal(m.viewers, 120, 'unset: unchanged');
  m.presence({ joined: [], leftSessionIds: [], viewers: 0 });
  assert.equal(m.viewers, 0);
});

test('the declared view stays within the board\'s bounds, and tiles reaching past them are watched for what they can hold', () => {
  const far = new View();
  far.resize(1000, 700, 1);
  far.zoomTo(2 ** -16, 0, 0);
  far.x = -3e7;
  far.y = -3e7;
  const d = declaredView(far);
  assert.equal(d.level, 16);
  assert.deepEqual([d.minX, d.minY, d.maxX, d.maxY], [-MAX_COORD, -MAX_COORD, MAX_COORD, MAX_COORD]);
  const store = new TileStore();
  const interest = new Interest(store);
  const edge = tile(16, -1, -1); // from -1.68e9 to 0 (×100 units): the part beyond -1e9 holds nothing
  store.accept(edge);
  assert.equal(interest.watching(d), 0);
  assert.equal(interest.watches(16, far.visibleTiles(16)), true, 'a read of the view\'s tiles does not wait for ever');
  const outside = declaredView(Object.assign(new View(), { x: 2e7, y: 2e7, width: 1000, height: 700 }));
  assert.deepEqual([outside.minX, outside.maxX], [MAX_COORD, MAX_COORD], 'a view off the board is the board\'s edge');
});

test('a stroke erased here and restored where the page did not look shows again once a tile read after lists it', () => {
  const m = new BoardModel('editor', []);
  m.applyEvents([added(1, stroke(1, [0, 0, 10, 0])), erased(2, 5, [1])]);
  const mine = m.erase([idHex(3)]); // one's own erase, not come back yet
  assert.ok(mine);
  assert.equal(m.shown([idHex(1)], 2), false, 'a tile read at the erase does not list it');
  assert.equal(m.shown([idHex(3)], 9), false, 'one\'s own erase in flight stays');
  assert.equal(m.committed[0].erased, true);
  assert.equal(m.shown([idHex(1), idHex(4)], 3), true, 'read after the erase, the tile shows it: restored since');
  assert.equal(m.erased.has(idHex(1)), false);
  assert.equal(m.committed[0].erased, false);
  assert.ok(m.erased.has(idHex(3)));
});

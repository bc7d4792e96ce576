import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoardModel } from '../src/board/model.ts';
import { ObjectEraser, LOOKUP_SPAN, type EraserHooks } from '../src/board/object-eraser.ts';
import { decodeStroke } from '../src/geometry.ts';
import { added, idHex, stroke } from './fixtures.ts';

/** Server lookups answered by the test, one at a time, in order. */
class Server {
  asked: { x: number; y: number; r: number; signal: AbortSignal; answer: (ids: number[], partial?: boolean) => void; fail: () => void }[] = [];
  /** Strokes the server knows, by number: a horizontal line at y = n, x from 0 to 100. */
  lookup: EraserHooks['lookup'] = (x, y, r, signal) => new Promise((ok, fail) => {
    const entry = {
      x, y, r, signal,
      answer: (ids: number[], partial = false) => ok({ strokes: ids.map((n) => ({ id: idHex(n), d: decodeStroke(stroke(n, [0, n, 100, n])) })), partial }),
      fail: () => fail(new Error('503')),
    };
    signal.addEventListener('abort', () => fail(new DOMException('aborted', 'AbortError')));
    this.asked.push(entry);
  });
}

function setup(committed: number[] = []) {
  const model = new BoardModel('editor', []);
  model.view.resize(1000, 700, 1);
  model.applyEvents(committed.map((n, i) => added(i + 1, stroke(n, [0, n, 100, n]))));
  const server = new Server();
  const erased: string[][] = [];
  let changes = 0;
  const eraser = new ObjectEraser(model, { lookup: server.lookup, changed: () => changes++, erase: (ids) => erased.push(ids), looked: () => {} });
  return { model, server, eraser, erased, changes: () => changes };
}

/** Lets the promise callbacks of an answered lookup run. */
const settle = () => new Promise((ok) => setTimeout(ok, 0));

test('strokes here as vectors are erased without asking the server', () => {
  const { eraser, server, erased, changes } = setup([10, 20]);
  eraser.begin();
  eraser.at(50, 11, 2);
  assert.equal(server.asked.length, 0);
  assert.equal(changes(), 1, 'the preview hides the stroke at once');
  assert.ok(eraser.selects(idHex(10)) && !eraser.selects(idHex(20)));
  eraser.end();
  assert.deepEqual(erased, [[idHex(10)]]);
  assert.equal(eraser.selects(idHex(10)), false);
});

test('a point over snapshot pixels is asked about; what the server finds is previewed and erased when the answer is in', async () => {
  const { model, eraser, server, erased } = setup();
  eraser.begin();
  eraser.at(50, 30, 2);
  assert.equal(server.asked.length, 1);
  assert.deepEqual([server.asked[0].x, server.asked[0].y, server.asked[0].r], [50, 30, 2]);
  eraser.end(); // the pointer lifts before the answer: the erase waits for it
  assert.deepEqual(erased, []);
  server.asked[0].answer([30]);
  await settle();
  assert.deepEqual(erased, [[idHex(30)]]);
  assert.ok(model.ghosts.has(idHex(30)), 'not here as a vector: cut out of the picture until the erase comes back');
  assert.deepEqual(eraser.stats, { requests: 1, hits: 1, partial: 0, failed: 0 });
});

test('one lookup at a time: points queued meanwhile go out as one disk covering them, checked again point by point', async () => {
  const { eraser, server, erased } = setup();
  eraser.begin();
  eraser.at(10, 50, 2);
  eraser.at(14, 50, 2);
  eraser.at(14.5, 50, 2); // within half a radius of the last queued point: nothing new
  eraser.at(18, 50, 2);
  eraser.at(14 + LOOKUP_SPAN * 2 + 1, 50, 2); // 23: more than LOOKUP_SPAN radii from 14, a later lookup
  assert.equal(server.asked.length, 1, 'the first lookup is in flight');
  server.asked[0].answer([]);
  await settle();
  assert.equal(server.asked.length, 2);
  const disk = server.asked[1];
  assert.deepEqual([disk.x, disk.y, disk.r], [16, 50, 4], '14 and 18 with radius 2: centre 16, radius 2 + 2');
  eraser.end();
  // The ink of the stroke at y = 57 (4 wide) may touch the disk (it reaches y = 54), but it is 7 from both points,
  // farther than their radius plus its half width: only the stroke at y = 51 is erased.
  disk.answer([51, 57]);
  await settle();
  assert.equal(server.asked.length, 3);
  assert.deepEqual([server.asked[2].x, server.asked[2].r], [23, 2]);
  server.asked[2].answer([], true);
  await settle();
  assert.deepEqual(erased, [[idHex(51)]]);
  assert.deepEqual(eraser.stats, { requests: 3, hits: 1, partial: 1, failed: 0 });
});

test('a cancelled gesture aborts its lookup, drops its preview and erases nothing; a failed lookup is counted', async () => {
  const { model, eraser, server, erased } = setup([10]);
  eraser.begin();
  eraser.at(50, 10, 1);
  eraser.at(50, 40, 1);
  server.asked[0].answer([40]);
  await settle();
  assert.ok(model.ghosts.has(idHex(40)));
  eraser.at(50, 60, 1);
  eraser.end(true);
  assert.equal(server.asked[1].signal.aborted, true);
  await settle();
  assert.deepEqual(erased, []);
  assert.equal(model.ghosts.size, 0);
  assert.ok(!eraser.selects(idHex(10)) && !eraser.selects(idHex(40)));

  eraser.begin();
  eraser.at(50, 70, 1);
  server.asked[2].fail();
  eraser.end();
  await settle();
  assert.deepEqual(erased, [], 'nothing found, nothing to erase');
  assert.equal(eraser.stats.failed, 1);
  assert.equal(eraser.stats.requests, 3);
});

test('strokes already erased are not erased again', async () => {
  const { model, eraser, server, erased } = setup([10]);
  model.erase([idHex(10), idHex(40)]);
  eraser.begin();
  eraser.at(50, 10, 1);
  assert.equal(server.asked.length, 1, 'the erased vector does not count as a hit');
  server.asked[0].answer([10, 40]);
  eraser.end();
  await settle();
  assert.deepEqual(erased, []);
});

import { test, mock, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Debounced } from '../src/board/debounce.ts';
import { authorsLine, authorsSpan, localInputValue, MAX_AUTHORS_SPAN, seqAt, SCRUB_MAX_WAIT_MS, SCRUB_REST_MS, timeOfLocalInput, Timeline } from '../src/board/timeline.ts';
import type { PastPoint } from '../src/tiles.ts';

/** Mocked setTimeout and Date; the debounce reads Date.now() as its clock. */
function mockClock(t: TestContext): void {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  t.after(() => mock.timers.reset());
}

/** A timeline at head 40 and the points it asked the board to show. */
function timeline(): { tl: Timeline; shown: (PastPoint | null)[]; changes: () => number } {
  const shown: (PastPoint | null)[] = [];
  let changes = 0;
  const tl = new Timeline({ show: (p) => shown.push(p), changed: () => changes++ }, () => Date.now());
  tl.headMoved(40);
  return { tl, shown, changes: () => changes };
}

test('a slider position names a whole event between 0 and the head', () => {
  assert.equal(seqAt(12.4, 40), 12);
  assert.equal(seqAt(12.6, 40), 13);
  assert.equal(seqAt(-3, 40), 0);
  assert.equal(seqAt(41, 40), 40);
  assert.equal(seqAt(5, 0), 0);
});

test('"around then" is a fiftieth of the history each side, from one event to the server bound; the line names who drew', () => {
  const cases: [number, number][] = [[0, 1], [5, 1], [50, 1], [51, 2], [1000, 20], [10_000_000, MAX_AUTHORS_SPAN]];
  for (const [head, want] of cases) assert.equal(authorsSpan(head), want, `head ${head}`);
  const author = (displayName: string, events: number) => ({ userId: 'u', displayName, events, lastSeq: 1 });
  assert.equal(authorsLine([author('Ann', 12), author('Guest Bob', 3)]), 'Drawn here around then: Ann (12), Guest Bob (3)');
  assert.equal(authorsLine([]), 'Nobody drew here around then.');
  assert.equal(authorsLine([author('', 1)]), 'Drawn here around then: a removed user (1)');
});

test('a debounced call runs once its callers rest, and at the latest maxWait after the first', (t) => {
  mockClock(t);
  let runs = 0;
  const d = new Debounced(() => runs++, () => Date.now());
  d.schedule(100);
  mock.timers.tick(99);
  d.schedule(100);
  mock.timers.tick(99);
  assert.equal(runs, 0, 'each call puts it off');
  mock.timers.tick(1);
  assert.equal(runs, 1);
  // Calls every 50 ms with a rest of 100 ms would never run it; maxWait 300 does.
  for (let i = 0; i < 5; i++) {
    d.schedule(100, 300);
    mock.timers.tick(50);
  }
  assert.equal(runs, 1);
  d.schedule(100, 300);
  mock.timers.tick(49);
  assert.equal(runs, 1);
  mock.timers.tick(1);
  assert.equal(runs, 2, 'run 300 ms after the first call');
  d.schedule(100);
  d.cancel();
  mock.timers.tick(1000);
  assert.equal(runs, 2, 'cancelled');
});

test('opening shows the head; scrubbing moves the point at once and the board once the slider rests', (t) => {
  mockClock(t);
  const { tl, shown } = timeline();
  assert.equal(tl.past, false);
  tl.open();
  assert.deepEqual(shown, [{ seq: 40 }]);
  assert.equal(tl.past, true);
  // A drag through 30 positions, 10 ms apart: the label follows each, the board is read at the last one only.
  for (let v = 39; v >= 10; v--) {
    tl.scrub(v);
    mock.timers.tick(10);
  }
  assert.equal(tl.seq, 10);
  assert.deepEqual(shown, [{ seq: 40 }], 'no read while the slider moves (within the max wait)');
  mock.timers.tick(SCRUB_REST_MS);
  assert.deepEqual(shown, [{ seq: 40 }, { seq: 10 }]);
  // Steps are slider moves too: two quick clicks, one read.
  tl.step(-1);
  tl.step(-1);
  mock.timers.tick(SCRUB_REST_MS);
  assert.deepEqual(shown.slice(2), [{ seq: 8 }]);
  tl.step(-100);
  mock.timers.tick(SCRUB_REST_MS);
  assert.deepEqual(shown.slice(3), [{ seq: 0 }], 'not before the first event');
});

test('a long drag reads the board at least every SCRUB_MAX_WAIT_MS', (t) => {
  mockClock(t);
  const { tl, shown } = timeline();
  tl.open();
  for (let i = 1; i <= SCRUB_MAX_WAIT_MS / 20 + 1; i++) {
    tl.scrub(40 - (i % 30));
    mock.timers.tick(20);
  }
  assert.equal(shown.length, 2, `one read during the drag: ${JSON.stringify(shown)}`);
});

test('closing goes back to now and drops a read waiting for the slider to rest', (t) => {
  mockClock(t);
  const { tl, shown } = timeline();
  tl.open();
  tl.scrub(20);
  tl.close();
  mock.timers.tick(SCRUB_MAX_WAIT_MS);
  assert.deepEqual(shown, [{ seq: 40 }, null]);
  assert.equal(tl.past, false);
  assert.equal(tl.seq, null);
  tl.scrub(5);
  tl.step(1);
  tl.seek('2026-01-01T00:00:00Z');
  assert.deepEqual(shown, [{ seq: 40 }, null], 'live, the slider and the date do nothing');
});

test('a time is read at once and becomes the seq its answer names; the head follows the room', (t) => {
  mockClock(t);
  const { tl, shown, changes } = timeline();
  tl.open();
  tl.seek('2026-12-06T10:00:00.999Z');
  assert.deepEqual(shown, [{ seq: 40 }, { time: '2026-12-06T10:00:00.999Z' }]);
  assert.equal(tl.seq, null, 'not known until the answer');
  tl.step(-1);
  assert.equal(shown.length, 2, 'no step from an unknown seq');
  tl.resolved(17);
  assert.equal(tl.seq, 17);
  assert.deepEqual(tl.at, { seq: 17 });
  tl.resolved(3);
  assert.equal(tl.seq, 17, 'answers for a seq change nothing');
  const before = changes();
  tl.headMoved(45);
  assert.equal(tl.head, 45);
  assert.equal(changes(), before + 1, 'the slider reaches the new head');
  tl.headMoved(44);
  assert.equal(tl.head, 45, 'never back');
  tl.scrub(45);
  mock.timers.tick(SCRUB_REST_MS);
  assert.deepEqual(shown.at(-1), { seq: 45 });
});

test('a date-time input value reads the board at the end of the second it names', () => {
  const ms = Date.UTC(2026, 11, 6, 22, 49, 35, 420);
  const value = localInputValue(ms);
  assert.match(value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.equal(new Date(value).getTime(), ms - 420, 'local time, whole seconds');
  assert.equal(timeOfLocalInput(value), new Date(ms - 420 + 999).toISOString());
  assert.equal(timeOfLocalInput(value.slice(0, 16)), new Date(ms - 35_420 + 59_999).toISOString(), 'without seconds: the minute');
  assert.equal(timeOfLocalInput(''), null);
  assert.equal(timeOfLocalInput('not a time'), null);
});

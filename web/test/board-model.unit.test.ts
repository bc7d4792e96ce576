import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoardModel } from '../src/board/model.ts';
import { ENDED_LIVE_MS } from '../src/board/live-strokes.ts';
import type { Live } from '../src/gen/infidraw/realtime/v1/frames.ts';
import { added, erased, id, idHex, restored, stroke } from './fixtures.ts';

const peer = (sessionId: number, name = `p${sessionId}`) => ({ sessionId, userId: `u${sessionId}`, displayName: name, role: 2 });

test('committed strokes arrive once, in order, and replace the same stroke pending here or live from a peer', () => {
  const mine = stroke(1, [0, 0, 10, 0]);
  const m = new BoardModel('editor', [mine]);
  assert.deepEqual([...m.pending.keys()], [idHex(1)], 'unacked strokes from an earlier visit are drawn as pending');
  m.welcome(5, 'editor', [peer(6)]);
  m.applyLive({ sessionId: 6, body: { $case: 'strokeBegin', value: { stroke: stroke(2, [0, 10, 5, 10]) } } }, 0);
  assert.equal(m.live.size, 1);

  const got = m.applyEvents([added(1, mine), added(2, stroke(2, [0, 10, 5, 10, 9, 10])), added(3, stroke(3, [1, 1, 2, 2]))]);
  assert.deepEqual(got.added.map((r) => [r.id, r.seq]), [[idHex(1), 1], [idHex(2), 2], [idHex(3), 3]]);
  assert.equal(got.erasedOrRestored, false);
  assert.equal(m.pending.size, 0, 'its event acknowledges the pending stroke');
  assert.equal(m.live.size, 0, 'the committed stroke replaces the live one');
  assert.deepEqual(m.committed[1].d.xs, [0, 5, 9]);

  const again = m.applyEvents([added(4, stroke(3, [1, 1, 2, 2]))]);
  assert.deepEqual(again.added, [], 'a stroke id already here is not added twice');
  assert.equal(m.committed.length, 3);
  assert.ok(m.has(idHex(3)) && !m.has(idHex(9)));
});

test('erase and restore events hide and show strokes, drop their previews, and ask for the tiles again', () => {
  const m = new BoardModel('editor', []);
  m.applyEvents([added(1, stroke(1, [0, 0, 1, 1])), added(2, stroke(2, [0, 0, 1, 1]))]);
  m.ghosts.set(idHex(7), m.committed[0].d);
  const e = m.applyEvents([erased(3, 50, [1, 7])]);
  assert.equal(e.erasedOrRestored, true);
  assert.deepEqual(m.committed.map((r) => r.erased), [true, false]);
  assert.deepEqual([...m.erased.keys()].sort(), [idHex(1), idHex(7)], 'ids not here as vectors (snapshot pixels) count too');
  assert.equal(m.ghosts.size, 0, 'the erase came back: its preview is no longer needed');
  m.applyEvents([restored(4, 50, [1, 7])]);
  assert.deepEqual(m.committed.map((r) => r.erased), [false, false]);
  assert.equal(m.erased.size, 0);
});

test('undo and redo name one\'s own actions only, newest first; a new action ends the redo chain', () => {
  const m = new BoardModel('editor', []);
  m.welcome(1, 'editor', [peer(2)]);
  const s1 = stroke(1, [0, 0, 5, 5]);
  m.drew(s1);
  m.applyEvents([added(1, s1), added(2, stroke(2, [9, 9, 8, 8]))]); // the second is a peer's: never in the history
  const eraseId = m.erase([idHex(2)]);
  assert.equal(m.committed[1].erased, true, 'one\'s own erase hides at once');
  assert.ok(m.erased.has(idHex(2)));
  assert.equal(m.history.undo(), eraseId);
  assert.equal(m.history.undo(), idHex(1));
  assert.equal(m.history.undo(), undefined, 'the peer\'s stroke is not ours to undo');
  assert.equal(m.history.redo(), idHex(1));
  m.drew(stroke(3, [0, 0, 1, 0]));
  assert.equal(m.history.redo(), undefined, 'a new action clears what could be redone');
  assert.equal(m.history.undo(), idHex(3));
  assert.equal(m.history.undo(), idHex(1));
});

test('a reminted stroke keeps its drawing and its place in the history under the new id; a refused one goes', () => {
  const m = new BoardModel('editor', []);
  m.drew(stroke(1, [0, 0, 5, 5]));
  m.drew(stroke(2, [0, 0, 5, 6]));
  m.history.undo(); // stroke 2 into redo
  m.reminted(idHex(1), idHex(11));
  m.reminted(idHex(2), idHex(12));
  assert.deepEqual([...m.pending.keys()].sort(), [idHex(11), idHex(12)]);
  assert.equal(m.history.redo(), idHex(12));
  assert.equal(m.history.undo(), idHex(12));
  assert.equal(m.history.undo(), idHex(11));
  m.refused(idHex(11));
  assert.deepEqual([...m.pending.keys()], [idHex(12)]);
});

test('a viewer cannot edit; a Welcome gives the connection\'s role and resets who is here', () => {
  const m = new BoardModel('editor', []);
  assert.equal(m.canEdit, true);
  m.welcome(3, 'viewer', [peer(4), peer(5)]);
  assert.equal(m.canEdit, false);
  assert.equal(m.session, 3);
  assert.deepEqual([...m.peers.keys()], [4, 5]);
  m.applyLive({ sessionId: 4, body: { $case: 'cursorMove', value: { x: 1050, y: -250 } } }, 7);
  assert.deepEqual(m.cursors.get(4), { x: 10.5, y: -2.5, at: 7 });
  m.welcome(8, 'owner', [peer(5)]);
  assert.deepEqual([...m.peers.keys()], [5]);
  assert.equal(m.cursors.size, 0, 'cursors from before the reconnect are stale');
  assert.equal(m.canEdit, true);
});

test('live strokes of peers: begin, more points and pressures, end; cancelled, ended too long, or the session leaving drops them', () => {
  const m = new BoardModel('editor', []);
  m.welcome(1, 'editor', [peer(2), peer(3)]);
  const live = (sessionId: number, body: Live['body'], now = 0) => m.applyLive({ sessionId, body }, now);

  assert.equal(live(1, { $case: 'strokeBegin', value: { stroke: stroke(9, [0, 0, 1, 0]) } }), null, 'one\'s own echo is ignored');
  const pen = stroke(10, [0, 0, 1, 0], { quantum: 100, points: [0, 0, 1, 0], pressures: [100, 20] });
  assert.equal(live(2, { $case: 'strokeBegin', value: { stroke: pen } }), 'stroke');
  assert.equal(live(2, { $case: 'strokeMore', value: { strokeId: id(10), points: [2, 1, 0, 3], pressures: [-50, 10] } }), 'stroke');
  const ls = m.live.get(idHex(10))!;
  assert.deepEqual(ls.d.xs, [0, 1, 3, 3], 'deltas in the stroke\'s quantum (100 = one world unit)');
  assert.deepEqual(ls.d.ys, [0, 0, 1, 4]);
  assert.deepEqual(ls.d.ps, [100, 120, 70, 80]);
  assert.equal(live(2, { $case: 'strokeMore', value: { strokeId: id(99), points: [1, 1], pressures: [] } }), null, 'unknown stroke');

  live(2, { $case: 'strokeEnd', value: { strokeId: id(10), cancelled: false } }, 1000);
  assert.equal(m.live.expire(1000 + ENDED_LIVE_MS), false, 'an ended stroke waits for its commit');
  assert.equal(m.live.expire(1001 + ENDED_LIVE_MS), true, 'a commit that never comes: gone');
  assert.equal(m.live.size, 0);

  live(3, { $case: 'strokeBegin', value: { stroke: stroke(11, [0, 0, 1, 1]) } });
  live(3, { $case: 'strokeEnd', value: { strokeId: id(11), cancelled: true } });
  assert.equal(m.live.size, 0, 'cancelled');

  live(3, { $case: 'strokeBegin', value: { stroke: stroke(12, [0, 0, 1, 1]) } });
  live(2, { $case: 'strokeBegin', value: { stroke: stroke(13, [0, 0, 1, 1]) } });
  live(3, { $case: 'cursorMove', value: { x: 0, y: 0 } });
  m.presence({ joined: [peer(4)], leftSessionIds: [3] });
  assert.deepEqual([...m.live.values()].map((l) => l.session), [2], 'the leaver\'s stroke goes, the others stay');
  assert.equal(m.cursors.has(3), false);
  assert.deepEqual([...m.peers.keys()].sort(), [2, 4]);

  m.applyEvents([added(1, stroke(14, [0, 0, 1, 1]))]);
  assert.equal(live(2, { $case: 'strokeBegin', value: { stroke: stroke(14, [0, 0, 1, 1]) } }), null, 'already committed: not live again');
});

// Browser tests: the connection to realtime-go going away and coming back (strokes drawn offline and across a
// reload arrive exactly once), and the access of a connection changing under it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allSent, api, browserSuite, createBoard, online, openLink, opt, shareLink, sharedBoard, signup, storedStrokes, stroke, strokeCount, waitInk,
  waitStrokes,
} from './browser.ts';

const suite = browserSuite();

test('realtime-go stops while a user draws: after its restart the strokes arrive exactly once', opt, async () => {
  const alice = await suite.newPage();
  const bob = await suite.newPage();
  const roomId = await sharedBoard(alice, bob, ['Alice', 'Bob'], 'Offline');
  await stroke(alice, [[150, 200], [300, 200]]);
  await waitStrokes(bob, 1);
  await allSent(alice);
  const start = await strokeCount(bob);
  const storedBefore = (await storedStrokes(alice, roomId)).length;

  await suite.stack.realtime.stop();
  await alice.waitForSelector('#conn[data-state="offline"]', { timeout: 20_000 });
  // Draw while offline: two strokes, then reload (they live in localStorage), then a third.
  await stroke(alice, [[550, 300], [700, 300]]);
  await stroke(alice, [[550, 340], [700, 340]]);
  await alice.waitForSelector('#conn[data-unsent="2"]');
  await alice.reload();
  await alice.waitForSelector('#conn[data-state="offline"]', { timeout: 20_000 });
  await alice.waitForSelector('#conn[data-unsent="2"]');
  await waitInk(alice, 620, 300); // unsent strokes stay visible
  await stroke(alice, [[550, 380], [700, 380]]);
  await alice.waitForSelector('#conn[data-unsent="3"]');

  suite.stack.realtime = await suite.stack.startRealtime();
  await online(alice);
  await allSent(alice);
  await online(bob);
  await waitStrokes(bob, start + 3);
  for (const y of [300, 340, 380]) await waitInk(bob, 620, y);
  // Exactly once: every stroke id appears in one event only.
  const ids = (await storedStrokes(alice, roomId)).map((s) => s.id);
  assert.equal(ids.length, storedBefore + 3);
  assert.equal(new Set(ids).size, ids.length, 'no stroke stored twice');
  assert.equal(await strokeCount(bob), start + 3);
});

test('an editor lowered to viewer sees "your access changed" and goes on read-only; removed, the access ends', opt, async () => {
  const owner = await suite.newPage();
  await signup(owner, 'Olga');
  const roomId = await createBoard(owner, 'Roles change');
  const link = await shareLink(owner, roomId, 'editor');
  const ed = await suite.newPage();
  await signup(ed, 'Ed');
  await openLink(ed, link);
  assert.equal(await ed.textContent('.role'), 'editor');
  assert.equal(await ed.isVisible('.readonly'), false);
  const edId = await ed.evaluate(async () => ((await (await fetch('/api/auth/me')).json()) as { user: { id: string } }).user.id);

  assert.equal(await api(owner, 'PATCH', `/api/rooms/${roomId}/members/${edId}`, { role: 'viewer' }), 200);
  await ed.waitForSelector('#toast:has-text("Your access changed")', { timeout: 10_000 });
  await ed.waitForSelector('.readonly', { state: 'visible', timeout: 10_000 });
  await online(ed);
  assert.equal(await ed.textContent('.role'), 'viewer');
  assert.equal(await ed.isVisible('button[data-tool="pen"]'), false);

  assert.equal(await api(owner, 'DELETE', `/api/rooms/${roomId}/members/${edId}`), 204);
  await ed.waitForSelector('#toast:has-text("Your access to this board has ended")', { timeout: 10_000 });
  await ed.waitForSelector('#conn[data-state="closed"]', { timeout: 10_000 });
});

// Browser tests: the erasers. The object eraser finds strokes that are only pixels of a snapshot through the server's
// hit test; the pixel eraser takes pixels out of the strokes under it, for everyone and for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allSent, browserSuite, inkAt, online, opt, sharedBoard, storedStrokes, stroke, strokeCount, waitInk, waitSnapshotOnly, waitStrokes,
} from './browser.ts';

// Threshold 1: each test waits for its tile to be one snapshot with no delta strokes.
const suite = browserSuite({ snapshotStrokes: 1 });

/** Two editors on a new board of the first one's. */
async function twoEditors(names: [string, string], board: string) {
  const [a, b] = [await suite.newPage(), await suite.newPage()];
  return { a, b, roomId: await sharedBoard(a, b, names, board) };
}

test('the object eraser hits a stroke that lives only in a snapshot PNG; the other user sees it go', opt, async () => {
  const { a: ann, b: ben, roomId } = await twoEditors(['Ann', 'Ben'], 'Erase in a snapshot');
  // Four strokes inside level-0 tile (0, 0) (world 0..256; the view starts at -40): past the threshold of 3.
  await stroke(ann, [[150, 200], [200, 200], [270, 200]]);
  for (const y of [230, 250, 270]) await stroke(ann, [[160, y], [200, y + 5], [240, y]]);
  await allSent(ann);
  // Until the tile is one snapshot with no delta: then nobody gets these strokes as vectors from the tiles API.
  await waitSnapshotOnly(ann, roomId, 0, 0);
  for (const p of [ann, ben]) {
    await p.reload();
    await online(p);
    await p.waitForSelector('#stage[data-tile-snapshots="1"][data-tile-strokes="0"]');
    assert.equal(await strokeCount(p), 0, 'no stroke as a vector: the first one is only in the PNG');
    await waitInk(p, 210, 200);
  }
  // Ann erases across the first stroke: no vector of it is here, so the eraser asks the server's hit test
  // (GET strokes/at, the tile index), never the room's events.
  const asked: string[] = [];
  ann.on('request', (r) => {
    if (r.url().includes('/strokes/at?') || r.url().includes('/events')) asked.push(r.url());
  });
  await ann.keyboard.press('e');
  await stroke(ann, [[210, 185], [210, 215]]);
  await waitInk(ben, 210, 200, false);
  await waitInk(ann, 210, 200, false);
  assert.ok(asked.some((u) => u.includes('/strokes/at?')), 'the eraser asked the server hit test');
  assert.ok(!asked.some((u) => u.includes('/events')), `the eraser read no event history: ${asked.join(' ')}`);
  const [requests, hits] = ((await ann.getAttribute('#stage', 'data-eraser-lookups')) ?? '').split(',').map(Number);
  assert.ok(requests >= 1 && hits === 1, `lookups ${requests}, strokes found ${hits}`);
  for (const y of [230, 250, 270]) await waitInk(ben, 200, y + 5); // the others stay
  const erased = await ann.evaluate(async (roomId) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/events?format=json`)).json()) as { events: { strokesErased?: { strokeIds?: string[] } }[] };
    return j.events.filter((e) => e.strokesErased).map((e) => e.strokesErased!.strokeIds?.length ?? 0);
  }, roomId);
  assert.deepEqual(erased, [1], 'one erase of exactly one stroke');
  // After a reload the erased stroke does not come back from any snapshot, for either of them.
  for (const p of [ben, ann]) {
    await p.reload();
    await online(p);
    await waitInk(p, 200, 275);
    await waitInk(p, 210, 200, false);
    assert.equal(await inkAt(p, 210, 200), 0);
  }
});

test('the pixel eraser takes pixels out of a stroke for the other user too, and they stay out after a reload from snapshots', opt, async () => {
  const { a: pia, b: pat, roomId } = await twoEditors(['Pia', 'Pat'], 'Pixel eraser');
  // A stroke across the board, and two more in the level-0 tile (1, 1) (world 256..512; the view starts at -40) so
  // that tile passes the snapshot threshold (3 in the test stack) with the eraser's stroke.
  await stroke(pia, [[150, 400], [400, 400], [650, 400]]);
  await stroke(pia, [[320, 330], [360, 330]]);
  await waitStrokes(pat, 2);
  for (const x of [250, 400, 550]) await waitInk(pat, x, 400);
  // The pixel eraser (X) at 16 px is 48 px wide: a vertical pass at x = 400 cuts the stroke in two.
  await pia.keyboard.press('x');
  await pia.click('button.width[data-width="16"]');
  await stroke(pia, [[400, 340], [400, 400], [400, 460]]);
  await allSent(pia);
  await waitStrokes(pat, 3);
  for (const p of [pia, pat]) {
    await waitInk(p, 400, 400, false);
    await waitInk(p, 380, 400, false);
    await waitInk(p, 250, 400);
    await waitInk(p, 550, 400);
    await waitInk(p, 340, 330); // a stroke the eraser did not cross
  }
  const stored = await storedStrokes(pia, roomId);
  assert.deepEqual(stored.map((s) => s.tool), ['TOOL_PEN', 'TOOL_PEN', 'TOOL_PIXEL_ERASER'], 'the eraser is a stroke of its own');
  assert.equal(stored[2].width, 4800);

  // The tile under the cut becomes a snapshot: after a reload the gap comes from the server's PNG.
  await waitSnapshotOnly(pia, roomId, 360, 360);
  for (const p of [pat, pia]) {
    await p.reload();
    await online(p);
    await p.waitForFunction(() => Number(document.querySelector('#stage')?.getAttribute('data-tile-snapshots')) > 0);
    await waitInk(p, 250, 400);
    await waitInk(p, 550, 400);
    await waitInk(p, 340, 330);
    await waitInk(p, 400, 400, false);
    assert.equal(await inkAt(p, 400, 400), 0, 'erased to transparent, not painted white');
    assert.equal(await inkAt(p, 380, 400), 0);
  }
});

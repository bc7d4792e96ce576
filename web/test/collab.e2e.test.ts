// Browser tests: two people on one board. Live strokes and cursors, viewers, undo/redo and the object eraser as the
// other one sees them, and stroke ids taken by someone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  allSent, browserSuite, inkAt, online, openBoard, openLink, opt, shareLink, sharedBoard, storedStrokes, stroke, strokeCount, waitInk,
  waitStrokes,
} from './browser.ts';

const suite = browserSuite();
let shared: { roomId: string; alice: Page; bob: Page };

test('two users: what one draws appears on the other canvas while it is drawn', opt, async () => {
  const alice = await suite.newPage();
  const bob = await suite.newPage({ scale: 2 }); // HiDPI on one side
  const roomId = await sharedBoard(alice, bob, ['Alice', 'Bob'], 'Shared sketch');
  assert.equal(await bob.textContent('.role'), 'editor');
  await alice.waitForSelector('#presence li[data-session]');

  await waitInk(bob, 300, 200, false);
  await stroke(alice, [[150, 200], [250, 200], [350, 200], [450, 205]], { keepDown: true });
  // Still drawing: Bob already sees the ink (live strokes), before any commit.
  await waitInk(bob, 300, 200);
  assert.equal(await strokeCount(bob), 0, 'not committed yet');
  await alice.mouse.up();
  await waitStrokes(bob, 1);
  await waitInk(bob, 300, 200);
  // Bob sees Alice's cursor with her name.
  await bob.waitForSelector('.cursor .cursor-name:text("Alice")');
  shared = { roomId, alice, bob };
});

test('a viewer link opens the board read-only and the viewer cannot draw', opt, async () => {
  const { alice, roomId } = shared;
  const link = await shareLink(alice, roomId, 'viewer');
  await openBoard(alice, roomId);
  const before = await strokeCount(alice);
  const guest = await suite.newPage();
  await openLink(guest, link, 'Gina');
  assert.equal(await guest.textContent('.role'), 'viewer');
  assert.equal(await guest.isVisible('.readonly'), true);
  assert.equal(await guest.isVisible('button[data-tool="pen"]'), false);
  await waitInk(guest, 300, 200);
  // The viewer drags across an empty area and back (a drag pans for a viewer, by zero overall): nothing is
  // drawn, locally or for others.
  await stroke(guest, [[150, 400], [300, 400], [450, 400], [300, 400], [150, 400]]);
  assert.equal(await inkAt(guest, 300, 400), 0);
  // Barrier: Alice draws a marker; once the viewer has it, the viewer's drag would have arrived too.
  await stroke(alice, [[600, 100], [700, 100]]);
  await waitStrokes(guest, before + 1);
  await waitInk(guest, 650, 100);
  assert.equal(await strokeCount(alice), before + 1);
  assert.equal(await strokeCount(guest), before + 1);
  assert.equal(await inkAt(alice, 300, 400), 0);
  assert.equal(await inkAt(guest, 300, 400), 0);
});

test('undo, redo and the object eraser reach the other user', opt, async () => {
  const { alice, bob } = shared;
  await online(alice);
  await online(bob);
  await waitInk(bob, 300, 460, false);
  await stroke(alice, [[150, 460], [300, 460], [450, 460]]);
  await waitInk(bob, 300, 460);
  await allSent(alice);
  await alice.keyboard.press('Control+z');
  await waitInk(bob, 300, 460, false);
  await waitInk(alice, 300, 460, false);
  await alice.keyboard.press('Control+Shift+z');
  await waitInk(bob, 300, 460);
  await alice.keyboard.press('e');
  await stroke(alice, [[300, 440], [300, 480]]);
  await waitInk(bob, 300, 460, false);
  await waitInk(bob, 300, 200); // other strokes stay
});

test('a stroke id someone else took: the browser sends the stroke again under a new id and loses nothing', opt, async () => {
  const alice = await suite.newPage();
  const bob = await suite.newPage();
  // Each page's next 16 random bytes (the next stroke id) can be set: both mint the same id.
  for (const page of [alice, bob]) {
    await page.addInitScript(() => {
      const w = window as unknown as { nextId?: number[] };
      const random = crypto.getRandomValues.bind(crypto);
      crypto.getRandomValues = ((a: Uint8Array) => {
        if (w.nextId && a.length === 16) {
          a.set(w.nextId);
          w.nextId = undefined;
          return a;
        }
        return random(a);
      }) as typeof crypto.getRandomValues;
    });
  }
  const roomId = await sharedBoard(alice, bob, ['Alice', 'Bob'], 'Taken ids');
  const taken = Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);
  const nextId = (page: Page) => page.evaluate((id) => ((window as unknown as { nextId?: number[] }).nextId = id), taken);

  await nextId(bob);
  await stroke(bob, [[150, 150], [250, 150], [350, 155]]);
  await waitStrokes(alice, 1);
  await nextId(alice);
  await stroke(alice, [[150, 320], [250, 320], [350, 325]]);
  await allSent(alice);
  await waitStrokes(bob, 2);
  await waitInk(bob, 250, 320);
  await waitInk(alice, 250, 150);
  const ids = (await storedStrokes(alice, roomId)).map((s) => s.id);
  assert.equal(new Set(ids).size, 2, `two strokes under two ids: ${ids}`);
  assert.equal(await alice.evaluate((roomId) => localStorage.getItem(`infidraw:pending:${roomId}`), roomId), null, 'nothing left unsent');
  // Alice's undo follows the new id: her stroke goes, Bob's stays.
  await alice.keyboard.press('Control+z');
  await waitInk(bob, 250, 320, false);
  await waitInk(bob, 250, 150);
});

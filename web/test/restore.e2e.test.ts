// Browser tests: history as new actions (issue 16). An editor restores an area to a point of the timeline and undoes
// it with Ctrl+Z; the owner reverts what a guest did from the People dialog, undoes and redoes it, bans the guest and
// lifts the ban. Strokes are told apart by canvas pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  allSent, browserSuite, createBoard, events, openBoard, openLink, opt, origin, shareLink, showsPast, signup, stroke, waitInk, waitInPage,
  waitPicture,
} from './browser.ts';

const suite = browserSuite();

/** Drags the select tool's area between two canvas-relative CSS points. */
async function selectArea(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.click('button[data-tool="select"]');
  const o = await origin(page);
  await page.mouse.move(o.x + from[0], o.y + from[1]);
  await page.mouse.down();
  await page.mouse.move(o.x + to[0], o.y + to[1], { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('#export-panel', { state: 'visible' });
}

/** Waits until the room holds `n` events. */
async function waitEvents(page: Page, roomId: string, n: number): Promise<void> {
  await waitInPage(page, `${n} events stored`, async ([roomId, n]) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/events?format=json&limit=1000`)).json()) as { events: unknown[] };
    return j.events.length >= n;
  }, [roomId, n] as const);
}

async function toast(page: Page, text: string): Promise<void> {
  await page.waitForSelector(`#toast.show:has-text("${text}")`, { timeout: 20_000 });
}

test('restoring an area to a past point erases what was drawn there since, brings back what was erased, leaves the rest; Ctrl+Z undoes it; viewers cannot', {
  ...opt, timeout: 180_000,
}, async () => {
  const ann = await suite.newPage();
  await signup(ann, 'Ann');
  const roomId = await createBoard(ann, 'Restore');
  // The area is canvas x 100..400, y 100..400. A and B in it; A erased; then D in it and C outside it.
  const [a, b, d, c]: [number, number][] = [[225, 150], [225, 250], [225, 350], [675, 250]];
  await stroke(ann, [[150, 150], [300, 150]]);
  await stroke(ann, [[150, 250], [300, 250]]);
  await allSent(ann);
  await ann.keyboard.press('e');
  await stroke(ann, [[225, 130], [225, 170]]);
  await waitInk(ann, ...a, false);
  await waitEvents(ann, roomId, 3);
  await ann.keyboard.press('p');
  await stroke(ann, [[150, 350], [300, 350]]);
  await stroke(ann, [[600, 250], [750, 250]]);
  await allSent(ann);
  const log = await events(ann, roomId);
  assert.deepEqual(log.map((e) => e.kind), ['added', 'added', 'erased', 'added', 'added']);
  const [point, head] = [log[1].seq, log[4].seq];
  await waitPicture(ann, [[...a, false], [...b, true], [...d, true], [...c, true]], 'now');

  // At the head nothing in the area changed since: the server says so (409), and the board stays in the past.
  await ann.click('#history');
  await showsPast(ann, head);
  await selectArea(ann, [100, 100], [400, 400]);
  await ann.click('#restore-area');
  await toast(ann, 'Nothing to restore here');
  assert.equal(await ann.getAttribute('#stage', 'data-history'), 'past');
  assert.equal((await events(ann, roomId)).length, 5);

  // After B, before the erase: A is there, D and C are not yet.
  await ann.locator('#timeline-slider').fill(String(point));
  await showsPast(ann, point);
  await waitPicture(ann, [[...a, true], [...b, true], [...d, false], [...c, false]], 'at the point');
  await ann.waitForSelector('#restore-area', { state: 'visible' });
  await ann.click('#restore-area');
  await toast(ann, 'Restored: 1 stroke erased, 1 brought back');
  await ann.waitForSelector('#stage[data-history="live"]');
  await waitPicture(ann, [[...a, true], [...b, true], [...d, false], [...c, true]], 'restored');
  assert.deepEqual((await events(ann, roomId)).slice(5).map((e) => e.kind), ['erased', 'other'], 'one erase and one restore event');

  // Ctrl+Z undoes the restore as one action: A erased again, D back, B and C as they were.
  await ann.keyboard.press('Control+z');
  await waitPicture(ann, [[...a, false], [...b, true], [...d, true], [...c, true]], 'the restore undone');
  await waitEvents(ann, roomId, 9);
  assert.deepEqual((await events(ann, roomId)).slice(7).map((e) => e.kind), ['erased', 'other'], 'the undo erases A and restores D');

  // A viewer may select an area in the past (to export it) but is offered no restore.
  const link = await shareLink(ann, roomId, 'viewer');
  const vic = await suite.newPage();
  await openLink(vic, link, 'Vic');
  await vic.keyboard.press('t');
  await vic.waitForSelector('#stage[data-history="past"]');
  await selectArea(vic, [100, 100], [400, 400]);
  assert.equal(await vic.isVisible('#export-area'), true);
  assert.equal(await vic.isHidden('#restore-area'), true, 'no restore for viewers');
});

test("the owner reverts a guest from the People dialog (undo and redo too), bans the guest, whose page loses the board and cannot rejoin, and lifts the ban", {
  ...opt, timeout: 180_000,
}, async () => {
  const olga = await suite.newPage();
  await signup(olga, 'Olga');
  const roomId = await createBoard(olga, 'Revert');
  const [own, guests]: [number, number][] = [[225, 200], [225, 400]];
  await stroke(olga, [[150, 200], [300, 200]]);
  await allSent(olga);
  const link = await shareLink(olga, roomId, 'editor');
  await openBoard(olga, roomId);

  // The guest draws a stroke and erases the owner's.
  const gus = await suite.newPage();
  await openLink(gus, link, 'Gus');
  await stroke(gus, [[150, 400], [300, 400]]);
  await allSent(gus);
  await gus.keyboard.press('e');
  await stroke(gus, [[225, 180], [225, 220]]);
  await waitPicture(olga, [[...own, false], [...guests, true]], 'vandalised');

  // Revert everything the guest did: the guest's stroke goes, the owner's comes back, on both pages.
  await olga.click('#people-button');
  const row = '#people-members li.person:has-text("Gus")';
  await olga.click(`${row} .revert`);
  await olga.click('#people .revert-go');
  await toast(olga, 'Reverted Gus: 1 stroke erased, 1 brought back');
  await waitPicture(olga, [[...own, true], [...guests, false]], 'reverted');
  await waitPicture(gus, [[...own, true], [...guests, false]], "reverted, on the guest's page");

  // The revert is the owner's action: Ctrl+Z undoes it, Shift+Ctrl+Z redoes it.
  await olga.keyboard.press('Control+z');
  await waitPicture(olga, [[...own, false], [...guests, true]], 'the revert undone');
  await olga.keyboard.press('Control+Shift+z');
  await waitPicture(olga, [[...own, true], [...guests, false]], 'the revert redone');

  // Ban: the guest's connection ends and the guest moves from the members to the banned.
  olga.once('dialog', (dlg) => void dlg.accept());
  await olga.click(`${row} .ban`);
  await gus.waitForSelector('#conn[data-state="closed"]', { timeout: 20_000 });
  await toast(gus, 'Your access to this board has ended');
  await olga.waitForSelector('#people-banned li.person:has-text("Gus") .lift');
  assert.equal(await olga.locator(row).count(), 0, 'no longer a member');

  // The same guest cannot join again through the link.
  await gus.goto(link);
  await gus.click('#join');
  await gus.waitForSelector('p.error:has-text("banned")');
  assert.match(gus.url(), /\/join\//);

  // Lifted, the link lets the guest in again.
  await olga.click('#people-banned li.person:has-text("Gus") .lift');
  await olga.waitForSelector('#people-banned li.person:has-text("Gus")', { state: 'detached' });
  await gus.click('#join');
  await gus.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  await gus.waitForSelector('#conn[data-state="online"]', { timeout: 20_000 });
});

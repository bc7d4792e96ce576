// Browser tests: the timeline (issue 16). The board is shown as it was at a point of its history, read from the
// tiles API with at= / atTime=, while the WebSocket keeps the board now up to date for the way back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  allSent, browserSuite, drawnView, events, openLink, opt, sharedBoard, shareLink, showsPast, stroke, waitInk, waitInPage, waitPicture,
} from './browser.ts';

const suite = browserSuite();

/** Two frames drawn: whatever the page was asked to draw before is on the canvas. */
async function frames(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
}

test('the timeline shows the board as it was: steps, the slider, a date, panning in the past; back to live without a reload; a viewer looks back too', {
  ...opt, timeout: 240_000,
}, async () => {
  const [ann, ben] = [await suite.newPage(), await suite.newPage()];
  const roomId = await sharedBoard(ann, ben, ['Ann', 'Ben'], 'History');
  // Three strokes in three places (the view starts at world (-40, -40), zoom 1), then the first one erased.
  for (const y of [150, 300, 450]) await stroke(ann, [[150, y], [300, y], [450, y]]);
  await allSent(ann);
  await ann.keyboard.press('e');
  await stroke(ann, [[300, 130], [300, 170]]);
  await waitInk(ann, 300, 150, false);
  await waitInPage(ann, 'the erase is stored', async (roomId) => {
    const j = (await (await fetch(`/api/rooms/${roomId}/events?format=json&limit=1000`)).json()) as { events: { strokesErased?: unknown }[] };
    return j.events.some((e) => e.strokesErased);
  }, roomId);
  await ann.keyboard.press('p');
  const log = await events(ann, roomId);
  assert.deepEqual(log.map((e) => e.kind), ['added', 'added', 'added', 'erased']);
  const [third, erase] = [log[2].seq, log[3].seq];
  const pastReads: string[] = [];
  ann.on('request', (r) => {
    if (r.url().includes('/tiles?') && /[?&]at(Time)?=/.test(r.url())) pastReads.push(r.url());
  });
  await ann.evaluate(() => ((window as unknown as { samePage: boolean }).samePage = true));

  // Opened at the head: the board as it is, read from the past's tiles.
  await ann.click('#history');
  await showsPast(ann, erase);
  assert.equal(await ann.getAttribute('#timeline-slider', 'max'), String(erase));
  await waitPicture(ann, [[300, 150, false], [300, 300, true], [300, 450, true]], 'at the head');
  assert.ok(pastReads.length > 0 && pastReads.every((u) => u.includes(`at=${erase}`)), `read at the head: ${pastReads.join(' ')}`);

  // One event back, before the erase: the erased stroke is there again; the label names the event and its time.
  await ann.click('#timeline-back');
  await showsPast(ann, erase - 1);
  await waitPicture(ann, [[300, 150, true], [300, 300, true], [300, 450, true]], 'before the erase');
  await ann.waitForFunction((label) => (document.querySelector('#timeline-label')?.textContent ?? '').startsWith(label) &&
    (document.querySelector('#timeline-label')?.textContent ?? '').length > label.length + 4 &&
    (document.querySelector<HTMLInputElement>('#timeline-date')?.value ?? '') !== '', `event ${erase - 1} of ${erase} · `);

  // The slider dragged through five positions, one every 20 ms as a drag goes, ends before the third stroke: the
  // board is read once the slider rests (debounced), not at every position.
  const beforeScrub = pastReads.length;
  const positions = [erase, erase - 1, 1, erase, third - 1];
  await ann.evaluate(async (positions) => {
    const slider = document.querySelector<HTMLInputElement>('#timeline-slider')!;
    for (const v of positions) {
      slider.value = String(v);
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((next) => setTimeout(next, 20)); // the pace of a drag, not a wait for the board
    }
  }, positions);
  await showsPast(ann, third - 1);
  await waitPicture(ann, [[300, 150, true], [300, 300, true], [300, 450, false]], 'before the third stroke');
  const scrubReads = pastReads.slice(beforeScrub);
  assert.ok(scrubReads.length >= 1 && scrubReads.length < positions.length, `fewer reads than positions: ${scrubReads.join(' ')}`);
  assert.ok(scrubReads.at(-1)!.includes(`at=${third - 1}`));

  // Panning in the past (the left button pans: nothing is drawn) reads the new view's tiles at the same point.
  const panRead = ann.waitForRequest((r) => r.url().includes('/tiles?') && r.url().includes(`at=${third - 1}`));
  const box = (await ann.locator('#board-canvas').boundingBox())!;
  await ann.mouse.move(box.x + 800, box.y + 380);
  await ann.mouse.down();
  await ann.mouse.move(box.x + 500, box.y + 380, { steps: 10 });
  await ann.mouse.up();
  await panRead;
  await ann.waitForFunction(() => document.querySelector('#stage')?.getAttribute('data-view')?.startsWith('260,'));
  await showsPast(ann, third - 1);
  // The strokes moved 300 px left with the view: the first and second at x = 100, not the third.
  await waitPicture(ann, [[100, 150, true], [100, 300, true], [100, 450, false], [400, 300, false]], 'panned in the past');
  assert.equal((await events(ann, roomId)).length, 4, 'the drag in the past drew nothing');

  // A date long after the last event: read with atTime, which the server resolves to the head's seq.
  const timeRead = ann.waitForRequest((r) => r.url().includes('/tiles?') && r.url().includes('atTime='));
  await ann.fill('#timeline-date', '2999-02-03T04:05:06');
  await timeRead;
  await showsPast(ann, erase);
  await waitPicture(ann, [[100, 150, false], [100, 300, true], [100, 450, true]], 'at a date after the last event');
  assert.equal(await ann.inputValue('#timeline-slider'), String(erase));

  // Ben draws meanwhile: Ann's slider reaches the new head, her screen stays at the point she chose.
  await stroke(ben, [[600, 200], [700, 200], [800, 200]]); // world (560..760, 160): at x 300..500 on Ann's view
  await allSent(ben);
  await ann.waitForSelector(`#timeline-slider[max="${erase + 1}"]`);
  await frames(ann);
  assert.equal(await ann.getAttribute('#stage', 'data-at-seq'), String(erase));
  await waitPicture(ann, [[400, 200, false], [100, 300, true]], 'a live stroke in the past');

  // Forward to the new head: Ben's stroke too.
  await ann.click('#timeline-forward');
  await showsPast(ann, erase + 1);
  await waitPicture(ann, [[100, 150, false], [100, 300, true], [100, 450, true], [400, 200, true]], 'forward at the head');

  // Who drew in the view around the point (one event each side at this head): Ben at his stroke, not before it.
  await ann.waitForSelector(`#stage[data-view-authors="${erase + 1}:Ben"]`);
  assert.equal(await ann.textContent('#timeline-authors'), 'Drawn here around then: Ben (1)');
  await ann.click('#timeline-back');
  await ann.click('#timeline-back');
  await showsPast(ann, erase - 1);
  await ann.waitForFunction((p) => document.querySelector('#stage')?.getAttribute('data-view-authors')?.startsWith(p), `${erase - 1}:`);
  assert.equal(await ann.getAttribute('#stage', 'data-view-authors'), `${erase - 1}:Ann`, 'Ann drew and erased here then; Ben not yet');

  // Back to live: the board now, on the same page, and drawing works again.
  await ann.click('#timeline-live');
  await ann.waitForSelector('#stage[data-history="live"]:not([data-at-seq])');
  assert.equal(await ann.isHidden('#timeline'), true);
  await waitPicture(ann, [[100, 150, false], [100, 300, true], [100, 450, true], [400, 200, true]], 'live again');
  assert.equal(await ann.evaluate(() => (window as unknown as { samePage?: boolean }).samePage), true, 'no reload');
  assert.deepEqual(await drawnView(ann), { x: 260, y: -40, z: 1 }, 'the view panned in the past stays');
  await stroke(ann, [[300, 520], [500, 520]]);
  await waitInk(ann, 400, 520);
  await allSent(ann);
  assert.deepEqual((await events(ann, roomId)).map((e) => e.kind), ['added', 'added', 'added', 'erased', 'added', 'added']);

  // A viewer looks back too (T opens the timeline, Esc in the slider leaves it).
  const link = await shareLink(ann, roomId, 'viewer');
  const vic = await suite.newPage();
  await openLink(vic, link, 'Vic');
  await vic.waitForSelector('.board-page[data-readonly="true"]');
  await vic.keyboard.press('t');
  await showsPast(vic, erase + 2);
  await vic.locator('#timeline-slider').fill(String(erase - 1));
  await showsPast(vic, erase - 1);
  await waitPicture(vic, [[300, 150, true], [300, 300, true], [300, 450, true], [700, 200, false]], 'the viewer before the erase');
  await vic.keyboard.press('Escape');
  await vic.waitForSelector('#stage[data-history="live"]');
  await waitPicture(vic, [[300, 150, false], [300, 300, true], [700, 200, true]], 'the viewer back to live');
});

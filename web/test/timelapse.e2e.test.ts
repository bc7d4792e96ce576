// Browser test: downloading a timelapse (issue 16) of a selected area and of the view in the past, and playing it in
// Chromium: a WebM whose frames, duration and pictures are the board's history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Download, Page } from 'playwright-core';
import { readWebm } from '../../gateway-ts/test/webm.ts';
import { allSent, browserSuite, createBoard, events, opt, origin, showsPast, signup, stroke } from './browser.ts';

const suite = browserSuite();
const viewport = { width: 1280, height: 800 };

/** A drag with the select tool between two canvas-relative CSS points. */
async function select(p: Page, a: [number, number], b: [number, number]): Promise<void> {
  await p.keyboard.press('a');
  const q = await origin(p);
  await p.mouse.move(q.x + a[0], q.y + a[1]);
  await p.mouse.down();
  await p.mouse.move(q.x + b[0], q.y + b[1], { steps: 4 });
  await p.mouse.up();
  await p.waitForSelector('#export-panel:not([hidden])');
}

/** What Chromium makes of a video file, in a blank page (the board's CSP allows no media): its duration and size, the
 * frames it decoded playing it through, and the ink (dark pixels) of its first and last frames. */
async function play(file: Buffer): Promise<{ duration: number; width: number; height: number; decoded: number; inkFirst: number; inkLast: number }> {
  const page = await suite.newPage();
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const video = document.createElement('video');
    video.muted = true;
    video.src = URL.createObjectURL(new Blob([bytes], { type: 'video/webm' }));
    const once = (what: string) => new Promise<void>((ok, fail) => {
      video.addEventListener(what, () => ok(), { once: true });
      video.addEventListener('error', () => fail(new Error(`video error ${video.error?.code}: ${video.error?.message}`)), { once: true });
    });
    const ink = () => {
      const c = document.createElement('canvas');
      c.width = video.videoWidth;
      c.height = video.videoHeight;
      const g = c.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(video, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255 && d[i] < 100 && d[i + 1] < 100 && d[i + 2] < 100) n++;
      return n;
    };
    await once('loadeddata');
    // The first frame shown once it plays (at 30/s the first or the second), then the last one, where it stops.
    const inkFirst = new Promise<number>((ok) => video.requestVideoFrameCallback(() => ok(ink())));
    const ended = once('ended');
    await video.play();
    await ended;
    const inkLast = ink();
    return {
      duration: video.duration, width: video.videoWidth, height: video.videoHeight,
      decoded: video.getVideoPlaybackQuality().totalVideoFrames, inkFirst: await inkFirst, inkLast,
    };
  }, file.toString('base64'));
}

async function downloaded(d: Download): Promise<Buffer> {
  return readFileSync((await d.path())!);
}

test('timelapse: an area from empty to now and the view up to a past point, as WebM videos that Chromium plays', { ...opt, timeout: 180_000 }, async () => {
  const page = await suite.newPage({ viewport });
  await signup(page, 'Tia');
  const roomId = await createBoard(page, 'Time lapse');
  // Six horizontal strokes one under the other, then one far to the right, outside the area selected below.
  for (let i = 0; i < 6; i++) await stroke(page, [[200, 150 + 40 * i], [320, 150 + 40 * i], [440, 150 + 40 * i]]);
  await stroke(page, [[1000, 600], [1100, 600]]);
  await allSent(page);
  const log = await events(page, roomId);
  assert.equal(log.length, 7);

  // The area around the six strokes: six frames at 30/s, each adding a stroke.
  await select(page, [150, 100], [500, 400]);
  const [area] = await Promise.all([page.waitForEvent('download'), page.click('#timelapse-area')]);
  assert.equal(area.suggestedFilename(), 'Time_lapse-timelapse.webm');
  await page.waitForFunction(() => document.querySelector('#stage')?.getAttribute('data-timelapse') === 'done');
  assert.equal(await page.getAttribute('#stage', 'data-timelapse-frames'), '6');
  assert.equal(await page.isVisible('#timelapse-status'), false, 'the progress card goes once the file is saved');
  const file = await downloaded(area);
  const webm = readWebm(file);
  assert.equal(webm.codecId, 'V_VP8');
  assert.equal(webm.frames, 6, 'one frame per stroke in the area; the far stroke is left out');
  // 350 × 300 world units fitted into 1280 × 720: 840 × 720.
  assert.deepEqual([webm.width, webm.height], [840, 720]);
  const played = await play(file);
  assert.deepEqual([played.width, played.height], [840, 720]);
  assert.ok(Math.abs(played.duration - 6 / 30) < 0.02, `duration ${played.duration} s: 6 frames at 30/s`);
  assert.equal(played.decoded, 6, 'Chromium decoded every frame');
  assert.ok(played.inkFirst > 0, 'the first frame shown has the first stroke (or two)');
  assert.ok(played.inkLast > 2.5 * played.inkFirst, `the last frame has all six (ink ${played.inkLast} vs ${played.inkFirst})`);

  // In the past (after the third stroke), the timeline's Timelapse plays the view up to that point: three frames.
  await page.click('#history');
  await showsPast(page, log[6].seq);
  for (let s = log[6].seq; s > log[2].seq; s--) await page.click('#timeline-back');
  await showsPast(page, log[2].seq);
  const [view] = await Promise.all([page.waitForEvent('download'), page.click('#timeline-timelapse')]);
  await page.waitForFunction(() => document.querySelector('#stage')?.getAttribute('data-timelapse') === 'done');
  const past = readWebm(await downloaded(view));
  assert.equal(past.frames, 3, 'the view up to the third event: three frames');
  assert.equal(await page.getAttribute('#stage', 'data-timelapse-frames'), '3');
  // The view fitted into 1280 × 720: one side fills the box.
  assert.ok(past.width <= 1280 && past.height <= 720 && (past.width === 1280 || past.height === 720), `${past.width} × ${past.height}`);
});

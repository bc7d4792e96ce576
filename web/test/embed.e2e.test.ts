// Browser tests: the read-only embed of a share link in an <iframe> of another site. A page served from another
// origin (localhost vs the stack's 127.0.0.1, a port of its own) frames /embed/:token: the embed draws the board
// from tiles read through the link, pinned to a seq (cacheable), and shows a stroke committed after it opened, told by
// its event stream. The link is made in the share dialog, which gives the iframe snippet. A page of an origin the link
// does not name cannot frame it (CSP frame-ancestors).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Frame, Page } from 'playwright-core';
import { allSent, api, browserSuite, createBoard, openBoard, opt, signup, stroke } from './browser.ts';

const suite = browserSuite();
const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((ok) => s.close(ok)))));

/** A site of its own (http://localhost:<port>) whose one page frames the embed at `src` (set once the link exists). */
class FramingSite {
  src = 'about:blank';
  url = '';

  get origin(): string {
    return new URL(this.url).origin;
  }

  static async start(): Promise<FramingSite> {
    const site = new FramingSite();
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>A blog</title><h1>A blog post</h1><iframe id="board" src="${site.src}" width="700" height="460"></iframe>`);
    });
    servers.push(server);
    await new Promise<void>((ok) => server.listen(0, ok));
    site.url = `http://localhost:${(server.address() as AddressInfo).port}/post`;
    return site;
  }
}

/** Makes a viewer link that `origin` may embed in the boards page's share dialog; resolves with the iframe snippet's src. */
async function embedLink(page: Page, roomId: string, origin: string): Promise<string> {
  await page.goto('/');
  await page.click(`li[data-room="${roomId}"] button.share`);
  await page.fill('#embed-origins', origin);
  await page.click('#create-link');
  await page.waitForSelector('#embed-snippet:not([hidden])');
  const snippet = await page.inputValue('#embed-snippet');
  await page.click('.share-dialog .close');
  const src = /<iframe src="([^"]+)"/.exec(snippet)?.[1];
  assert.ok(src, `an iframe snippet: ${snippet}`);
  return src;
}

/** Waits until the embed's canvas pixel at a canvas-relative CSS point is dark ink. */
async function waitInkIn(frame: Frame, x: number, y: number): Promise<void> {
  await frame.waitForFunction(([x, y]) => {
    const c = document.querySelector<HTMLCanvasElement>('#board-canvas');
    if (!c) return false;
    const s = c.width / c.getBoundingClientRect().width;
    const d = c.getContext('2d')!.getImageData(Math.floor(x * s), Math.floor(y * s), 1, 1).data;
    return d[3] > 200 && d[0] < 80 && d[1] < 80 && d[2] < 80;
  }, [x, y] as const, { timeout: 20_000, polling: 'raf' });
}

test('an embed in an iframe of a named site shows the board, a stroke committed after it opened, pans; other sites cannot frame it; revoking stops it', opt, async () => {
  const owner = await suite.newPage();
  await signup(owner, 'Olga');
  const roomId = await createBoard(owner, 'Embedded board');
  // The board and the embed both start with world (-40, -40) at the canvas's top-left corner, at zoom 1.
  await stroke(owner, [[120, 150], [200, 150], [280, 150]]);
  await allSent(owner);

  const site = await FramingSite.start();
  const otherSite = await FramingSite.start();
  site.src = otherSite.src = await embedLink(owner, roomId, site.origin);
  assert.match(site.src, /\/embed\/[A-Za-z0-9_-]{32}$/);
  await openBoard(owner, roomId);
  const reader = await suite.newPage();
  const tileReads: { url: string; cache: string | undefined }[] = [];
  reader.on('response', (r) => {
    if (r.url().includes('/api/embed/') && r.url().includes('/tiles?')) tileReads.push({ url: r.url(), cache: r.headers()['cache-control'] });
  });
  await reader.goto(site.url);
  const frame = await (await reader.waitForSelector('#board')).contentFrame();
  assert.ok(frame, 'the iframe has a frame');
  await frame.waitForSelector('#stage[data-stream="open"][data-filled="true"]', { timeout: 20_000 });
  assert.equal(await frame.textContent('.room-name'), 'Embedded board');
  await waitInkIn(frame, 200, 150);
  assert.ok(tileReads.length >= 1, 'the embed read tiles through the link');
  assert.ok(tileReads.every((t) => /[?&]at=\d+/.test(t.url)), `every read is pinned to a seq: ${JSON.stringify(tileReads)}`);
  assert.ok(tileReads.some((t) => t.cache?.includes('immutable')), `pinned reads are immutable: ${JSON.stringify(tileReads)}`);
  // Aligned blocks of 8 × 8 level-0 tiles (256 world units, ×100 encoded): the URLs any other view asks for too.
  const block = 8 * 256 * 100;
  for (const { url } of tileReads) {
    const q = new URL(url).searchParams;
    const [minX, minY, maxX, maxY] = ['minX', 'minY', 'maxX', 'maxY'].map((k) => Number(q.get(k)));
    assert.ok(minX % block === 0 && minY % block === 0 && maxX - minX === block && maxY - minY === block, `an aligned block: ${url}`);
  }
  const seqBefore = Number(await frame.getAttribute('#stage', 'data-embed-seq'));

  // Drawn now on the board: the embed learns of it from its event stream and reads the tiles it touched again.
  await stroke(owner, [[420, 300], [500, 300], [580, 300]]);
  await allSent(owner);
  await waitInkIn(frame, 500, 300);
  assert.ok(Number(await frame.getAttribute('#stage', 'data-embed-seq')) > seqBefore, 'read at a later seq');
  await waitInkIn(frame, 200, 150);

  // Panned by a drag inside the iframe: the picture follows the pointer.
  const box = await (await frame.$('#board-canvas'))!.boundingBox();
  assert.ok(box);
  await reader.mouse.move(box.x + 300, box.y + 200);
  await reader.mouse.down();
  await reader.mouse.move(box.x + 200, box.y + 240, { steps: 5 });
  await reader.mouse.up();
  await waitInkIn(frame, 100, 190);
  await waitInkIn(frame, 400, 340);

  // Another site, not named by the link: Chromium refuses to show the embed in its frame.
  const refused: string[] = [];
  const blocked = await suite.newPage();
  blocked.on('console', (m) => refused.push(m.text()));
  await blocked.goto(otherSite.url);
  const blockedFrame = await (await blocked.waitForSelector('#board')).contentFrame();
  assert.ok(blockedFrame);
  // The refusal names the link's own origin: the embed is up, only not for this site.
  await waitFor(() => refused.some((t) => t.includes(`frame-ancestors ${site.origin}`)), 'Chromium reports the frame-ancestors refusal');
  assert.equal(await blockedFrame.$('#stage').catch(() => null), null, 'no embed in the refused frame');

  // The owner revokes the link: the open embed is told and stops, keeping what it shows.
  const linkId = await owner.evaluate(async (roomId) => ((await (await fetch(`/api/rooms/${roomId}/links`)).json()) as { id: string }[])[0].id, roomId);
  assert.equal(await api(owner, 'DELETE', `/api/rooms/${roomId}/links/${linkId}`), 204);
  await frame.waitForSelector('#stage[data-stream="ended"] .embed-ended', { timeout: 20_000 });
  await waitInkIn(frame, 100, 190);
});

/** Polls a condition of the test process (the console messages gathered) until it holds, for up to 15 s. */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

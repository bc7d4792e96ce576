// Takes the screenshots in docs/screenshots/ against the real stack: `node web/test/screenshots.ts`
// (after `npm run -w web build`).
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startStack, ROOT } from './stack.ts';

const out = join(ROOT, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const stack = await startStack();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const run = Date.now().toString(36);
try {
  const a = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 })).newPage();
  await a.goto(`${stack.origin}/login`);
  await a.screenshot({ path: join(out, 'login.png') });
  await a.goto(`${stack.origin}/signup`);
  await a.fill('input[name=email]', `ada-${run}@example.test`);
  await a.fill('input[name=displayName]', 'Ada');
  await a.fill('input[name=password]', 'correct horse battery');
  await a.click('button[type=submit]');
  await a.waitForSelector('#rooms');
  for (const name of ['Team retro', 'Floor plan', 'Garden sketch']) {
    await a.fill('form.create input', name);
    await a.click('form.create button');
    await a.waitForURL(/\/b\//);
    await a.goto(`${stack.origin}/`);
    await a.waitForSelector('#rooms li.room');
  }
  await a.screenshot({ path: join(out, 'boards.png') });
  const roomId = (await a.getAttribute('#rooms li.room', 'data-room'))!;
  await a.click(`li[data-room="${roomId}"] button.share`);
  await a.selectOption('.share-dialog select[name=role]', 'editor');
  await a.click('#create-link');
  await a.waitForFunction(() => (document.querySelector<HTMLInputElement>('#share-url')?.value ?? '').includes('/join/'));
  const link = await a.inputValue('#share-url');
  await a.screenshot({ path: join(out, 'share.png') });
  await a.goto(`${stack.origin}/b/${roomId}`);
  await a.waitForSelector('#conn[data-state="online"]');

  const b = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  await b.goto(link);
  await b.fill('input[name=displayName]', 'Grace');
  await b.click('#join');
  await b.waitForSelector('#conn[data-state="online"]');

  const box = (await a.locator('#board-canvas').boundingBox())!;
  const draw = async (p: Page, pts: [number, number][], o = box) => {
    await p.mouse.move(o.x + pts[0][0], o.y + pts[0][1]);
    await p.mouse.down();
    for (const [x, y] of pts.slice(1)) await p.mouse.move(o.x + x, o.y + y, { steps: 3 });
    await p.mouse.up();
  };
  const circle = (cx: number, cy: number, r: number, n = 40): [number, number][] =>
    Array.from({ length: n + 1 }, (_, i) => [cx + r * Math.cos((i / n) * 2 * Math.PI), cy + r * Math.sin((i / n) * 2 * Math.PI)]);
  const colour = (c: string) => a.click(`button.swatch[data-colour="${c}"]`);
  const width = (w: number) => a.click(`button.width[data-width="${w}"]`);
  await colour('#f08c00');
  await width(8);
  await draw(a, circle(1040, 140, 50));
  for (let i = 0; i < 8; i++) {
    const t = (i / 8) * 2 * Math.PI;
    await draw(a, [[1040 + 70 * Math.cos(t), 140 + 70 * Math.sin(t)], [1040 + 100 * Math.cos(t), 140 + 100 * Math.sin(t)]]);
  }
  await colour('#1e1e1e');
  await width(4);
  await draw(a, [[300, 560], [300, 360], [480, 230], [660, 360], [660, 560], [300, 560]]);
  await colour('#1971c2');
  await draw(a, [[440, 560], [440, 450], [520, 450], [520, 560]]);
  await draw(a, [[340, 400], [410, 400], [410, 460], [340, 460], [340, 400]]);
  await colour('#2f9e44');
  await width(16);
  const grass: [number, number][] = [];
  for (let x = 80; x <= 1200; x += 20) grass.push([x, 600 + 10 * Math.sin(x / 30)]);
  await draw(a, grass);
  await a.keyboard.press('i');
  await colour('#f08c00');
  await width(8);
  await draw(a, [[720, 420], [900, 420]]);
  await colour('#e03131');
  await a.keyboard.press('p');
  await width(4);
  const heart: [number, number][] = [];
  for (let i = 0; i <= 60; i++) {
    const t = (i / 60) * 2 * Math.PI;
    heart.push([810 + 4 * 16 * Math.sin(t) ** 3, 330 - 4 * (13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t))]);
  }
  await draw(a, heart);
  // Grace draws too and leaves her cursor on the board.
  const bbox = (await b.locator('#board-canvas').boundingBox())!;
  await b.click('button.swatch[data-colour="#7048e8"]');
  await draw(b, circle(150, 200, 40).concat(circle(150, 200, 20)), bbox);
  await b.mouse.move(bbox.x + 700, bbox.y + 250);
  await a.waitForSelector('.cursor .cursor-name');
  await a.waitForFunction(() => Number(document.querySelector('#stage')?.getAttribute('data-strokes')) >= 16, null, { timeout: 15000 }).catch(async (e: unknown) => { console.log(await a.evaluate(() => [document.querySelector('#stage')?.getAttribute('data-strokes'), document.querySelector('#conn')?.textContent, document.querySelector('#toast')?.textContent])); throw e; });
  await a.mouse.move(box.x + 1100, box.y + 450);
  await a.screenshot({ path: join(out, 'board.png') });
  await a.keyboard.press('?');
  await a.screenshot({ path: join(out, 'shortcuts.png') });
  await a.keyboard.press('Escape');
  // Export an area: the select tool (A), a rectangle around the house, 2×.
  await a.keyboard.press('a');
  await a.mouse.move(box.x + 270, box.y + 200);
  await a.mouse.down();
  await a.mouse.move(box.x + 500, box.y + 400, { steps: 4 });
  await a.mouse.move(box.x + 700, box.y + 590, { steps: 4 });
  await a.mouse.up();
  await a.click('button.scale[data-scale="2"]');
  await a.mouse.move(box.x + 1100, box.y + 450);
  await a.screenshot({ path: join(out, 'export-area.png') });
  await a.keyboard.press('Escape');
  await a.keyboard.press('p');
  // History (T): the board three events back, before the highlighter, the heart and Grace's circles.
  await a.keyboard.press('t');
  await a.waitForSelector('#stage[data-history="past"][data-filled="true"]');
  for (let i = 0; i < 3; i++) await a.click('#timeline-back');
  await a.waitForSelector(`#stage[data-at-seq="${await a.inputValue('#timeline-slider')}"][data-filled="true"]`);
  await a.waitForFunction(() => (document.querySelector('#timeline-label')?.textContent ?? '').includes(' · '));
  await a.mouse.move(box.x + 1100, box.y + 450);
  await a.screenshot({ path: join(out, 'history.png') });
  await a.keyboard.press('Escape');

  // A board of 60,000 real strokes (bin/seed, Quick, Draw!) over 60,000 × 60,000 world units, far out.
  await a.goto(`${stack.origin}/`);
  await a.fill('form.create input', 'Large board');
  await a.click('form.create button');
  await a.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  const bigRoom = a.url().split('/b/')[1];
  execFileSync(process.env.SEED_BIN ?? join(ROOT, 'bin', 'seed'), ['-room', bigRoom, '-strokes', '60000', '-spread', '60000', '-drawings', process.env.INFIDRAW_STROKES_DIR ?? join(ROOT, '..', 'shared', 'data', 'strokes', 'raw')],
    { env: { ...process.env, DATABASE_URL: stack.db }, stdio: ['ignore', 'ignore', 'inherit'] });
  await a.reload();
  await a.waitForSelector('#conn[data-state="online"]');
  await a.locator('#board-canvas').focus();
  for (let i = 0; i < 20; i++) await a.keyboard.press('-');
  await a.waitForSelector('#stage[data-drawn-level="6"][data-filled="true"]', { timeout: 120_000 });
  await a.mouse.move(box.x + 5, box.y + 5);
  await a.screenshot({ path: join(out, 'zoomed-out.png') });
  await a.evaluate(async (roomId) => { // the 60,000 strokes do not stay in the test database
    const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken?: string };
    await fetch(`/api/rooms/${roomId}`, { method: 'DELETE', headers: { 'x-csrf-token': me.csrfToken ?? '' } });
  }, bigRoom);
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  await stack.close();
}

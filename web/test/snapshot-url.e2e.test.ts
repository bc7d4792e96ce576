// Browser test: snapshots stored in S3 reach the browser through a presigned URL. The gateway's snapshot route
// redirects to the object store (tile-delta-go TILE_DELTA_SNAPSHOT_URL_TTL), and the web client's
// Content-Security-Policy admits that origin (GATEWAY_SNAPSHOT_ORIGINS): the board comes back from the PNG
// fetched from S3, without the gateway relaying its bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allSent, browserSuite, createBoard, online, opt, signup, stroke, waitInk, waitSnapshotOnly } from './browser.ts';
import { S3_ENDPOINT } from './stack.ts';

const suite = browserSuite({ s3: true, snapshotStrokes: 1 });

test('a snapshot in S3 is drawn from its presigned URL, allowed by the CSP', opt, async () => {
  const page = await suite.newPage();
  await signup(page, 'Sia');
  const roomId = await createBoard(page, 'Presigned');
  // Four strokes inside level-0 tile (0, 0): past the stack's threshold of 3.
  await stroke(page, [[150, 200], [200, 200], [230, 200]]);
  for (const y of [230, 250, 270]) await stroke(page, [[160, y], [200, y + 5], [240, y]]);
  await allSent(page);
  await waitSnapshotOnly(page, roomId, 0, 0);

  const fromS3: number[] = [];
  const blocked: string[] = [];
  page.on('response', (r) => {
    if (r.url().startsWith(`http://${S3_ENDPOINT}/`)) fromS3.push(r.status());
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
  });
  page.on('requestfailed', (r) => console.log(`# request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.reload();
  await online(page);
  try {
    await page.waitForSelector('#stage[data-tile-snapshots="1"][data-tile-strokes="0"]');
  } catch (e) {
    console.log('# stage:', await page.evaluate(() => JSON.stringify({ ...document.querySelector<HTMLElement>('#stage')?.dataset })), 'S3:', fromS3);
    throw e;
  }
  await waitInk(page, 210, 200);
  assert.deepEqual(blocked, [], 'the CSP blocked nothing');
  assert.ok(fromS3.includes(200), `the PNG came from the S3 server (responses: ${JSON.stringify(fromS3)})`);
});

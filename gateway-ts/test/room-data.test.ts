import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GetEventsResponse, IngestStrokesRequest } from '../src/gen/infidraw/realtime/v1/realtime_service';
import { Stroke, Tool } from '../src/gen/infidraw/stroke/v1/stroke';
import { uuidToBytes } from '../src/utils/uuid';
import { REALTIME_BIN, realtimeAvailable, signup, Stack, startStack } from './helpers';

const skip = realtimeAvailable() ? false : `missing ${REALTIME_BIN} (bash scripts/build.sh)`;
if (skip) console.log(`# SKIP room data: ${skip}`);

/** A stroke of the most points (10,000), about 40 KB: a zig-zag in a small box with two-byte deltas. */
function bigStroke(i: number): Stroke {
  const points = [i * 1000, 0];
  for (let k = 1; k < 10_000; k++) {
    const d = (150 + (k % 2)) * (k % 2 === 0 ? -1 : 1);
    points.push(d, d);
  }
  return { id: uuidToBytes(randomUUID())!, tool: Tool.TOOL_PEN, rgba: 0xff, width: 300, quantum: 1, points, pressures: [] };
}

const protobuf = (roomId: string, strokes: Stroke[]) => ({
  body: Buffer.from(IngestStrokesRequest.encode({ roomId, authorId: '', strokes }).finish()),
  headers: { 'content-type': 'application/x-protobuf' },
});

describe('room data through realtime-go', { skip }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('reads a room past 4 MiB in pages, every one a 200, every event once and in order', async () => {
    const owner = await signup(stack.gateway.url, 'pages');
    const roomId: string = (await owner.post('/api/rooms', { name: 'big strokes' })).json.id;
    const n = 320; // about 12.7 MB of strokes: the size that failed with 429 for ever
    for (let i = 0; i < n; i += 20) {
      const res = await owner.request('POST', `/api/rooms/${roomId}/strokes`, protobuf(roomId, Array.from({ length: 20 }, (_, k) => bigStroke(i + k))));
      assert.equal(res.status, 200, res.text);
    }
    const seqs: number[] = [];
    let pages = 0;
    for (let since = 0, more = true; more; pages++) {
      const res = await owner.get(`/api/rooms/${roomId}/events?since=${since}`);
      assert.equal(res.status, 200, res.text);
      const page = GetEventsResponse.decode(res.body);
      assert.ok(page.events.length > 0, `an empty page after ${since}`);
      seqs.push(...page.events.map((e) => e.seq));
      since = seqs[seqs.length - 1];
      more = page.hasMore;
      assert.equal(more, since < n);
      assert.equal(res.headers.get('x-has-more'), String(more));
    }
    assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i + 1));
    assert.ok(pages >= 12, `${pages} pages`);
  });

  it('a stroke id already used by another stroke is 409 naming it; the same stroke again is a duplicate', async () => {
    const owner = await signup(stack.gateway.url, 'conflict');
    const roomId: string = (await owner.post('/api/rooms', { name: 'ids' })).json.id;
    const id = randomUUID();
    const stroke = (points: number[]) => ({ strokes: [{ id, tool: 'pen', rgba: 1, width: 300, points }] });
    assert.equal((await owner.post(`/api/rooms/${roomId}/strokes`, stroke([0, 0, 10, 10]))).status, 200);
    const taken = await owner.post(`/api/rooms/${roomId}/strokes`, stroke([500, 500, 10, 10]));
    assert.equal(taken.status, 409, taken.text);
    assert.match(taken.json.message, new RegExp(`stroke 0 \\(id ${id}\\)`));
    const again = await owner.post(`/api/rooms/${roomId}/strokes`, stroke([0, 0, 10, 10]));
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.results, [{ strokeId: id, seq: 1, duplicate: true }]);
  });
});

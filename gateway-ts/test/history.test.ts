import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { GetTilesResponse } from '../src/gen/infidraw/tile/v1/tile';
import { uuidToBytes } from '../src/utils/uuid';
import { REALTIME_BIN, realtimeAvailable, signup, Stack, startStack, testDb } from './helpers';
import { decodePng } from './png';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';
import { penStroke, RealtimeClient } from './ws-client';

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP history: ${skip}`);

/** A horizontal pen line 40 world units long at height y (world units), inside tile (0, 0) of level 0. */
function line(y: number) {
  const s = penStroke();
  return { ...s, points: [1000, y * 100, 4000, 0] };
}

describe('reading a room as it was (at, atTime)', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;
  let objectDir: string;
  let db: Pool;
  let owner: Awaited<ReturnType<typeof signup>>;
  let viewer: Awaited<ReturnType<typeof signup>>;
  let roomId: string;
  let client: RealtimeClient;
  /** Stroke ids in hex, by name. */
  const ids: Record<string, string> = {};

  const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');
  const tilesAt = (q: string) => viewer.get(`/api/rooms/${roomId}/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600${q}`);
  /** The strokes of tile (0, 0) read at the query's point, by name, and the point read. */
  async function strokesAt(q: string): Promise<{ names: string[]; at: number }> {
    const res = await tilesAt(q);
    assert.equal(res.status, 200, res.text);
    const page = GetTilesResponse.decode(res.body);
    assert.equal(res.headers.get('x-at-seq'), String(page.atSeq));
    const byId = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
    const tile = page.tiles[0];
    assert.ok(!tile?.pending, 'a small past tile is read at once');
    assert.equal(tile?.snapshot, undefined, 'no snapshot: the threshold is not reached');
    return { names: (tile?.strokes ?? []).map((s) => byId[hex(s.id)]).sort(), at: page.atSeq };
  }
  async function commit(name: string, y: number): Promise<number> {
    const s = line(y);
    ids[name] = hex(s.id);
    const [req] = client.send({ $case: 'commitStroke', value: { stroke: s } });
    return (await client.next('ack', (a) => a.requestId === req)).seq;
  }
  /** The commit time of an event, exactly as stored (microseconds), in RFC 3339. */
  async function committedAt(seq: number): Promise<string> {
    const { rows } = await db.query(
      `select to_char(committed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t from stroke_events where room_id = $1 and seq = $2`,
      [roomId, seq],
    );
    return rows[0].t;
  }
  /** Ink pixels of the exported region at the query's point. */
  async function inkAt(q: string): Promise<number> {
    const res = await viewer.get(`/api/rooms/${roomId}/export.png?minX=0&minY=0&maxX=6000&maxY=6000&width=120${q}`);
    assert.equal(res.status, 200, res.text);
    const pic = decodePng(res.body);
    let ink = 0;
    for (let y = 0; y < pic.height; y++) for (let x = 0; x < pic.width; x++) if (pic.at(x, y)[3] > 0) ink++;
    return ink;
  }

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-history-objects-'));
    // No snapshot below 1000 strokes: every read answers strokes, which the tests name.
    tiles = await startTileServices(`file://${objectDir}`, 1000);
    stack = await startStack({ TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget });
    db = testDb();
    owner = await signup(stack.gateway.url, 'history-owner');
    viewer = await signup(stack.gateway.url, 'history-viewer');
    roomId = (await owner.post('/api/rooms', { name: 'History' })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    client = await RealtimeClient.connect(stack.realtime.wsUrl);
    client.join(roomId, (await owner.post(`/api/rooms/${roomId}/token`)).json.token);
    await client.next('welcome');
  });
  after(async () => {
    await client?.close();
    await stack?.close();
    await db?.end();
    await tiles?.stop();
    if (objectDir) rmSync(objectDir, { recursive: true, force: true });
  });

  it('a viewer reads each past point: strokes erased later are there, strokes erased by then are not', async () => {
    assert.equal(await commit('a', 10), 1);
    assert.equal(await commit('b', 20), 2);
    const erase = randomUUID();
    const [req] = client.send({ $case: 'eraseStrokes', value: { actionId: uuidToBytes(erase)!, strokeIds: [Buffer.from(ids.a, 'hex')] } });
    assert.equal((await client.next('ack', (a) => a.requestId === req)).seq, 3);
    const [undo] = client.send({ $case: 'undo', value: { actionId: uuidToBytes(erase)! } });
    assert.equal((await client.next('ack', (a) => a.requestId === undo)).seq, 4, 'the undone erase restores a');
    assert.equal(await commit('c', 30), 5);

    const cases: [string, string[], number][] = [
      ['&at=0', [], 0],
      ['&at=1', ['a'], 1],
      ['&at=2', ['a', 'b'], 2],
      ['&at=3', ['b'], 3],
      ['&at=4', ['a', 'b'], 4],
      ['&at=5', ['a', 'b', 'c'], 5],
      ['&at=99', ['a', 'b', 'c'], 5],
      ['', ['a', 'b', 'c'], 5],
    ];
    for (const [q, names, at] of cases) assert.deepEqual(await strokesAt(q), { names, at }, q || 'now');
  });

  it('atTime reads right after the last event committed by then', async () => {
    for (const seq of [1, 3, 5]) assert.deepEqual((await strokesAt(`&atTime=${await committedAt(seq)}`)).at, seq);
    assert.deepEqual(await strokesAt('&atTime=2001-01-01T00:00:00Z'), { names: [], at: 0 });
    assert.equal((await strokesAt(`&atTime=${new Date(Date.now() + 3_600_000).toISOString()}`)).at, 5);
  });

  it('export.png at a point draws the room as it was', async () => {
    const [before, erased, now] = [await inkAt('&at=2'), await inkAt('&at=3'), await inkAt('')];
    assert.ok(erased < before, `the erase removed ink (${erased} < ${before})`);
    assert.ok(now > before, `c added ink (${now} > ${before})`);
    assert.equal(await inkAt('&at=0'), 0, 'nothing before the first event');
  });

  it('authors lists who drew in the view around a point, with their display names', async () => {
    const authorsAt = async (q: string) => {
      const res = await viewer.get(`/api/rooms/${roomId}/authors?level=0&${q}`);
      assert.equal(res.status, 200, res.text);
      return res.json;
    };
    const view = 'minX=0&minY=0&maxX=25600&maxY=25600';
    const ownerWith = (events: number, lastSeq: number) => [{ userId: owner.userId, displayName: 'history-owner', events, lastSeq }];
    assert.deepEqual(await authorsAt(`${view}&at=2&span=1`), { atSeq: 2, authors: ownerWith(2, 3), partial: false }, 'events 2 and 3');
    assert.deepEqual((await authorsAt(`${view}&at=0&span=1`)).authors, ownerWith(1, 1), 'the first event only');
    assert.deepEqual((await authorsAt(`${view}&at=3`)).authors, ownerWith(5, 5), 'the default span takes in every event');
    assert.deepEqual((await authorsAt(`${view}&at=99&span=10`)).authors, [], 'nothing after the head');
    assert.deepEqual((await authorsAt('minX=-25600&minY=0&maxX=-1&maxY=25600&at=3')).authors, [], 'nothing drawn in another view');
    for (const q of [`${view}&span=1`, `${view}&at=1&span=0`, `${view}&at=1&span=10001`, 'minX=0&minY=0&maxX=0&maxY=1&at=1']) {
      assert.equal((await viewer.get(`/api/rooms/${roomId}/authors?level=0&${q}`)).status, 400, q);
    }
  });

  it('bad points are refused with a reason', async () => {
    for (const [q, reason] of [
      ['&at=-1', /at must not be less than 0/],
      ['&at=1.5', /at must be an integer/],
      ['&atTime=yesterday', /atTime must be RFC 3339/],
      ['&at=1&atTime=2001-01-01T00:00:00Z', /at or atTime, not both/],
    ] as const) {
      const res = await tilesAt(q);
      assert.equal(res.status, 400, q);
      assert.match(JSON.stringify(res.json), reason, q);
    }
  });
});

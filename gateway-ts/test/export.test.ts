import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodePng } from './png';
import { Caller, REALTIME_BIN, realtimeAvailable, signup, Stack, startStack } from './helpers';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP export: ${skip}`);

describe('GET /api/rooms/:id/export.png on the real stack', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;
  let objectDir: string;
  let base: string;
  let owner: Awaited<ReturnType<typeof signup>>;
  let viewer: Awaited<ReturnType<typeof signup>>;
  let other: Awaited<ReturnType<typeof signup>>;
  let roomId: string;

  // The tile (0, 0) of level 0, 256 world units square; a 256-pixel picture of it is 1:1.
  const exportPath = (room: string, q = 'minX=0&minY=0&maxX=25600&maxY=25600&width=256') => `/api/rooms/${room}/export.png?${q}`;

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-export-'));
    tiles = await startTileServices(`file://${objectDir}`, 64);
    stack = await startStack({ TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget });
    base = stack.gateway.url;
    owner = await signup(base, 'export-owner');
    viewer = await signup(base, 'export-viewer');
    other = await signup(base, 'export-other');
    roomId = (await owner.post('/api/rooms', { name: 'Export' })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: viewer.email, role: 'viewer' });
    // A blue line 16 world units wide across the tile at y = 128, from x = 20 to 236 (points are deltas).
    const line = { id: randomUUID(), tool: 'pen', rgba: 0x0000ffff, width: 1600, points: [2000, 12800, 21600, 0] };
    const res = await owner.post(`/api/rooms/${roomId}/strokes`, { strokes: [line] });
    assert.equal(res.status, 200, res.text);
  });
  after(async () => {
    await stack?.close();
    await tiles?.stop();
    if (objectDir) rmSync(objectDir, { recursive: true, force: true });
  });

  it('owner and viewer get the PNG with the stroke where it lies; another user 404, anonymous 401', async () => {
    const expect: [string, Caller, number][] = [
      ['owner', owner, 200],
      ['viewer', viewer, 200],
      ['other', other, 404],
      ['anonymous', new Caller(base), 401],
    ];
    for (const [name, who, status] of expect) {
      const r = await who.get(exportPath(roomId));
      assert.equal(r.status, status, `${name}: ${r.text}`);
      if (status !== 200) {
        assert.equal(typeof r.json?.message, 'string');
        continue;
      }
      assert.equal(r.headers.get('content-type'), 'image/png');
      assert.equal(r.headers.get('x-covers-seq'), '1');
      const pic = decodePng(r.body);
      assert.deepEqual([pic.width, pic.height], [256, 256]);
      const [red, , blue, alpha] = pic.at(128, 128);
      assert.ok(alpha > 240 && blue > 240 && red < 16, `blue ink on the stroke: ${pic.at(128, 128).join(",")}`);
      assert.equal(pic.at(128, 30)[3], 0, 'transparent far from the stroke');
    }
  });

  it('the height follows the region; a coarse region is drawn from a coarser level', async () => {
    const r = await owner.get(exportPath(roomId, 'minX=-102400&minY=-51200&maxX=102400&maxY=51200&width=512'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-export-level'), '2');
    const pic = decodePng(r.body);
    assert.deepEqual([pic.width, pic.height], [512, 256]);
    // World (128, 128) at 4 world units a pixel from (-1024, -512): pixel (288, 160).
    assert.ok(pic.at(288, 160)[3] > 128, `ink at the stroke: ${pic.at(288, 160).join(",")}`);
    assert.equal(pic.at(100, 40)[3], 0);
  });

  it('bad parameters are 400 with a message', async () => {
    const cases: [string, RegExp][] = [
      ['minX=0&minY=0&maxX=25600&maxY=25600', /width/],
      ['minX=0&minY=0&maxX=25600&maxY=25600&width=0', /width must not be less than 1/],
      ['minX=0&minY=0&maxX=25600&maxY=25600&width=4097', /width must not be greater than 4096/],
      ['minX=0&minY=0&maxX=25600&maxY=25600&width=1.5', /width must be an integer/],
      ['minX=0&minY=0&maxX=0&maxY=25600&width=256', /region is empty/],
      ['minX=0&minY=0&maxX=100&maxY=1000000&width=256', /at most 4096 pixels a side/],
      ['minY=0&maxX=25600&maxY=25600&width=256', /minX/],
      ['minX=0&minY=0&maxX=25600&maxY=25600&width=256&extra=1', /property extra should not exist/],
      // 4096 x 4096 pixels over 2e9 x 100 world units: more tiles than tile-delta-go renders.
      ['minX=-1000000000&minY=0&maxX=1000000000&maxY=400&width=4096', /tiles/],
    ];
    for (const [q, message] of cases) {
      const r = await owner.get(exportPath(roomId, q));
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.match(r.json.message, message, q);
    }
    assert.equal((await owner.get(`/api/rooms/not-a-uuid/export.png?minX=0&minY=0&maxX=1&maxY=1&width=1`)).status, 400);
  });
});

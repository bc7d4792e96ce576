import { Metadata, Server, ServerCredentials, ServerUnaryCall, sendUnaryData, status as GrpcStatus } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ExportRegionRequest, ExportRegionResponse, TileDeltaServiceServer, TileDeltaServiceService } from '../src/gen/infidraw/tile/v1/tile';
import { Gateway, Res, signup, startGateway } from './helpers';

const unimplemented = (_call: unknown, cb: sendUnaryData<never>) => cb({ code: GrpcStatus.UNIMPLEMENTED });

/**
 * A TileDeltaService whose ExportRegion answers only when the test says so (a slow export), or refuses
 * with RESOURCE_EXHAUSTED and a retry-after trailer as tile-delta-go does when its pixel budget is full.
 */
class HeldExports {
  readonly held: sendUnaryData<ExportRegionResponse>[] = [];
  exhausted = false;
  private server = new Server();
  target = '';

  async start() {
    const impl: TileDeltaServiceServer = {
      getTiles: unimplemented,
      renderTile: unimplemented,
      purgeRoom: unimplemented,
      hitStrokes: unimplemented,
      getSnapshot: unimplemented,
      regionChanges: unimplemented,
      viewAuthors: unimplemented,
      timelapse: (call: { emit(e: 'error', err: unknown): void }) => call.emit('error', { code: GrpcStatus.UNIMPLEMENTED }),
      exportRegion: (_call: ServerUnaryCall<ExportRegionRequest, ExportRegionResponse>, cb: sendUnaryData<ExportRegionResponse>) => {
        if (!this.exhausted) return void this.held.push(cb);
        const metadata = new Metadata();
        metadata.set('retry-after', '7');
        cb({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'the export pixel budget is in use; retry in 7 s', metadata });
      },
    };
    this.server.addService(TileDeltaServiceService, impl);
    const port = await new Promise<number>((ok, fail) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? fail(err) : ok(p))),
    );
    this.target = `127.0.0.1:${port}`;
  }

  /** Resolves when `n` exports are held, failing after 10 s. */
  async waitHeld(n: number) {
    const deadline = Date.now() + 10_000;
    while (this.held.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.held.length} exports held, want ${n}`);
      await new Promise((ok) => setTimeout(ok, 10));
    }
  }

  releaseAll() {
    for (const cb of this.held.splice(0)) cb(null, { png: Buffer.from('png'), coversSeq: 1, level: 0, tiles: 1 });
  }

  stop() {
    return new Promise<void>((ok) => this.server.tryShutdown(() => ok()));
  }
}

describe('export.png concurrency limit', () => {
  const LIMIT = 2;
  let tiles: HeldExports;
  let gw: Gateway;
  let owner: Awaited<ReturnType<typeof signup>>;
  let path: string;
  before(async () => {
    tiles = new HeldExports();
    await tiles.start();
    gw = await startGateway({ TILE_DELTA_TARGET: tiles.target, GATEWAY_EXPORT_CONCURRENCY: String(LIMIT) });
    owner = await signup(gw.url, 'exporter');
    const room = (await owner.post('/api/rooms', { name: 'Export' })).json.id;
    path = `/api/rooms/${room}/export.png?minX=0&minY=0&maxX=409600&maxY=409600&width=4096`;
  });
  after(async () => {
    tiles.releaseAll();
    await gw.close();
    await tiles.stop();
  });

  it('parallel exports over the limit get 429 with Retry-After at once while the others complete', async () => {
    const responses: Res[] = [];
    const all = Array.from({ length: LIMIT + 3 }, () => owner.get(path).then((r) => (responses.push(r), r)));
    await tiles.waitHeld(LIMIT);
    // The refused ones come back while the running ones are still held.
    const deadline = Date.now() + 10_000;
    while (responses.length < 3 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 10));
    assert.deepEqual(responses.map((r) => r.status), [429, 429, 429]);
    for (const r of responses) {
      assert.equal(r.headers.get('retry-after'), '2');
      assert.match(r.json.message, /too many exports at once/);
    }
    assert.equal(tiles.held.length, LIMIT, 'the refused exports never reached tile-delta-go');
    tiles.releaseAll();
    const statuses = (await Promise.all(all)).map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 429, 429, 429]);
    // The slots are free again.
    const again = owner.get(path);
    await tiles.waitHeld(1);
    tiles.releaseAll();
    assert.equal((await again).status, 200);
  });

  it("passes tile-delta-go's RESOURCE_EXHAUSTED on as 429 with its Retry-After", async () => {
    tiles.exhausted = true;
    try {
      const r = await owner.get(path);
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '7');
      assert.match(r.json.message, /pixel budget/);
    } finally {
      tiles.exhausted = false;
    }
  });
});

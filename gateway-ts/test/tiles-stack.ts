import { spawn, ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, REPO_ROOT, testDatabaseUrl, useOwnDatabase } from './helpers';

export const TILE_DELTA_BIN = process.env.TILE_DELTA_BIN ?? join(REPO_ROOT, 'bin', 'tile-delta-go');
export const SNAPSHOT_BIN = process.env.SNAPSHOT_BIN ?? join(REPO_ROOT, 'target', 'release', 'snapshot-server');
export const tileServicesAvailable = () => existsSync(TILE_DELTA_BIN) && existsSync(SNAPSHOT_BIN);

/** A spawned service with its output kept for failure messages. */
class Service {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => {
      this.output.push(d.toString());
      if (this.output.length > 300) this.output.splice(0, 150);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((ok) => child.once('exit', (code) => ok(code)));
  }

  /** Polls /healthz until 200 (a condition), failing when the process exits or after 30 s. */
  async healthy(url: string): Promise<void> {
    let gone = false;
    void this.exited.then(() => (gone = true));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(url).then((r) => r.status === 200, () => false);
      if (ok) return;
      if (gone || Date.now() > deadline) throw new Error(`${this.name} not healthy at ${url}:\n${this.output.join('').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

export interface TileServices {
  tileDeltaTarget: string;
  snapshotTarget: string;
  stop(): Promise<void>;
}

/**
 * snapshot-server and tile-delta-go on free loopback ports, writing snapshots to `objectStoreUrl`, each with its
 * `env` added. Start them first: they move the test file to a database of its own (useOwnDatabase), which the
 * gateway and realtime-go started after them use too, and which stop() drops (stop the rest before).
 */
export async function startTileServices(
  objectStoreUrl: string,
  snapshotStrokes = 3,
  env: { snapshot?: Record<string, string>; tileDelta?: Record<string, string> } = {},
): Promise<TileServices> {
  const dropDatabase = await useOwnDatabase();
  const [snapHttp, snapGrpc, tdHttp, tdGrpc] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const base = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' };
  const snapshot = new Service(
    'snapshot-rs',
    spawn(SNAPSHOT_BIN, [], {
      env: { ...base, SNAPSHOT_HTTP_LISTEN: `127.0.0.1:${snapHttp}`, SNAPSHOT_GRPC_LISTEN: `127.0.0.1:${snapGrpc}`, ...env.snapshot },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tileDelta = new Service(
    'tile-delta-go',
    spawn(TILE_DELTA_BIN, [], {
      env: {
        ...base,
        DATABASE_URL: testDatabaseUrl(),
        TILE_DELTA_HTTP_LISTEN: `127.0.0.1:${tdHttp}`,
        TILE_DELTA_GRPC_LISTEN: `127.0.0.1:${tdGrpc}`,
        SNAPSHOT_TARGET: `127.0.0.1:${snapGrpc}`,
        OBJECT_STORE_URL: objectStoreUrl,
        S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? '',
        S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? '',
        TILE_DELTA_SNAPSHOT_STROKES: String(snapshotStrokes),
        ...env.tileDelta,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  try {
    await snapshot.healthy(`http://127.0.0.1:${snapHttp}/healthz`);
    await tileDelta.healthy(`http://127.0.0.1:${tdHttp}/healthz`);
  } catch (err) {
    await Promise.all([tileDelta.stop(), snapshot.stop()]);
    await dropDatabase();
    throw err;
  }
  return {
    tileDeltaTarget: `127.0.0.1:${tdGrpc}`,
    snapshotTarget: `127.0.0.1:${snapGrpc}`,
    stop: async () => {
      await tileDelta.stop();
      await snapshot.stop();
      await dropDatabase();
    },
  };
}

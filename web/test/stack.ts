// Starts the real stack on free loopback ports for the browser tests: snapshot-rs, tile-delta-go, the
// gateway (serving the freshly built web/dist) and realtime-go, against a database of the stack's own (a copy of
// the migrated template that scripts/backing.sh template keeps) and the test Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { ownDatabase } from '../../gateway-ts/test/databases.ts';
import { freePort } from '../../gateway-ts/test/ports.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:56379/0';

export const BINARIES = {
  realtime: join(ROOT, 'bin', 'realtime-go'),
  tileDelta: join(ROOT, 'bin', 'tile-delta-go'),
  snapshot: join(ROOT, 'target', 'release', 'snapshot-server'),
  gateway: join(ROOT, 'gateway-ts', 'dist', 'main.js'),
  web: join(ROOT, 'web', 'dist', 'index.html'),
};

export function missing(): string[] {
  return Object.entries(BINARIES).filter(([, p]) => !existsSync(p)).map(([, p]) => p);
}

export class Proc {
  output: string[] = [];
  child: ChildProcess;
  exited: Promise<number | null>;
  readonly name: string;
  constructor(name: string, cmd: string, args: string[], env: Record<string, string>) {
    this.name = name;
    this.child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.output.push(d.toString());
      if (this.output.length > 400) this.output.splice(0, 200);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((ok) => this.child.once('exit', (code) => ok(code)));
  }

  /** Waits until `check` holds, failing early when the process exits. */
  async until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    for (;;) {
      if (await Promise.resolve().then(check).catch(() => false)) return;
      if (done) throw new Error(`${this.name} exited before ${what}:\n${this.output.join('').slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: ${what} not reached in ${timeoutMs} ms:\n${this.output.join('').slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}

async function healthy(url: string): Promise<boolean> {
  const r = await fetch(url);
  return r.status === 200;
}

export interface Stack {
  origin: string;
  wsUrl: string;
  startRealtime(): Promise<Proc>;
  realtime: Proc;
  /** URL of the stack's database: tile-delta-go's follower snapshots only its rooms. */
  db: string;
  close(): Promise<void>;
}

/** What a stack differs in: `s3` stores snapshots in the test S3 server (SeaweedFS) and has the gateway redirect
 * browsers to presigned URLs there (TILE_DELTA_SNAPSHOT_URL_TTL, GATEWAY_SNAPSHOT_ORIGINS). */
export interface StackOptions {
  s3?: boolean;
  /** An existing, migrated database to run on instead of a copy of the template (the pan benchmark's, which holds the room it adopts). */
  db?: string;
  /** tile-delta-go's snapshot threshold (default 3). 1: every commit ends in a snapshot covering it, so a tile becomes
   * one snapshot with no delta, whatever point of the drawing the follower's renders happened to read. */
  snapshotStrokes?: number;
  /** realtime-go's REALTIME_CROWD_SIZE: from this many people listed, viewers who join are counted, not listed. */
  crowdSize?: number;
}

/** Where the test S3 server listens (scripts/env.sh). */
export const S3_ENDPOINT = process.env.S3_ENDPOINT ?? '127.0.0.1:58333';

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const database = o.db ? { url: o.db, drop: async () => {} } : await ownDatabase();
  const db = database.url;
  const tmp = mkdtempSync(join(tmpdir(), 'infidraw-web-e2e-'));
  const [snapHttp, snapGrpc, tdHttp, tdGrpc, gwHttp, rtHttp, rtGrpc] = await Promise.all(Array.from({ length: 7 }, freePort));
  const origin = `http://127.0.0.1:${gwHttp}`;
  const wsUrl = `ws://127.0.0.1:${rtHttp}/ws`;
  const procs: Proc[] = [];
  const common = { LOG_LEVEL: 'warn' };

  const snapshot = new Proc('snapshot-rs', BINARIES.snapshot, [], { ...common, SNAPSHOT_HTTP_LISTEN: `127.0.0.1:${snapHttp}`, SNAPSHOT_GRPC_LISTEN: `127.0.0.1:${snapGrpc}` });
  procs.push(snapshot);
  const tileDelta = new Proc('tile-delta-go', BINARIES.tileDelta, [], {
    ...common, TILE_DELTA_HTTP_LISTEN: `127.0.0.1:${tdHttp}`, TILE_DELTA_GRPC_LISTEN: `127.0.0.1:${tdGrpc}`, DATABASE_URL: db,
    SNAPSHOT_TARGET: `127.0.0.1:${snapGrpc}`,
    ...(o.s3
      ? { OBJECT_STORE_URL: `s3://web-e2e-${process.pid}-${Date.now()}?endpoint=${S3_ENDPOINT}`, S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? '',
        S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? '', TILE_DELTA_SNAPSHOT_URL_TTL: '60s' }
      : { OBJECT_STORE_URL: `file://${join(tmp, 'objects')}` }),
    // Snapshots early, so that a short test sees its drawing come back from PNGs.
    TILE_DELTA_SNAPSHOT_STROKES: String(o.snapshotStrokes ?? process.env.TILE_DELTA_SNAPSHOT_STROKES ?? 3),
  });
  procs.push(tileDelta);
  const gateway = new Proc('gateway-ts', process.execPath, [BINARIES.gateway], {
    ...common, GATEWAY_HTTP_LISTEN: `127.0.0.1:${gwHttp}`, DATABASE_URL: db, REDIS_URL: REDIS,
    GATEWAY_REDIS_PREFIX: `infidraw:web-e2e:${process.pid}:`, REALTIME_TARGET: `127.0.0.1:${rtGrpc}`, TILE_DELTA_TARGET: `127.0.0.1:${tdGrpc}`,
    SNAPSHOT_TARGET: `127.0.0.1:${snapGrpc}`, GATEWAY_SIGNING_KEY_DIR: join(tmp, 'keys'), WEB_DIST_DIR: join(ROOT, 'web', 'dist'),
    GATEWAY_PUBLIC_ORIGIN: origin, GATEWAY_REALTIME_PUBLIC_URL: wsUrl, GATEWAY_AUTH_RATE_LIMIT: '100000',
    GATEWAY_AUTH_RATE_LIMIT_PER_ADDRESS: '100000', GATEWAY_GUEST_RATE_LIMIT_PER_ADDRESS: '100000', GATEWAY_GUEST_RATE_LIMIT_PER_LINK: '100000',
    ...(o.s3 ? { GATEWAY_SNAPSHOT_ORIGINS: `http://${S3_ENDPOINT}` } : {}),
  });
  procs.push(gateway);
  const startRealtime = async (): Promise<Proc> => {
    const p = new Proc('realtime-go', BINARIES.realtime, [], {
      ...common, LOG_LEVEL: 'info', DATABASE_URL: db, REDIS_URL: REDIS, REALTIME_HTTP_LISTEN: `127.0.0.1:${rtHttp}`, REALTIME_GRPC_LISTEN: `127.0.0.1:${rtGrpc}`,
      REALTIME_JWKS_URL: `${origin}/.well-known/jwks.json`, REALTIME_ALLOWED_ORIGINS: origin, REALTIME_REPLICA_ID: `web-e2e-${process.pid}`,
      ...(o.crowdSize !== undefined ? { REALTIME_CROWD_SIZE: String(o.crowdSize) } : {}),
    });
    await p.until('ready', () => healthy(`http://127.0.0.1:${rtHttp}/healthz`));
    return p;
  };
  try {
    await snapshot.until('healthy', () => healthy(`http://127.0.0.1:${snapHttp}/healthz`));
    await tileDelta.until('healthy', () => healthy(`http://127.0.0.1:${tdHttp}/healthz`));
    await gateway.until('listening', async () => (await fetch(`${origin}/.well-known/jwks.json`)).ok);
    const stack: Stack = {
      origin,
      wsUrl,
      startRealtime,
      realtime: await startRealtime(),
      db,
      async close() {
        await stack.realtime.stop();
        await Promise.all(procs.map((p) => p.stop()));
        await database.drop();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
    await gateway.until('healthy', () => healthy(`${origin}/healthz`));
    return stack;
  } catch (e) {
    await Promise.all(procs.map((p) => p.stop()));
    await database.drop();
    throw e;
  }
}

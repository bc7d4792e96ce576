import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn, ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import { createApp } from '../src/app';
import { GatewayConfig, loadConfig } from '../src/config';
import { ownDatabase, SHARED_TEST_DATABASE_URL } from './databases';
import { freePort } from './ports';

export const REPO_ROOT = resolve(__dirname, '../../..');
let databaseUrl = SHARED_TEST_DATABASE_URL;
/** The database of this test file's gateway, services and checks: the shared one, or its own after useOwnDatabase(). */
export const testDatabaseUrl = (): string => databaseUrl;
/**
 * Moves this test file (a process of its own under node --test) to a database of its own (ownDatabase), for
 * files that start tile-delta-go; call it before starting anything. Resolves with the function that drops it.
 */
export async function useOwnDatabase(): Promise<() => Promise<void>> {
  const db = await ownDatabase();
  databaseUrl = db.url;
  return async () => {
    databaseUrl = SHARED_TEST_DATABASE_URL;
    await db.drop();
  };
}
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:56379/0';

export { freePort };

/** Environment of a test gateway: test database, unique Redis prefix, fresh key dir, nothing on gRPC. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    GATEWAY_HTTP_LISTEN: '127.0.0.1:0',
    GATEWAY_REDIS_PREFIX: `test:${randomUUID()}:`,
    GATEWAY_SIGNING_KEY_DIR: mkdtempSync(join(tmpdir(), 'gw-keys-')),
    GATEWAY_AUTH_RATE_LIMIT: '100000',
    GATEWAY_AUTH_RATE_LIMIT_PER_ADDRESS: '100000',
    GATEWAY_GUEST_RATE_LIMIT_PER_ADDRESS: '100000',
    GATEWAY_GUEST_RATE_LIMIT_PER_LINK: '100000',
    WEB_DIST_DIR: join(tmpdir(), `gw-no-web-${randomUUID()}`),
    ...extra,
  };
}

/** Log lines a gateway wrote, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: { test: (l: Record<string, unknown>) => boolean; ok: (l: Record<string, unknown>) => void }[] = [];

  override _write(chunk: Buffer, _enc: string, done: () => void) {
    for (const text of chunk.toString().split('\n')) {
      if (!text.trim()) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.test(line) ? (w.ok(line), false) : true));
    }
    done();
  }

  /** The first line (written or still to come) that satisfies test. */
  waitFor(test: (l: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('no such log line')), timeoutMs);
      this.waiters.push({ test, ok: (l) => (clearTimeout(timer), ok(l)) });
    });
  }
}

export interface Gateway {
  app: NestFastifyApplication;
  config: GatewayConfig;
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Boots the gateway in this process on an ephemeral port. */
export async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const full = testEnv(env);
  const config = loadConfig(full);
  const logs = new LogCapture();
  const app = await createApp(config, { logStream: logs });
  await app.listen({ host: '127.0.0.1', port: config.http.port });
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, config, url: `http://127.0.0.1:${port}`, logs, close: () => app.close() };
}

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  body: Buffer;
  json: any;
}

/** An HTTP caller: anonymous, a bearer token, or a browser session (cookie + CSRF token). */
export class Caller {
  bearer?: string;
  cookie?: string;
  csrf?: string;

  constructor(readonly base: string) {}

  async request(
    method: string,
    path: string,
    opts: { json?: unknown; body?: Buffer | string; headers?: Record<string, string> } = {},
  ): Promise<Res> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in headers)) headers['x-csrf-token'] = this.csrf;
    let body: Buffer | string | undefined = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    const buf = Buffer.from(await res.arrayBuffer());
    const text = buf.toString('utf8');
    let json: unknown;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('infidraw_session='));
    if (setCookie) {
      const value = setCookie.split(';')[0];
      this.cookie = value === 'infidraw_session=' ? undefined : value;
    }
    return { status: res.status, headers: res.headers, text, body: buf, json };
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, { headers });
  post = (path: string, json?: unknown, headers?: Record<string, string>) => this.request('POST', path, { json, headers });
  patch = (path: string, json?: unknown) => this.request('PATCH', path, { json });
  delete = (path: string) => this.request('DELETE', path);
}

export const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 12)}@example.test`;
export const PASSWORD = 'correct horse battery';

/** Signs up a new account and returns a caller holding its bearer token (or cookie session). */
export async function signup(
  base: string,
  tag: string,
  session: 'bearer' | 'cookie' = 'bearer',
): Promise<Caller & { userId: string; email: string }> {
  const caller = new Caller(base) as Caller & { userId: string; email: string };
  const email = uniqueEmail(tag);
  const res = await caller.post('/api/auth/signup', { email, password: PASSWORD, displayName: tag, session });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  if (session === 'bearer') caller.bearer = res.json.token;
  else caller.csrf = res.json.csrfToken;
  caller.userId = res.json.user.id;
  caller.email = email;
  return caller;
}

/** A direct connection to the test database, for checking state (never for faking it). */
export function testDb(): Pool {
  return new Pool({ connectionString: testDatabaseUrl(), max: 2 });
}

export const REALTIME_BIN = process.env.REALTIME_BIN ?? join(REPO_ROOT, 'bin', 'realtime-go');
export const realtimeAvailable = () => existsSync(REALTIME_BIN);

export interface Realtime {
  process: ChildProcess;
  grpcTarget: string;
  wsUrl: string;
  httpUrl: string;
  output: string[];
  stop(): Promise<number | null>;
}

/**
 * Starts bin/realtime-go on the given loopback ports, verifying tokens against `jwksUrl`, with `env` added
 * to its environment, and waits until it reports itself ready.
 */
export async function startRealtime(ports: { http: number; grpc: number }, jwksUrl: string, env: Record<string, string> = {}): Promise<Realtime> {
  const httpPort = ports.http;
  const grpcPort = ports.grpc;
  const output: string[] = [];
  const child = spawn(REALTIME_BIN, [], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'info',
      DATABASE_URL: testDatabaseUrl(),
      REDIS_URL,
      REALTIME_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      REALTIME_GRPC_LISTEN: `127.0.0.1:${grpcPort}`,
      REALTIME_JWKS_URL: jwksUrl,
      REALTIME_REPLICA_ID: `gw-test-${process.pid}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  // Ready when its readiness (Postgres, Redis, our JWKS) first turns to serving: it logs that line.
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`realtime-go did not become ready in 30 s:\n${output.join('')}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      output.push(d.toString());
      if (/"readiness changed".*"serving":true/.test(d.toString())) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`realtime-go exited with ${code}:\n${output.join('')}`));
    });
  });
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  return {
    process: child,
    grpcTarget: `127.0.0.1:${grpcPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}/ws`,
    httpUrl,
    output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface Stack {
  gateway: Gateway;
  realtime: Realtime;
  close(): Promise<void>;
}

/** A gateway wired to a real realtime-go (which verifies tokens against the gateway's JWKS); each gets its env added. */
export async function startStack(env: Record<string, string> = {}, realtimeEnv: Record<string, string> = {}): Promise<Stack> {
  const ports = { http: await freePort(), grpc: await freePort() };
  const gateway = await startGateway({
    REALTIME_TARGET: `127.0.0.1:${ports.grpc}`,
    GATEWAY_REALTIME_PUBLIC_URL: `ws://127.0.0.1:${ports.http}/ws`,
    ...env,
  });
  let realtime: Realtime;
  try {
    realtime = await startRealtime(ports, `${gateway.url}/.well-known/jwks.json`, realtimeEnv);
  } catch (err) {
    await gateway.close();
    throw err;
  }
  return {
    gateway,
    realtime,
    close: async () => {
      await gateway.close();
      const code = await realtime.stop();
      if (code !== 0) throw new Error(`realtime-go exited with ${code}:\n${realtime.output.join('')}`);
    },
  };
}

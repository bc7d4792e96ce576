import { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';
import { HEALTH_SERVICE_DEFINITION, ServingStatus } from '../src/repositories/grpc-health.repository';
import { serveGrpc, GrpcTestServer } from './grpc-server';
import { Caller, freePort, Gateway, startGateway, testEnv } from './helpers';

/** A gRPC server speaking the standard grpc.health.v1 protocol with a status the test sets. */
function healthServer(status: () => ServingStatus): Promise<GrpcTestServer> {
  return serveGrpc(HEALTH_SERVICE_DEFINITION, {
    check: (_call: ServerUnaryCall<{ service: string }, unknown>, cb: sendUnaryData<{ status: ServingStatus }>) =>
      cb(null, { status: status() }),
  });
}

describe('foundation', () => {
  describe('with nothing on the gRPC ports', () => {
    let gw: Gateway;
    let anon: Caller;
    before(async () => {
      const [a, b, c] = [await freePort(), await freePort(), await freePort()];
      gw = await startGateway({
        REALTIME_TARGET: `127.0.0.1:${a}`,
        TILE_DELTA_TARGET: `127.0.0.1:${b}`,
        SNAPSHOT_TARGET: `127.0.0.1:${c}`,
      });
      anon = new Caller(gw.url);
    });
    after(() => gw.close());

    it('/healthz is 503 and names every failing gRPC service, with Postgres and Redis up', async () => {
      const res = await anon.get('/healthz');
      assert.equal(res.status, 503);
      assert.equal(res.json.status, 'error');
      assert.equal(res.json.details.postgres.status, 'up');
      assert.equal(res.json.details.redis.status, 'up');
      for (const dep of ['realtime', 'tile-delta', 'snapshot']) assert.equal(res.json.error[dep].status, 'down', dep);
      assert.equal(res.json.message, 'unhealthy: realtime, tile-delta, snapshot');
    });

    it('/metrics has the HTTP histogram by route and status, and default process metrics', async () => {
      await anon.get('/api/auth/me');
      const res = await anon.get('/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(res.text, /http_request_duration_seconds_bucket\{[^}]*route="\/api\/auth\/me"[^}]*status_code="401"/);
      assert.match(res.text, /process_cpu_user_seconds_total/);
      assert.match(res.text, /nodejs_eventloop_lag_seconds/);
    });

    it('serves the OpenAPI document and its UI under /api/docs', async () => {
      const doc = await anon.get('/api/docs-json');
      assert.equal(doc.status, 200);
      assert.match(doc.json.openapi, /^3\./);
      assert.ok(doc.json.paths['/api/rooms']);
      const ui = await anon.get('/api/docs');
      assert.equal(ui.status, 200);
      assert.match(ui.text, /swagger-ui/i);
    });

    it('answers every error with {statusCode, error, message, requestId}', async () => {
      const cases = [
        { res: await anon.get('/api/no-such-thing'), status: 404 },
        { res: await anon.get('/api/rooms'), status: 401 },
        { res: await anon.post('/api/auth/login', { email: 'nope' }), status: 400 },
        { res: await anon.request('POST', '/api/auth/login', { body: '{', headers: { 'content-type': 'application/json' } }), status: 400 },
        { res: await anon.request('POST', '/api/auth/login', { body: 'x', headers: { 'content-type': 'text/plain' } }), status: 415 },
        { res: await anon.request('DELETE', '/nothing-here'), status: 404 },
      ];
      for (const { res, status } of cases) {
        assert.equal(res.status, status, res.text);
        assert.deepEqual(Object.keys(res.json).filter((k) => k !== 'details').sort(), ['error', 'message', 'requestId', 'statusCode']);
        assert.equal(res.json.statusCode, status);
        assert.equal(typeof res.json.message, 'string');
        assert.ok(res.json.message.length > 0);
        assert.equal(res.json.requestId, res.headers.get('x-request-id'));
      }
    });

    it('keeps a valid incoming X-Request-Id and replaces an invalid one', async () => {
      const kept = await anon.get('/api/rooms', { 'x-request-id': 'trace-abc.123' });
      assert.equal(kept.headers.get('x-request-id'), 'trace-abc.123');
      assert.equal(kept.json.requestId, 'trace-abc.123');
      const replaced = await anon.get('/api/rooms', { 'x-request-id': 'bad id with spaces' });
      assert.notEqual(replaced.headers.get('x-request-id'), 'bad id with spaces');
    });

    it('sends the security headers, and says the web client is not built at /', async () => {
      const res = await anon.get('/');
      assert.equal(res.status, 200);
      assert.match(res.text, /web client is not built/);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /object-src 'none'/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
    });
  });

  describe('with the gRPC services serving', () => {
    let gw: Gateway;
    let status = ServingStatus.SERVING;
    const servers: { target: string; stop(): Promise<void> }[] = [];
    before(async () => {
      for (let i = 0; i < 3; i++) servers.push(await healthServer(() => status));
      gw = await startGateway({
        REALTIME_TARGET: servers[0].target,
        TILE_DELTA_TARGET: servers[1].target,
        SNAPSHOT_TARGET: servers[2].target,
      });
    });
    after(async () => {
      await gw.close();
      await Promise.all(servers.map((s) => s.stop()));
    });

    it('/healthz is 200 when Postgres, Redis and all three services are SERVING', async () => {
      const res = await new Caller(gw.url).get('/healthz');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.status, 'ok');
      assert.deepEqual(Object.keys(res.json.details).sort(), ['postgres', 'realtime', 'redis', 'snapshot', 'tile-delta']);
    });

    it('/healthz is 503 when a service answers NOT_SERVING', async () => {
      status = ServingStatus.NOT_SERVING;
      const res = await new Caller(gw.url).get('/healthz');
      status = ServingStatus.SERVING;
      assert.equal(res.status, 503);
      assert.match(res.json.error.realtime.message, /NOT_SERVING/);
    });
  });

  describe('the web client', () => {
    let gw: Gateway;
    let anon: Caller;
    before(async () => {
      const dist = mkdtempSync(join(tmpdir(), 'gw-web-'));
      mkdirSync(join(dist, 'assets'));
      writeFileSync(join(dist, 'index.html'), '<!doctype html><title>infidraw app</title>');
      writeFileSync(join(dist, 'assets', 'index-3f9a8b7c.js'), 'console.log("app")');
      writeFileSync(join(dist, 'favicon.ico'), 'icon');
      gw = await startGateway({ WEB_DIST_DIR: dist });
      anon = new Caller(gw.url);
    });
    after(() => gw.close());

    it('serves index.html at / without long caching', async () => {
      const res = await anon.get('/');
      assert.equal(res.status, 200);
      assert.match(res.text, /infidraw app/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
    });

    it('serves hashed assets as immutable and other files revalidated', async () => {
      const asset = await anon.get('/assets/index-3f9a8b7c.js');
      assert.equal(asset.status, 200);
      assert.match(asset.headers.get('content-type') ?? '', /javascript/);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const icon = await anon.get('/favicon.ico');
      assert.equal(icon.status, 200);
      assert.equal(icon.headers.get('cache-control'), 'public, max-age=0, must-revalidate');
    });

    it('falls back to index.html for client routes, but not for /api or missing files', async () => {
      const route = await anon.get('/rooms/123/whatever');
      assert.equal(route.status, 200);
      assert.match(route.text, /infidraw app/);
      assert.equal((await anon.get('/api/unknown')).json.statusCode, 404);
      assert.equal((await anon.get('/assets/missing-12345678.js')).status, 404);
      // A raw path that climbs out of the directory (fetch would normalise it first).
      const climb = await new Promise<number>((ok, fail) =>
        get(`${gw.url}/..%2f..%2f..%2fetc%2fpasswd`, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        }).on('error', fail),
      );
      assert.equal(climb, 404);
    });
  });

  describe('configuration', () => {
    it('rejects bad values, naming each variable', () => {
      assert.throws(
        () => loadConfig(testEnv({ GATEWAY_HTTP_LISTEN: 'nope', REDIS_URL: 'http://x', GATEWAY_ROOM_TOKEN_TTL_SECONDS: '301' })),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          const text = err.issues.join('\n');
          assert.match(text, /GATEWAY_HTTP_LISTEN/);
          assert.match(text, /REDIS_URL/);
          assert.match(text, /GATEWAY_ROOM_TOKEN_TTL_SECONDS/);
          return true;
        },
      );
      assert.throws(() => loadConfig({}), /DATABASE_URL/);
    });

    it('applies the documented defaults', () => {
      const c = loadConfig({ DATABASE_URL: 'postgres://a@b/c', REDIS_URL: 'redis://r:1' });
      assert.deepEqual(c.http, { host: '0.0.0.0', port: 8080 });
      assert.equal(c.grpc.realtime, '127.0.0.1:9091');
      assert.equal(c.grpc.tileDelta, '127.0.0.1:9092');
      assert.equal(c.grpc.snapshot, '127.0.0.1:9093');
      assert.equal(c.publicOrigin, 'http://localhost:8080');
      assert.match(c.signingKeyDir, /\.data[/\\]keys$/);
      assert.match(c.webDistDir, /web[/\\]dist$/);
      assert.ok(c.roomTokenTtlSeconds <= 300);
      assert.deepEqual(c.allowedOrigins, ['http://localhost:8080']);
      assert.deepEqual(c.trustedProxies, []);
      assert.deepEqual(c.loginAddressRateLimit, { max: 50, windowSeconds: 60 });
      assert.deepEqual(c.guestRateLimit, { perAddress: { max: 30, windowSeconds: 600 }, perLink: { max: 300, windowSeconds: 600 } });
      assert.equal(c.guestRetentionDays, 30);
      assert.deepEqual(c.argon2, { concurrency: 2, queue: 32 });
      assert.equal(c.exportConcurrency, 2);
    });

    it('reads proxy CIDRs and extra origins as lists, and refuses the old GATEWAY_TRUST_PROXY=true', () => {
      const c = loadConfig(
        testEnv({ GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8, 172.16.0.0/12,fd00::/8 , 192.0.2.1', GATEWAY_ALLOWED_ORIGINS: 'https://A.example.test/,http://b.example.test:81' }),
      );
      assert.deepEqual(c.trustedProxies, ['10.0.0.0/8', '172.16.0.0/12', 'fd00::/8', '192.0.2.1']);
      assert.deepEqual(c.allowedOrigins, ['http://localhost:8080', 'https://a.example.test', 'http://b.example.test:81']);
      assert.equal(loadConfig(testEnv({ GATEWAY_TRUST_PROXY: 'false' })).trustedProxies.length, 0);
      const bad: [Record<string, string>, RegExp][] = [
        [{ GATEWAY_TRUST_PROXY: 'true' }, /GATEWAY_TRUST_PROXY: was replaced by GATEWAY_TRUSTED_PROXIES/],
        [{ GATEWAY_TRUSTED_PROXIES: '10.0.0.0/33' }, /GATEWAY_TRUSTED_PROXIES/],
        [{ GATEWAY_TRUSTED_PROXIES: 'ingress-nginx' }, /GATEWAY_TRUSTED_PROXIES/],
        [{ GATEWAY_ALLOWED_ORIGINS: 'https://a.example.test/app' }, /GATEWAY_ALLOWED_ORIGINS/],
        [{ GATEWAY_ARGON2_CONCURRENCY: '0' }, /GATEWAY_ARGON2_CONCURRENCY/],
      ];
      for (const [env, message] of bad) assert.throws(() => loadConfig(testEnv(env)), message, JSON.stringify(env));
    });

    const main = resolve(__dirname, '../../dist/main.js');

    it('the process refuses to start on bad configuration (exit 2, JSON on stderr)', async () => {
      const child = spawn(process.execPath, [main], { env: { ...testEnv(), GATEWAY_HTTP_LISTEN: 'bad' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((ok) => child.once('exit', ok));
      assert.equal(code, 2);
      assert.match(JSON.parse(stderr.trim().split('\n')[0]).msg, /GATEWAY_HTTP_LISTEN/);
    });

    it('the process logs one JSON object per line with request ids, and exits 0 on SIGTERM', async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [main], {
        env: { ...testEnv(), GATEWAY_HTTP_LISTEN: `127.0.0.1:${port}`, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: Record<string, any>[] = [];
      let waiter: { test: (l: Record<string, any>) => boolean; ok: () => void } | undefined;
      let partial = '';
      child.stdout.on('data', (d: Buffer) => {
        partial += d.toString();
        const complete = partial.split('\n');
        partial = complete.pop()!;
        for (const text of complete) {
          const line = JSON.parse(text) as Record<string, any>; // every line must be JSON
          lines.push(line);
          if (waiter?.test(line)) waiter.ok();
        }
      });
      const logged = (test: (l: Record<string, any>) => boolean) =>
        new Promise<void>((ok, fail) => {
          if (lines.some(test)) return ok();
          waiter = { test, ok };
          child.once('exit', (code) => fail(new Error(`exited with ${code}`)));
        });
      await logged((l) => l.msg === 'Nest application successfully started');

      const res = await fetch(`http://127.0.0.1:${port}/api/rooms`, { headers: { 'x-request-id': 'log-check-1', authorization: 'Bearer ' + 'a'.repeat(43) } });
      assert.equal(res.status, 401);
      await logged((l) => l.req?.id === 'log-check-1' && l.res !== undefined);
      const line = lines.find((l) => l.req?.id === 'log-check-1' && l.res !== undefined)!;
      assert.equal(line.level, 'warn');
      assert.equal(line.service, 'gateway-ts');
      assert.equal(line.res.statusCode, 401);
      assert.ok(!Number.isNaN(Date.parse(line.time)));
      assert.ok(!JSON.stringify(lines).includes('a'.repeat(43)), 'credentials never reach the logs');

      const exited = new Promise<number | null>((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(lines.some((l) => /SIGTERM received/.test(String(l.msg))));
    });
  });
});

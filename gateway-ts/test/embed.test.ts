import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { ClientRequest, get as httpGet, IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';
import { Redis } from 'ioredis';
import { BusMessage } from '../src/gen/infidraw/realtime/v1/bus';
import { GetTilesResponse } from '../src/gen/infidraw/tile/v1/tile';
import { Caller, freePort, Gateway, REALTIME_BIN, realtimeAvailable, REDIS_URL, signup, Stack, startGateway, startStack, testEnv } from './helpers';
import { SNAPSHOT_BIN, startTileServices, TILE_DELTA_BIN, TileServices, tileServicesAvailable } from './tiles-stack';

const missing = [REALTIME_BIN, TILE_DELTA_BIN, SNAPSHOT_BIN].filter((_, i) => !(i === 0 ? realtimeAvailable() : tileServicesAvailable()));
const skip = missing.length ? `missing ${missing.join(', ')} (bash scripts/build.sh)` : false;
if (skip) console.log(`# SKIP embed: ${skip}`);

const EMBED_HTML = '<!doctype html><title>embed</title><div id="embed"></div>';
const ORIGINS = ['https://blog.example.com', 'http://127.0.0.1:5173'];

/** A straight pen stroke from (x, y) 40 world units to the right (encoded units: world x 100, deltas after the first). */
function line(x: number, y: number) {
  return { id: randomUUID(), tool: 'pen', rgba: 0x1e1e1eff, width: 300, points: [x * 100, y * 100, 4000, 0] };
}

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * An open text/event-stream: its events one at a time (null once it ended). Comments and `retry:` are skipped. On
 * node:http rather than fetch: an aborted fetch leaves the gateway a connection it counts as busy, which holds up its
 * close for a minute.
 */
class EventStream {
  private buffer = '';
  private readonly chunks: (string | null)[] = [];
  private wake: (() => void) | null = null;
  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly request: ClientRequest,
  ) {}

  static open(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
    return new Promise((ok, fail) => {
      const request = httpGet(url, { headers }, (res) => {
        const stream = new EventStream(res.statusCode ?? 0, res.headers, request);
        res.setEncoding('utf8');
        const push = (c: string | null) => {
          stream.chunks.push(c);
          stream.wake?.();
        };
        res.on('data', (c: string) => push(c));
        res.on('end', () => push(null));
        res.on('error', () => push(null));
        ok(stream);
      });
      request.on('error', fail);
    });
  }

  async next(timeoutMs = 15_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const fields = block.split('\n').filter((l) => !l.startsWith(':') && !l.startsWith('retry:'));
        if (fields.length === 0) continue;
        const get = (name: string) => fields.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        return { event: get('event') ?? 'message', id: get('id'), data: get('data') ?? '' };
      }
      if (this.chunks.length > 0) {
        const c = this.chunks.shift()!;
        if (c === null) return null;
        this.buffer += c;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms; buffered: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          ok();
        };
      });
    }
  }

  close(): void {
    this.request.destroy();
  }
}

describe('embed config', () => {
  it('refuses a stream limit or recheck interval that is not a positive integer', () => {
    for (const [name, value] of [
      ['GATEWAY_EMBED_MAX_STREAMS', '0'],
      ['GATEWAY_EMBED_RECHECK_MS', 'soon'],
      ['GATEWAY_EMBED_PINNED_MAX_AGE_SECONDS', '-5'],
    ]) {
      assert.throws(() => loadConfig(testEnv({ [name]: value })), (e: unknown) => e instanceof ConfigError && e.message.includes(name), name);
    }
    assert.deepEqual(loadConfig(testEnv({ GATEWAY_EMBED_MAX_STREAMS: '7' })).embed, { maxStreams: 7, recheckMs: 10_000, pinnedMaxAgeSeconds: 300 });
  });
});

describe('embeds of share links on the real stack', { skip }, () => {
  let stack: Stack;
  let tiles: TileServices;
  let objectDir: string;
  let webDir: string;
  let base: string;
  let owner: Awaited<ReturnType<typeof signup>>;
  let editor: Awaited<ReturnType<typeof signup>>;
  let roomId: string;
  let link: { id: string; token: string };

  const createLink = async (body: Record<string, unknown>) => owner.post(`/api/rooms/${roomId}/links`, { role: 'viewer', ...body });

  before(async () => {
    objectDir = mkdtempSync(join(tmpdir(), 'gw-objects-'));
    webDir = mkdtempSync(join(tmpdir(), 'gw-web-'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(webDir, 'embed.html'), EMBED_HTML);
    tiles = await startTileServices(`file://${objectDir}`, 3);
    stack = await startStack({ TILE_DELTA_TARGET: tiles.tileDeltaTarget, SNAPSHOT_TARGET: tiles.snapshotTarget, WEB_DIST_DIR: webDir });
    base = stack.gateway.url;
    owner = await signup(base, 'embed-owner');
    editor = await signup(base, 'embed-editor');
    roomId = (await owner.post('/api/rooms', { name: 'Embedded <board>' })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: editor.email, role: 'editor' });
    const created = await createLink({ embedOrigins: ORIGINS });
    assert.equal(created.status, 201, created.text);
    link = created.json;
  });
  after(async () => {
    await stack?.close();
    await tiles?.stop();
    for (const dir of [objectDir, webDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('links take, return and change their embedding origins; bad origins are refused with a message', async () => {
    const created = await createLink({ embedOrigins: ORIGINS });
    assert.deepEqual(created.json.embedOrigins, ORIGINS);
    assert.equal(created.json.embedUrl, `${stack.gateway.config.publicOrigin}/embed/${created.json.token}`);
    assert.deepEqual((await createLink({})).json.embedOrigins, [], 'none by default: not embeddable');
    const editorLink = await createLink({ role: 'editor', embedOrigins: ORIGINS });
    assert.equal(editorLink.status, 400, 'an embedded secret is public: it must not let anyone draw');
    assert.match(editorLink.json.message, /only a viewer link can be embedded/);
    const editors = (await createLink({ role: 'editor' })).json.id;
    assert.equal((await owner.patch(`/api/rooms/${roomId}/links/${editors}`, { embedOrigins: ORIGINS })).status, 400);
    assert.equal((await owner.patch(`/api/rooms/${roomId}/links/${editors}`, { embedOrigins: [] })).status, 200);

    const bad: [unknown, RegExp][] = [
      [['https://blog.example.com/post'], /without path/],
      [['*'], /wildcards/],
      [['https://*.example.com'], /wildcards/],
      [['ftp://files.example.com'], /http or https/],
      [['blog.example.com'], /not a URL/],
      [['https://Blog.example.com'], /exactly as browsers send it/],
      [["https://x'.example.com"], /characters/],
      [['https://a.example.com', 'https://a.example.com'], /twice/],
      [Array.from({ length: 21 }, (_, i) => `https://s${i}.example.com`), /embedOrigins must contain no more than 20/],
      ['https://blog.example.com', /embedOrigins must be an array/],
      [[42], /string/],
    ];
    for (const [embedOrigins, message] of bad) {
      const res = await createLink({ embedOrigins });
      assert.equal(res.status, 400, `${JSON.stringify(embedOrigins)}: ${res.text}`);
      assert.match(res.json.message, message, JSON.stringify(embedOrigins));
    }

    const id = created.json.id;
    const patched = await owner.patch(`/api/rooms/${roomId}/links/${id}`, { embedOrigins: ['https://other.example.org:8443'] });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json.embedOrigins, ['https://other.example.org:8443']);
    assert.equal(patched.json.token, undefined, 'the secret is not shown again');
    const listed = (await owner.get(`/api/rooms/${roomId}/links`)).json.find((l: { id: string }) => l.id === id);
    assert.deepEqual(listed.embedOrigins, ['https://other.example.org:8443']);
    assert.equal((await owner.patch(`/api/rooms/${roomId}/links/${id}`, { embedOrigins: ['https://x.example/p'] })).status, 400);
    assert.equal((await owner.patch(`/api/rooms/${roomId}/links/${id}`, {})).status, 400, 'embedOrigins is required');
    assert.equal((await editor.patch(`/api/rooms/${roomId}/links/${id}`, { embedOrigins: [] })).status, 403, 'owners only');
    assert.equal((await owner.patch(`/api/rooms/${roomId}/links/${randomUUID()}`, { embedOrigins: [] })).status, 404);
  });

  it("the embed page is framable by the link's origins only; every refusal is an unframable HTML page", async () => {
    const anon = new Caller(base);
    const page = await anon.get(`/embed/${link.token}`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.text, EMBED_HTML);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`frame-ancestors ${ORIGINS.join(' ')}(;|$)`));
    assert.match(csp, /default-src 'self'/, 'otherwise the board page policy');
    assert.match(csp, /script-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), null, 'X-Frame-Options DENY would contradict frame-ancestors');

    const notEmbeddable = (await createLink({})).json.token;
    const revoked = await createLink({ embedOrigins: ORIGINS });
    assert.equal((await owner.delete(`/api/rooms/${roomId}/links/${revoked.json.id}`)).status, 204);
    const cases: [string, number, RegExp][] = [
      [notEmbeddable, 403, /not enabled for embedding/],
      [revoked.json.token, 410, /revoked/],
      ['A'.repeat(32), 404, /not found/],
      ['short', 400, /not an embed link/],
    ];
    for (const [token, status, message] of cases) {
      const res = await anon.get(`/embed/${token}`);
      assert.equal(res.status, status, `${token}: ${res.text}`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(res.text, message);
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
    }
  });

  it('tiles and snapshots through the link: read-only, cacheable by any cache when pinned to a point, refused once revoked', async () => {
    const anon = new Caller(base);
    const q = 'level=0&minX=0&minY=0&maxX=25600&maxY=25600';
    const tilesOf = (token: string, query = q, headers?: Record<string, string>) => anon.get(`/api/embed/${token}/tiles?${query}`, headers);
    for (const s of [line(10, 10), line(10, 20)]) assert.equal((await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: [s] })).status, 200);

    const now = await tilesOf(link.token);
    assert.equal(now.status, 200, now.text);
    assert.equal(now.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(now.headers.get('cache-control'), 'public, max-age=0, s-maxage=2', 'a read of now: shared briefly');
    assert.equal(now.headers.get('vary'), 'accept');
    const head = GetTilesResponse.decode(now.body).headSeq;
    assert.ok(head >= 2, `head ${head}`);
    assert.equal(GetTilesResponse.decode(now.body).tiles[0].strokes.length >= 2, true);

    const pinned = await tilesOf(link.token, `${q}&at=${head}`);
    assert.equal(pinned.status, 200, pinned.text);
    assert.equal(pinned.headers.get('x-at-seq'), String(head));
    assert.equal(pinned.headers.get('cache-control'), 'public, max-age=300, immutable', 'pinned to a point that exists: immutable');
    assert.deepEqual(GetTilesResponse.decode(pinned.body).tiles, GetTilesResponse.decode(now.body).tiles, 'the head read both ways');
    const json = await tilesOf(link.token, `${q}&at=${head}&format=json`);
    assert.equal(json.json.headSeq, head);
    const beyond = await tilesOf(link.token, `${q}&at=${head + 1000}`);
    assert.equal(beyond.headers.get('x-at-seq'), String(head), 'beyond the head reads the head');
    assert.equal(beyond.headers.get('cache-control'), 'public, max-age=0, s-maxage=2', 'a point still to come is not immutable');

    // Past the snapshot threshold (3): the snapshot's URL goes through the link and its PNG is public.
    assert.equal((await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: [line(10, 30), line(10, 40)] })).status, 200);
    let url: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!url) {
      const r = GetTilesResponse.decode((await tilesOf(link.token)).body);
      url = r.tiles[0]?.snapshot?.url || undefined;
      if (!url && Date.now() > deadline) assert.fail('no snapshot within 30 s');
    }
    assert.match(url, new RegExp(`^/api/embed/${link.token}/tiles/0/0/0/\\d+\\.png$`));
    const png = await anon.get(url);
    assert.equal(png.status, 200, png.text);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.equal(png.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await anon.get(url, { 'if-none-match': png.headers.get('etag')! })).status, 304);

    assert.equal((await tilesOf(link.token, 'level=0&minX=0&minY=0&maxX=0&maxY=10')).status, 400, 'an empty viewport');
    assert.equal((await tilesOf(link.token, `${q}&at=-1`)).status, 400);
    assert.equal((await anon.post(`/api/embed/${link.token}/tiles?${q}`, {})).status, 404, 'no writes through an embed');
    assert.equal((await tilesOf((await createLink({})).json.token)).status, 403, 'a link without origins');
    const revoked = (await createLink({ embedOrigins: ORIGINS })).json;
    assert.equal((await tilesOf(revoked.token)).status, 200);
    await owner.delete(`/api/rooms/${roomId}/links/${revoked.id}`);
    assert.equal((await tilesOf(revoked.token)).status, 410);
    assert.equal((await anon.get(url.replace(link.token, revoked.token))).status, 410);
  });

  it('the event stream names the head, then the change of each stroke committed through realtime-go', async () => {
    const stream = await EventStream.open(`${base}/api/embed/${link.token}/events`);
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers['content-type'] ?? '', /^text\/event-stream/);
      assert.equal(stream.headers['cache-control'], 'no-store');
      const first = await stream.next();
      const head = JSON.parse(first!.data) as { seq: number; areas: unknown };
      assert.equal(first!.event, 'changed');
      assert.equal(first!.id, String(head.seq));
      assert.equal(head.areas, null, 'the head: anything may have changed since what the client holds');

      const stroke = line(500, 700);
      const posted = await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: [stroke] });
      assert.equal(posted.status, 200, posted.text);
      const changed = await stream.next();
      assert.equal(changed!.event, 'changed');
      const body = JSON.parse(changed!.data) as { seq: number; areas: [number, number, number, number][] | null };
      assert.equal(body.seq, head.seq + 1);
      assert.equal(changed!.id, String(body.seq));
      // realtime-go names the area of each committed event on the bus: the stroke with its reach.
      assert.ok(body.areas, `areas: ${changed!.data}`);
      assert.ok(
        body.areas.some(([x0, y0, x1, y1]) => x0 <= 500 && y0 <= 700 && x1 >= 540 && y1 >= 700 && x1 - x0 < 100 && y1 - y0 < 100),
        `an area covers the stroke, and not much more: ${changed!.data}`,
      );

      // Last-Event-ID: a client that holds the head gets nothing until the next change.
      const resumed = await EventStream.open(`${base}/api/embed/${link.token}/events`, { 'last-event-id': String(body.seq) });
      try {
        const two = [line(600, 700), line(600, 720)];
        for (const s of two) assert.equal((await editor.post(`/api/rooms/${roomId}/strokes`, { strokes: [s] })).status, 200);
        const next = JSON.parse((await resumed.next())!.data) as { seq: number };
        assert.ok(next.seq > body.seq, `a change after the client's seq: ${next.seq}`);
      } finally {
        resumed.close();
      }
    } finally {
      stream.close();
    }
  });

  it("changes carry realtime-go's areas in world units, from committed events and heads; a burst is one event; an event without an area is null", async () => {
    // The shapes realtime-go publishes, some it does not send today (areas missing, garbage), on the real Redis, in a
    // room of its own.
    const busRoom = (await owner.post('/api/rooms', { name: 'Bus' })).json.id;
    const own = (await owner.post(`/api/rooms/${busRoom}/links`, { role: 'viewer', embedOrigins: ORIGINS })).json;
    const stream = await EventStream.open(`${base}/api/embed/${own.token}/events`);
    const redis = new Redis(REDIS_URL);
    const committed = (seqs: number[], areas: { minX: number; minY: number; maxX: number; maxY: number }[]) =>
      Buffer.from(
        BusMessage.encode(
          BusMessage.fromPartial({ origin: 'test', body: { $case: 'committed', value: { events: seqs.map((seq) => ({ seq })), areas } } }),
        ).finish(),
      );
    const channel = `infidraw:room:{${busRoom}}`;
    try {
      assert.deepEqual(JSON.parse((await stream.next())!.data), { seq: 0, areas: null }, 'an empty room: head 0');
      // Sent back to back (one pipeline): told as one change, within the coalescing window.
      await redis
        .pipeline()
        .spublish(channel, committed([1], [{ minX: 1000, minY: 2000, maxX: 3050, maxY: 4000 }]))
        .spublish(channel, Buffer.from(BusMessage.encode(BusMessage.fromPartial({ origin: 'test', body: { $case: 'live', value: { items: [] } } })).finish()))
        .spublish(channel, committed([2, 3], [{ minX: -500, minY: 0, maxX: 100, maxY: 100 }, { minX: 0, minY: 0, maxX: 1, maxY: 1 }]))
        .exec();
      const burst = await stream.next();
      assert.equal(burst!.id, '3');
      assert.deepEqual(JSON.parse(burst!.data), { seq: 3, areas: [[10, 20, 30.5, 40], [-5, 0, 1, 1], [0, 0, 0.01, 0.01]] });
      await redis.spublish(channel, committed([4, 5], [{ minX: 0, minY: 0, maxX: 100, maxY: 100 }]));
      assert.deepEqual(JSON.parse((await stream.next())!.data), { seq: 5, areas: null }, 'one event without an area: anything may have changed');
      await redis.spublish(channel, Buffer.from('not a bus message'));
      await redis.spublish(channel, committed([6], [{ minX: 0, minY: 0, maxX: 100, maxY: 100 }]));
      assert.deepEqual(JSON.parse((await stream.next())!.data), { seq: 6, areas: [[0, 0, 1, 1]] }, 'garbage on the channel is skipped');
      // Events whose payloads went to region channels are announced on the room's channel by their heads.
      const heads = BusMessage.fromPartial({ origin: 'test', body: { $case: 'heads', value: { seqs: [7, 8], areas: [{ minX: 100, minY: 100, maxX: 200, maxY: 200 }, { minX: 0, minY: 0, maxX: 100, maxY: 100 }] } } });
      await redis.spublish(channel, Buffer.from(BusMessage.encode(heads).finish()));
      assert.deepEqual(JSON.parse((await stream.next())!.data), { seq: 8, areas: [[1, 1, 2, 2], [0, 0, 1, 1]] });
    } finally {
      stream.close();
      redis.disconnect();
    }
  });

  it('revoking the link or deleting the room ends its event streams, in this gateway process at once, in another at its recheck; a gateway at its stream limit answers 503', async () => {
    const own = (await createLink({ embedOrigins: ORIGINS })).json;
    const stream = await EventStream.open(`${base}/api/embed/${own.token}/events`);
    assert.equal((await stream.next())!.event, 'changed');
    assert.equal((await owner.delete(`/api/rooms/${roomId}/links/${own.id}`)).status, 204);
    const ended = await stream.next();
    assert.equal(ended!.event, 'ended');
    assert.deepEqual(JSON.parse(ended!.data), { reason: 'revoked' });
    assert.equal(await stream.next(), null, 'the stream is closed');
    const again = await EventStream.open(`${base}/api/embed/${own.token}/events`);
    assert.equal(again.status, 410, 'an EventSource does not reconnect to a revoked link');

    const unshared = (await createLink({ embedOrigins: ORIGINS })).json;
    const open = await EventStream.open(`${base}/api/embed/${unshared.token}/events`);
    assert.equal((await open.next())!.event, 'changed');
    assert.equal((await owner.patch(`/api/rooms/${roomId}/links/${unshared.id}`, { embedOrigins: [] })).status, 200);
    assert.deepEqual(JSON.parse((await open.next())!.data), { reason: 'not embeddable' });
    assert.equal((await EventStream.open(`${base}/api/embed/${unshared.token}/events`)).status, 403);

    // Another gateway process: it hears of revocations and deleted rooms by rechecking its streams' links.
    let small: Gateway | undefined;
    try {
      small = await startGateway({ GATEWAY_EMBED_MAX_STREAMS: '1', GATEWAY_EMBED_RECHECK_MS: '200', TILE_DELTA_TARGET: tiles.tileDeltaTarget });
      const elsewhere = (await createLink({ embedOrigins: ORIGINS })).json;
      const held = await EventStream.open(`${small.url}/api/embed/${elsewhere.token}/events`);
      assert.equal(held.status, 200);
      assert.equal((await held.next())!.event, 'changed');
      const refused = await EventStream.open(`${small.url}/api/embed/${link.token}/events`);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '10');
      const metrics = await (await fetch(`${small.url}/metrics`)).text();
      assert.match(metrics, /^gateway_embed_streams 1$/m);
      assert.match(metrics, /^gateway_embed_rooms_watched 1$/m);
      assert.match(metrics, /^gateway_busy_total\{limit="embed_streams"\} 1$/m);
      assert.equal((await owner.delete(`/api/rooms/${roomId}/links/${elsewhere.id}`)).status, 204, 'revoked through the other gateway');
      assert.deepEqual(JSON.parse((await held.next())!.data), { reason: 'revoked' });
      assert.equal(await held.next(), null);

      const doomed = (await owner.post('/api/rooms', { name: 'Doomed' })).json.id;
      const doomedLink = (await owner.post(`/api/rooms/${doomed}/links`, { role: 'viewer', embedOrigins: ORIGINS })).json;
      const last = await EventStream.open(`${small.url}/api/embed/${doomedLink.token}/events`);
      assert.equal(last.status, 200, 'the limit counts open streams only');
      assert.equal((await last.next())!.event, 'changed');
      assert.equal((await owner.delete(`/api/rooms/${doomed}`)).status, 204);
      assert.deepEqual(JSON.parse((await last.next())!.data), { reason: 'not found' }, 'the room was deleted');
    } finally {
      await small?.close();
    }

    // No Redis (nothing listens on that port): the stream cannot follow the room, and says so.
    let blind: Gateway | undefined;
    try {
      blind = await startGateway({ REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` });
      const res = await EventStream.open(`${blind.url}/api/embed/${link.token}/events`);
      assert.equal(res.status, 503);
    } finally {
      await blind?.close();
    }
  });
});

describe('embed event streams on a Redis Cluster (REDIS_CLUSTER_URL)', { skip: realtimeAvailable() ? false : `missing ${REALTIME_BIN}` }, () => {
  let stack: Stack;
  before(async () => {
    const url = process.env.REDIS_CLUSTER_URL;
    assert.ok(url, 'REDIS_CLUSTER_URL must point at the test cluster (scripts/test.sh starts it)');
    // The gateway has no single Redis: its bus subscriptions go to the masters of the rooms' slots.
    stack = await startStack({ REDIS_CLUSTER_URL: url, REDIS_URL: 'redis://127.0.0.1:1/0' }, { REDIS_CLUSTER_URL: url });
  });
  after(() => stack?.close());

  it("tells each room's stream of a stroke committed through realtime-go, whichever master serves the room", async () => {
    const owner = await signup(stack.gateway.url, 'cluster-embed-owner');
    // Rooms enough that their channels' slots fall on every master (three in the test cluster).
    const streams = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const roomId = (await owner.post('/api/rooms', { name: 'Clustered' })).json.id as string;
        const token = (await owner.post(`/api/rooms/${roomId}/links`, { role: 'viewer', embedOrigins: ORIGINS })).json.token as string;
        const stream = await EventStream.open(`${stack.gateway.url}/api/embed/${token}/events`);
        assert.equal(stream.status, 200);
        assert.deepEqual(JSON.parse((await stream.next())!.data), { seq: 0, areas: null });
        return { roomId, stream };
      }),
    );
    try {
      for (const { roomId, stream } of streams) {
        assert.equal((await owner.post(`/api/rooms/${roomId}/strokes`, { strokes: [line(100, 200)] })).status, 200);
        const changed = JSON.parse((await stream.next())!.data) as { seq: number; areas: [number, number, number, number][] | null };
        assert.equal(changed.seq, 1, `room ${roomId}`);
        assert.ok(changed.areas?.some(([x0, y0, x1, y1]) => x0 <= 100 && y0 <= 200 && x1 >= 140 && y1 >= 200), JSON.stringify(changed));
      }
    } finally {
      for (const { stream } of streams) stream.close();
    }
  });
});

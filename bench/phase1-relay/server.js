// The roadmap's phase-1 fix of the earlier design (../../../shared/seed/, "Priority 1: quick wins"),
// rebuilt for the benchmarks only: the design stays on Node, with
//  1.1 binary frames: msgpack (msgpackr), points as int32 x100 in one binary field, no JSON anywhere;
//  1.2 the fastest Node WebSocket server that loads here: `ws` with `bufferutil`. uWebSockets.js, the
//      roadmap's choice, cannot load on this machine: its binaries need glibc 2.38 and Debian 12 has 2.36
//      (it is not on the npm registry either);
//  1.5 batched multi-row INSERTs through one prepared statement per shard connection, acks after the batch
//      commits, and backpressure on the write queue and on every client socket.
// Events reach a client coalesced: everything that came for it in one turn of the event loop goes out as
// one WebSocket message. Like baseline-relay, processes share rooms through Redis pub/sub (binary
// payloads) and each room's sequence comes from Redis INCRBY, published in the same Lua script so that
// Redis publishes in sequence order even with several relays (the benchmark runs 1 and 2 processes).
//
// Frames are concatenated msgpack arrays; ids are 16-byte binaries, points int32 little-endian x, y pairs
// in world units x100 (the same stroke content as baseline-relay: id, tool, color, width, points).
// Client → relay:  [1, id, tool, color, width, points]  commit     [2, id, points]  live (in progress)
// Relay → client:  [0, session]  welcome      [1, id, seq]  ack (after the stroke is in PostgreSQL)
//                  [2, seq, id, tool, color, width, points]  event      [3, id, points]  live
import http from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { pack, unpack } from 'msgpackr';
import pg from 'pg';
import { tilesAllLevels } from './tiles.js';

const listen = process.env.RELAY_LISTEN ?? '127.0.0.1:8091';
const redisURL = process.env.REDIS_URL ?? 'redis://127.0.0.1:56379/0';
const databaseURL = process.env.DATABASE_URL ?? 'postgres://infidraw:infidraw@127.0.0.1:55432/infidraw_bench';
const prefix = process.env.RELAY_PREFIX ?? 'phase1';
const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];

// Writes: rooms are sharded over SHARDS connections (as realtime-go's 4 write shards), so a room's commits
// stay in order; a shard's batch goes when BATCH_STROKES are queued or BATCH_MS after its first stroke,
// whichever comes first, and one batch per shard is in flight.
const SHARDS = 4;
const BATCH_STROKES = 512;
const BATCH_MS = 2;
// Above QUEUE_HIGH queued strokes (all shards) the relay stops reading from the sockets that commit (TCP
// pushes back on the writers) until the queue is below half of it again: slow down rather than drop.
const QUEUE_HIGH = 4096;
// A socket with more than SOCKET_HIGH bytes unsent is not written to: its events are coalesced for it and
// its live chunks dropped (the commit supersedes them). Past BEHIND_MAX bytes coalesced it is closed
// (4008): a client that stays behind must reconnect and reload the room from the store.
const SOCKET_HIGH = 1 << 20;
const BEHIND_MAX = 16 << 20;
const RETRY_MS = 16;
const MAX_POINTS = 10000;

const C_COMMIT = 1;
const C_LIVE = 2;
const S_WELCOME = 0;
const S_ACK = 1;
const S_EVENT = 2;
const S_LIVE = 3;

const pub = new Redis(redisURL);
const sub = new Redis(redisURL);
// KEYS[1] = seq key, KEYS[2] = channel, ARGV[1] = how many events, ARGV[2] = their msgpack. Published as
// "<last seq>|<msgpack>"; the events have seqs last-n+1 .. last.
pub.defineCommand('commit', {
  numberOfKeys: 2,
  lua: "local s = redis.call('INCRBY', KEYS[1], ARGV[1]); redis.call('PUBLISH', KEYS[2], s .. '|' .. ARGV[2]); return s",
});
const db = new pg.Pool({ connectionString: databaseURL, max: SHARDS });

// The earlier design's event store (bench_legacy in bench/internal/ingest) with the stroke as msgpack
// instead of JSON: one stroke_events row per stroke and one tile_events row per touched tile.
const schema = `
create schema if not exists bench_phase1;
create table if not exists bench_phase1.stroke_events (
    id          bigserial primary key,
    room_id     uuid not null,
    stroke_id   uuid not null,
    event_type  text not null,
    stroke_data bytea not null,
    timestamp   timestamptz not null default now()
);
create index if not exists idx_stroke_events_room_timestamp on bench_phase1.stroke_events (room_id, timestamp);
create table if not exists bench_phase1.tile_events (
    id        bigserial primary key,
    room_id   uuid not null,
    level     smallint not null,
    tile_x    integer not null,
    tile_y    integer not null,
    stroke_id uuid not null,
    timestamp timestamptz not null default now()
);
create index if not exists idx_tile_events_room_tile on bench_phase1.tile_events (room_id, level, tile_x, tile_y, timestamp);`;
let schemaReady = false;
db.query(schema).then(() => (schemaReady = true), (err) => {
  console.error('phase1-relay: schema:', err.message);
  process.exit(1);
});

// One statement per batch, whatever its size: INSERT ... SELECT FROM unnest(arrays) is the multi-row
// INSERT with one prepared statement for every batch size (a VALUES list would need one per size), and the
// two inserts in one statement are one transaction and one round trip.
const insertBatch = {
  name: 'phase1_insert_batch',
  text: `with s as (
    insert into bench_phase1.stroke_events (room_id, stroke_id, event_type, stroke_data)
    select r, s, 'stroke_added', d from unnest($1::uuid[], $2::uuid[], $3::bytea[]) as u(r, s, d)
  ), t as (
    insert into bench_phase1.tile_events (room_id, level, tile_x, tile_y, stroke_id)
    select * from unnest($4::uuid[], $5::smallint[], $6::int[], $7::int[], $8::uuid[])
  ) select 1`,
};

const uuidOf = (b) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

class Shard {
  queue = []; // {room, ws, id, body, tiles}
  timer = null;
  busy = false;

  add(c) {
    this.queue.push(c);
    queued++;
    if (this.queue.length >= BATCH_STROKES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  async flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    const batch = this.queue.splice(0, BATCH_STROKES);
    const v = [[], [], [], [], [], [], [], []];
    for (const c of batch) {
      const sid = uuidOf(c.id);
      v[0].push(c.room);
      v[1].push(sid);
      v[2].push(c.body);
      for (let i = 0; i < c.tiles.length; i += 3) {
        v[3].push(c.room);
        v[4].push(c.tiles[i]);
        v[5].push(c.tiles[i + 1]);
        v[6].push(c.tiles[i + 2]);
        v[7].push(sid);
      }
    }
    try {
      await db.query({ ...insertBatch, values: v });
      await publish(batch);
    } catch (err) {
      // Nothing is acknowledged that is not stored and published: the writers' sockets close with their
      // commits unacknowledged.
      console.error('phase1-relay: batch failed:', err.message);
      for (const c of batch) c.ws.close(1011, 'store failed');
    }
    queued -= batch.length;
    if (queued < QUEUE_HIGH / 2) resumeWriters();
    this.busy = false;
    if (this.queue.length >= BATCH_STROKES) this.flush();
    else if (this.queue.length > 0) this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }
}
const shards = Array.from({ length: SHARDS }, () => new Shard());
const shardOf = (room) => shards[Number.parseInt(room.slice(0, 8), 16) % SHARDS];
let queued = 0;
const paused = new Set();
function resumeWriters() {
  for (const ws of paused) ws.resume();
  paused.clear();
}

// One Redis call per room of the batch: its strokes get consecutive seqs and travel as one message.
async function publish(batch) {
  const byRoom = new Map();
  for (const c of batch) {
    let list = byRoom.get(c.room);
    if (!list) byRoom.set(c.room, (list = []));
    list.push(c);
  }
  await Promise.all(
    [...byRoom].map(async ([room, list]) => {
      const last = await pub.commit(`${prefix}:seq:${room}`, channel(room), list.length, pack(list.map((c) => c.body)));
      list.forEach((c, i) => enqueue(c.ws, pack([S_ACK, c.id, last - list.length + 1 + i])));
    }),
  );
}

const rooms = new Map(); // room id -> Set of sockets
const channel = (room) => `${prefix}:room:${room}`;

// Output: each socket's pending buffers go out as one message per turn of the event loop.
const dirty = new Set();
let flushScheduled = false;
let retryTimer = null;
function enqueue(ws, buf, live = false) {
  if (ws.readyState !== 1) return;
  if (live && ws.bufferedAmount > SOCKET_HIGH) return;
  ws.out.push(buf);
  ws.outBytes += buf.length;
  dirty.add(ws);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushOutput);
  }
}
function flushOutput() {
  flushScheduled = false;
  for (const ws of dirty) {
    if (ws.readyState !== 1) {
      dirty.delete(ws);
    } else if (ws.bufferedAmount > SOCKET_HIGH) {
      if (ws.outBytes > BEHIND_MAX) {
        dirty.delete(ws);
        ws.close(4008, 'too far behind');
      }
    } else {
      ws.send(ws.out.length === 1 ? ws.out[0] : Buffer.concat(ws.out, ws.outBytes), { binary: true });
      ws.out = [];
      ws.outBytes = 0;
      dirty.delete(ws);
    }
  }
  // Sockets still behind are tried again a tick later (ws has no public drain event).
  if (dirty.size > 0 && !retryTimer) {
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flushOutput();
    }, RETRY_MS);
  }
}

// An event's bytes are built once per relay and shared by every socket of the room: the published stroke
// body is the msgpack array [id, tool, color, width, points], and an event is the same array with
// S_EVENT and the seq in front (header 0x97: 7 elements; seq as uint32 0xce).
function eventBytes(seq, body) {
  const head = Buffer.allocUnsafe(7);
  head[0] = 0x97;
  head[1] = S_EVENT;
  head[2] = 0xce;
  head.writeUInt32BE(seq, 3);
  return Buffer.concat([head, body.subarray(1)]);
}

sub.on('messageBuffer', (chan, buf) => {
  const room = chan.toString().slice(`${prefix}:room:`.length);
  const clients = rooms.get(room);
  if (!clients) return;
  if (buf[0] === 0x4c) {
    // 'L' + msgpack [from session, id, points]: live traffic, not to its author.
    const [from, id, points] = unpack(buf.subarray(1));
    const msg = pack([S_LIVE, id, points]);
    for (const ws of clients) if (ws.sid !== from) enqueue(ws, msg, true);
    return;
  }
  const bar = buf.indexOf(0x7c); // '|'
  const last = Number(buf.subarray(0, bar).toString());
  const bodies = unpack(buf.subarray(bar + 1));
  bodies.forEach((body, i) => {
    const msg = eventBytes(last - bodies.length + 1 + i, body);
    for (const ws of clients) enqueue(ws, msg);
  });
});

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    const ok = pub.status === 'ready' && sub.status === 'ready' && schemaReady;
    res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'starting');
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  const room = url.searchParams.get('room');
  if (url.pathname !== '/ws' || !room || !/^[0-9a-f-]{36}$/.test(room)) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => join(ws, room));
});

const subscribed = new Map(); // room id -> promise of the SUBSCRIBE reply
let nextSid = 1;

function commit(ws, room, [, id, tool, color, width, points]) {
  if (!(id instanceof Uint8Array) || id.length !== 16 || !(points instanceof Uint8Array) || points.length % 8 !== 0 ||
    points.length === 0 || points.length > 8 * MAX_POINTS || typeof width !== 'number') {
    return false;
  }
  const view = new DataView(points.buffer, points.byteOffset, points.length);
  const pts = new Array(points.length / 4);
  for (let i = 0; i < pts.length; i++) pts[i] = view.getInt32(4 * i, true);
  const tiles = tilesAllLevels(Math.round(width * 100), pts);
  if (!tiles) return false;
  const body = pack([id, tool, color, width, points]);
  shardOf(room).add({ room, ws, id, body, tiles });
  if (queued > QUEUE_HIGH && !paused.has(ws)) {
    ws.pause();
    paused.add(ws);
  }
  return true;
}

async function join(ws, room) {
  ws.sid = `${process.pid}.${nextSid++}`;
  ws.out = [];
  ws.outBytes = 0;
  let set = rooms.get(room);
  if (!set) {
    set = new Set();
    rooms.set(room, set);
    subscribed.set(room, sub.subscribe(channel(room)));
  }
  set.add(ws);
  ws.on('message', (data, isBinary) => {
    let msg;
    try {
      msg = isBinary ? unpack(data) : null;
    } catch {
      msg = null;
    }
    if (Array.isArray(msg) && msg[0] === C_COMMIT && commit(ws, room, msg)) return;
    if (Array.isArray(msg) && msg[0] === C_LIVE && msg.length === 3) {
      pub.publish(channel(room), Buffer.concat([Buffer.from('L'), pack([ws.sid, msg[1], msg[2]])]));
      return;
    }
    ws.close(1003, 'bad message');
  });
  ws.on('close', () => {
    paused.delete(ws);
    dirty.delete(ws);
    set.delete(ws);
    if (set.size === 0) {
      rooms.delete(room);
      subscribed.delete(room);
      sub.unsubscribe(channel(room));
    }
  });
  await subscribed.get(room); // welcome only once this relay hears the room
  enqueue(ws, pack([S_WELCOME, ws.sid]));
}

server.listen(port, host);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close();
    for (const ws of wss.clients) ws.terminate();
    pub.disconnect();
    sub.disconnect();
    db.end().finally(() => process.exit(0));
  });
}

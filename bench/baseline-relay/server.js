// The earlier design's realtime relay, rebuilt for the benchmarks only (roadmap "State of that earlier
// code"): Node `ws`, a JSON protocol, `JSON.stringify` per event, one WebSocket message per event, and
// msgpack over Redis pub/sub between relay processes (one channel per room). No persistence: the
// earlier event-store's row-by-row INSERTs are measured separately (bench ingest, "row-by-row").
// Every committed stroke gets a per-room sequence number from Redis INCR; INCR and PUBLISH run in one
// Lua script so that Redis (single-threaded) publishes in sequence order even with several relays.
//
// Client → relay:  {"type":"stroke","stroke":{id,tool,color,width,points:[[x,y],...]}}   (commit)
//                  {"type":"live","id":...,"points":[[x,y],...]}                       (in progress)
// Relay → client:  {"type":"ack","id":...,"seq":n}, {"type":"event","seq":n,"stroke":{...}},
//                  {"type":"live","id":...,"points":[...]}
import http from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { encode, decode } from '@msgpack/msgpack';

const listen = process.env.RELAY_LISTEN ?? '127.0.0.1:8090';
const redisURL = process.env.REDIS_URL ?? 'redis://127.0.0.1:56379/0';
const prefix = process.env.RELAY_PREFIX ?? 'baseline';
const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];

const pub = new Redis(redisURL);
const sub = new Redis(redisURL);
// KEYS[1] = seq key, KEYS[2] = channel, ARGV[1] = msgpack event without seq. Published as "<seq>|<msgpack>".
pub.defineCommand('commit', {
  numberOfKeys: 2,
  lua: "local s = redis.call('INCR', KEYS[1]); redis.call('PUBLISH', KEYS[2], s .. '|' .. ARGV[1]); return s",
});

const rooms = new Map(); // room id -> Set of sockets
const channel = (room) => `${prefix}:room:${room}`;

sub.on('messageBuffer', (chan, buf) => {
  const room = chan.toString().slice(`${prefix}:room:`.length);
  const clients = rooms.get(room);
  if (!clients) return;
  let ev;
  const bar = buf.indexOf(0x7c); // '|'
  const live = bar < 0 || buf[0] === 0x4c; // 'L' marks live traffic
  if (live) {
    ev = decode(buf.subarray(1));
  } else {
    ev = decode(buf.subarray(bar + 1));
    ev.seq = Number(buf.subarray(0, bar).toString());
  }
  const from = ev.from;
  delete ev.from;
  const msg = JSON.stringify(ev); // once per event, one WebSocket message per event
  for (const ws of clients) {
    if (live && ws.sid === from) continue;
    if (ws.readyState === 1) ws.send(msg);
  }
});

let nextSid = 1;
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    const ok = pub.status === 'ready' && sub.status === 'ready';
    res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'redis');
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  const room = url.searchParams.get('room');
  if (url.pathname !== '/ws' || !room) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => join(ws, room));
});

const subscribed = new Map(); // room id -> promise of the SUBSCRIBE reply

async function join(ws, room) {
  ws.sid = `${process.pid}.${nextSid++}`;
  let set = rooms.get(room);
  if (!set) {
    set = new Set();
    rooms.set(room, set);
    subscribed.set(room, sub.subscribe(channel(room)));
  }
  set.add(ws);
  await subscribed.get(room); // welcome only once this relay hears the room
  ws.send(JSON.stringify({ type: 'welcome', session: ws.sid }));
  ws.on('message', async (data) => {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      ws.close(1003, 'bad json');
      return;
    }
    if (msg.type === 'stroke') {
      const seq = await pub.commit(`${prefix}:seq:${room}`, channel(room), Buffer.from(encode({ type: 'event', stroke: msg.stroke })));
      ws.send(JSON.stringify({ type: 'ack', id: msg.stroke.id, seq }));
    } else if (msg.type === 'live') {
      const body = encode({ type: 'live', id: msg.id, points: msg.points, from: ws.sid });
      pub.publish(channel(room), Buffer.concat([Buffer.from('L'), body]));
    }
  });
  ws.on('close', () => {
    set.delete(ws);
    if (set.size === 0) {
      rooms.delete(room);
      subscribed.delete(room);
      sub.unsubscribe(channel(room));
    }
  });
}

server.listen(port, host);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close();
    for (const ws of wss.clients) ws.terminate();
    pub.disconnect();
    sub.disconnect();
    process.exit(0);
  });
}

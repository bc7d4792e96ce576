import WebSocket from 'ws';
import {
  Ack,
  ClientFrame,
  ClientMessage,
  Error as WireError,
  EventBatch,
  Live,
  Presence,
  ServerFrame,
  ServerMessage,
  Welcome,
} from '../src/gen/infidraw/realtime/v1/frames';
import { Stroke, Tool } from '../src/gen/infidraw/stroke/v1/stroke';
import { randomUUID } from 'node:crypto';
import { uuidToBytes } from '../src/utils/uuid';

type Body = NonNullable<ServerMessage['body']>;
interface Bodies {
  welcome: Welcome;
  events: EventBatch;
  ack: Ack;
  error: WireError;
  live: Live;
  presence: Presence;
}

/** A /ws client speaking the binary protocol of frames.proto; waits on messages by condition. */
export class RealtimeClient {
  private readonly received: Body[] = [];
  private waiters: { test: (b: Body) => boolean; ok: (b: Body) => void }[] = [];
  private nextRequest = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(private readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      for (const m of ServerFrame.decode(data).messages) {
        if (!m.body) continue;
        this.received.push(m.body);
        this.waiters = this.waiters.filter((w) => (w.test(m.body!) ? (w.ok(m.body!), false) : true));
      }
    });
    this.closed = new Promise((ok) => ws.once('close', (code, reason) => ok({ code, reason: reason.toString() })));
  }

  static async connect(url: string): Promise<RealtimeClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    return new RealtimeClient(ws);
  }

  send(...messages: ClientMessage['body'][]): number[] {
    const ids = messages.map(() => this.nextRequest++);
    const frame = ClientFrame.encode({ messages: messages.map((body, i) => ({ requestId: ids[i], body })) }).finish();
    this.ws.send(frame);
    return ids;
  }

  /** The first message (already received or still to come) of this kind that satisfies test. */
  next<C extends keyof Bodies>(kind: C, test: (v: Bodies[C]) => boolean = () => true, timeoutMs = 10_000): Promise<Bodies[C]> {
    const match = (b: Body) => b.$case === kind && test(b.value as unknown as Bodies[C]);
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen.value as unknown as Bodies[C]);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no ${kind} within ${timeoutMs} ms; got ${JSON.stringify(this.received.map((b) => b.$case))}`)), timeoutMs);
      this.waiters.push({ test: match, ok: (b) => (clearTimeout(timer), ok(b.value as unknown as Bodies[C])) });
    });
  }

  join(roomId: string, token: string, lastSeq = 0) {
    return this.send({ $case: 'join', value: { roomId, token, lastSeq } });
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/** A small valid pen stroke. */
export function penStroke(id = randomUUID()): Stroke & { uuid: string } {
  return {
    uuid: id,
    id: uuidToBytes(id)!,
    tool: Tool.TOOL_PEN,
    rgba: 0x112233ff,
    width: 300,
    quantum: 1,
    points: [100, 200, 50, 50, 50, -20],
    pressures: [],
  };
}

// The WebSocket client of realtime-go: binary protobuf frames, Join with last_seq for catch-up, reconnect
// with backoff, and unacknowledged commits kept in localStorage and resent with their ids.
import { ClientFrame, ServerFrame, ErrorCode, type ClientMessage, type Welcome, type Live, type Presence } from './gen/infidraw/realtime/v1/frames';
import type { RoomEvent } from './gen/infidraw/room/v1/event';
import { Stroke } from './gen/infidraw/stroke/v1/stroke';
import { roomToken, ApiError, type RoomToken } from './api';

export type ConnState = 'connecting' | 'online' | 'offline' | 'closed';
type Body = NonNullable<ClientMessage['body']>;

export function newId(): Uint8Array {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const v of b) s += v.toString(16).padStart(2, '0');
  return s;
}

function toB64(b: Uint8Array): string {
  let s = '';
  for (const v of b) s += String.fromCharCode(v);
  return btoa(s);
}

function fromB64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Where realtime-go's /ws is: ?ws= or <meta name="infidraw-ws">, else the gateway's answer, else same origin /ws. */
export function wsUrlFor(token: RoomToken | null): string {
  const q = new URLSearchParams(location.search).get('ws');
  if (q) return q;
  const meta = document.querySelector<HTMLMetaElement>('meta[name="infidraw-ws"]')?.content;
  if (meta) return meta;
  if (token?.wsUrl) return token.wsUrl;
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

export interface Handlers {
  welcome(w: Welcome): void;
  events(events: RoomEvent[]): void;
  live(l: Live): void;
  presence(p: Presence): void;
  state(s: ConnState, detail: string): void;
  /** A request was refused for good (the message names why). */
  refused(message: string, strokeId?: string): void;
  /** The access this connection was admitted with changed or ended; a new token says what is left. */
  accessChanged(): void;
  acked(actionHex: string, seq: number): void;
  /** A stroke or erase was sent again under a new id (its id was taken): whatever holds the old id follows. */
  reminted(oldHex: string, id: Uint8Array): void;
}

interface Pending {
  reqId: number;
  body: Body;
  /** Key in the pending store: stroke id (commits) or action id (erase, undo, redo). */
  key: string;
}

export class RoomConnection {
  private ws: WebSocket | null = null;
  private nextReq = 1;
  private queue: ClientMessage[] = [];
  private flushScheduled = false;
  private joined = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** The last connection was ended because its access changed, and no Welcome came since. */
  private revoked = false;
  /** Highest sequence number applied. */
  lastSeq = 0;
  /** Requests that change the room and were not acknowledged yet, by request id. */
  private inflight = new Map<number, Pending>();
  /** Unacknowledged commits (also in localStorage) by stroke id hex. */
  private pendingStrokes = new Map<string, Stroke>();
  /** Unacknowledged other actions (memory only; all idempotent by action id). */
  private pendingActions = new Map<string, Body>();
  role = 0;
  sessionId = 0;
  state: ConnState = 'connecting';

  constructor(readonly roomId: string, private readonly h: Handlers) {
    this.load();
  }

  private storeKey(): string {
    return `infidraw:pending:${this.roomId}`;
  }

  private load(): void {
    try {
      const raw = localStorage.getItem(this.storeKey());
      if (!raw) return;
      for (const b of JSON.parse(raw) as string[]) {
        const s = Stroke.decode(fromB64(b));
        this.pendingStrokes.set(hex(s.id), s);
      }
    } catch {}
  }

  private save(): void {
    try {
      if (this.pendingStrokes.size === 0) localStorage.removeItem(this.storeKey());
      else localStorage.setItem(this.storeKey(), JSON.stringify([...this.pendingStrokes.values()].map((s) => toB64(Stroke.encode(s).finish()))));
    } catch {}
  }

  /** Strokes not yet acknowledged (drawn locally until their commit arrives). */
  unacked(): Stroke[] {
    return [...this.pendingStrokes.values()];
  }

  start(): void {
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
    this.setState('closed', '');
  }

  private setState(s: ConnState, detail: string): void {
    this.state = s;
    this.h.state(s, detail);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting', this.attempt ? `attempt ${this.attempt + 1}` : '');
    let token: RoomToken;
    try {
      token = await roomToken(this.roomId);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) {
        this.setState('closed', e.message);
        this.h.refused(this.revoked ? 'Your access to this board has ended.' : `No access: ${e.message}`);
        return;
      }
      this.retry(String(e));
      return;
    }
    if (this.stopped) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrlFor(token));
    } catch (e) {
      this.retry(String(e));
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.joined = false;
    ws.onopen = () => {
      const join: ClientMessage = { requestId: 0, body: { $case: 'join', value: { roomId: this.roomId, token: token.token, lastSeq: this.lastSeq } } };
      ws.send(ClientFrame.encode({ messages: [join] }).finish());
    };
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) return;
      let frame: ServerFrame;
      try {
        frame = ServerFrame.decode(new Uint8Array(ev.data));
      } catch {
        return;
      }
      for (const m of frame.messages) this.onMessage(m.body);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.joined = false;
      this.inflight.clear();
      if (this.stopped || this.state === 'closed') return;
      // Access changed: ask for a new token at once (it carries the new role, or is refused). Once only
      // without a Welcome in between, so that a token refused again backs off like any other failure.
      if (this.revoked && this.attempt === 0) {
        this.attempt++;
        void this.open();
      } else this.retry(ev.reason || `closed (${ev.code})`);
    };
    ws.onerror = () => {};
  }

  private retry(why: string): void {
    if (this.stopped) return;
    const delay = Math.min(5000, 250 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.setState('offline', `${why}; retrying in ${(delay / 1000).toFixed(1)} s`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.open(), delay);
  }

  /** Reconnects at once (the user asked, or the page came back online). */
  reconnectNow(): void {
    if (this.state !== 'offline') return;
    clearTimeout(this.timer);
    void this.open();
  }

  private onMessage(body: ServerFrame['messages'][number]['body']): void {
    if (!body) return;
    switch (body.$case) {
      case 'welcome': {
        this.joined = true;
        this.attempt = 0;
        this.revoked = false;
        this.role = body.value.role;
        this.sessionId = body.value.sessionId;
        this.setState('online', '');
        this.h.welcome(body.value);
        // Resend what was never acknowledged, with the same ids: commits are idempotent.
        for (const s of this.pendingStrokes.values()) this.enqueue({ $case: 'commitStroke', value: { stroke: s } }, hex(s.id));
        for (const [k, b] of this.pendingActions) this.enqueue(b, k);
        this.scheduleFlush();
        break;
      }
      case 'events': {
        const fresh = body.value.events.filter((e) => e.seq > this.lastSeq);
        if (fresh.length === 0) break;
        for (const e of fresh) {
          this.lastSeq = Math.max(this.lastSeq, e.seq);
          if (e.kind?.$case === 'strokeAdded' && e.kind.value.stroke) {
            const k = hex(e.kind.value.stroke.id);
            if (this.pendingStrokes.delete(k)) this.save();
          }
        }
        this.h.events(fresh);
        break;
      }
      case 'ack': {
        const p = this.inflight.get(body.value.requestId);
        if (!p) break;
        this.inflight.delete(body.value.requestId);
        if (p.body.$case === 'commitStroke') {
          if (this.pendingStrokes.delete(p.key)) this.save();
        } else this.pendingActions.delete(p.key);
        this.h.acked(p.key, body.value.seq);
        break;
      }
      case 'error': {
        const e = body.value;
        const p = this.inflight.get(e.requestId);
        if (e.fatal) {
          if (e.code === ErrorCode.ERROR_CODE_ROOM_CLOSED) {
            this.setState('closed', 'the board was closed');
            this.h.refused('This board was closed or deleted.');
            this.stopped = true;
          } else if (e.code === ErrorCode.ERROR_CODE_ACCESS_REVOKED) {
            this.revoked = true;
            this.h.accessChanged();
          }
          // Unauthenticated (expired token), slow consumer, bad frame, access changed: the close triggers a
          // rejoin with a new token.
          return;
        }
        if (!p) {
          if (e.requestId === 0) this.h.refused(e.message);
          return;
        }
        this.inflight.delete(e.requestId);
        if (e.code === ErrorCode.ERROR_CODE_CONFLICT && this.remint(p)) return;
        const transient = e.code === ErrorCode.ERROR_CODE_OVERLOADED || e.code === ErrorCode.ERROR_CODE_RATE_LIMITED || e.code === ErrorCode.ERROR_CODE_INTERNAL;
        if (transient) {
          setTimeout(() => {
            if (this.joined) this.enqueue(p.body, p.key);
          }, e.retryAfterMs || 500);
          return;
        }
        if (p.body.$case === 'commitStroke') {
          if (this.pendingStrokes.delete(p.key)) this.save();
        } else this.pendingActions.delete(p.key);
        this.h.refused(e.message, p.key);
        break;
      }
      case 'live':
        this.h.live(body.value);
        break;
      case 'presence':
        this.h.presence(body.value);
        break;
    }
  }

  /**
   * Sends a commit or an erase whose id another stroke or author already holds again under a fresh id,
   * so that nothing the user drew or erased is lost. False for other requests.
   */
  private remint(p: Pending): boolean {
    const id = newId();
    const b = p.body;
    if (b.$case === 'commitStroke' && b.value.stroke) {
      const s: Stroke = { ...b.value.stroke, id };
      this.pendingStrokes.delete(p.key);
      this.pendingStrokes.set(hex(id), s);
      this.save();
      this.h.reminted(p.key, id);
      this.enqueue({ $case: 'commitStroke', value: { stroke: s } }, hex(id));
      return true;
    }
    if (b.$case === 'eraseStrokes') {
      const body: Body = { $case: 'eraseStrokes', value: { ...b.value, actionId: id } };
      this.pendingActions.delete(p.key);
      this.h.reminted(hex(b.value.actionId), id);
      this.action(body, id);
      return true;
    }
    return false;
  }

  private enqueue(body: Body, key?: string): void {
    const reqId = this.nextReq++;
    if (key !== undefined) this.inflight.set(reqId, { reqId, body, key });
    this.queue.push({ requestId: reqId, body });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (!this.ws || !this.joined || this.ws.readyState !== WebSocket.OPEN || this.queue.length === 0) {
      if (!this.joined) this.queue = [];
      return;
    }
    const messages = this.queue;
    this.queue = [];
    this.ws.send(ClientFrame.encode({ messages }).finish());
  }

  /** Ephemeral traffic (live strokes, cursor): dropped while offline. */
  sendEphemeral(body: Body): void {
    if (!this.joined) return;
    this.enqueue(body);
  }

  /** Commits a stroke: stored until acknowledged, resent with its id after a reconnect or a reload. */
  commit(s: Stroke): void {
    const k = hex(s.id);
    this.pendingStrokes.set(k, s);
    this.save();
    if (this.joined) this.enqueue({ $case: 'commitStroke', value: { stroke: s } }, k);
  }

  /** Erase, undo or redo: kept until acknowledged and resent on reconnect (idempotent by action id). */
  action(body: Body, actionId: Uint8Array): void {
    const k = `${body.$case}:${hex(actionId)}`;
    this.pendingActions.set(k, body);
    if (this.joined) this.enqueue(body, k);
  }
}

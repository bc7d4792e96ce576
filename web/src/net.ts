// The WebSocket client of realtime-go: binary protobuf frames, Join with last_seq for catch-up and the board's view,
// SetView as the view changes, reconnect with backoff, and the outbox's unacknowledged requests sent again with their
// ids after every (re)join.
import { ClientFrame, ServerFrame, ErrorCode, type ClientMessage, type Welcome, type Live, type Presence, type View } from './gen/infidraw/realtime/v1/frames.ts';
import type { RoomEvent } from './gen/infidraw/room/v1/event.ts';
import { Stroke } from './gen/infidraw/stroke/v1/stroke.ts';
import { roomToken, ApiError, type RoomToken } from './api.ts';
import { hex, newId } from './ids.ts';
import { Outbox, type ClientBody, type PendingStore } from './outbox.ts';

export type ConnState = 'connecting' | 'online' | 'offline' | 'closed';

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

/**
 * Unacknowledged commits of a room in localStorage (`infidraw:pending:<room>`, protobuf in base64): a reload resends
 * them. Storage that fails (full, disabled) keeps them in memory only.
 */
export function localPendingStore(roomId: string): PendingStore {
  const key = `infidraw:pending:${roomId}`;
  return {
    load() {
      try {
        const raw = localStorage.getItem(key);
        return raw ? (JSON.parse(raw) as string[]).map((b) => Stroke.decode(fromB64(b))) : [];
      } catch {
        return [];
      }
    },
    save(strokes) {
      try {
        if (strokes.length === 0) localStorage.removeItem(key);
        else localStorage.setItem(key, JSON.stringify(strokes.map((s) => toB64(Stroke.encode(s).finish()))));
      } catch {}
    },
  };
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
  /** A request was refused for good (the message names why); `key` is the outbox's key of the request refused. */
  refused(message: string, key?: string): void;
  /** The access this connection was admitted with changed or ended; a new token says what is left. */
  accessChanged(): void;
  /** A request was acknowledged; `key` is its outbox key (a stroke id, or `<kind>:<action id>`). */
  acked(key: string, seq: number): void;
  /** A stroke or erase was sent again under a new id (its id was taken): whatever holds the old id follows. */
  reminted(oldId: string, newId: string): void;
  /**
   * The server sends the events touching this view (grown by its margin) from `seq` on: the view of the Join at the
   * Welcome, or of a SetView at its Ack. null: every event after lastSeq may come (not connected: the rejoin's Welcome
   * says what is watched, its catch-up leaving out strokes added elsewhere; or a server that refused SetView, which does
   * not filter).
   */
  watching(view: View | null, seq: number): void;
  /**
   * Events up to `throughSeq` changed these tiles of `level` (x, y pairs) and are not sent (a view at a coarse level):
   * read them again.
   */
  tilesChanged(level: number, tiles: number[], throughSeq: number): void;
}

/** Whether two views are the same (undefined is none). */
export function sameView(a: View | undefined, b: View | undefined): boolean {
  return !!a && !!b && a.minX === b.minX && a.minY === b.minY && a.maxX === b.maxX && a.maxY === b.maxY && a.level === b.level;
}

/** The errors that say "try again later"; any other refusal is final. */
function transient(code: ErrorCode): boolean {
  return code === ErrorCode.ERROR_CODE_OVERLOADED || code === ErrorCode.ERROR_CODE_RATE_LIMITED || code === ErrorCode.ERROR_CODE_INTERNAL;
}

export class RoomConnection {
  private ws: WebSocket | null = null;
  private queue: ClientMessage[] = [];
  private flushScheduled = false;
  private joined = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** The last connection was ended because its access changed, and no Welcome came since. */
  private revoked = false;
  /** Highest sequence number applied, or that the server says every event of the view up to was sent (through_seq). */
  lastSeq = 0;
  /** The board's view (the latest wins), the one this connection last sent (Join or SetView), and the SetView in flight. */
  private view: View | undefined;
  private viewSent: View | undefined;
  private viewRequest = 0;
  /** This connection's server refused SetView: it ignores views (and sends everything). */
  private viewsIgnored = false;
  state: ConnState = 'connecting';
  private readonly outbox: Outbox;

  constructor(readonly roomId: string, private readonly h: Handlers) {
    this.outbox = new Outbox(localPendingStore(roomId));
  }

  /** Strokes not yet acknowledged (drawn locally until their commit arrives). */
  unacked(): Stroke[] {
    return this.outbox.unacked();
  }

  get unackedCount(): number {
    return this.outbox.unackedCount;
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
      this.viewSent = this.view;
      const join: ClientMessage = { requestId: 0, body: { $case: 'join', value: { roomId: this.roomId, token: token.token, lastSeq: this.lastSeq, view: this.view } } };
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
      this.outbox.disconnected();
      this.viewRequest = 0;
      this.viewsIgnored = false;
      this.h.watching(null, this.lastSeq);
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
        this.setState('online', '');
        this.h.welcome(body.value);
        this.h.watching(this.viewSent ?? null, body.value.headSeq);
        this.sendView();
        // Resend what was never acknowledged, with the same ids: every such request is idempotent.
        this.queue.push(...this.outbox.resend());
        this.scheduleFlush();
        break;
      }
      case 'events': {
        const before = this.lastSeq;
        const fresh = body.value.events.filter((e) => e.seq > this.lastSeq);
        for (const e of fresh) {
          this.lastSeq = Math.max(this.lastSeq, e.seq);
          if (e.kind?.$case === 'strokeAdded' && e.kind.value.stroke) this.outbox.committed(hex(e.kind.value.stroke.id));
        }
        // The seqs missing up to through_seq are events elsewhere on the board: a rejoin's catch-up starts after it.
        this.lastSeq = Math.max(this.lastSeq, body.value.throughSeq);
        if (this.lastSeq > before) this.h.events(fresh);
        break;
      }
      case 'tilesChanged': {
        const t = body.value;
        this.lastSeq = Math.max(this.lastSeq, t.throughSeq);
        this.h.tilesChanged(t.level, t.tiles, t.throughSeq);
        break;
      }
      case 'ack': {
        if (body.value.requestId === this.viewRequest && this.viewRequest) {
          this.viewRequest = 0;
          this.h.watching(this.viewSent ?? null, body.value.seq);
          this.sendView();
          break;
        }
        const key = this.outbox.acked(body.value.requestId);
        if (key !== undefined) this.h.acked(key, body.value.seq);
        break;
      }
      case 'error': {
        const e = body.value;
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
        if (e.requestId === this.viewRequest && this.viewRequest) {
          this.viewRefused(e.code, e.retryAfterMs);
          return;
        }
        const p = this.outbox.answered(e.requestId);
        if (!p) {
          if (e.requestId === 0) this.h.refused(e.message);
          return;
        }
        if (e.code === ErrorCode.ERROR_CODE_CONFLICT) {
          // Its id was taken: sent again under a new one, so that nothing drawn or erased is lost.
          const id = newId();
          const r = this.outbox.remint(p, id);
          if (r) {
            this.h.reminted(r.oldId, hex(id));
            this.send(r.message);
            return;
          }
        }
        if (transient(e.code)) {
          setTimeout(() => {
            if (this.joined) this.enqueue(p.body, p.key);
          }, e.retryAfterMs || 500);
          return;
        }
        this.outbox.drop(p);
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

  private enqueue(body: ClientBody, key?: string): void {
    this.send(this.outbox.request(body, key));
  }

  private send(m: ClientMessage): void {
    this.queue.push(m);
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

  /**
   * The board's view changed (it settled after a pan or zoom): sent as SetView, one at a time, the latest view winning;
   * the next Join carries it too.
   */
  setView(view: View): void {
    this.view = view;
    this.sendView();
  }

  private sendView(): void {
    const view = this.view;
    if (!view || !this.joined || this.viewRequest || this.viewsIgnored || sameView(view, this.viewSent)) return;
    const m = this.outbox.request({ $case: 'setView', value: { view } });
    this.viewRequest = m.requestId;
    this.viewSent = view;
    this.send(m);
  }

  /**
   * A SetView was refused. Busy: sent again later. Otherwise the server does not know views (realtime-go before
   * interest management refuses it as not a drawing message): it sends everything, so nothing is missed.
   */
  private viewRefused(code: ErrorCode, retryAfterMs: number): void {
    this.viewRequest = 0;
    if (transient(code)) {
      this.viewSent = undefined;
      const ws = this.ws;
      setTimeout(() => {
        if (this.ws === ws) this.sendView();
      }, retryAfterMs || 500);
      return;
    }
    this.viewsIgnored = true;
    this.h.watching(null, this.lastSeq);
  }

  /** Ephemeral traffic (live strokes, cursor): dropped while offline. */
  sendEphemeral(body: ClientBody): void {
    if (!this.joined) return;
    this.enqueue(body);
  }

  /** Commits a stroke: stored until acknowledged, resent with its id after a reconnect or a reload. */
  commit(s: Stroke): void {
    const k = this.outbox.commit(s);
    if (this.joined) this.enqueue({ $case: 'commitStroke', value: { stroke: s } }, k);
  }

  /** Erase, undo or redo: kept until acknowledged and resent on reconnect (idempotent by action id). */
  action(body: ClientBody, actionId: Uint8Array): void {
    const k = this.outbox.action(body, actionId);
    if (this.joined) this.enqueue(body, k);
  }
}

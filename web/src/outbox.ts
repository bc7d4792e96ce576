// The requests that change the room (commits, erases, undo, redo) from the moment they are made until the server
// acknowledges them: request ids, what is in flight on this connection, and what has to be sent again after a
// reconnect. Commits also survive a reload through a PendingStore. Every such request is idempotent by its id, so
// sending one again is always safe. Pure (no WebSocket, no localStorage), so that node --test runs it.
import { hex } from './ids.ts';
import type { ClientMessage } from './gen/infidraw/realtime/v1/frames.ts';
import type { Stroke } from './gen/infidraw/stroke/v1/stroke.ts';

export type ClientBody = NonNullable<ClientMessage['body']>;

/** Where unacknowledged commits are kept across reloads. */
export interface PendingStore {
  load(): Stroke[];
  save(strokes: readonly Stroke[]): void;
}

/** A request sent on this connection and not answered yet. */
export interface Inflight {
  body: ClientBody;
  /** Its key in the outbox: the stroke id (commits) or `<kind>:<action id>` (erase, undo, redo), in hex. */
  key: string;
}

/** A request sent again under a new id. */
export interface Reminted {
  /** The id it had (stroke id or action id, hex), and the message that sends it under the new one. */
  oldId: string;
  message: ClientMessage;
}

export class Outbox {
  private nextRequest = 1;
  private readonly inflight = new Map<number, Inflight>();
  /** Unacknowledged commits by stroke id, in the order they were made (also in the store). */
  private readonly strokes = new Map<string, Stroke>();
  /** Unacknowledged erases, undos and redos by key (memory only). */
  private readonly actions = new Map<string, ClientBody>();
  private readonly store: PendingStore;

  constructor(store: PendingStore) {
    this.store = store;
    for (const s of store.load()) this.strokes.set(hex(s.id), s);
  }

  /** Strokes not yet acknowledged: drawn here until their commit arrives. */
  unacked(): Stroke[] {
    return [...this.strokes.values()];
  }

  get unackedCount(): number {
    return this.strokes.size;
  }

  /** The next message of this connection. With a key it is tracked until answered; without, it is ephemeral. */
  request(body: ClientBody, key?: string): ClientMessage {
    const requestId = this.nextRequest++;
    if (key !== undefined) this.inflight.set(requestId, { body, key });
    return { requestId, body };
  }

  /** A stroke to commit: kept (and stored) until acknowledged. Returns its key. */
  commit(s: Stroke): string {
    const key = hex(s.id);
    this.strokes.set(key, s);
    this.save();
    return key;
  }

  /** An erase, undo or redo: kept until acknowledged. Returns its key. */
  action(body: ClientBody, actionId: Uint8Array): string {
    const key = `${body.$case}:${hex(actionId)}`;
    this.actions.set(key, body);
    return key;
  }

  /** After a (re)join: every unacknowledged request again with its id, commits first. */
  resend(): ClientMessage[] {
    const out: ClientMessage[] = [];
    for (const [key, stroke] of this.strokes) out.push(this.request({ $case: 'commitStroke', value: { stroke } }, key));
    for (const [key, body] of this.actions) out.push(this.request(body, key));
    return out;
  }

  /** A stroke came back as a committed event: its commit is done, even when its ack was lost with a connection. */
  committed(strokeId: string): void {
    if (this.strokes.delete(strokeId)) this.save();
  }

  /** An ack: the request is done. Its key, or undefined for a request this connection does not wait for. */
  acked(requestId: number): string | undefined {
    const p = this.answered(requestId);
    if (p) this.drop(p);
    return p?.key;
  }

  /** An error answered a request: no longer in flight. The caller drops it, retries it or remints it. */
  answered(requestId: number): Inflight | undefined {
    const p = this.inflight.get(requestId);
    this.inflight.delete(requestId);
    return p;
  }

  /** A request done or refused for good: forgotten. */
  drop(p: Inflight): void {
    if (p.body.$case === 'commitStroke') this.committed(p.key);
    else this.actions.delete(p.key);
  }

  /**
   * A commit or an erase whose id another stroke or author holds, under a fresh id so that nothing drawn or erased
   * is lost. Null for other requests (undo and redo name an action, they cannot change its id).
   */
  remint(p: Inflight, id: Uint8Array): Reminted | null {
    const b = p.body;
    if (b.$case === 'commitStroke' && b.value.stroke) {
      const stroke: Stroke = { ...b.value.stroke, id };
      this.strokes.delete(p.key);
      const key = this.commit(stroke);
      return { oldId: p.key, message: this.request({ $case: 'commitStroke', value: { stroke } }, key) };
    }
    if (b.$case === 'eraseStrokes') {
      const body: ClientBody = { $case: 'eraseStrokes', value: { ...b.value, actionId: id } };
      this.actions.delete(p.key);
      return { oldId: hex(b.value.actionId), message: this.request(body, this.action(body, id)) };
    }
    return null;
  }

  /** The connection closed: nothing in flight will be answered; the pending requests go again after the next join. */
  disconnected(): void {
    this.inflight.clear();
  }

  private save(): void {
    this.store.save([...this.strokes.values()]);
  }
}

// The board model: everything the board knows, without the DOM. Strokes by state (committed by the server, one's own
// waiting for their ack, other people's still being drawn), erases, undo/redo of one's own actions, who is here and
// where their cursors are, the view and the cached tiles. The modules around it (input, renderer, tile loader,
// erasers, export, toolbar) read it and call it; the WebSocket handlers feed it.
import { decodeStroke, COORD_SCALE, type Decoded } from '../geometry.ts';
import { hex, newId } from '../ids.ts';
import type { Role } from '../api.ts';
import type { Live, Peer, Presence } from '../gen/infidraw/realtime/v1/frames.ts';
import type { RoomEvent } from '../gen/infidraw/room/v1/event.ts';
import type { Stroke } from '../gen/infidraw/stroke/v1/stroke.ts';
import { UndoHistory } from './history.ts';
import { LiveStrokes } from './live-strokes.ts';
import { TileStore } from './tile-store.ts';
import { View } from './view.ts';

/** A stroke the server committed (its StrokeAdded event came over the WebSocket). */
export interface CommittedStroke {
  id: string;
  seq: number;
  d: Decoded;
  erased: boolean;
}

/** Another session's pointer, in world units, and when it last moved (a clock in ms). */
export interface Cursor {
  x: number;
  y: number;
  at: number;
}

/** What a batch of committed events changed. */
export interface EventsApplied {
  /** Strokes new to the board, in sequence order. */
  added: CommittedStroke[];
  /** Strokes were erased or restored: they may be baked into tile snapshots, which then have to be fetched again. */
  erasedOrRestored: boolean;
}

export class BoardModel {
  readonly view = new View();
  readonly tiles = new TileStore();
  readonly live = new LiveStrokes();
  readonly history = new UndoHistory();
  /** Who is here, by session. */
  readonly peers = new Map<number, Peer>();
  readonly cursors = new Map<number, Cursor>();
  /** Committed strokes in sequence order. */
  readonly committed: CommittedStroke[] = [];
  private readonly byId = new Map<string, CommittedStroke>();
  /** One's own strokes sent and not acknowledged yet (they are resent until they are), drawn over the picture. */
  readonly pending = new Map<string, Decoded>();
  /**
   * Ids of strokes erased and not restored, whether or not they are here as vectors, with the seq of the erase
   * (Infinity: one's own, not come back yet).
   */
  readonly erased = new Map<string, number>();
  /**
   * Strokes the object eraser found on the server, which are only pixels of snapshots here: cut out of the picture as
   * the erase's preview until the erase comes back and the tiles are fetched again without them.
   */
  readonly ghosts = new Map<string, Decoded>();
  /** Viewers of a crowded room who are counted, not listed in `peers`. */
  viewers = 0;
  /** This connection's session (0 before the first Welcome). */
  session = 0;
  role: Role;

  /** role: the page's role until a Welcome says the connection's; unacked: strokes still waiting from earlier visits. */
  constructor(role: Role, unacked: readonly Stroke[]) {
    this.role = role;
    for (const s of unacked) this.pending.set(hex(s.id), decodeStroke(s));
  }

  get canEdit(): boolean {
    return this.role !== 'viewer';
  }

  /** Whether a stroke with this id was committed and arrived here. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Joined (again): the connection's session and role, and everyone here now (`viewers`: those counted, not listed).
   * Live state from before is stale.
   */
  welcome(session: number, role: Role, peers: readonly Peer[], viewers = 0): void {
    this.session = session;
    this.role = role;
    this.viewers = viewers;
    this.peers.clear();
    for (const p of peers) this.peers.set(p.sessionId, p);
    this.cursors.clear();
    this.live.clear();
  }

  /** Sessions came and left (and the count of viewers not listed changed); what the leavers were drawing goes with them. */
  presence(p: Presence): void {
    if (p.viewers !== undefined) this.viewers = p.viewers;
    for (const j of p.joined) this.peers.set(j.sessionId, j);
    for (const s of p.leftSessionIds) {
      this.peers.delete(s);
      this.cursors.delete(s);
      this.live.dropSession(s);
    }
  }

  /** Committed events in sequence order (duplicates already dropped by the connection). */
  applyEvents(events: readonly RoomEvent[]): EventsApplied {
    const out: EventsApplied = { added: [], erasedOrRestored: false };
    for (const e of events) {
      const k = e.kind;
      if (!k) continue;
      if (k.$case === 'strokeAdded' && k.value.stroke) {
        const id = hex(k.value.stroke.id);
        this.live.delete(id);
        this.pending.delete(id);
        if (this.byId.has(id)) continue;
        const rec: CommittedStroke = { id, seq: e.seq, d: decodeStroke(k.value.stroke), erased: false };
        this.insert(rec);
        out.added.push(rec);
      } else if (k.$case === 'strokesErased' || k.$case === 'strokesRestored') {
        const erased = k.$case === 'strokesErased';
        for (const sid of k.value.strokeIds) {
          const id = hex(sid);
          const rec = this.byId.get(id);
          if (rec) rec.erased = erased;
          this.ghosts.delete(id); // the tiles fetched again no longer hold it
          if (erased) this.erased.set(id, e.seq);
          else this.erased.delete(id);
        }
        out.erasedOrRestored = true;
      }
    }
    return out;
  }

  /**
   * Another session's live traffic: its stroke in progress or its cursor (one's own echoes are ignored). Says what
   * changed: 'stroke', 'cursor', or null for nothing.
   */
  applyLive(l: Live, now: number): 'stroke' | 'cursor' | null {
    const b = l.body;
    if (!b || l.sessionId === this.session) return null;
    switch (b.$case) {
      case 'cursorMove':
        this.cursors.set(l.sessionId, { x: b.value.x / COORD_SCALE, y: b.value.y / COORD_SCALE, at: now });
        return 'cursor';
      case 'strokeBegin': {
        const s = b.value.stroke;
        if (!s) return null;
        const id = hex(s.id);
        if (this.byId.has(id)) return null; // its commit came first
        this.live.begin(l.sessionId, id, s);
        return 'stroke';
      }
      case 'strokeMore':
        return this.live.more(hex(b.value.strokeId), b.value.points, b.value.pressures) ? 'stroke' : null;
      case 'strokeEnd':
        return this.live.end(hex(b.value.strokeId), b.value.cancelled, now) ? 'stroke' : null;
    }
  }

  /**
   * One's own stroke was acknowledged at `seq`: committed from now on, whether or not its event comes (a view elsewhere
   * or at a coarse level leaves it out). Returns it when it is new here.
   */
  ackedStroke(id: string, seq: number): CommittedStroke | null {
    const d = this.pending.get(id);
    if (!d || this.byId.has(id)) return null;
    this.pending.delete(id);
    const rec: CommittedStroke = { id, seq, d, erased: this.erased.has(id) };
    this.insert(rec);
    return rec;
  }

  /**
   * A tile read at `coversSeq` shows these strokes as vectors: any of them erased before that seq was restored since,
   * though the restore did not come here (it was elsewhere on the board than this page's view, or undone from there).
   * True when any was.
   */
  shown(ids: Iterable<string>, coversSeq: number): boolean {
    let changed = false;
    for (const id of ids) {
      const at = this.erased.get(id);
      if (at === undefined || at >= coversSeq) continue;
      this.erased.delete(id);
      const rec = this.byId.get(id);
      if (rec) rec.erased = false;
      changed = true;
    }
    return changed;
  }

  /** A committed stroke in sequence order (an ack may come before events of others with lower seqs). */
  private insert(rec: CommittedStroke): void {
    this.byId.set(rec.id, rec);
    let i = this.committed.length;
    while (i > 0 && this.committed[i - 1].seq > rec.seq) i--;
    this.committed.splice(i, 0, rec);
  }

  /** One's own stroke was committed here: drawn as pending until its ack, and the next undo names it. */
  drew(s: Stroke): void {
    const id = hex(s.id);
    this.pending.set(id, decodeStroke(s));
    this.history.did(id);
  }

  /** One's own erase of these strokes: hidden at once; the next undo names it. Returns the erase's action id. */
  erase(ids: readonly string[]): string {
    const actionId = hex(newId());
    for (const id of ids) {
      const rec = this.byId.get(id);
      if (rec) rec.erased = true;
      this.erased.set(id, Infinity);
    }
    this.history.did(actionId);
    return actionId;
  }

  /** The server refused a request for good; a refused stroke is no longer drawn. */
  refused(key: string): void {
    this.pending.delete(key);
  }

  /** A stroke or erase was sent again under a new id (the first was taken): what held the old id follows. */
  reminted(oldId: string, newId: string): void {
    const d = this.pending.get(oldId);
    if (d) {
      this.pending.delete(oldId);
      this.pending.set(newId, d);
    }
    this.history.rename(oldId, newId);
  }
}

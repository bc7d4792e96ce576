// The object eraser: a gesture collects the strokes under the pointer and erases them when the pointer lifts.
// Strokes here as vectors (committed over the WebSocket, tile deltas) are hit-tested locally. Most of a board is
// snapshot pixels, though, so a point that hits no vector is asked about on the server (GET
// /api/rooms/:id/strokes/at, which reads the tile index of the few tiles under it, never the room's history); what
// it finds is cut out of the picture as a preview until the erase comes back.
import { hitStroke, type Decoded } from '../geometry.ts';
import type { BoardModel } from './model.ts';

/** A server hit test covers queued points at most this many eraser radii apart (the rest waits its turn). */
export const LOOKUP_SPAN = 4;

/** The server's hit test: the visible strokes whose ink a disk (world units) touches. */
export type StrokesAtLookup = (x: number, y: number, r: number, signal: AbortSignal) => Promise<{ strokes: { id: string; d: Decoded }[]; partial: boolean }>;

/** Counts of server lookups, for the stage's data-eraser-lookups. */
export interface LookupStats {
  requests: number;
  /** Strokes found by them. */
  hits: number;
  partial: number;
  failed: number;
}

export interface EraserHooks {
  lookup: StrokesAtLookup;
  /** Strokes joined a gesture's preview (or a cancelled one's left it): draw the picture again. */
  changed(): void;
  /** A gesture ended with strokes under it: erase them. */
  erase(ids: string[]): void;
  /** A lookup finished; the counters changed. */
  looked(stats: LookupStats): void;
}

/** One gesture: from pointer down to up, plus the lookups still to answer for it. */
interface Gesture {
  ids: Set<string>;
  /** World points (x, y, radius) that hit no local vector, not asked about yet. */
  queue: [number, number, number][];
  /** The lookup in flight for this gesture. */
  abort: AbortController | null;
  /** The pointer lifted. */
  done: boolean;
  cancelled: boolean;
}

export class ObjectEraser {
  /** The gesture under the pointer now. */
  private gesture: Gesture | null = null;
  /** Gestures with points to ask the server about, oldest first; one lookup in flight at a time. */
  private readonly waiting: Gesture[] = [];
  private busy = false;
  readonly stats: LookupStats = { requests: 0, hits: 0, partial: 0, failed: 0 };
  private readonly model: BoardModel;
  private readonly hooks: EraserHooks;

  constructor(model: BoardModel, hooks: EraserHooks) {
    this.model = model;
    this.hooks = hooks;
  }

  /** A gesture is under way (the pointer is down). */
  get active(): boolean {
    return this.gesture !== null;
  }

  /** Whether a gesture, under way or waiting for lookups, will erase this stroke: it is hidden as a preview. */
  selects(id: string): boolean {
    return !!this.gesture?.ids.has(id) || this.waiting.some((g) => g.ids.has(id));
  }

  begin(): void {
    this.end();
    this.gesture = { ids: new Set(), queue: [], abort: null, done: false, cancelled: false };
  }

  /**
   * The pointer at world (x, y) with eraser radius r. Local vectors first; a point that hits none of them is queued
   * for the server unless it is within half a radius of the last point queued.
   */
  at(x: number, y: number, r: number): void {
    const g = this.gesture;
    if (!g) return;
    if (this.hitLocal(g, x, y, r)) return this.hooks.changed();
    const last = g.queue[g.queue.length - 1];
    if (last && Math.hypot(last[0] - x, last[1] - y) < r / 2) return;
    g.queue.push([x, y, r]);
    if (!this.waiting.includes(g)) this.waiting.push(g);
    this.pump();
  }

  /**
   * The pointer lifted: the erase goes out once the gesture's lookups are answered. A cancelled gesture
   * (pointercancel, a second finger) aborts its lookup and drops its queue and preview.
   */
  end(cancel = false): void {
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    g.done = true;
    if (cancel) {
      g.cancelled = true;
      g.queue.length = 0;
      g.abort?.abort();
      for (const id of g.ids) this.model.ghosts.delete(id);
      this.unwait(g);
      this.hooks.changed();
      return;
    }
    if (g.queue.length === 0 && !g.abort) this.finish(g);
  }

  /** The board goes away: every lookup is aborted, nothing more is erased. */
  dispose(): void {
    this.end(true);
    for (const g of this.waiting) {
      g.cancelled = true;
      g.abort?.abort();
    }
    this.waiting.length = 0;
  }

  /** Adds to the gesture every stroke under the disk that is here as a vector, newest first. */
  private hitLocal(g: Gesture, x: number, y: number, r: number): boolean {
    let hit = false;
    const test = (id: string, d: Decoded) => {
      if (this.model.erased.has(id) || g.ids.has(id) || !hitStroke(d, x, y, r)) return;
      g.ids.add(id);
      hit = true;
    };
    const committed = this.model.committed;
    for (let i = committed.length - 1; i >= 0; i--) if (!committed[i].erased) test(committed[i].id, committed[i].d);
    for (const st of this.model.tiles.deltaStrokes(this.model.view.level())) test(st.id, st.d);
    return hit;
  }

  /**
   * At most one lookup in flight: the oldest gesture's queued points within LOOKUP_SPAN radii of its first one go out
   * as one disk covering them all; the answer is hit-tested again point by point (the disk covers more than the
   * path), and what it hits joins the gesture with the same preview.
   */
  private pump(): void {
    if (this.busy) return;
    const g = this.waiting.find((w) => w.queue.length > 0);
    if (!g) return;
    const batch = g.queue.splice(0, spanOf(g.queue));
    const [cx, cy, cr] = coveringDisk(batch);
    const ctl = new AbortController();
    g.abort = ctl;
    this.busy = true;
    this.stats.requests++;
    this.hooks.lookup(cx, cy, cr, ctl.signal).then((got) => {
      if (ctl.signal.aborted || g.cancelled) return;
      if (got.partial) this.stats.partial++;
      let hit = false;
      for (const st of got.strokes) {
        if (this.model.erased.has(st.id) || g.ids.has(st.id)) continue;
        if (batch.length > 1 && !batch.some(([x, y, r]) => hitStroke(st.d, x, y, r))) continue;
        g.ids.add(st.id);
        if (!this.model.has(st.id)) this.model.ghosts.set(st.id, st.d);
        this.stats.hits++;
        hit = true;
      }
      if (hit) this.hooks.changed();
    }, () => {
      if (!ctl.signal.aborted) this.stats.failed++;
    }).finally(() => {
      g.abort = null;
      this.busy = false;
      if (g.done && g.queue.length === 0) this.finish(g);
      this.hooks.looked(this.stats);
      this.pump();
    });
  }

  private finish(g: Gesture): void {
    this.unwait(g);
    if (!g.cancelled && g.ids.size) this.hooks.erase([...g.ids]);
  }

  private unwait(g: Gesture): void {
    const i = this.waiting.indexOf(g);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}

/** How many of the queued points, from the first, fit in one lookup: their bounding box spans ≤ LOOKUP_SPAN radii. */
function spanOf(queue: readonly [number, number, number][]): number {
  const [fx, fy, fr] = queue[0];
  let [x0, y0, x1, y1] = [fx, fy, fx, fy];
  let n = 0;
  for (const [x, y] of queue) {
    const [nx0, ny0, nx1, ny1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    if (n > 0 && Math.hypot(nx1 - nx0, ny1 - ny0) > LOOKUP_SPAN * fr) break;
    [x0, y0, x1, y1] = [nx0, ny0, nx1, ny1];
    n++;
  }
  return n;
}

/** The disk (x, y, r) centred on the points' bounding box that covers every point's own disk. */
function coveringDisk(points: readonly [number, number, number][]): [number, number, number] {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return [cx, cy, Math.max(...points.map(([x, y, r]) => Math.hypot(x - cx, y - cy) + r))];
}

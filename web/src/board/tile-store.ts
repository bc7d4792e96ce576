// The tiles the board holds (docs/tiles.md): per (level, x, y) the tile as the server answered it, which ones were
// answered pending or are stale (read at another point of the past; of the board now, missing events the server does
// not send this client, interest.ts), and what a new answer changes. Bookkeeping
// only: the tile loader fetches and decodes, the tile painter draws. The board keeps one store for the room now and
// one for the past point the timeline shows.
import { MAX_LEVEL } from '../geometry.ts';
import { tileKey, type TileRange } from '../tile-grid.ts';
import type { Tile, TileStroke } from '../tiles.ts';

/** Past this many cached tiles, a response drops the tiles of every other level. */
export const MAX_CACHED_TILES = 4000;
/** A tile not loaded yet is drawn from its nearest complete ancestor up to this many levels coarser. */
export const ANCESTOR_LEVELS = 6;
/** Tiles answered pending are asked for again after this long, doubling up to PENDING_RETRY_MAX_MS. */
export const PENDING_RETRY_MS = 300;
export const PENDING_RETRY_MAX_MS = 3000;

/** A tile whose content is all here: no snapshot, or its snapshot decoded; pending only with an (older) snapshot. */
export function isComplete(t: Tile | undefined): t is Tile {
  return !!t && (t.snapshotUrl ? !!t.bitmap : !t.pending);
}

/** A tile of a response that changes what the board shows. */
export interface Accepted {
  key: string;
  tile: Tile;
  /** The cached tile it replaces, if any. */
  previous: Tile | undefined;
  /** The previous tile stays on screen until this one can be drawn (its snapshot decoded, or not pending). */
  keepsPrevious: boolean;
  /** Its snapshot has to be fetched and decoded (attachSnapshot). */
  needsSnapshot: boolean;
}

export class TileStore {
  private readonly tiles = new Map<string, Tile>();
  /** Tiles last answered pending (a snapshot is being rendered). */
  private readonly pending = new Set<string>();
  /**
   * Tiles read at another point than the one shown now, or (the board now) that miss events because the server no
   * longer watched them: drawn until an answer that is current replaces them.
   */
  private readonly stale = new Set<string>();
  private retryMs = PENDING_RETRY_MS;

  get size(): number {
    return this.tiles.size;
  }

  get(level: number, x: number, y: number): Tile | undefined {
    return this.tiles.get(tileKey(level, x, y));
  }

  /** Whether a tile of the range is not cached, was answered pending or is stale. */
  missing(level: number, r: TileRange): boolean {
    for (let ty = r.y0; ty <= r.y1; ty++) {
      for (let tx = r.x0; tx <= r.x1; tx++) {
        const k = tileKey(level, tx, ty);
        if (!this.tiles.has(k) || this.pending.has(k) || this.stale.has(k)) return true;
      }
    }
    return false;
  }

  /** Whether a tile of the range was answered pending. */
  anyPending(level: number, r: TileRange): boolean {
    for (let ty = r.y0; ty <= r.y1; ty++) for (let tx = r.x0; tx <= r.x1; tx++) if (this.pending.has(tileKey(level, tx, ty))) return true;
    return false;
  }

  /** Whether a cached tile is stale: read at another point than the one shown now, or missing events. */
  isStale(t: Tile): boolean {
    return this.stale.has(tileKey(t.level, t.x, t.y));
  }

  /** How many tiles of a level were answered pending. */
  awaiting(level: number): number {
    let n = 0;
    for (const k of this.pending) if (k.startsWith(`${level}:`)) n++;
    return n;
  }

  /**
   * Takes one tile of a response. Null when it is what the cache holds already (a request covers the whole screen,
   * cached tiles too): the cached object stays, and with it whatever was drawn from it. A tile with content on
   * screen stays until its replacement can be drawn, so that nothing flickers blank; over a pending answer it stays
   * until the tile is not pending (it is no older than the pending tile's snapshot). A stale tile stays on the same
   * terms; it is current again once its answer at the new point is in place, or says the same: then the cached
   * object is accepted again (it stays, and is drawn again as current). `current`: false for an answer that may miss
   * events (interest.ts, ReadTrust): it is taken as stale, and the same content leaves the cached tile as it is.
   */
  accept(t: Tile, current = true): Accepted | null {
    const key = tileKey(t.level, t.x, t.y);
    const previous = this.tiles.get(key);
    if (t.pending) this.pending.add(key);
    else this.pending.delete(key);
    if (previous && !t.pending && isComplete(previous) && !previous.pending && previous.coversSeq === t.coversSeq &&
      previous.snapshotUrl === t.snapshotUrl && previous.strokes.length === t.strokes.length) {
      return current && this.stale.delete(key) ? { key, tile: previous, previous, keepsPrevious: false, needsSnapshot: false } : null;
    }
    if (t.snapshotUrl && previous?.snapshotUrl === t.snapshotUrl && previous.bitmap) t.bitmap = previous.bitmap;
    const keepsPrevious = isComplete(previous) && (t.pending || !isComplete(t));
    if (!keepsPrevious) {
      this.tiles.set(key, t);
      this.markCurrent(key, current);
    }
    return { key, tile: t, previous, keepsPrevious, needsSnapshot: !!t.snapshotUrl && !t.bitmap && !(keepsPrevious && t.pending) };
  }

  /**
   * The snapshot of an accepted tile was decoded: the tile takes its place unless a newer answer replaced it
   * meanwhile. True when it did. `current` as for accept, decided now.
   */
  attachSnapshot(a: Accepted, bitmap: ImageBitmap, current = true): boolean {
    const cached = this.tiles.get(a.key);
    if (cached !== a.tile && !(a.keepsPrevious && cached === a.previous)) return false;
    a.tile.bitmap = bitmap;
    this.tiles.set(a.key, a.tile);
    this.markCurrent(a.key, current);
    return true;
  }

  /** Marks stale every cached tile `where` holds for (they miss events from now on). Returns how many were not yet. */
  markStale(where: (t: Tile) => boolean): number {
    let n = 0;
    for (const [k, t] of this.tiles) {
      if (this.stale.has(k) || !where(t)) continue;
      this.stale.add(k);
      n++;
    }
    return n;
  }

  /** How many cached tiles are stale. */
  get staleCount(): number {
    return this.stale.size;
  }

  private markCurrent(key: string, current: boolean): void {
    if (current) this.stale.delete(key);
    else this.stale.add(key);
  }

  /** Past MAX_CACHED_TILES, drops the tiles of every level but this one. */
  trim(level: number): void {
    if (this.tiles.size <= MAX_CACHED_TILES) return;
    this.dropOtherLevels(level);
  }

  /**
   * The room is read at another point from now on: the tiles of other levels go (they would stand in for tiles not
   * loaded with what was there at the old point), and those of this level stay on screen as stale until their
   * answers at the new point replace them, so that moving through time does not blank the board. Returns their keys.
   */
  reread(level: number): string[] {
    this.dropOtherLevels(level);
    this.pending.clear();
    for (const k of this.tiles.keys()) this.stale.add(k);
    return [...this.stale];
  }

  /** Forgets every tile (an erase or restore: the server never serves a snapshot older than it). */
  clear(): void {
    this.tiles.clear();
    this.pending.clear();
    this.stale.clear();
  }

  /** How long to wait before asking for pending tiles again: PENDING_RETRY_MS, doubling at each call up to the maximum. */
  nextRetry(): number {
    const ms = this.retryMs;
    this.retryMs = Math.min(PENDING_RETRY_MAX_MS, this.retryMs * 2);
    return ms;
  }

  /** No tile in view is pending any more: the next wait starts short again. */
  resetRetry(): void {
    this.retryMs = PENDING_RETRY_MS;
  }

  private dropOtherLevels(level: number): void {
    for (const [k, t] of this.tiles) {
      if (t.level === level) continue;
      this.tiles.delete(k);
      this.pending.delete(k);
      this.stale.delete(k);
    }
  }

  /** The nearest complete cached ancestor of a tile, up to ANCESTOR_LEVELS coarser. */
  ancestor(level: number, tx: number, ty: number): Tile | undefined {
    for (let l = level + 1; l <= Math.min(MAX_LEVEL, level + ANCESTOR_LEVELS); l++) {
      const a = this.get(l, tx >> (l - level), ty >> (l - level));
      if (isComplete(a)) return a;
    }
    return undefined;
  }

  /** The delta strokes (vectors after their snapshots) of every cached tile of a level. */
  *deltaStrokes(level: number): Iterable<TileStroke> {
    for (const t of this.tiles.values()) if (t.level === level) yield* t.strokes;
  }

  /** Of the cached tiles of a level: how many have a snapshot decoded, and how many delta strokes they hold. */
  counts(level: number): { snapshots: number; strokes: number } {
    let snapshots = 0;
    let strokes = 0;
    for (const t of this.tiles.values()) {
      if (t.level !== level) continue;
      if (t.bitmap) snapshots++;
      strokes += t.strokes.length;
    }
    return { snapshots, strokes };
  }
}

// Loads the tiles the view needs (docs/tiles.md): GET /api/rooms/:id/tiles for the visible tiles of the current level
// when one is not cached, debounced while the view changes; snapshot PNGs decoded as they come; tiles answered
// pending asked for again with a backoff until their snapshots exist; everything fetched again after an erase. The
// board has one loader for the room now and one for the past point the timeline shows; only the one on screen loads.
// The loader of the board now reads only tiles the server watches (interest.ts): a tile of an answer that may miss
// events is taken as stale, and read again once it is watched.
import { fetchTiles, loadSnapshot, roomTilesUrl, type PastPoint, type Tile } from '../tiles.ts';
import { Debounced } from './debounce.ts';
import type { Interest } from './interest.ts';
import type { StageData } from './stage-data.ts';
import type { TilePainter } from './tile-painter.ts';
import type { TileStore } from './tile-store.ts';
import type { View } from './view.ts';

/** The view has to rest this long (ms) before its tiles are asked for. */
export const TILES_DEBOUNCE_MS = 120;
/** A drag loads the tiles it uncovers at least this often (ms), without waiting for it to rest. */
export const DRAG_LOAD_MS = 300;
/** A failed tiles request is tried again after this long. */
const FAILED_RETRY_MS = 2000;

/** What a tiles response said about the room: its head, and the point read (the head for a read of now). */
export interface TilesAnswer {
  headSeq: number;
  atSeq: number;
}

export interface TileLoaderOptions {
  roomId: string;
  /** The tiles endpoint: the room's (roomTilesUrl) unless given (an embed's, through its link). */
  tilesUrl?: string;
  /** Ask for aligned blocks of this many tiles square (fetchTiles), not the visible range: URLs an HTTP cache shares. */
  blockTiles?: number;
  view: View;
  tiles: TileStore;
  painter: TilePainter;
  data: StageData;
  /** What the server watches (the board now): tiles outside it wait, and answers that may miss events are stale. */
  interest?: Interest;
  /** Tiles arrived or their snapshots did; their rectangles are marked for the painter. */
  changed(): void;
  /** The tiles of a response to the loader's current point, before they are taken (what their strokes say). */
  read?(tiles: readonly Tile[]): void;
  /** A response to the loader's current point was taken. */
  answered(a: TilesAnswer): void;
}

export class TileLoader {
  private readonly timer = new Debounced(() => void this.load().catch(() => {}));
  /** Only an active loader loads and reports (the other one's tiles are not on screen). */
  private active = true;
  /** The point read: undefined for now. */
  private at: PastPoint | undefined;
  /** Changes when the cache is dropped or the point moves: answers to requests made before are ignored. */
  private generation = 0;
  private inflight = 0;
  /** The range (level:x0:y0:x1:y1) of the request in flight, not asked for twice. */
  private wanted = '';
  private readonly stats = { requests: 0, bytes: 0, pngs: 0, pngBytes: 0 };
  private readonly o: TileLoaderOptions;

  constructor(o: TileLoaderOptions) {
    this.o = o;
  }

  /**
   * Loads the visible tiles that are missing after `delay` ms of rest, but never later than `maxWait` after the first
   * call since the last load: a continuous drag loads the tiles it uncovers while it goes on (a zoom waits until it
   * stops, skipping the levels in between).
   */
  schedule(delay = TILES_DEBOUNCE_MS, maxWait = Infinity): void {
    if (this.active) this.timer.schedule(delay, maxWait);
  }

  /** Drops every cached tile and loads the visible ones again (after an erase or a restore). */
  refresh(): void {
    this.o.tiles.clear();
    this.o.painter.clear();
    this.wanted = '';
    this.generation++;
    this.schedule(0);
  }

  /**
   * Reads the room at another point of its past from now on: the tiles in view are asked for again and stay on screen
   * until their answers at the new point replace them. `changed`: only the tiles it names can differ at the new point
   * (an embed told where the board changed); the others stay as they are.
   */
  readAt(at: PastPoint, changed?: (t: Tile) => boolean): void {
    this.at = at;
    // Stale (drawn as they are) until read at the new point; the screen is not filled until then.
    if (changed) this.o.tiles.markStale(changed);
    else for (const key of this.o.tiles.reread(this.o.view.level())) this.o.painter.repaint(key);
    this.o.changed();
    this.wanted = '';
    this.generation++;
    this.schedule(0);
  }

  /** The loader's tiles leave the screen: it stops loading (a request in flight still fills the cache). */
  pause(): void {
    this.active = false;
    this.timer.cancel();
  }

  /** The loader's tiles are on screen again: it reports them and loads what the view misses now. */
  resume(): void {
    this.active = true;
    this.report();
    this.schedule(0);
  }

  /** Loads the visible tiles that are missing now. Resolves with the response's head sequence, null when none was needed. */
  loadNow(): Promise<number | null> {
    this.timer.cancel();
    return this.load();
  }

  dispose(): void {
    this.timer.cancel();
    this.generation++;
  }

  private async load(): Promise<number | null> {
    const { view, tiles, painter } = this.o;
    const level = view.level();
    const r = view.visibleTiles(level);
    const want = `${level}:${r.x0}:${r.y0}:${r.x1}:${r.y1}`;
    if (!tiles.missing(level, r) || want === this.wanted) return null;
    // Read after the server acknowledged a view holding them (the board schedules a load then), or they miss events.
    const interest = this.o.interest;
    if (interest && !interest.watches(level, r)) return null;
    this.wanted = want;
    const gen = this.generation;
    this.inflight++;
    this.report();
    const trust = interest?.startRead();
    try {
      const got = await fetchTiles(this.o.tilesUrl ?? roomTilesUrl(this.o.roomId), level, r, this.at, this.o.blockTiles);
      this.stats.requests += got.requests;
      this.stats.bytes += got.bytes;
      if (gen !== this.generation) return got.headSeq;
      // A time is read as the seq it names from now on: panning on reads the same point.
      if (this.at && 'time' in this.at) this.at = { seq: got.atSeq };
      this.o.answered(got);
      this.o.read?.(got.tiles);
      tiles.trim(level);
      const snapshots: Promise<void>[] = [];
      let changed = 0;
      for (const t of got.tiles) {
        const a = tiles.accept(t, !trust || trust.covers(t));
        if (!a) continue;
        changed++;
        painter.repaint(a.key);
        if (!a.needsSnapshot) continue;
        snapshots.push(loadSnapshot(t.snapshotUrl!).then(({ bitmap, bytes }) => {
          this.stats.pngs++;
          this.stats.pngBytes += bytes;
          if (tiles.attachSnapshot(a, bitmap, !trust || trust.covers(t))) painter.repaint(a.key);
        }, () => {}));
      }
      // Deltas at once; the snapshots as one change when all have arrived (no tile drawn half).
      if (changed) this.o.changed();
      await Promise.all(snapshots);
      if (snapshots.length) this.o.changed();
      return got.headSeq;
    } catch (e) {
      this.wanted = '';
      if (gen === this.generation) this.schedule(FAILED_RETRY_MS);
      throw e;
    } finally {
      if (trust) interest?.endRead(trust);
      this.inflight--;
      if (this.wanted === want) this.wanted = '';
      this.report();
      if (gen === this.generation) {
        // Pending tiles in view: ask again with a backoff until their snapshots exist.
        if (tiles.anyPending(level, view.visibleTiles(level))) this.schedule(tiles.nextRetry());
        else {
          tiles.resetRetry();
          this.schedule();
        }
      }
    }
  }

  private report(): void {
    if (!this.active) return;
    const { view, tiles, data } = this.o;
    const level = view.level();
    const { snapshots, strokes } = tiles.counts(level);
    data.set('level', String(level));
    data.set('tiles', String(tiles.size));
    data.set('tileSnapshots', String(snapshots));
    data.set('tileStrokes', String(strokes));
    data.set('tilesPending', String(this.inflight));
    data.set('tilesAwaiting', String(tiles.awaiting(level)));
    data.set('tilesStale', String(tiles.staleCount));
    data.set('tileRequests', String(this.stats.requests));
    data.set('tileBytes', String(this.stats.bytes + this.stats.pngBytes));
    data.tilesLoading(this.inflight);
  }
}

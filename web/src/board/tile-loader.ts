// Loads the tiles the view needs (docs/tiles.md): GET /api/rooms/:id/tiles for the visible tiles of the current level
// when one is not cached, debounced while the view changes; snapshot PNGs decoded as they come; tiles answered
// pending asked for again with a backoff until their snapshots exist; everything fetched again after an erase.
import { fetchTiles, loadSnapshot } from '../tiles.ts';
import type { BoardModel } from './model.ts';
import type { StageData } from './stage-data.ts';
import type { TilePainter } from './tile-painter.ts';

/** The view has to rest this long (ms) before its tiles are asked for. */
export const TILES_DEBOUNCE_MS = 120;
/** A drag loads the tiles it uncovers at least this often (ms), without waiting for it to rest. */
export const DRAG_LOAD_MS = 300;
/** A failed tiles request is tried again after this long. */
const FAILED_RETRY_MS = 2000;

export class TileLoader {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (performance.now()); Infinity when none is set. */
  private due = Infinity;
  /** The first schedule() since the timer last fired. */
  private since = 0;
  /** Changes when the cache is dropped: answers to requests made before are ignored. */
  private generation = 0;
  private inflight = 0;
  /** The range (level:x0:y0:x1:y1) of the request in flight, not asked for twice. */
  private wanted = '';
  private readonly stats = { requests: 0, bytes: 0, pngs: 0, pngBytes: 0 };
  private readonly roomId: string;
  private readonly model: BoardModel;
  private readonly painter: TilePainter;
  private readonly data: StageData;
  private readonly changed: () => void;

  /** changed: tiles arrived or their snapshots did; their rectangles are marked for the painter. */
  constructor(roomId: string, model: BoardModel, painter: TilePainter, data: StageData, changed: () => void) {
    this.roomId = roomId;
    this.model = model;
    this.painter = painter;
    this.data = data;
    this.changed = changed;
  }

  /**
   * Loads the visible tiles that are missing after `delay` ms of rest, but never later than `maxWait` after the first
   * call since the last load: a continuous drag loads the tiles it uncovers while it goes on (a zoom waits until it
   * stops, skipping the levels in between).
   */
  schedule(delay = TILES_DEBOUNCE_MS, maxWait = Infinity): void {
    const now = performance.now();
    if (this.due === Infinity) this.since = now;
    const at = Math.max(now, Math.min(now + delay, this.since + maxWait));
    clearTimeout(this.timer);
    this.due = at;
    this.timer = setTimeout(() => void this.loadNow().catch(() => {}), at - now);
  }

  /** Drops every cached tile and loads the visible ones again (after an erase or a restore). */
  refresh(): void {
    this.model.tiles.clear();
    this.painter.clear();
    this.wanted = '';
    this.generation++;
    this.schedule(0);
  }

  /** Loads the visible tiles that are missing now. Resolves with the response's head sequence, null when none was needed. */
  loadNow(): Promise<number | null> {
    clearTimeout(this.timer);
    this.due = Infinity;
    return this.load();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.generation++;
  }

  private async load(): Promise<number | null> {
    const { view, tiles } = this.model;
    const level = view.level();
    const r = view.visibleTiles(level);
    const want = `${level}:${r.x0}:${r.y0}:${r.x1}:${r.y1}`;
    if (!tiles.missing(level, r) || want === this.wanted) return null;
    this.wanted = want;
    const gen = this.generation;
    this.inflight++;
    this.report();
    try {
      const got = await fetchTiles(this.roomId, level, r);
      this.stats.requests += got.requests;
      this.stats.bytes += got.bytes;
      if (gen !== this.generation) return got.headSeq;
      tiles.trim(level);
      const snapshots: Promise<void>[] = [];
      let changed = 0;
      for (const t of got.tiles) {
        const a = tiles.accept(t);
        if (!a) continue;
        changed++;
        this.painter.repaint(a.key);
        if (!a.needsSnapshot) continue;
        snapshots.push(loadSnapshot(t.snapshotUrl!).then(({ bitmap, bytes }) => {
          this.stats.pngs++;
          this.stats.pngBytes += bytes;
          if (tiles.attachSnapshot(a, bitmap)) this.painter.repaint(a.key);
        }, () => {}));
      }
      // Deltas at once; the snapshots as one change when all have arrived (no tile drawn half).
      if (changed) this.changed();
      await Promise.all(snapshots);
      if (snapshots.length) this.changed();
      return got.headSeq;
    } catch (e) {
      this.wanted = '';
      if (gen === this.generation) this.schedule(FAILED_RETRY_MS);
      throw e;
    } finally {
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
    const { view, tiles } = this.model;
    const level = view.level();
    const { snapshots, strokes } = tiles.counts(level);
    this.data.set('level', String(level));
    this.data.set('tiles', String(tiles.size));
    this.data.set('tileSnapshots', String(snapshots));
    this.data.set('tileStrokes', String(strokes));
    this.data.set('tilesPending', String(this.inflight));
    this.data.set('tilesAwaiting', String(tiles.awaiting(level)));
    this.data.set('tileRequests', String(this.stats.requests));
    this.data.set('tileBytes', String(this.stats.bytes + this.stats.pngBytes));
    this.data.tilesLoading(this.inflight);
  }
}

// Interest management, the browser's side (issue 17; proto/infidraw/realtime/v1/frames.proto, View): the view the
// board declares to realtime-go and what the server watches for it. realtime-go sends the committed events that
// touch the declared view grown by half its size on every side (the watched region); a cached tile of the board now
// that is not inside that region misses the events that touch it from then on, so it goes stale, and it is read again
// once a view containing it is acknowledged and it is on screen. Pure: no DOM, no socket.
import { COORD_SCALE, MAX_COORD, span } from '../geometry.ts';
import type { View as WireView } from '../gen/infidraw/realtime/v1/frames.ts';
import type { TileRange } from '../tile-grid.ts';
import type { Tile } from '../tiles.ts';
import type { TileStore } from './tile-store.ts';
import type { View } from './view.ts';

/** A rectangle of the board in encoded units (world units ×100), bounds included. */
export interface Area {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/**
 * The view declared to the server: the visible tiles of the level the board reads, so that every tile on screen is
 * inside it (and inside the watched region with a margin to spare, however the view sits across tile edges), within
 * the board's ±MAX_COORD (the server refuses a view beyond; nothing can be drawn there).
 */
export function declaredView(v: View): WireView {
  const level = v.level();
  const r = v.visibleTiles(level);
  const s = span(level) * COORD_SCALE;
  const c = (n: number) => Math.min(MAX_COORD, Math.max(-MAX_COORD, n));
  return { minX: c(r.x0 * s), minY: c(r.y0 * s), maxX: c((r.x1 + 1) * s), maxY: c((r.y1 + 1) * s), level };
}

/**
 * The region realtime-go watches for a view: the view grown by half its size on every side (the server adds a unit
 * more, so this is the same or inside it).
 */
export function watchedArea(v: WireView): Area {
  const mx = Math.floor((v.maxX - v.minX) / 2);
  const my = Math.floor((v.maxY - v.minY) / 2);
  return { minX: v.minX - mx, minY: v.minY - my, maxX: v.maxX + mx, maxY: v.maxY + my };
}

/** A tile's square in encoded units. */
export function tileArea(level: number, x: number, y: number): Area {
  const s = span(level) * COORD_SCALE;
  return { minX: x * s, minY: y * s, maxX: (x + 1) * s, maxY: (y + 1) * s };
}

/**
 * Whether the server watching `b` watches all of `a` that can change: its part within the board's ±MAX_COORD (a tile
 * beyond it, or a view's tiles reaching past it, holds nothing there).
 */
function inside(a: Area, b: Area): boolean {
  const minX = Math.max(a.minX, -MAX_COORD);
  const minY = Math.max(a.minY, -MAX_COORD);
  const maxX = Math.min(a.maxX, MAX_COORD);
  const maxY = Math.min(a.maxY, MAX_COORD);
  if (minX > maxX || minY > maxY) return true;
  return minX >= b.minX && minY >= b.minY && maxX <= b.maxX && maxY <= b.maxY;
}
const overlaps = (a: Area, b: Area) => a.minX < b.maxX && a.maxX > b.minX && a.minY < b.maxY && a.maxY > b.minY;

/**
 * What a tiles read in flight can be trusted with: the watched region when it was asked for, narrowed by every view
 * acknowledged and every TilesChanged notice until its answer is taken. A tile of the answer is current (it will get
 * every event after it over the socket) only when the server watched all of it all along.
 */
export class ReadTrust {
  /** null: every event after it comes (no view declared, or not connected: the rejoin's catch-up is whole). */
  private region: Area | null;
  /** Tiles changed meanwhile by events up to `through`, which came as notices, not events (coarse levels). */
  private readonly changed: { area: Area; through: number }[] = [];

  constructor(region: Area | null) {
    this.region = region;
  }

  /** Whether a tile of the answer is current: watched all along, and not changed by notices after what it covers. */
  covers(t: Pick<Tile, 'level' | 'x' | 'y' | 'coversSeq'>): boolean {
    const a = tileArea(t.level, t.x, t.y);
    return (!this.region || inside(a, this.region)) && !this.changed.some((c) => c.through > t.coversSeq && overlaps(a, c.area));
  }

  narrow(region: Area | null): void {
    if (!region) return;
    const r = this.region;
    this.region = r ? { minX: Math.max(r.minX, region.minX), minY: Math.max(r.minY, region.minY), maxX: Math.min(r.maxX, region.maxX), maxY: Math.min(r.maxY, region.maxY) } : region;
  }

  tilesChanged(areas: readonly Area[], through: number): void {
    for (const area of areas) this.changed.push({ area, through });
  }
}

/** The region the server watches for this client, from the view it acknowledged: the live tile store's side of it. */
export class Interest {
  /** null: every event comes. */
  private region: Area | null = null;
  private readonly reads = new Set<ReadTrust>();
  private readonly tiles: TileStore;

  constructor(tiles: TileStore) {
    this.tiles = tiles;
  }

  /**
   * The server watches this view from now on (null: it sends every event: not connected, or a server that ignores
   * views). Cached tiles outside its region go stale, and so does whatever reads in flight return there. Returns how
   * many tiles went stale.
   */
  watching(view: WireView | null): number {
    this.region = view && watchedArea(view);
    const region = this.region;
    for (const r of this.reads) r.narrow(region);
    return region ? this.tiles.markStale((t) => !inside(tileArea(t.level, t.x, t.y), region)) : 0;
  }

  /**
   * A TilesChanged notice: events up to `through` changed these tiles of `level` (x, y pairs) and are not sent. Every
   * cached tile overlapping them, of any level, that was read before `through` goes stale, as do such answers of reads
   * in flight. Returns how many tiles went stale.
   */
  tilesChanged(level: number, pairs: readonly number[], through: number): number {
    const areas: Area[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) areas.push(tileArea(level, pairs[i], pairs[i + 1]));
    for (const r of this.reads) r.tilesChanged(areas, through);
    return this.tiles.markStale((t) => {
      if (t.coversSeq >= through) return false;
      const a = tileArea(t.level, t.x, t.y);
      return areas.some((c) => overlaps(a, c));
    });
  }

  /** Whether the server watches every tile of the range (else its read waits for the view's acknowledgement). */
  watches(level: number, r: TileRange): boolean {
    const lo = tileArea(level, r.x0, r.y0);
    const hi = tileArea(level, r.x1, r.y1);
    return !this.region || inside({ minX: lo.minX, minY: lo.minY, maxX: hi.maxX, maxY: hi.maxY }, this.region);
  }

  /** A tiles read starts: what its answer can be trusted with, until `endRead`. */
  startRead(): ReadTrust {
    const t = new ReadTrust(this.region);
    this.reads.add(t);
    return t;
  }

  endRead(t: ReadTrust): void {
    this.reads.delete(t);
  }
}

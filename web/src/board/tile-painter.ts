// Draws the tile layer into a canvas: each visible tile clipped to its rectangle, from its own level when it is
// loaded, else from cached coarser and finer tiles standing in. A complete tile is drawn once into a composed canvas
// of its own (snapshot, delta strokes, the WebSocket strokes after it) so that frames while panning and zooming
// draw one image per tile instead of every stroke again. The board has one painter for the room now and one for
// the past point the timeline shows (its own tiles, no WebSocket strokes).
import { drawStroke, reach, span, type Decoded, type Mapping } from '../geometry.ts';
import { tileKey } from '../tile-grid.ts';
import type { Tile } from '../tiles.ts';
import { ByteLru } from './byte-lru.ts';
import type { CommittedStroke } from './model.ts';
import type { TilesDrawn } from './stage-data.ts';
import { isComplete, type TileStore } from './tile-store.ts';
import type { View } from './view.ts';

/**
 * Tiles larger than this on screen (device pixels) are drawn directly, not from a composed canvas; composed canvases
 * are kept up to COMPOSED_MAX_BYTES of pixels (a 1920×1080 screen shows up to about 160 tiles of 128 px).
 */
const COMPOSE_MAX_PX = 1024;
const COMPOSED_MAX_BYTES = 96 * 1024 * 1024;
/** Composing has this many ms per frame; past it a tile's previous composed canvas stands in. */
const COMPOSE_BUDGET_MS = 6;
/** Finer cached tiles stand in for a tile not loaded yet up to this many levels down. */
const CHILD_LEVELS = 2;

/** A device-pixel rectangle of the canvas: x, y, width, height. */
export type Rect = [number, number, number, number];

interface Composed {
  tile: Tile;
  bitmap: ImageBitmap | null;
  /** The painter's content generation it was drawn at. */
  gen: number;
  res: number;
  canvas: HTMLCanvasElement;
}

export interface TilePainterOptions {
  view: View;
  tiles: TileStore;
  /** Strokes drawn over the tiles after their covers_seq (the WebSocket's), in sequence order. */
  committed: readonly CommittedStroke[];
  /** Whether a stroke is erased or previewed as erased, and so not drawn. */
  hidden(id: string): boolean;
}

export class TilePainter {
  private readonly composed = new ByteLru<Composed>(COMPOSED_MAX_BYTES);
  /** Changes whenever what hides strokes changes (erases, previews): every composed canvas is stale then. */
  private gen = 0;
  private composeUntil = 0;
  /** Tiles (any level) whose rectangles are drawn again next frame: they changed, or their composing waited for budget. */
  private readonly repaints = new Set<string>();
  private readonly view: View;
  private readonly tiles: TileStore;
  private readonly committed: readonly CommittedStroke[];
  private readonly hidden: (id: string) => boolean;

  constructor(o: TilePainterOptions) {
    this.view = o.view;
    this.tiles = o.tiles;
    this.committed = o.committed;
    this.hidden = o.hidden;
  }

  /** What is drawn changed in a way no single stroke's rectangle describes: compose every tile again. */
  contentChanged(): void {
    this.gen++;
  }

  /** A frame starts at `now` (ms): its composing budget starts too. */
  startFrame(now: number): void {
    this.composeUntil = now + COMPOSE_BUDGET_MS;
  }

  /** A tile changed (it arrived, or its snapshot did): its rectangle is drawn again next frame. */
  repaint(key: string): void {
    this.repaints.add(key);
  }

  /** The tiles to draw again, emptied (drawing them may add tiles whose composing has to wait for the next frame). */
  takeRepaints(): string[] {
    const keys = [...this.repaints];
    this.repaints.clear();
    return keys;
  }

  get repaintPending(): boolean {
    return this.repaints.size > 0;
  }

  /** A stroke arrived: the composed tiles it reaches are composed again. */
  strokeAdded(d: Decoded): void {
    const rr = reach(d.width);
    this.composed.deleteWhere(({ tile: t }) => {
      const s = span(t.level);
      return d.maxX + rr >= t.x * s && d.minX - rr <= (t.x + 1) * s && d.maxY + rr >= t.y * s && d.minY - rr <= (t.y + 1) * s;
    });
  }

  /** The tile cache was dropped: so are the composed tiles. */
  clear(): void {
    this.composed.clear();
  }

  /**
   * Draws each visible tile of the current level clipped to its rectangle, from its own level when it is loaded.
   * Until it is (while zooming), the nearest cached complete ancestor (coarser, scaled up) and any cached complete
   * descendants (finer, scaled down) stand in for it, so that the screen is never blank; with neither, the
   * WebSocket strokes. A stale tile stands in for itself (it is not counted as drawn). `only`: draw just the tiles
   * crossing these rectangles (the rest of the canvas is kept).
   */
  draw(ctx: CanvasRenderingContext2D, m: Mapping, only?: readonly Rect[]): TilesDrawn {
    const level = this.view.level();
    const s = span(level);
    const r = this.view.visibleTiles(level);
    const out: TilesDrawn = { level, visible: 0, drawn: 0, fallback: 0 };
    for (let ty = r.y0; ty <= r.y1; ty++) {
      for (let tx = r.x0; tx <= r.x1; tx++) {
        out.visible++;
        const t = this.tiles.get(level, tx, ty);
        const current = isComplete(t) && !this.tiles.isStale(t);
        if (only) {
          const px = (tx * s - m.ox) * m.scale;
          const py = (ty * s - m.oy) * m.scale;
          const sz = s * m.scale;
          if (!only.some(([x, y, w, h]) => px < x + w && px + sz > x && py < y + h && py + sz > y)) {
            if (current) out.drawn++;
            continue;
          }
        }
        ctx.save();
        clipTile(ctx, m, level, tx, ty);
        if (isComplete(t)) {
          this.paintTile(ctx, m, t, tx * s, ty * s, s);
          if (current) out.drawn++;
          else out.fallback++;
        } else {
          const ancestor = this.tiles.ancestor(level, tx, ty);
          this.paintTile(ctx, m, ancestor, tx * s, ty * s, s);
          const children = this.paintChildren(ctx, m, level, tx, ty, CHILD_LEVELS);
          if (ancestor || children) out.fallback++;
        }
        ctx.restore();
      }
    }
    return out;
  }

  /**
   * Draws tile `t` (any level; none: only the WebSocket strokes) into the current clip: its snapshot scaled into
   * place, its delta strokes, then the WebSocket strokes after its covers_seq reaching the world square
   * [wx0, wx0 + ws) × [wy0, wy0 + ws).
   */
  private paintTile(ctx: CanvasRenderingContext2D, m: Mapping, t: Tile | undefined, wx0: number, wy0: number, ws: number): void {
    if (t && this.paintComposed(ctx, m, t)) return;
    if (t?.bitmap) {
      const s = span(t.level);
      ctx.drawImage(t.bitmap, (t.x * s - m.ox) * m.scale, (t.y * s - m.oy) * m.scale, s * m.scale, s * m.scale);
    }
    if (t) for (const st of t.strokes) if (!this.hidden(st.id)) drawStroke(ctx, st.d, m);
    this.paintCommitted(ctx, m, t ? t.coversSeq : 0, wx0, wy0, ws);
  }

  /** The WebSocket strokes after `afterSeq` that reach the world square, not erased or hidden. */
  private paintCommitted(ctx: CanvasRenderingContext2D, m: Mapping, afterSeq: number, wx0: number, wy0: number, ws: number): void {
    for (const rec of this.committed) {
      if (rec.seq <= afterSeq || rec.erased || this.hidden(rec.id)) continue;
      const d = rec.d;
      const rr = reach(d.width);
      if (d.maxX + rr < wx0 || d.minX - rr > wx0 + ws || d.maxY + rr < wy0 || d.minY - rr > wy0 + ws) continue;
      drawStroke(ctx, d, m);
    }
  }

  /** Cached complete tiles up to `depth` levels finer inside (level, tx, ty), each drawn in its own rectangle. */
  private paintChildren(ctx: CanvasRenderingContext2D, m: Mapping, level: number, tx: number, ty: number, depth: number): number {
    if (level === 0 || depth === 0) return 0;
    let n = 0;
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        const cx = tx * 2 + dx;
        const cy = ty * 2 + dy;
        const c = this.tiles.get(level - 1, cx, cy);
        if (isComplete(c)) {
          ctx.save();
          const r = clipTile(ctx, m, level - 1, cx, cy);
          ctx.clearRect(...r); // over a coarser ancestor drawn before: the finer tile replaces it
          const s = span(level - 1);
          this.paintTile(ctx, m, c, cx * s, cy * s, s);
          ctx.restore();
          n++;
        } else n += this.paintChildren(ctx, m, level - 1, cx, cy, depth - 1);
      }
    }
    return n;
  }

  /**
   * A complete tile drawn from its composed canvas, drawn at the power of two nearest its size on screen (at most
   * COMPOSE_MAX_PX). A composed canvas is kept while its tile object, snapshot and content generation are the same
   * (strokes reaching it drop it: strokeAdded). False when the tile is drawn directly instead.
   */
  private paintComposed(ctx: CanvasRenderingContext2D, m: Mapping, t: Tile): boolean {
    const s = span(t.level);
    const size = s * m.scale;
    if (size > COMPOSE_MAX_PX || !isComplete(t)) return false;
    if (!t.bitmap && !t.strokes.length && !this.committed.length) return true; // an empty tile: nothing to draw
    const res = Math.max(64, 2 ** Math.round(Math.log2(size)));
    const k = tileKey(t.level, t.x, t.y);
    let c = this.composed.peek(k);
    if (c && c.tile === t && c.bitmap === t.bitmap && c.gen === this.gen && c.res === res) {
      this.composed.get(k); // most recently drawn: evicted last
    } else if (performance.now() > this.composeUntil) {
      // Out of budget (a zoom across a level or new snapshots would compose every tile at once): what was on screen
      // stands in, or the tile is drawn directly; the base is drawn again next frame until every tile is composed.
      this.repaints.add(k);
      if (!c) return false;
    } else {
      const canvas = c?.canvas ?? document.createElement('canvas');
      canvas.width = canvas.height = res;
      const cx = canvas.getContext('2d')!;
      const tm: Mapping = { ox: t.x * s, oy: t.y * s, scale: res / s };
      if (t.bitmap) cx.drawImage(t.bitmap, 0, 0, res, res);
      for (const st of t.strokes) if (!this.hidden(st.id)) drawStroke(cx, st.d, tm);
      this.paintCommitted(cx, tm, t.coversSeq, tm.ox, tm.oy, s);
      c = { tile: t, bitmap: t.bitmap, gen: this.gen, res, canvas };
      this.composed.set(k, c, res * res * 4);
    }
    ctx.drawImage(c.canvas, (t.x * s - m.ox) * m.scale, (t.y * s - m.oy) * m.scale, size, size);
    return true;
  }
}

/** Clips to the device-pixel-rounded rectangle of tile (level, tx, ty); returns that rectangle. */
function clipTile(ctx: CanvasRenderingContext2D, m: Mapping, level: number, tx: number, ty: number): Rect {
  const s = span(level);
  const px0 = (tx * s - m.ox) * m.scale;
  const py0 = (ty * s - m.oy) * m.scale;
  const size = s * m.scale;
  const x0 = Math.round(px0);
  const y0 = Math.round(py0);
  const rect: Rect = [x0, y0, Math.round(px0 + size) - x0, Math.round(py0 + size) - y0];
  ctx.beginPath();
  ctx.rect(...rect);
  ctx.clip();
  return rect;
}

// The render loop: at most one frame per animation frame, only when something changed. The picture under everything
// (the base) is the tile layer, drawn in full only when it must be: a drag at the same zoom shifts it by whole device
// pixels and draws the strips it uncovers, tiles that arrive draw their own rectangles again, and while the wheel
// turns frames show the last full picture scaled. Over the base, each frame: the eraser's previews of strokes only
// the server knew, one's own strokes waiting for their ack, other people's strokes in progress, and the stroke
// being drawn here. A past point of the timeline is its own tile layer and nothing over it.
import { drawStroke, span, TOOL_PEN, TOOL_PIXEL_ERASER, type Decoded, type Mapping } from '../geometry.ts';
import type { BoardModel, CommittedStroke } from './model.ts';
import type { StageData } from './stage-data.ts';
import type { Rect, TilePainter } from './tile-painter.ts';

/** While the wheel zooms, a full picture at least this often (ms); scaled previews of the last one in between. */
const PREVIEW_MS = 200;

export interface FrameHooks {
  /** First thing in a frame: sends what frames flush (live points, the cursor). True when the overlay changed. */
  beforeFrame(): boolean;
  /** The stroke being drawn here, over everything. */
  drawing(): Decoded | null;
  /** After the picture: what follows the view in the DOM (cursors, the selection, labels). */
  afterFrame(): void;
}

export class Renderer {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private base = document.createElement('canvas');
  private bctx = this.base.getContext('2d')!;
  /** scroll() draws the shifted base here, then the two swap; preview() draws the scaled base here. */
  private spare = document.createElement('canvas');
  private sctx = this.spare.getContext('2d')!;
  private baseValid = false;
  private dirty = true;
  private raf = 0;
  /** The view the base holds, and whether the view moved since. */
  private readonly baseView = { x: 0, y: 0, z: 0, w: 0, h: 0 };
  private viewMoved = false;
  /** performance.now() of the last full drawing of the base. */
  private baseDrawnAt = 0;
  /** Frames by how the base was made (data-draws). */
  private readonly draws = { full: 0, scroll: 0, preview: 0, repaint: 0 };
  /** The wheel is turning: frames may show the last full picture scaled. */
  previewing = false;
  private readonly model: BoardModel;
  /** The tile layer of the room now, and of the past point shown instead while the timeline is open. */
  private readonly painter: TilePainter;
  private past: TilePainter | null = null;
  private readonly data: StageData;
  private readonly hooks: FrameHooks;

  constructor(canvas: HTMLCanvasElement, model: BoardModel, painter: TilePainter, data: StageData, hooks: FrameHooks) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d')!;
    this.model = model;
    this.painter = painter;
    this.data = data;
    this.hooks = hooks;
  }

  /** The stage was resized (the view holds its size and device pixel ratio). */
  resize(): void {
    const v = this.model.view;
    const w = Math.max(1, Math.round(v.width * v.dpr));
    const h = Math.max(1, Math.round(v.height * v.dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = this.base.width = w;
      this.canvas.height = this.base.height = h;
    }
    this.canvas.style.width = `${v.width}px`;
    this.canvas.style.height = `${v.height}px`;
  }

  /** Shows a past point's tile layer, or (null) the room now again. */
  showPast(painter: TilePainter | null): void {
    this.past = painter;
    this.baseValid = false;
    this.requestFrame();
  }

  get showingPast(): boolean {
    return this.past !== null;
  }

  /** The tile layer on screen. */
  private get layer(): TilePainter {
    return this.past ?? this.painter;
  }

  /** `full`: the base is drawn again; `content` (by default with full): what is drawn changed, composed tiles too. */
  invalidate(full: boolean, content = full): void {
    if (full) this.baseValid = false;
    if (content) this.painter.contentChanged();
    this.requestFrame();
  }

  /** The view moved or zoomed, not what is drawn: the next frame shifts the base or draws it from cached tiles. */
  moved(): void {
    this.viewMoved = true;
    this.requestFrame();
  }

  /** Something over the picture changed: draw the next frame. */
  requestFrame(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Run the next frame's hooks, drawing only if something changed. */
  schedule(): void {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.frame());
  }

  /** A committed stroke arrived: drawn onto the base where it is, unless the base is to be drawn again anyway or shows the past. */
  strokeAdded(rec: CommittedStroke): void {
    this.painter.strokeAdded(rec.d);
    if (!this.baseValid || this.past) return;
    if (this.viewMoved) this.baseValid = false; // the base still holds the previous view
    else if (!rec.erased && this.model.view.sees(rec.d)) {
      drawStroke(this.bctx, rec.d, this.model.view.mapping());
      this.requestFrame();
    }
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  private frame(): void {
    this.raf = 0;
    if (this.hooks.beforeFrame()) this.dirty = true;
    const now = performance.now();
    if (this.model.live.expire(now)) this.dirty = true;
    if (!this.dirty) return;
    this.dirty = false;
    const view = this.model.view;
    const m = view.mapping();
    const layer = this.layer;
    layer.startFrame(now);
    // What goes on screen: the scaled preview, or the base (read after scroll(), which swaps it with the spare).
    let src: HTMLCanvasElement;
    if (this.baseValid && this.viewMoved && this.previewing && now - this.baseDrawnAt < PREVIEW_MS && this.preview()) {
      src = this.spare;
      this.draws.preview++;
    } else {
      const keys = layer.takeRepaints();
      if (!this.baseValid || (this.viewMoved && !this.scroll(m))) {
        this.bctx.setTransform(1, 0, 0, 1, 0, 0);
        this.bctx.clearRect(0, 0, this.base.width, this.base.height);
        this.data.tilesDrawn(layer.draw(this.bctx, m), false, view);
        this.baseValid = true;
        this.baseDrawnAt = now;
        this.draws.full++;
      } else {
        if (this.viewMoved) this.draws.scroll++;
        if (keys.length) this.repaint(m, keys);
      }
      this.viewMoved = false;
      Object.assign(this.baseView, { x: view.x, y: view.y, z: view.z, w: this.base.width, h: this.base.height });
      if (layer.repaintPending) this.requestFrame();
      src = this.base;
    }
    this.data.set('draws', `${this.draws.full},${this.draws.scroll},${this.draws.preview},${this.draws.repaint}`);
    const ctx = this.ctx;
    ctx.globalCompositeOperation = 'copy'; // the base is the whole picture under what follows: one pass, no blending
    ctx.drawImage(src, 0, 0);
    ctx.globalCompositeOperation = 'source-over';
    if (!this.past) this.drawOverlay(ctx, m);
    this.hooks.afterFrame();
  }

  /** What is drawn over the room now: the eraser's previews, one's own pending strokes, strokes in progress. */
  private drawOverlay(ctx: CanvasRenderingContext2D, m: Mapping): void {
    const view = this.model.view;
    for (const d of this.model.ghosts.values()) if (view.sees(d)) drawStroke(ctx, cutOut(d, view.z), m);
    for (const d of this.model.pending.values()) if (view.sees(d)) drawStroke(ctx, d, m);
    for (const ls of this.model.live.values()) if (view.sees(ls.d)) drawStroke(ctx, ls.d, m);
    const drawing = this.hooks.drawing();
    if (drawing) drawStroke(ctx, drawing, m);
  }

  /** Draws the rectangles of these tiles (keys of any level) on the base again, clipped, as scroll() draws its strips. */
  private repaint(m: Mapping, keys: string[]): void {
    const W = this.base.width;
    const H = this.base.height;
    const rects: Rect[] = [];
    for (const k of keys) {
      const [l, x, y] = k.split(':').map(Number);
      const s = span(l);
      const x0 = Math.max(0, Math.floor((x * s - m.ox) * m.scale));
      const y0 = Math.max(0, Math.floor((y * s - m.oy) * m.scale));
      const x1 = Math.min(W, Math.ceil(((x + 1) * s - m.ox) * m.scale));
      const y1 = Math.min(H, Math.ceil(((y + 1) * s - m.oy) * m.scale));
      if (x1 > x0 && y1 > y0) rects.push([x0, y0, x1 - x0, y1 - y0]);
    }
    if (!rects.length) return;
    this.drawRects(m, rects);
    this.draws.repaint++;
  }

  /**
   * While the wheel turns, frames show the last full picture scaled into the spare canvas (one image) and a full one
   * is drawn at most every PREVIEW_MS and when the wheel stops: a zoom step would otherwise draw every tile, and a
   * change of level every fallback tile, at each notch. False when the canvas size changed since.
   */
  private preview(): boolean {
    const W = this.base.width;
    const H = this.base.height;
    if (this.baseView.w !== W || this.baseView.h !== H) return false;
    this.fitSpare(W, H);
    const view = this.model.view;
    const k = view.z / this.baseView.z;
    const sctx = this.sctx;
    sctx.setTransform(1, 0, 0, 1, 0, 0);
    sctx.clearRect(0, 0, W, H);
    sctx.setTransform(k, 0, 0, k, (this.baseView.x - view.x) * view.z * view.dpr, (this.baseView.y - view.y) * view.z * view.dpr);
    sctx.drawImage(this.base, 0, 0);
    sctx.setTransform(1, 0, 0, 1, 0, 0);
    return true;
  }

  /**
   * A drag at the same zoom moves the picture by whole device pixels: the base is shifted by that much and only the
   * strips it uncovers are drawn (the tiles crossing them, clipped). False when a full drawing is needed.
   */
  private scroll(m: Mapping): boolean {
    const bv = this.baseView;
    const W = this.base.width;
    const H = this.base.height;
    if (bv.z !== this.model.view.z || bv.w !== W || bv.h !== H) return false;
    const dx = (bv.x - this.model.view.x) * m.scale;
    const dy = (bv.y - this.model.view.y) * m.scale;
    const rx = Math.round(dx);
    const ry = Math.round(dy);
    if (Math.abs(dx - rx) > 1e-3 || Math.abs(dy - ry) > 1e-3 || Math.abs(rx) >= W / 2 || Math.abs(ry) >= H / 2) return false;
    if (rx === 0 && ry === 0) return true;
    const strips: Rect[] = [];
    if (rx) strips.push(rx > 0 ? [0, 0, rx, H] : [W + rx, 0, -rx, H]);
    if (ry) strips.push(ry > 0 ? [0, 0, W, ry] : [0, H + ry, W, -ry]);
    // Into the spare canvas at the offset (a canvas drawn onto itself would be copied first), then swap.
    this.fitSpare(W, H);
    this.sctx.setTransform(1, 0, 0, 1, 0, 0);
    this.sctx.globalCompositeOperation = 'copy';
    this.sctx.drawImage(this.base, rx, ry);
    this.sctx.globalCompositeOperation = 'source-over';
    [this.base, this.spare] = [this.spare, this.base];
    [this.bctx, this.sctx] = [this.sctx, this.bctx];
    this.drawRects(m, strips);
    return true;
  }

  /** Clears these rectangles of the base and draws the tiles crossing them, clipped to them. */
  private drawRects(m: Mapping, rects: Rect[]): void {
    const b = this.bctx;
    b.setTransform(1, 0, 0, 1, 0, 0);
    b.save();
    b.beginPath();
    for (const r of rects) b.rect(...r);
    b.clip();
    for (const r of rects) b.clearRect(...r);
    this.data.tilesDrawn(this.layer.draw(b, m, rects), true, this.model.view);
    b.restore();
  }

  private fitSpare(w: number, h: number): void {
    if (this.spare.width !== w || this.spare.height !== h) {
      this.spare.width = w;
      this.spare.height = h;
    }
  }
}

/** A stroke as a cut-out at zoom z: its widest ink (pen factor 1.5) plus a CSS pixel of anti-aliasing each side. */
function cutOut(d: Decoded, z: number): Decoded {
  return { ...d, tool: TOOL_PIXEL_ERASER, ps: null, width: d.width * (d.tool === TOOL_PEN ? 1.5 : 1) + 2 / z };
}

// The view transform of the board: which world rectangle the stage shows and at what zoom. Pure maths, no DOM:
// the input adapters feed it pointer positions in canvas CSS pixels and the renderer reads its mapping.
import { levelFor, reach, type Decoded, type Mapping } from '../geometry.ts';
import { tileRange, type TileRange } from '../tile-grid.ts';

export const MIN_ZOOM = 2 ** -16;
export const MAX_ZOOM = 16;
/** One step of the zoom buttons and of `+` / `−`. */
export const ZOOM_STEP = 1.25;

/** Where a drag began: the pointer (CSS pixels) and the view's corner at that moment. */
export interface DragStart {
  px: number;
  py: number;
  vx: number;
  vy: number;
}

/** Two touches: their distance and their midpoint, in canvas CSS pixels. */
export interface Pinch {
  d: number;
  cx: number;
  cy: number;
}

export class View {
  /** World coordinates of the stage's top-left corner. */
  x = -40;
  y = -40;
  /** CSS pixels per world unit. */
  z = 1;
  /** Device pixels per CSS pixel. */
  dpr = 1;
  /** The stage in CSS pixels. */
  width = 1;
  height = 1;

  resize(width: number, height: number, dpr: number): void {
    this.width = width;
    this.height = height;
    this.dpr = dpr;
  }

  /** World units to canvas (device) pixels. */
  mapping(): Mapping {
    return { ox: this.x, oy: this.y, scale: this.z * this.dpr };
  }

  /** A canvas point in CSS pixels as world coordinates. */
  toWorld(sx: number, sy: number): [number, number] {
    return [this.x + sx / this.z, this.y + sy / this.z];
  }

  /** A world point as canvas CSS pixels. */
  toScreen(wx: number, wy: number): [number, number] {
    return [(wx - this.x) * this.z, (wy - this.y) * this.z];
  }

  /** Zooms to z (clamped to MIN_ZOOM..MAX_ZOOM), keeping the world point under the canvas point (sx, sy) in place. */
  zoomTo(z: number, sx: number, sy: number): void {
    const [wx, wy] = this.toWorld(sx, sy);
    this.z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
    this.x = wx - sx / this.z;
    this.y = wy - sy / this.z;
  }

  /** Zooms by a factor around a canvas point, by default the stage's centre. */
  zoomBy(f: number, sx = this.width / 2, sy = this.height / 2): void {
    this.zoomTo(this.z * f, sx, sy);
  }

  dragStart(px: number, py: number): DragStart {
    return { px, py, vx: this.x, vy: this.y };
  }

  /**
   * Follows a drag: the view moves with the pointer by whole device pixels from where the drag began, so that the
   * renderer can shift the picture already drawn instead of drawing it again.
   */
  dragTo(start: DragStart, px: number, py: number): void {
    this.x = start.vx - Math.round((px - start.px) * this.dpr) / this.dpr / this.z;
    this.y = start.vy - Math.round((py - start.py) * this.dpr) / this.dpr / this.z;
  }

  /** Scrolls sideways by CSS pixels (Shift + wheel). */
  scrollX(d: number): void {
    this.x += d / this.z;
  }

  /** Two fingers moved: the view follows their midpoint and zooms by how far apart they moved around it. */
  pinch(from: Pinch, to: Pinch): void {
    this.x -= (to.cx - from.cx) / this.z;
    this.y -= (to.cy - from.cy) / this.z;
    if (from.d > 0) this.zoomTo(this.z * (to.d / from.d), to.cx, to.cy);
  }

  /** The tile pyramid level drawn at this zoom and device pixel ratio (docs/tiles.md). */
  level(): number {
    return levelFor(this.z, this.dpr);
  }

  /** The tiles of a level that the stage shows. */
  visibleTiles(level: number): TileRange {
    return tileRange(level, this.x, this.y, this.x + this.width / this.z, this.y + this.height / this.z);
  }

  /** Whether any ink of a stroke can be on the stage. */
  sees(d: Decoded): boolean {
    const r = reach(d.width);
    return d.maxX + r >= this.x && d.minX - r <= this.x + this.width / this.z && d.maxY + r >= this.y && d.minY - r <= this.y + this.height / this.z;
  }
}

/** The zoom factor of one wheel event: lines count as 16 pixels; a pinch on a touchpad (ctrlKey) zooms faster. */
export function wheelZoomFactor(deltaY: number, deltaMode: number, ctrlKey: boolean): number {
  const dy = deltaMode === 1 ? deltaY * 16 : deltaY;
  return Math.exp(-dy * (ctrlKey ? 0.01 : 0.0015));
}

/** The zoom as a percentage: whole percents from 10 %, two significant digits below. */
export function zoomLabel(z: number): string {
  return `${z >= 0.1 ? Math.round(z * 100) : (z * 100).toPrecision(2)}\u00a0%`;
}

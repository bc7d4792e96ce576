// Stroke geometry of the browser, following docs/tiles.md (the one definition shared with shared-go/strokes
// and snapshot-rs/render). Pure functions only: no DOM, no generated code, so node --test runs it directly.

import { COORD_SCALE, MAX_COORD, MAX_LEVEL, MAX_PATH_TILES, MAX_POINTS, MAX_TILES_PER_STROKE } from './gen/limits.ts';

export const TILE_PX = 256;
// The unit and the stroke limits, generated from proto/limits.json, exported where the board always found them.
export { COORD_SCALE, MAX_COORD, MAX_LEVEL, MAX_PATH_TILES, MAX_POINTS, MAX_TILES_PER_STROKE, MAX_WIDTH, MIN_WIDTH } from './gen/limits.ts';

export const TOOL_PEN = 1;
export const TOOL_HIGHLIGHTER = 2;
export const TOOL_PIXEL_ERASER = 3;

/** A stroke decoded to world units (floats), ready to draw and hit-test. */
export interface Decoded {
  tool: number;
  rgba: number;
  /** Nominal width in world units. */
  width: number;
  xs: number[];
  ys: number[];
  /** Pressures 0..255 per point, or null when the stroke has none. */
  ps: number[] | null;
  /** Bounding box of the centre line in world units (without the width). */
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** The wire fields of a stroke that matter for geometry (a subset of infidraw.stroke.v1.Stroke). */
export interface WireGeometry {
  tool: number;
  rgba: number;
  width: number;
  quantum: number;
  points: number[];
  pressures: number[];
}

export function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Delta encodes integer values (interleaved x,y when stride is 2): first entries absolute, then differences. */
export function deltaEncode(values: readonly number[], stride: number): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = i < stride ? values[i] : values[i] - values[i - stride];
  return out;
}

/**
 * Encodes absolute quantized points (world units x100, interleaved x,y) into the wire form: deltas divided
 * by their greatest common divisor (the quantum; 1 when every value is 0).
 */
export function encodePoints(abs: readonly number[]): { quantum: number; points: number[] } {
  const d = deltaEncode(abs, 2);
  let q = 0;
  for (const v of d) q = gcd(q, v);
  if (q === 0) q = 1;
  return { quantum: q, points: q === 1 ? d : d.map((v) => v / q) };
}

/** Decodes the wire points to absolute quantized integers (world units x100). */
export function decodeQuantized(quantum: number, points: readonly number[]): number[] {
  const q = quantum === 0 ? 1 : quantum;
  const out = new Array<number>(points.length);
  let x = 0;
  let y = 0;
  for (let i = 0; i + 1 < points.length; i += 2) {
    x += points[i];
    y += points[i + 1];
    out[i] = x * q;
    out[i + 1] = y * q;
  }
  return out;
}

export function decodePressures(pressures: readonly number[]): number[] {
  const out = new Array<number>(pressures.length);
  let p = 0;
  for (let i = 0; i < pressures.length; i++) out[i] = p += pressures[i];
  return out;
}

/** Builds the decoded form from absolute quantized points and pressures (empty or one per point). */
export function fromQuantized(tool: number, rgba: number, width: number, abs: readonly number[], ps: readonly number[] | null): Decoded {
  const n = abs.length >> 1;
  const xs = new Array<number>(n);
  const ys = new Array<number>(n);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = abs[2 * i] / COORD_SCALE;
    const y = abs[2 * i + 1] / COORD_SCALE;
    xs[i] = x;
    ys[i] = y;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { tool, rgba: rgba >>> 0, width: width / COORD_SCALE, xs, ys, ps: ps && ps.length === n && n > 0 ? [...ps] : null, minX, minY, maxX, maxY };
}

export function decodeStroke(s: WireGeometry): Decoded {
  return fromQuantized(s.tool, s.rgba, s.width, decodeQuantized(s.quantum, s.points), s.pressures.length ? decodePressures(s.pressures) : null);
}

/** Width factor of the pen at pressure p (0..255): 0.5 + p/255, so that the default pressure draws about the nominal width. */
export function penFactor(p: number): number {
  return 0.5 + p / 255;
}

/** Pressure of points that carry none. */
const DEFAULT_PRESSURE = 128;
/** The largest width factor of any stroke (the pen at pressure 255): it bounds the ink before the pieces are known. */
const WIDEST_FACTOR = penFactor(255);

/** Pyramid level for zoom z (CSS px per world unit) and device pixel ratio r. */
export function levelFor(z: number, r: number): number {
  const l = Math.floor(Math.log2(1 / (z * r)));
  return Math.min(MAX_LEVEL, Math.max(0, Number.isFinite(l) ? l : 0));
}

export function span(level: number): number {
  return TILE_PX * 2 ** level;
}

/** Tile (floor, not truncation) of a world point at a level. */
export function tileOf(level: number, x: number, y: number): [number, number] {
  const s = span(level);
  return [Math.floor(x / s), Math.floor(y / s)];
}

/** Edge of a level-0 tile in encoded units (world units x100). */
const SPAN0_Q = TILE_PX * COORD_SCALE;

/**
 * The limits of shared-go/strokes, checked point by point while a stroke is drawn so that the board ends it
 * before it would be refused: at most MAX_POINTS points within ±MAX_COORD, a centre line of at most
 * MAX_PATH_TILES level-0 spans, and at most MAX_TILES_PER_STROKE level-0 tiles, walked exactly as
 * docs/tiles.md says (in encoded integers; every quotient here is far enough from an integer for doubles).
 */
export class StrokeBudget {
  private readonly reach: number;
  private readonly seen = new Set<number>();
  private points = 0;
  private path = 0;
  private lastX = 0;
  private lastY = 0;

  /** width: nominal width in encoded units. */
  constructor(width: number) {
    this.reach = Math.trunc((3 * width) / 4) + COORD_SCALE;
  }

  /** Takes the next point (encoded units) and says true, or says false and takes nothing when it would break a limit. */
  add(x: number, y: number): boolean {
    if (this.points >= MAX_POINTS || Math.abs(x) > MAX_COORD || Math.abs(y) > MAX_COORD) return false;
    const [px, py] = this.points === 0 ? [x, y] : [this.lastX, this.lastY];
    const dx = x - px;
    const dy = y - py;
    const len = Math.max(Math.abs(dx), Math.abs(dy));
    const pieces = Math.floor(len / SPAN0_Q) + 1;
    if (this.path + len > MAX_PATH_TILES * SPAN0_Q || pieces > MAX_TILES_PER_STROKE) return false;
    const fresh = new Set<number>();
    for (let i = 0; i < pieces; i++) {
      const x0 = px + Math.trunc((dx * i) / pieces);
      const y0 = py + Math.trunc((dy * i) / pieces);
      const x1 = px + Math.trunc((dx * (i + 1)) / pieces);
      const y1 = py + Math.trunc((dy * (i + 1)) / pieces);
      const [lx, ly] = [Math.floor((Math.min(x0, x1) - this.reach) / SPAN0_Q), Math.floor((Math.min(y0, y1) - this.reach) / SPAN0_Q)];
      const [hx, hy] = [Math.floor((Math.max(x0, x1) + this.reach) / SPAN0_Q), Math.floor((Math.max(y0, y1) + this.reach) / SPAN0_Q)];
      for (let ty = ly; ty <= hy; ty++) {
        for (let tx = lx; tx <= hx; tx++) {
          const k = tileKey(tx, ty);
          if (this.seen.has(k) || fresh.has(k)) continue;
          if (this.seen.size + fresh.size === MAX_TILES_PER_STROKE) return false;
          fresh.add(k);
        }
      }
    }
    for (const k of fresh) this.seen.add(k);
    this.points++;
    this.path += len;
    this.lastX = x;
    this.lastY = y;
    return true;
  }

  /** The level-0 tiles the points taken so far touch, as [x, y]. */
  tiles(): [number, number][] {
    return [...this.seen].map(tileOfKey);
  }
}

// Level-0 tile columns and rows lie within ±2^16 (MAX_COORD plus the widest reach, over SPAN0_Q), so a key
// packs both into one exact integer.
const KEY_OFFSET = 2 ** 16;
const KEY_BASE = 2 ** 17;

function tileKey(tx: number, ty: number): number {
  return (tx + KEY_OFFSET) * KEY_BASE + ty + KEY_OFFSET;
}

function tileOfKey(k: number): [number, number] {
  return [Math.floor(k / KEY_BASE) - KEY_OFFSET, (k % KEY_BASE) - KEY_OFFSET];
}

/** How far ink reaches beyond the centre line, in world units: 0.75 * width + 1. */
export function reach(widthWorld: number): number {
  return 0.75 * widthWorld + 1;
}

/** One piece of the smoothed centre line: a line (cx undefined) or a quadratic with control (cx, cy). */
export interface Piece {
  x0: number;
  y0: number;
  cx?: number;
  cy?: number;
  x1: number;
  y1: number;
}

/** The smoothed centre line through the points (at least two), exactly as docs/tiles.md says. */
export function centreLine(xs: readonly number[], ys: readonly number[]): Piece[] {
  const n = xs.length;
  if (n < 3) return [{ x0: xs[0], y0: ys[0], x1: xs[n - 1], y1: ys[n - 1] }];
  const out: Piece[] = [];
  let sx = xs[0];
  let sy = ys[0];
  for (let i = 1; i < n - 1; i++) {
    const ex = (xs[i] + xs[i + 1]) / 2;
    const ey = (ys[i] + ys[i + 1]) / 2;
    out.push({ x0: sx, y0: sy, cx: xs[i], cy: ys[i], x1: ex, y1: ey });
    sx = ex;
    sy = ey;
  }
  out.push({ x0: sx, y0: sy, x1: xs[n - 1], y1: ys[n - 1] });
  return out;
}

/** For each piece of centreLine, the mean of a per-point value at its two ends (a midpoint takes the mean of its points). */
export function pieceMeans(v: readonly number[]): number[] {
  const n = v.length;
  if (n < 3) return [(v[0] + v[n - 1]) / 2];
  const out: number[] = [];
  let s = v[0];
  for (let i = 1; i < n - 1; i++) {
    const e = (v[i] + v[i + 1]) / 2;
    out.push((s + e) / 2);
    s = e;
  }
  out.push((s + v[n - 1]) / 2);
  return out;
}

/**
 * The width factor of each piece of centreLine (docs/tiles.md): for the pen the mean pen factor of the piece's ends (pressure
 * 128 without pressures), for the highlighter and the pixel eraser 1.
 */
export function pieceFactors(s: Decoded): number[] {
  const pieces = Math.max(1, s.xs.length - 1);
  if (s.tool !== TOOL_PEN) return new Array<number>(pieces).fill(1);
  if (!s.ps) return new Array<number>(pieces).fill(penFactor(DEFAULT_PRESSURE));
  return pieceMeans(s.ps.map(penFactor));
}

/** The part of CanvasRenderingContext2D the renderer uses (so tests can record calls). */
export interface Ctx {
  globalCompositeOperation: GlobalCompositeOperation;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  fillStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  lineCap: CanvasLineCap;
  lineJoin: CanvasLineJoin;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void;
  arc(x: number, y: number, r: number, a0: number, a1: number): void;
  stroke(): void;
  fill(): void;
}

/** Maps world units to canvas pixels: px = (x - ox) * scale. */
export interface Mapping {
  ox: number;
  oy: number;
  scale: number;
}

export function cssColor(rgba: number, tool: number): string {
  const r = (rgba >>> 24) & 255;
  const g = (rgba >>> 16) & 255;
  const b = (rgba >>> 8) & 255;
  if (tool === TOOL_PIXEL_ERASER) return '#000';
  if (tool === TOOL_HIGHLIGHTER) return `rgba(${r},${g},${b},${((rgba & 255) / 255).toFixed(4)})`;
  return `rgb(${r},${g},${b})`;
}

/** The width floor: nothing is drawn thinner than half a pixel, so that thin strokes stay visible far out. */
const MIN_WIDTH_PX = 0.5;

/** Width in pixels of a piece of factor f of a stroke widthWorld world units wide, at scale pixels per world unit, floored. */
export function pixelWidth(widthWorld: number, scale: number, f: number): number {
  return Math.max(MIN_WIDTH_PX, widthWorld * scale * f);
}

function tracePiece(ctx: Ctx, p: Piece, m: Mapping, first: boolean): void {
  if (first) ctx.moveTo((p.x0 - m.ox) * m.scale, (p.y0 - m.oy) * m.scale);
  if (p.cx === undefined || p.cy === undefined) ctx.lineTo((p.x1 - m.ox) * m.scale, (p.y1 - m.oy) * m.scale);
  else ctx.quadraticCurveTo((p.cx - m.ox) * m.scale, (p.cy - m.oy) * m.scale, (p.x1 - m.ox) * m.scale, (p.y1 - m.oy) * m.scale);
}

function dot(ctx: Ctx, x: number, y: number, m: Mapping, w: number): void {
  ctx.beginPath();
  ctx.arc((x - m.ox) * m.scale, (y - m.oy) * m.scale, w / 2, 0, Math.PI * 2);
  ctx.fill();
}

function isPoint(p: Piece): boolean {
  return p.x0 === p.x1 && p.y0 === p.y1 && (p.cx === undefined || (p.cx === p.x0 && p.cy === p.y0));
}

/** Draws one stroke (docs/tiles.md "How a stroke becomes pixels"). */
export function drawStroke(ctx: Ctx, s: Decoded, m: Mapping): void {
  if (s.xs.length === 0) return;
  const colour = cssColor(s.rgba, s.tool);
  ctx.globalCompositeOperation = s.tool === TOOL_PIXEL_ERASER ? 'destination-out' : 'source-over';
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const pieces = centreLine(s.xs, s.ys);
  const fs = pieceFactors(s);
  if (s.tool === TOOL_PEN && s.ps) {
    // Piece by piece, each with its own width.
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      const w = pixelWidth(s.width, m.scale, fs[i]);
      if (isPoint(p)) {
        dot(ctx, p.x0, p.y0, m, w);
        continue;
      }
      ctx.lineWidth = w;
      ctx.beginPath();
      tracePiece(ctx, p, m, true);
      ctx.stroke();
    }
  } else {
    // One width: the whole stroke as one path, so a translucent highlighter does not darken where it overlaps itself.
    const w = pixelWidth(s.width, m.scale, fs[0]);
    if (pieces.length === 1 && isPoint(pieces[0])) {
      dot(ctx, pieces[0].x0, pieces[0].y0, m, w);
    } else {
      ctx.lineWidth = w;
      ctx.beginPath();
      for (let i = 0; i < pieces.length; i++) tracePiece(ctx, pieces[i], m, i === 0);
      ctx.stroke();
    }
  }
  ctx.globalCompositeOperation = 'source-over';
}

/**
 * The band, in world units, around the edge of a stroke's ink within which hitStroke may answer either way (docs/tiles.md
 * "Hit test"; tile-delta-go's hittest.Tolerance is the same 1 encoded unit): curves are refined only until they are that close.
 */
export const HIT_TOLERANCE = 0.01;

/**
 * Whether a disk at (x, y) with radius r (world units) touches the stroke's ink, by the server's rule (tile-delta-go hittest.Hit,
 * docs/tiles.md "Hit test"): within r + width × factor / 2 of some piece of the smoothed centre line, the factor being the piece's
 * (pieceFactors), round caps and joins, no pixel floor, up to HIT_TOLERANCE. A pixel-eraser stroke is never hit: it has no ink.
 */
export function hitStroke(s: Decoded, x: number, y: number, r: number): boolean {
  if (s.tool === TOOL_PIXEL_ERASER || s.xs.length === 0) return false;
  const half = s.width / 2;
  // Cheap rejection by the box of the points (which holds the centre line) grown by the widest reach: this runs for every
  // stroke on screen at every eraser move.
  const widest = r + half * WIDEST_FACTOR;
  if (x < s.minX - widest || x > s.maxX + widest || y < s.minY - widest || y > s.maxY + widest) return false;
  const pieces = centreLine(s.xs, s.ys);
  const fs = pieceFactors(s);
  for (let i = 0; i < pieces.length; i++) {
    const lim = r + half * fs[i];
    if (pieceNear(pieces[i], x, y, lim * lim, 0)) return true;
  }
  return false;
}

/** Halvings after which a curve is tested by its chord whatever its size: far more than any piece of the world needs. */
const MAX_NEAR_SPLITS = 40;

/**
 * Whether (x, y) lies within sqrt(lim2) of the piece: a line exactly; a quadratic is halved until each part lies within
 * HIT_TOLERANCE of its chord (a part strays at most |a − 2c + b| / 4 from it), and the chord is tested. Parts whose box is out of
 * reach are dropped and a part whose box lies wholly within reach answers at once, so only parts near the edge are refined.
 */
function pieceNear(p: Piece, x: number, y: number, lim2: number, splits: number): boolean {
  const quad = p.cx !== undefined && p.cy !== undefined;
  const cx = p.cx ?? p.x0;
  const cy = p.cy ?? p.y0;
  const bx0 = Math.min(p.x0, cx, p.x1);
  const bx1 = Math.max(p.x0, cx, p.x1);
  const by0 = Math.min(p.y0, cy, p.y1);
  const by1 = Math.max(p.y0, cy, p.y1);
  const nx = x < bx0 ? bx0 - x : x > bx1 ? x - bx1 : 0;
  const ny = y < by0 ? by0 - y : y > by1 ? y - by1 : 0;
  if (nx * nx + ny * ny > lim2) return false;
  const fx = Math.max(x - bx0, bx1 - x);
  const fy = Math.max(y - by0, by1 - y);
  if (fx * fx + fy * fy <= lim2) return true;
  if (!quad || Math.hypot(p.x0 - 2 * cx + p.x1, p.y0 - 2 * cy + p.y1) / 4 <= HIT_TOLERANCE || splits >= MAX_NEAR_SPLITS) {
    return distSqToSegment(x, y, p.x0, p.y0, p.x1, p.y1) <= lim2;
  }
  // de Casteljau at t = 1/2.
  const [acx, acy, cbx, cby] = [(p.x0 + cx) / 2, (p.y0 + cy) / 2, (cx + p.x1) / 2, (cy + p.y1) / 2];
  const [mx, my] = [(acx + cbx) / 2, (acy + cby) / 2];
  return (
    pieceNear({ x0: p.x0, y0: p.y0, cx: acx, cy: acy, x1: mx, y1: my }, x, y, lim2, splits + 1) ||
    pieceNear({ x0: mx, y0: my, cx: cbx, cy: cby, x1: p.x1, y1: p.y1 }, x, y, lim2, splits + 1)
  );
}

/** Squared distance from (px, py) to the segment (ax, ay)-(bx, by). */
function distSqToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  let t = len === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / len;
  t = Math.max(0, Math.min(1, t));
  const ex = ax + t * dx - px;
  const ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/** Parses '#rrggbb' to 0xRRGGBBAA with the given alpha byte. */
export function hexToRgba(hex: string, alpha = 255): number {
  const v = parseInt(hex.replace('#', '').slice(0, 6), 16);
  return ((v << 8) | (alpha & 255)) >>> 0;
}

export function rgbaToHex(rgba: number): string {
  return '#' + ((rgba >>> 8) & 0xffffff).toString(16).padStart(6, '0');
}

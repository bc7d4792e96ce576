// The stroke geometry vectors of docs/testdata/stroke-geometry.json (written by scripts/geometry-ref.py from docs/tiles.md),
// checked against the browser's geometry: pen factor, width floor, centre line, pressure means and factors, what drawStroke
// draws in a tile, and the object eraser's hit test, which must answer as the server's (tile-delta-go hittest) does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  COORD_SCALE, HIT_TOLERANCE, TILE_PX, centreLine, drawStroke, fromQuantized, hitStroke, penFactor, pieceFactors, pieceMeans, pixelWidth,
  type Ctx, type Decoded, type Piece,
} from '../src/geometry.ts';

type WirePiece = { line: number[] } | { quad: number[] };
interface StrokeCase {
  name: string;
  tool: number;
  width: number;
  points: number[];
  pressures: number[] | null;
  pieces: WirePiece[];
  pressure_means: number[] | null;
  factors: number[];
}
interface Vectors {
  tolerances: { value: number; hit: number };
  pen_factor: { pressure: number; factor: number }[];
  width_px: { width: number; factor: number; scale: number; width_px: number }[];
  strokes: StrokeCase[];
  renders: { stroke: string; tile: [number, number, number]; size: number; scale: number; pieces: WirePiece[]; widths: number[] }[];
  hits: { name: string; stroke: string; disk: [number, number, number]; hit: boolean }[];
}

const v = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'testdata', 'stroke-geometry.json'), 'utf8'),
) as Vectors;

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= v.tolerances.value * Math.max(1, Math.abs(want)), `${what}: ${got}, want ${want}`);
}

/** A wire piece as the browser's Piece, its coordinates divided by `unit`. */
function piece(w: WirePiece, unit: number): Piece {
  if ('quad' in w) {
    const [x0, y0, cx, cy, x1, y1] = w.quad.map((c) => c / unit);
    return { x0, y0, cx, cy, x1, y1 };
  }
  const [x0, y0, x1, y1] = w.line.map((c) => c / unit);
  return { x0, y0, x1, y1 };
}

/** A piece's points in order; a piece whose points are all one is that point (drawn as a disc, whatever its kind). */
function piecePoints(p: Piece): number[] {
  const pts = p.cx === undefined || p.cy === undefined ? [p.x0, p.y0, p.x1, p.y1] : [p.x0, p.y0, p.cx, p.cy, p.x1, p.y1];
  return pts.every((c, i) => c === pts[i % 2]) ? [p.x0, p.y0] : pts;
}

function closePieces(got: Piece[], want: Piece[], what: string): void {
  assert.equal(got.length, want.length, `${what}: pieces`);
  for (let i = 0; i < got.length; i++) {
    const [g, w] = [piecePoints(got[i]), piecePoints(want[i])];
    assert.equal(g.length, w.length, `${what}: piece ${i} is ${JSON.stringify(got[i])}, want ${JSON.stringify(want[i])}`);
    for (let k = 0; k < g.length; k++) close(g[k], w[k], `${what}: piece ${i}`);
  }
}

function decoded(c: StrokeCase): Decoded {
  return fromQuantized(c.tool, 0xff, c.width, c.points, c.pressures);
}

function strokeCase(name: string): StrokeCase {
  const c = v.strokes.find((s) => s.name === name);
  assert.ok(c, `no stroke case ${name}`);
  return c;
}

test('pen factor', () => {
  for (const c of v.pen_factor) close(penFactor(c.pressure), c.factor, `pressure ${c.pressure}`);
});

test('width floor', () => {
  for (const c of v.width_px) close(pixelWidth(c.width / COORD_SCALE, c.scale, c.factor), c.width_px, JSON.stringify(c));
});

test('centre line, pressure means and piece factors', () => {
  for (const c of v.strokes) {
    const s = decoded(c);
    closePieces(centreLine(s.xs, s.ys), c.pieces.map((p) => piece(p, COORD_SCALE)), c.name);
    if (c.pressures && c.pressure_means) {
      const means = pieceMeans(c.pressures);
      c.pressure_means.forEach((m, i) => close(means[i], m, `${c.name}: pressure mean ${i}`));
    }
    const fs = pieceFactors(s);
    assert.equal(fs.length, c.factors.length, `${c.name}: factors`);
    c.factors.forEach((f, i) => close(fs[i], f, `${c.name}: factor ${i}`));
  }
});

/** Records what drawStroke draws: pieces in pixels (a disc as a piece of length zero) and the width each is drawn with. */
function record(): { ctx: Ctx; pieces: Piece[]; widths: number[] } {
  const pieces: Piece[] = [];
  const widths: number[] = [];
  let x = 0;
  let y = 0;
  const ctx: Ctx = {
    globalCompositeOperation: 'source-over', strokeStyle: '', fillStyle: '', lineWidth: 1, lineCap: 'butt', lineJoin: 'miter',
    beginPath: () => undefined,
    moveTo: (mx, my) => { [x, y] = [mx, my]; },
    lineTo: (lx, ly) => { pieces.push({ x0: x, y0: y, x1: lx, y1: ly }); [x, y] = [lx, ly]; },
    quadraticCurveTo: (cx, cy, qx, qy) => { pieces.push({ x0: x, y0: y, cx, cy, x1: qx, y1: qy }); [x, y] = [qx, qy]; },
    arc: (ax, ay, r) => { pieces.push({ x0: ax, y0: ay, x1: ax, y1: ay }); widths.push(2 * r); },
    stroke: () => { while (widths.length < pieces.length) widths.push(ctx.lineWidth); },
    fill: () => undefined,
  };
  return { ctx, pieces, widths };
}

test('what drawStroke draws in a tile', () => {
  for (const c of v.renders) {
    const [level, tx, ty] = c.tile;
    const span = TILE_PX * 2 ** level;
    const r = record();
    drawStroke(r.ctx, decoded(strokeCase(c.stroke)), { ox: tx * span, oy: ty * span, scale: c.scale });
    const what = `${c.stroke} in ${JSON.stringify(c.tile)} at ${c.size} px`;
    closePieces(r.pieces, c.pieces.map((p) => piece(p, 1)), what);
    assert.equal(r.widths.length, c.widths.length, `${what}: widths`);
    r.widths.forEach((w, i) => close(w, c.widths[i], `${what}: width ${i}`));
  }
});

test('the object eraser hits what the server hits', () => {
  assert.equal(HIT_TOLERANCE * COORD_SCALE, v.tolerances.hit);
  for (const c of v.hits) {
    const [x, y, r] = c.disk.map((d) => d / COORD_SCALE);
    assert.equal(hitStroke(decoded(strokeCase(c.stroke)), x, y, r), c.hit, c.name);
  }
});

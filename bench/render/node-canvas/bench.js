// node canvas (@napi-rs/canvas, Skia), the roadmap's earlier in-process renderer, on exactly the tiles of
// snapshot-rs's render/examples/bench_tiles.rs: it reads the tiles.json that bench_tiles writes with a
// FIXTURE_DIR argument (wire-form strokes, decoded here inside the timed render as snapshot-rs and gg do),
// draws every stroke as docs/tiles.md says, encodes PNG, and prints the same JSON as bench_tiles.
//
//   node bench.js FIXTURE_DIR [ROUNDS [PNG_PREFIX]]
//
// PNG_PREFIX receives its tiles for the pixel parity checks of bench/cmd/bench/render.go:
// PREFIX-dense.png, PREFIX-dense-512.png and PREFIX-board-NNN.png (NNN: index in tiles.json's board).
// draw_ms and encode_ms split the dense 256 px render into drawing (up to a pixel read-back of one
// pixel, which waits for Skia to finish) and canvas.toBuffer('image/png').
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCanvas, Image } from '@napi-rs/canvas';

const TILE_SPAN_Q = 256 * 100; // span(0) in quantized world units (docs/tiles.md)
const PEN = 1;
const HIGHLIGHTER = 2;
const PIXEL_ERASER = 3;
const MIN_WIDTH_PX = 0.5;
const penFactor = (p) => 0.5 + p / 255;
const DEFAULT_FACTOR = penFactor(128);

const hex2 = (v) => v.toString(16).padStart(2, '0');

/** Fills a disc of diameter w: what a round-capped piece of length zero covers. */
function dot(ctx, x, y, w) {
  ctx.beginPath();
  ctx.arc(x, y, w / 2, 0, 2 * Math.PI);
  ctx.fill();
}

/** Draws one wire-form stroke (infidraw.stroke.v1.Stroke fields) on a tile whose origin is (ox, oy). */
function drawStroke(ctx, s, ox, oy, sc) {
  const q = s.quantum || 1;
  const enc = s.points;
  const n = enc.length >> 1;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let x = 0;
  let y = 0;
  for (let i = 0; i < n; i++) {
    x += enc[2 * i] * q;
    y += enc[2 * i + 1] * q;
    xs[i] = (x - ox) * sc;
    ys[i] = (y - oy) * sc;
  }
  const rgba = s.rgba >>> 0;
  const [r, g, b, a] = [rgba >>> 24, (rgba >>> 16) & 255, (rgba >>> 8) & 255, rgba & 255];
  switch (s.tool) {
    case PEN:
      ctx.globalCompositeOperation = 'source-over';
      ctx.strokeStyle = ctx.fillStyle = `#${hex2(r)}${hex2(g)}${hex2(b)}`; // alpha ignored: opaque
      break;
    case HIGHLIGHTER:
      if (a === 0) return;
      ctx.globalCompositeOperation = 'source-over';
      ctx.strokeStyle = ctx.fillStyle = `rgba(${r},${g},${b},${a / 255})`;
      break;
    case PIXEL_ERASER:
      ctx.globalCompositeOperation = 'destination-out';
      ctx.strokeStyle = ctx.fillStyle = '#000';
      break;
    default:
      throw new Error(`unknown tool ${s.tool}`);
  }
  const base = s.width * sc;
  if (s.tool === PEN && s.pressures.length > 0) {
    // Piece by piece, each with the mean width factor of its two ends (a midpoint end takes the mean
    // of its two points), round caps; pieces of length zero are dots.
    const f = new Float64Array(n);
    let p = 0;
    for (let i = 0; i < n; i++) {
      p += s.pressures[i];
      f[i] = penFactor(p);
    }
    const piece = (x0, y0, cx, cy, x1, y1, quad, m) => {
      const w = Math.max(base * m, MIN_WIDTH_PX);
      if (x0 === x1 && y0 === y1 && (!quad || (cx === x0 && cy === y0))) {
        dot(ctx, x0, y0, w);
        return;
      }
      ctx.lineWidth = w;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      if (quad) ctx.quadraticCurveTo(cx, cy, x1, y1);
      else ctx.lineTo(x1, y1);
      ctx.stroke();
    };
    if (n < 3) {
      piece(xs[0], ys[0], 0, 0, xs[n - 1], ys[n - 1], false, (f[0] + f[n - 1]) / 2);
      return;
    }
    let sx = xs[0];
    let sy = ys[0];
    let sf = f[0];
    for (let i = 1; i < n - 1; i++) {
      const ex = (xs[i] + xs[i + 1]) / 2;
      const ey = (ys[i] + ys[i + 1]) / 2;
      const ef = (f[i] + f[i + 1]) / 2;
      piece(sx, sy, xs[i], ys[i], ex, ey, true, (sf + ef) / 2);
      sx = ex;
      sy = ey;
      sf = ef;
    }
    piece(sx, sy, 0, 0, xs[n - 1], ys[n - 1], false, (sf + f[n - 1]) / 2);
    return;
  }
  // One path: the pen without pressures, the highlighter (so it never darkens itself), the eraser.
  const w = Math.max(base * (s.tool === PEN ? DEFAULT_FACTOR : 1), MIN_WIDTH_PX);
  let same = true;
  for (let i = 1; i < n && same; i++) same = xs[i] === xs[0] && ys[i] === ys[0];
  if (same) {
    dot(ctx, xs[0], ys[0], w);
    return;
  }
  ctx.lineWidth = w;
  ctx.beginPath();
  ctx.moveTo(xs[0], ys[0]);
  if (n < 3) {
    ctx.lineTo(xs[n - 1], ys[n - 1]);
  } else {
    for (let i = 1; i < n - 1; i++) {
      ctx.quadraticCurveTo(xs[i], ys[i], (xs[i] + xs[i + 1]) / 2, (ys[i] + ys[i + 1]) / 2);
    }
    ctx.lineTo(xs[n - 1], ys[n - 1]);
  }
  ctx.stroke();
}

/** Renders one tile at `size` px on top of `basePng` (a PNG of the same size) and returns the PNG. */
async function renderTile(coord, size, basePng, strokes) {
  return (await drawTile(coord, size, basePng, strokes)).toBuffer('image/png');
}

/** renderTile without the PNG step: the canvas. */
async function drawTile(coord, size, basePng, strokes) {
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext('2d');
  if (basePng) {
    const img = new Image();
    img.src = basePng;
    await img.decode();
    ctx.drawImage(img, 0, 0);
  }
  const span = TILE_SPAN_Q * 2 ** coord.level;
  const sc = size / span;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const s of strokes) drawStroke(ctx, s, coord.x * span, coord.y * span, sc);
  return canvas;
}

async function timeMS(rounds, f) {
  await f(); // warm-up
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await f();
  return (performance.now() - start) / rounds;
}

const round = (v) => Math.round(v * 1000) / 1000;

async function main() {
  const [dir, roundsArg, pngOut] = process.argv.slice(2);
  if (!dir) throw new Error('usage: node bench.js FIXTURE_DIR [ROUNDS [PNG_PREFIX]]');
  const rounds = roundsArg ? Number.parseInt(roundsArg, 10) : 5;
  const fx = JSON.parse(readFileSync(join(dir, 'tiles.json'), 'utf8'));
  const px = fx.tile_px;
  const { coord, base, extra } = fx.dense;

  let basePng;
  const fullMS = await timeMS(rounds, async () => {
    basePng = await renderTile(coord, px, null, base);
  });
  let canvas;
  const drawMS = await timeMS(rounds, async () => {
    canvas = await drawTile(coord, px, null, base);
    canvas.getContext('2d').getImageData(0, 0, 1, 1);
  });
  const encodeMS = await timeMS(rounds, () => canvas.toBuffer('image/png'));
  const incMS = await timeMS(rounds * 5, () => renderTile(coord, px, basePng, extra));
  let png512;
  const full512MS = await timeMS(rounds, async () => {
    png512 = await renderTile(coord, 2 * px, null, base);
  });

  let pngBytes = 0;
  const boardPngs = [];
  const boardMS = await timeMS(Math.ceil(rounds / 4), async () => {
    pngBytes = 0;
    for (const [i, t] of fx.board.entries()) {
      boardPngs[i] = await renderTile(t.coord, px, null, t.strokes);
      pngBytes += boardPngs[i].length;
    }
  });
  if (pngOut) {
    writeFileSync(`${pngOut}-dense.png`, basePng);
    writeFileSync(`${pngOut}-dense-512.png`, png512);
    boardPngs.forEach((p, i) => writeFileSync(`${pngOut}-board-${String(i).padStart(3, '0')}.png`, p));
  }

  const tiles = fx.board.length;
  const version = createRequire(import.meta.url)('@napi-rs/canvas/package.json').version;
  console.log(
    JSON.stringify({
      renderer: `@napi-rs/canvas ${version}`,
      rounds,
      dense_tile: {
        strokes: base.length,
        points: base.reduce((n, s) => n + s.points.length / 2, 0),
        full_ms: round(fullMS),
        draw_ms: round(drawMS),
        encode_ms: round(encodeMS),
        full_512_ms: round(full512MS),
        png_bytes: basePng.length,
        incremental_10_strokes_ms: round(incMS),
      },
      board: {
        tiles,
        mean_strokes_per_tile: round(fx.board.reduce((n, t) => n + t.strokes.length, 0) / tiles),
        typical_ms: round(boardMS / tiles),
        mean_png_bytes: Math.floor(pngBytes / tiles),
      },
    }),
  );
}

await main();

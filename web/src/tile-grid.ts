// Tile coordinates of the browser (docs/tiles.md): a tile's cache key and the tiles covering a world rectangle.
// Pure, so that the board model and node --test use it without the network code of tiles.ts.
import { span } from './geometry.ts';

/** Tile index range [x0..x1] × [y0..y1] at one level. */
export interface TileRange {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export const tileKey = (level: number, x: number, y: number) => `${level}:${x}:${y}`;

/** Tile index range covering a world rectangle at a level. */
export function tileRange(level: number, minX: number, minY: number, maxX: number, maxY: number): TileRange {
  const s = span(level);
  return { x0: Math.floor(minX / s), y0: Math.floor(minY / s), x1: Math.floor(maxX / s), y1: Math.floor(maxY / s) };
}

/**
 * The blocks of n × n tiles, aligned to multiples of n, that cover a range: requests that viewers with different
 * views still share (the same URLs, so an HTTP cache answers all but the first).
 */
export function alignedBlocks(r: TileRange, n: number): TileRange[] {
  const out: TileRange[] = [];
  const start = (v: number) => Math.floor(v / n) * n;
  for (let y = start(r.y0); y <= r.y1; y += n) {
    for (let x = start(r.x0); x <= r.x1; x += n) out.push({ x0: x, y0: y, x1: x + n - 1, y1: y + n - 1 });
  }
  return out;
}

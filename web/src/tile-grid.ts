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

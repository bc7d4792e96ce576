// Area export: a world rectangle rendered by the server (GET /api/rooms/:id/export.png) at a multiple of its size on
// screen, or restored to the timeline's point (POST /api/rooms/:id/restore), or played as a timelapse video. The sizes here are the server's own
// arithmetic, so that the board can say beforehand what is too big.
import { COORD_SCALE } from '../geometry.ts';
import { EXPORT_MAX_PIXELS, EXPORT_MAX_SIDE } from '../gen/limits.ts';
import type { Region } from '../api.ts';

/** Output scales of an area export, relative to the area's size on screen (1× = as seen, in CSS pixels). */
export const EXPORT_SCALES = [1, 2, 4];
/** A drag shorter than this (CSS pixels) either way is a click, not an area. */
const MIN_AREA_PX = 3;

/** A world rectangle, x0 ≤ x1 and y0 ≤ y1. */
export interface WorldRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The region in world units ×100 and the picture's size in pixels. */
export interface ExportSize extends Region {
  w: number;
  h: number;
  /** Within the server's limits. */
  fits: boolean;
}

/** The rectangle spanned by two world points. */
export function rectBetween(ax: number, ay: number, bx: number, by: number): WorldRect {
  return { x0: Math.min(ax, bx), y0: Math.min(ay, by), x1: Math.max(ax, bx), y1: Math.max(ay, by) };
}

/** Whether a dragged rectangle is too small on screen at zoom z to be an area. */
export function isClick(r: WorldRect, z: number): boolean {
  return (r.x1 - r.x0) * z < MIN_AREA_PX || (r.y1 - r.y0) * z < MIN_AREA_PX;
}

/** The area as the server takes it (the export, the restore): world units ×100, rounded, never empty. */
export function regionOf(r: WorldRect): Region {
  const minX = Math.round(r.x0 * COORD_SCALE);
  const minY = Math.round(r.y0 * COORD_SCALE);
  return { minX, minY, maxX: Math.max(minX + 1, Math.round(r.x1 * COORD_SCALE)), maxY: Math.max(minY + 1, Math.round(r.y1 * COORD_SCALE)) };
}

/** The request and picture size for an area at zoom z and output scale f (the width rounds; the height follows it as the gateway's exportHeight does). */
export function exportSize(r: WorldRect, z: number, f: number): ExportSize {
  const { minX, minY, maxX, maxY } = regionOf(r);
  const w = Math.max(1, Math.round(((maxX - minX) / COORD_SCALE) * z * f));
  const h = Math.max(1, Math.round((w * (maxY - minY)) / (maxX - minX)));
  return { minX, minY, maxX, maxY, w, h, fits: w <= EXPORT_MAX_SIDE && h <= EXPORT_MAX_SIDE && w * h <= EXPORT_MAX_PIXELS };
}

/** A download's file name: the board's name with anything but word characters, dots and dashes as underscores, then `suffix`. */
export function exportFileName(boardName: string, suffix: string): string {
  return `${boardName.replace(/[^\w.-]+/g, '_') || 'board'}${suffix}`;
}

/** The box a timelapse is fitted into: 1280 × 720 (HD), the size its speed goal is set for. */
export const TIMELAPSE_BOX = { w: 1280, h: 720 } as const;
/** The gateway's bounds on a timelapse's sides. */
const MIN_SIDE = 16;
const MAX_HEIGHT = 1080;

/** The video's size for a region: fitted into TIMELAPSE_BOX, even sides (the height as the gateway derives it). */
export function timelapseSize(r: Region): { w: number; h: number; fits: boolean } {
  const dx = r.maxX - r.minX;
  const dy = r.maxY - r.minY;
  const even = (v: number) => 2 * Math.round(v / 2);
  const w = Math.max(MIN_SIDE, even(dx * TIMELAPSE_BOX.h >= dy * TIMELAPSE_BOX.w ? TIMELAPSE_BOX.w : (TIMELAPSE_BOX.h * dx) / dy));
  const hh = even((w * dy) / dx);
  return { w, h: hh, fits: hh >= MIN_SIDE && hh <= MAX_HEIGHT };
}

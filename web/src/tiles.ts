// The tile layer's network side: GET /api/rooms/:id/tiles (protobuf GetTilesResponse) split into requests of
// at most 256 tiles, now or at a past point, snapshot PNGs decoded to ImageBitmaps (immutable URLs: the browser
// cache keeps them), and the object eraser's server hit test (GET /api/rooms/:id/strokes/at).
import { GetTilesResponse, HitStrokesResponse } from './gen/infidraw/tile/v1/tile';
import { ApiError } from './api';
import { decodeStroke, span, COORD_SCALE, MAX_COORD, type Decoded } from './geometry';
import { MAX_HIT_RADIUS as LIMITS_MAX_HIT_RADIUS } from './gen/limits.ts';
import { hex } from './ids.ts';
import { alignedBlocks, tileKey, type TileRange } from './tile-grid.ts';

/** tile-delta-go answers at most this many tiles per request. */
export const MAX_TILES_PER_REQUEST = 256;

export interface TileStroke {
  id: string;
  d: Decoded;
}

/**
 * One tile as the server gave it: snapshot (maybe) + visible strokes after it, up to coversSeq. A pending tile
 * had too many strokes since its snapshot to send: no strokes, its snapshot (if any) older than the head; a new
 * snapshot is being rendered, so it is asked for again.
 */
export interface Tile {
  level: number;
  x: number;
  y: number;
  coversSeq: number;
  snapshotUrl: string | null;
  bitmap: ImageBitmap | null;
  strokes: TileStroke[];
  pending: boolean;
}

/**
 * A point of a room's past (docs/contracts.md, "The past"): right after event `seq` (0: before the first event), or
 * the last event committed by `time` (RFC 3339), which the server resolves to a seq.
 */
export type PastPoint = { seq: number } | { time: string };

/** The query parameter that reads a room at a point (`at` or `atTime`). */
export function pointQuery(p: PastPoint): string {
  return 'seq' in p ? `at=${p.seq}` : `atTime=${encodeURIComponent(p.time)}`;
}

export interface Fetched {
  headSeq: number;
  /** The point read: the head for a read of now. */
  atSeq: number;
  tiles: Tile[];
  bytes: number;
  requests: number;
}

/** The tiles endpoint of a room for its members (an embed reads /api/embed/:linkToken/tiles instead). */
export const roomTilesUrl = (roomId: string) => `/api/rooms/${roomId}/tiles`;

/**
 * Fetches every tile of the range from a tiles endpoint, now or at a past point (empty tiles come back as tiles without
 * content at head_seq): in bands of rows of at most 256 tiles, or, with `block`, in aligned blocks of block × block
 * tiles (the tiles around the range too), which other viewers ask for by the same URLs.
 */
export async function fetchTiles(tilesUrl: string, level: number, r: TileRange, at?: PastPoint, block?: number): Promise<Fetched> {
  const s = span(level) * COORD_SCALE;
  const out: Fetched = { headSeq: 0, atSeq: 0, tiles: [], bytes: 0, requests: 0 };
  await Promise.all((block ? alignedBlocks(r, block) : rowBands(r)).map(async (b) => {
    const q = `level=${level}&minX=${b.x0 * s}&minY=${b.y0 * s}&maxX=${(b.x1 + 1) * s}&maxY=${(b.y1 + 1) * s}${at ? `&${pointQuery(at)}` : ''}`;
    const res = await fetch(`${tilesUrl}?${q}`, { credentials: 'same-origin', headers: { accept: 'application/x-protobuf' } });
    if (!res.ok) throw new ApiError(res.status, `tiles: ${res.status} ${await res.text()}`);
    const buf = new Uint8Array(await res.arrayBuffer());
    out.bytes += buf.length;
    out.requests++;
    const page = GetTilesResponse.decode(buf);
    out.headSeq = Math.max(out.headSeq, page.headSeq);
    out.atSeq = Math.max(out.atSeq, page.atSeq);
    const got = new Map<string, Tile>();
    for (const t of page.tiles) {
      const c = t.coord;
      if (!c) continue;
      got.set(tileKey(c.level, c.x, c.y), {
        level: c.level, x: c.x, y: c.y, coversSeq: t.coversSeq, snapshotUrl: t.snapshot?.url || null, bitmap: null,
        strokes: t.strokes.map((st) => ({ id: hex(st.id), d: decodeStroke(st) })), pending: t.pending,
      });
    }
    for (let y = b.y0; y <= b.y1; y++) {
      for (let x = b.x0; x <= b.x1; x++) {
        out.tiles.push(got.get(tileKey(level, x, y)) ?? { level, x, y, coversSeq: page.headSeq, snapshotUrl: null, bitmap: null, strokes: [], pending: false });
      }
    }
  }));
  return out;
}

/** The range in bands of whole rows, each at most MAX_TILES_PER_REQUEST tiles (one row at least). */
function rowBands(r: TileRange): TileRange[] {
  const rowsPer = Math.max(1, Math.floor(MAX_TILES_PER_REQUEST / (r.x1 - r.x0 + 1)));
  const bands: TileRange[] = [];
  for (let y = r.y0; y <= r.y1; y += rowsPer) bands.push({ x0: r.x0, y0: y, x1: r.x1, y1: Math.min(r.y1, y + rowsPer - 1) });
  return bands;
}

/** Loads a snapshot PNG as an ImageBitmap; resolves with its byte size too. */
export async function loadSnapshot(url: string): Promise<{ bitmap: ImageBitmap; bytes: number }> {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new ApiError(res.status, `snapshot: ${res.status}`);
  const blob = await res.blob();
  return { bitmap: await createImageBitmap(blob), bytes: blob.size };
}

/** The gateway's largest hit-test radius in world units (tile-delta-go HitStrokes). */
export const MAX_HIT_RADIUS = LIMITS_MAX_HIT_RADIUS / COORD_SCALE;
/** Coordinates the gateway accepts, in world units. */
const MAX_WORLD = MAX_COORD / COORD_SCALE;

export interface StrokesAt {
  /** Visible pen and highlighter strokes whose ink the disk touches, topmost first (at most 64). */
  strokes: TileStroke[];
  headSeq: number;
  /** Not every stroke under the disk may be listed (more than 64, or a tile over the server's scan bound). */
  partial: boolean;
}

/**
 * The visible strokes under a disk (world units), from the server's tile index: GET /api/rooms/:id/strokes/at
 * (protobuf HitStrokesResponse; editors and owners). It finds the strokes that are only pixels of a snapshot here.
 */
export async function fetchStrokesAt(roomId: string, x: number, y: number, r: number, signal?: AbortSignal): Promise<StrokesAt> {
  const clamp = (v: number, lim: number) => Math.min(lim, Math.max(-lim, v));
  const q = `x=${clamp(x, MAX_WORLD)}&y=${clamp(y, MAX_WORLD)}&r=${Math.min(MAX_HIT_RADIUS, Math.max(0.01, r))}`;
  const res = await fetch(`/api/rooms/${roomId}/strokes/at?${q}`, { credentials: 'same-origin', headers: { accept: 'application/x-protobuf' }, signal });
  if (!res.ok) throw new ApiError(res.status, `strokes/at: ${res.status} ${await res.text()}`);
  const got = HitStrokesResponse.decode(new Uint8Array(await res.arrayBuffer()));
  return { strokes: got.strokes.map((st) => ({ id: hex(st.id), d: decodeStroke(st) })), headSeq: got.headSeq, partial: got.partial };
}

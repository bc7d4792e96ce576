// What an embed learns from its event stream (/api/embed/:linkToken/events, docs/contracts.md "Embeds"): the room
// changed up to a seq, within areas of the board or anywhere. Pure, for node --test: the changes told since the tiles
// were last read, merged, and which cached tiles they touch.
import { span } from '../geometry.ts';

/** A world rectangle (world units), bounds included: minX, minY, maxX, maxY. */
export type WorldArea = [number, number, number, number];

/** The data of a `changed` event: the room changed up to `seq`, within `areas` (null: anywhere). */
export interface Change {
  seq: number;
  areas: WorldArea[] | null;
}

/** Parses a `changed` event's data; null when it is not one. */
export function parseChange(data: string): Change | null {
  try {
    const v = JSON.parse(data) as { seq?: unknown; areas?: unknown };
    if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 0) return null;
    if (v.areas === null) return { seq: v.seq, areas: null };
    if (!Array.isArray(v.areas)) return null;
    const areas = v.areas.filter((a): a is WorldArea => Array.isArray(a) && a.length === 4 && a.every((n) => typeof n === 'number' && Number.isFinite(n)));
    return areas.length === v.areas.length ? { seq: v.seq, areas } : null;
  } catch {
    return null;
  }
}

/** The changes told after the seq the tiles were read at, merged until they are read again. */
export class PendingChanges {
  private seq: number;
  private areas: WorldArea[] | null = [];

  /** read: the seq the tiles are read at now. */
  constructor(read: number) {
    this.seq = read;
  }

  /** Takes a change; false when it is nothing new (at or before the seq read or gathered). */
  add(c: Change): boolean {
    if (c.seq <= this.seq) return false;
    this.seq = c.seq;
    this.areas = this.areas && c.areas ? [...this.areas, ...c.areas] : null;
    return true;
  }

  /** The merged change to read now, and the point it is read at from then on. */
  take(): Change {
    const c = { seq: this.seq, areas: this.areas };
    this.areas = [];
    return c;
  }
}

/** Whether a tile (level, x, y) meets any of the areas (null: every tile). */
export function touches(areas: WorldArea[] | null, t: { level: number; x: number; y: number }): boolean {
  if (areas === null) return true;
  const s = span(t.level);
  const [x0, y0, x1, y1] = [t.x * s, t.y * s, (t.x + 1) * s, (t.y + 1) * s];
  return areas.some(([ax0, ay0, ax1, ay1]) => ax0 < x1 && ax1 >= x0 && ay0 < y1 && ay1 >= y0);
}

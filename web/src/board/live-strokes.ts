// Other people's strokes while they draw them: StrokeBegin, StrokeMore and StrokeEnd over the WebSocket build them
// up point by point until the committed stroke arrives and replaces them.
import { decodePressures, decodeQuantized, fromQuantized, type Decoded, type WireGeometry } from '../geometry.ts';

/** An ended live stroke whose commit does not come (lost or refused) is dropped this long after its end. */
export const ENDED_LIVE_MS = 5000;

export interface LiveStroke {
  /** The session drawing it. */
  session: number;
  tool: number;
  rgba: number;
  width: number;
  quantum: number;
  /** Absolute quantized points (world units ×100), interleaved x, y. */
  abs: number[];
  ps: number[] | null;
  d: Decoded;
  /** When its StrokeEnd came (a clock in ms), 0 while it is drawn. */
  endedAt: number;
}

export class LiveStrokes {
  private readonly strokes = new Map<string, LiveStroke>();

  get size(): number {
    return this.strokes.size;
  }

  get(id: string): LiveStroke | undefined {
    return this.strokes.get(id);
  }

  values(): IterableIterator<LiveStroke> {
    return this.strokes.values();
  }

  /** A session began a stroke with its style and first points. */
  begin(session: number, id: string, s: WireGeometry): void {
    const abs = decodeQuantized(s.quantum, s.points);
    const ps = s.pressures.length ? decodePressures(s.pressures) : null;
    this.strokes.set(id, { session, tool: s.tool, rgba: s.rgba, width: s.width, quantum: s.quantum || 1, abs, ps, d: fromQuantized(s.tool, s.rgba, s.width, abs, ps), endedAt: 0 });
  }

  /** More points (deltas from the last point, in the stroke's quantum) and pressures; false for an unknown stroke. */
  more(id: string, points: readonly number[], pressures: readonly number[]): boolean {
    const ls = this.strokes.get(id);
    if (!ls) return false;
    let x = ls.abs[ls.abs.length - 2];
    let y = ls.abs[ls.abs.length - 1];
    for (let i = 0; i + 1 < points.length; i += 2) {
      x += points[i] * ls.quantum;
      y += points[i + 1] * ls.quantum;
      ls.abs.push(x, y);
    }
    if (ls.ps) {
      let p = ls.ps[ls.ps.length - 1];
      for (const dp of pressures) ls.ps.push((p += dp));
    }
    ls.d = fromQuantized(ls.tool, ls.rgba, ls.width, ls.abs, ls.ps);
    return true;
  }

  /** The stroke ended at `now`: cancelled, it goes; else it stays until its commit (or ENDED_LIVE_MS). */
  end(id: string, cancelled: boolean, now: number): boolean {
    const ls = this.strokes.get(id);
    if (!ls) return false;
    if (cancelled) this.strokes.delete(id);
    else ls.endedAt = now;
    return true;
  }

  /** Its commit arrived. */
  delete(id: string): void {
    this.strokes.delete(id);
  }

  /** The session left: its strokes in progress go with it. */
  dropSession(session: number): void {
    for (const [id, ls] of this.strokes) if (ls.session === session) this.strokes.delete(id);
  }

  /** Drops strokes ended more than ENDED_LIVE_MS before `now`; true when any went. */
  expire(now: number): boolean {
    let gone = false;
    for (const [id, ls] of this.strokes) {
      if (ls.endedAt && now - ls.endedAt > ENDED_LIVE_MS) {
        this.strokes.delete(id);
        gone = true;
      }
    }
    return gone;
  }

  clear(): void {
    this.strokes.clear();
  }
}

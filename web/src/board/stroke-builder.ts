// The stroke being drawn here: points in encoded units as the pointer moves (within the server's limits), the live
// messages that show it to the others while it is drawn, and the stroke committed when the pointer lifts.
import {
  deltaEncode, encodePoints, fromQuantized, hexToRgba, COORD_SCALE, MAX_WIDTH, MIN_WIDTH, StrokeBudget, TOOL_HIGHLIGHTER, TOOL_PEN,
  TOOL_PIXEL_ERASER, type Decoded,
} from '../geometry.ts';
import type { Stroke } from '../gen/infidraw/stroke/v1/stroke.ts';
import type { ClientBody } from '../outbox.ts';

/** The tools that draw strokes. */
export type InkTool = 'pen' | 'highlighter' | 'pixel';

/** The highlighter's alpha: translucent ink, the colour under it shows through. */
export const HIGHLIGHTER_ALPHA = 0x60;

export interface StrokeStyle {
  tool: number;
  rgba: number;
  /** Nominal width in world units ×100. */
  width: number;
}

/**
 * The style of a new stroke: the chosen width is in screen pixels (the highlighter 4 times, the pixel eraser 3 times
 * as wide), converted to world units at the current zoom within the server's limits.
 */
export function strokeStyle(tool: InkTool, colour: string, widthPx: number, zoom: number): StrokeStyle {
  const t = tool === 'pen' ? TOOL_PEN : tool === 'highlighter' ? TOOL_HIGHLIGHTER : TOOL_PIXEL_ERASER;
  const px = tool === 'highlighter' ? widthPx * 4 : tool === 'pixel' ? widthPx * 3 : widthPx;
  const width = Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, (px / zoom) * COORD_SCALE)));
  return { tool: t, rgba: t === TOOL_HIGHLIGHTER ? hexToRgba(colour, HIGHLIGHTER_ALPHA) : hexToRgba(colour), width };
}

/** A pointer's pressure (0..1) as the wire's 0..255; a device that reports none (0) counts as half. */
export function pressureByte(pressure: number): number {
  return Math.max(0, Math.min(255, Math.round((pressure || 0.5) * 255)));
}

export class StrokeBuilder {
  readonly id: Uint8Array;
  readonly style: StrokeStyle;
  /** Absolute points in world units ×100, interleaved x, y. */
  private readonly abs: number[] = [];
  /** Pressures 0..255 per point; null for a stroke without (anything but a pen tool drawn with a pen). */
  private readonly ps: number[] | null;
  /** The server's limits, point by point: the stroke ends (takes no more points) where it would break one. */
  private readonly budget: StrokeBudget;
  /** Points already sent in live messages. */
  private sent = 0;
  /** The stroke decoded for drawing, and how many coordinates it had then (it is decoded again when it grew). */
  private decodedStroke: Decoded;
  private decodedAt = -1;

  /** pressured: the pointer is a pen, whose pressure a pen stroke records. */
  constructor(id: Uint8Array, style: StrokeStyle, pressured: boolean) {
    this.id = id;
    this.style = style;
    this.ps = pressured && style.tool === TOOL_PEN ? [] : null;
    this.budget = new StrokeBudget(style.width);
    this.decodedStroke = fromQuantized(style.tool, style.rgba, style.width, [], null);
  }

  get points(): number {
    return this.abs.length / 2;
  }

  /** Adds a world point with the pointer's pressure (0..1). False when it adds nothing: the same point, or over a limit. */
  add(wx: number, wy: number, pressure: number): boolean {
    const qx = Math.round(wx * COORD_SCALE);
    const qy = Math.round(wy * COORD_SCALE);
    const n = this.abs.length;
    if (n >= 2 && this.abs[n - 2] === qx && this.abs[n - 1] === qy) return false;
    if (!this.budget.add(qx, qy)) return false;
    this.abs.push(qx, qy);
    this.ps?.push(pressureByte(pressure));
    return true;
  }

  /** The stroke so far, decoded for drawing. */
  decoded(): Decoded {
    if (this.decodedAt !== this.abs.length) {
      this.decodedStroke = fromQuantized(this.style.tool, this.style.rgba, this.style.width, this.abs, this.ps);
      this.decodedAt = this.abs.length;
    }
    return this.decodedStroke;
  }

  /** The live message for the points not sent yet: StrokeBegin with the style first, then StrokeMore; null for none. */
  live(): ClientBody | null {
    const n = this.abs.length / 2;
    if (n === this.sent) return null;
    const from = this.sent;
    this.sent = n;
    if (from === 0) {
      return { $case: 'strokeBegin', value: { stroke: { ...this.style, id: this.id, quantum: 1, points: deltaEncode(this.abs, 2), pressures: this.ps ? deltaEncode(this.ps, 1) : [] } } };
    }
    const points: number[] = [];
    const pressures: number[] = [];
    for (let i = from; i < n; i++) {
      points.push(this.abs[2 * i] - this.abs[2 * i - 2], this.abs[2 * i + 1] - this.abs[2 * i - 1]);
      if (this.ps) pressures.push(this.ps[i] - this.ps[i - 1]);
    }
    return { $case: 'strokeMore', value: { strokeId: this.id, points, pressures } };
  }

  /** The StrokeEnd for the others; null when they were never sent a point. */
  end(cancel: boolean): ClientBody | null {
    if (this.sent === 0) return null;
    return { $case: 'strokeEnd', value: { strokeId: this.id, cancelled: cancel } };
  }

  /** The stroke to commit, in the wire's encoding. */
  stroke(): Stroke {
    const { quantum, points } = encodePoints(this.abs);
    return { ...this.style, id: this.id, quantum, points, pressures: this.ps ? deltaEncode(this.ps, 1) : [] };
  }
}

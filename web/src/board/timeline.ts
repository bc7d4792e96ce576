// The timeline (issue 16): whether the board shows the room now or at a point of its past, and which. A point is a
// seq (the room right after that event, 0 before the first) or a time, which the first answer turns into the seq it
// names. The slider and the step buttons move the point at once (the label follows) and the board after they rest,
// so that a drag is not a request per pixel. No DOM: timeline-bar.ts draws it, board.ts shows the board it names.
import type { ViewAuthor } from '../api.ts';
import type { PastPoint } from '../tiles.ts';
import { Debounced } from './debounce.ts';

/** The slider has to rest this long (ms) before the board is read at its point… */
export const SCRUB_REST_MS = 150;
/** …but a long drag reads the board at least this often (ms). */
export const SCRUB_MAX_WAIT_MS = 600;

/** Who drew in the view around the point is asked once the point and the view rest this long (ms). */
export const AUTHORS_REST_MS = 300;
/** tile-delta-go ViewAuthors reads at most this many events on each side of the point. */
export const MAX_AUTHORS_SPAN = 10_000;

/**
 * Events on each side of the point that count as "around then": a fiftieth of the history, so that the window
 * follows what a step of the slider spans, from one event to the server's bound.
 */
export function authorsSpan(head: number): number {
  return Math.min(MAX_AUTHORS_SPAN, Math.max(1, Math.ceil(head / 50)));
}

/** The bar's line naming who drew in the view around the point, most events first. */
export function authorsLine(authors: ViewAuthor[]): string {
  if (authors.length === 0) return 'Nobody drew here around then.';
  return `Drawn here around then: ${authors.map((a) => `${a.displayName || 'a removed user'} (${a.events})`).join(', ')}`;
}

export interface TimelineHost {
  /** Show the board at this point, or (null) as it is now. */
  show(point: PastPoint | null): void;
  /** The point, the head or the mode changed: what draws them follows. */
  changed(): void;
}

/** The seq a slider position names: a whole event between 0 (before the first) and the head. */
export function seqAt(value: number, head: number): number {
  return Math.min(head, Math.max(0, Math.round(value)));
}

/** A time as the value of a datetime-local input: local time, whole seconds. */
export function localInputValue(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The instant (ms) a datetime-local input's value names in local time and its finest unit (a second or a minute). */
function localInputSpan(value: string): { ms: number; unit: number } | null {
  const ms = new Date(value).getTime(); // a date-time without an offset is local time
  if (Number.isNaN(ms)) return null;
  return { ms, unit: /T\d\d:\d\d:\d\d/.test(value) ? 1000 : 60_000 };
}

/**
 * The RFC 3339 time a datetime-local input's value reads the board at: the last millisecond of the second (or minute)
 * it names, since the input shows no finer, so that the events of that second count. Null when it names no time.
 */
export function timeOfLocalInput(value: string): string | null {
  const s = localInputSpan(value);
  return s && new Date(s.ms + s.unit - 1).toISOString();
}

/**
 * The RFC 3339 time a change "since" a datetime-local input's value comes after: the millisecond before the second
 * (or minute) it names, so that the events of that second count as since. Null when it names no time.
 */
export function timeBeforeLocalInput(value: string): string | null {
  const s = localInputSpan(value);
  return s && new Date(s.ms - 1).toISOString();
}

export class Timeline {
  /** The room's head seq as last heard (tiles answers, the WebSocket's events). */
  head = 0;
  /** The point chosen; null: the room now. */
  private point: PastPoint | null = null;
  private readonly pending: Debounced;
  private readonly host: TimelineHost;

  /** now: the clock of the scrub's debounce, in ms (tests pass a mocked one). */
  constructor(host: TimelineHost, now?: () => number) {
    this.host = host;
    this.pending = new Debounced(() => this.host.show(this.point), now);
  }

  /** Whether the board shows a past point. */
  get past(): boolean {
    return this.point !== null;
  }

  /** The seq of the point chosen: null for now, and for a time until its seq is known. */
  get seq(): number | null {
    return this.point && 'seq' in this.point ? this.point.seq : null;
  }

  /** The point chosen, null for now. */
  get at(): PastPoint | null {
    return this.point;
  }

  /** Opens the timeline at the head: the board stops following the room. */
  open(): void {
    if (this.point) return;
    this.go({ seq: this.head });
  }

  /** Back to the room now. */
  close(): void {
    if (!this.point) return;
    this.pending.cancel();
    this.point = null;
    this.host.show(null);
    this.host.changed();
  }

  /** The slider moved to `value`: the label at once, the board once the slider rests. */
  scrub(value: number): void {
    if (!this.point) return;
    const seq = seqAt(value, this.head);
    if (seq === this.seq) return;
    this.point = { seq };
    this.host.changed();
    this.pending.schedule(SCRUB_REST_MS, SCRUB_MAX_WAIT_MS);
  }

  /** `by` events back (negative) or forward, as the slider moves. */
  step(by: number): void {
    const seq = this.seq;
    if (seq !== null) this.scrub(seq + by);
  }

  /** The board as it was at a time (RFC 3339), read at once. */
  seek(time: string): void {
    if (this.point) this.go({ time });
  }

  /** A read at the point answered that it read `atSeq`: a time chosen now has its seq. */
  resolved(atSeq: number): void {
    if (!this.point || 'seq' in this.point) return;
    this.point = { seq: atSeq };
    this.host.changed();
  }

  /** The room's head is `head` (or further): the slider reaches it. */
  headMoved(head: number): void {
    if (head <= this.head) return;
    this.head = head;
    if (this.point) this.host.changed();
  }

  dispose(): void {
    this.pending.cancel();
  }

  private go(point: PastPoint): void {
    this.pending.cancel();
    this.point = point;
    this.host.show(point);
    this.host.changed();
  }
}

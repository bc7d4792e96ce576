// A call that waits for its callers to rest: the tile loader while the view moves, the timeline while its slider
// is dragged. A bound on the wait keeps a long stream of calls from putting it off for ever.

export class Debounced {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (clock ms); Infinity when none is set. */
  private due = Infinity;
  /** The first schedule() since the call last ran. */
  private since = 0;
  private readonly run: () => void;
  private readonly now: () => number;

  /** now: the clock in ms (tests pass a mocked one). */
  constructor(run: () => void, now: () => number = () => performance.now()) {
    this.run = run;
    this.now = now;
  }

  /** Runs the call after `delay` ms without another schedule(), but never later than `maxWait` after the first one since it last ran. */
  schedule(delay: number, maxWait = Infinity): void {
    const now = this.now();
    if (this.due === Infinity) this.since = now;
    const at = Math.max(now, Math.min(now + delay, this.since + maxWait));
    clearTimeout(this.timer);
    this.due = at;
    this.timer = setTimeout(() => {
      this.due = Infinity;
      this.run();
    }, at - now);
  }

  /** Nothing waits any more. */
  cancel(): void {
    clearTimeout(this.timer);
    this.due = Infinity;
  }
}

/**
 * Runs at most `limit` tasks at once; up to `queue` more wait their turn (first come, first served) and
 * any beyond that are refused at once with the error `busy()` makes, so neither the work in flight nor
 * the waiting line can grow without bound.
 */
export class Bulkhead {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    readonly queue: number,
    private readonly busy: () => Error,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) {
      this.running++;
    } else if (this.waiting.length < this.queue) {
      // The finishing task hands its slot over: running stays at the limit.
      await new Promise<void>((ok) => this.waiting.push(ok));
    } else {
      throw this.busy();
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

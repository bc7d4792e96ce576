/**
 * A job a service runs every few seconds or hours in the background. The timer never keeps the process
 * alive; a failed run is reported and the job simply runs again next time; a run asked for (by the timer or
 * directly) while one is going joins it instead of starting a second; stop() waits for the run in progress,
 * so shutdown never cuts a job in half.
 */
export class PeriodicJob<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;

  constructor(
    private readonly job: () => Promise<T>,
    /** Reports a failed run the timer started (a direct caller of run() gets the rejection instead). */
    private readonly onError: (err: unknown) => void,
  ) {}

  start(intervalMs: number) {
    this.timer = setInterval(() => void this.run().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  /** Runs the job now, or joins the run in progress. */
  run(): Promise<T> {
    this.running ??= this.job().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop() {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}

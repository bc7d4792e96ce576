// The stage's data attributes: what the board shows and how it got there, for the browser tests and the benchmark
// (web/README.md lists them). Written only when a value changes, so that frames cost no style invalidation for nothing.

/** What one drawing of the tiles covered: the visible tiles, those drawn from their own level, those standing in. */
export interface TilesDrawn {
  level: number;
  visible: number;
  drawn: number;
  fallback: number;
}

export class StageData {
  private readonly stage: HTMLElement;
  private last: TilesDrawn = { level: 0, visible: 0, drawn: 0, fallback: 0 };
  private loading = 0;

  constructor(stage: HTMLElement) {
    this.stage = stage;
  }

  set(key: string, value: string): void {
    if (this.stage.dataset[key] !== value) this.stage.dataset[key] = value;
  }

  delete(key: string): void {
    delete this.stage.dataset[key];
  }

  /**
   * The tiles were drawn at a view (a whole picture, or only strips and rectangles of it: `partial`, which counts
   * every visible tile but not the ones standing in).
   */
  tilesDrawn(t: TilesDrawn, partial: boolean, view: { x: number; y: number; z: number }): void {
    this.last = t;
    this.set('tilesVisible', String(t.visible));
    this.set('tilesDrawn', String(t.drawn));
    if (!partial) this.set('tilesFallback', String(t.fallback));
    this.set('drawnLevel', String(t.level));
    this.set('view', `${view.x},${view.y},${view.z}`);
    this.setFilled();
  }

  /** Tile requests in flight: the screen is not filled while any is. */
  tilesLoading(n: number): void {
    this.loading = n;
    this.setFilled();
  }

  /** Filled: every visible tile was drawn from its own level at the last frame, and no tile request is in flight. */
  private setFilled(): void {
    this.set('filled', String(this.last.drawn === this.last.visible && this.loading === 0));
  }
}

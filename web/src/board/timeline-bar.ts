// The timeline bar over the board while it shows the past: a banner saying which point ("Viewing the board as of
// event 12 of 40 · its commit time — Back to live"), a slider over 0..head, one event back and forward, and a
// date-time to read the board at, a timelapse of the view up to the point, and who drew in the view around the point. It draws the Timeline and calls it;
// board.ts shows the board it names.
import { h } from '../dom.ts';
import { eventCommittedAt, viewAuthors } from '../api.ts';
import { COORD_SCALE, MAX_LEVEL, span } from '../geometry.ts';
import { MAX_TILES_PER_REQUEST } from '../tiles.ts';
import { Debounced } from './debounce.ts';
import type { StageData } from './stage-data.ts';
import { authorsLine, authorsSpan, AUTHORS_REST_MS, localInputValue, timeOfLocalInput, type Timeline } from './timeline.ts';
import type { View } from './view.ts';

/** The view's tiles at the finest level from the drawn one whose tiles a request may list, as a region of whole tiles. */
function viewTiles(view: View): { level: number; minX: number; minY: number; maxX: number; maxY: number } {
  let level = view.level();
  let r = view.visibleTiles(level);
  while (level < MAX_LEVEL && (r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1) > MAX_TILES_PER_REQUEST) r = view.visibleTiles(++level);
  const s = span(level) * COORD_SCALE;
  return { level, minX: r.x0 * s, minY: r.y0 * s, maxX: (r.x1 + 1) * s, maxY: (r.y1 + 1) * s };
}

export class TimelineBar {
  readonly el: HTMLElement;
  private readonly label = h('span#timeline-label.timeline-label');
  private readonly slider = h('input#timeline-slider', { type: 'range', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'Point in time' });
  private readonly date = h('input#timeline-date', { type: 'datetime-local', step: 1, title: 'The board as it was at a date and time', 'aria-label': 'Date and time' });
  /** The commit time of the seq the label names (null: no such event), once asked for. */
  private time: { seq: number; ms: number | null } | null = null;
  private readonly authors = h('div#timeline-authors.timeline-authors', { 'aria-live': 'polite' });
  /** The point, view and span the authors line was last asked for. */
  private authorsAsked = '';
  private readonly authorsSoon = new Debounced(() => void this.lookUpAuthors());
  private readonly timeline: Timeline;
  private readonly roomId: string;
  private readonly view: View;
  private readonly data: StageData;

  /** `timelapse`: download a video of the view being drawn up to the point shown. */
  constructor(timeline: Timeline, roomId: string, view: View, data: StageData, timelapse: () => void) {
    this.timeline = timeline;
    this.roomId = roomId;
    this.view = view;
    this.data = data;
    this.slider.addEventListener('input', () => timeline.scrub(Number(this.slider.value)));
    this.date.addEventListener('change', () => {
      const t = timeOfLocalInput(this.date.value);
      if (t) timeline.seek(t);
    });
    this.el = h('div#timeline.timeline', { hidden: true, role: 'region', 'aria-label': 'Timeline' },
      h('div.timeline-banner', {}, 'Viewing the board as of ', this.label, ' — ',
        h('button#timeline-live.primary', { title: 'Back to the board now (Esc)', onclick: () => timeline.close() }, 'Back to live')),
      h('div.timeline-controls', {},
        h('button#timeline-back', { title: 'One event back (,)', 'aria-label': 'One event back', onclick: () => timeline.step(-1) }, '◀'),
        this.slider,
        h('button#timeline-forward', { title: 'One event forward (.)', 'aria-label': 'One event forward', onclick: () => timeline.step(1) }, '▶'),
        this.date,
        h('button#timeline-timelapse', { title: 'Download a video of this view being drawn, from empty to this point', onclick: timelapse }, 'Timelapse')),
      this.authors);
    // The board's shortcuts leave inputs alone: Esc in the slider or the date leaves the timeline here.
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') timeline.close();
    });
  }

  /** Draws the timeline's state: hidden live; the slider, its range and the label in the past. */
  update(): void {
    const { head, seq } = this.timeline;
    this.el.hidden = !this.timeline.past;
    if (!this.timeline.past) {
      this.authorsSoon.cancel();
      this.authorsAsked = '';
      this.authors.textContent = '';
      this.data.delete('viewAuthors');
      return;
    }
    this.slider.max = String(head);
    if (seq !== null) this.slider.value = String(seq);
    this.label.textContent = this.describe();
    this.authorsSoon.schedule(AUTHORS_REST_MS);
  }

  /** The view moved: who drew in it around the point, once it rests. */
  viewMoved(): void {
    if (this.timeline.past) this.authorsSoon.schedule(AUTHORS_REST_MS);
  }

  dispose(): void {
    this.authorsSoon.cancel();
  }

  /** Who drew in the view around the timeline's seq goes under the controls and in data-view-authors (seq:names). */
  private async lookUpAuthors(): Promise<void> {
    const seq = this.timeline.seq;
    if (seq === null) return;
    const { level, ...region } = viewTiles(this.view);
    const spanEvents = authorsSpan(this.timeline.head);
    const asked = `${seq}:${spanEvents}:${level}:${region.minX}:${region.minY}:${region.maxX}:${region.maxY}`;
    if (asked === this.authorsAsked) return;
    this.authorsAsked = asked;
    const answer = await viewAuthors(this.roomId, level, region, seq, spanEvents).catch(() => null);
    if (this.authorsAsked !== asked) return; // the point or the view moved on meanwhile
    if (!answer) {
      this.authorsAsked = ''; // asked again at the next change
      this.authors.textContent = '';
      return;
    }
    this.authors.textContent = authorsLine(answer.authors) + (answer.partial ? ' (and maybe others before)' : '');
    this.data.set('viewAuthors', `${seq}:${answer.authors.map((a) => a.displayName).join(',')}`);
  }

  /** The board is being read at the timeline's seq: its commit time goes in the label and the date. */
  async lookUpTime(): Promise<void> {
    const seq = this.timeline.seq;
    if (seq === null || this.time?.seq === seq) return;
    this.time = { seq, ms: null };
    const ms = await eventCommittedAt(this.roomId, seq).catch(() => null);
    if (this.time.seq !== seq) return; // the point moved on meanwhile
    this.time.ms = ms;
    if (ms !== null && document.activeElement !== this.date) this.date.value = localInputValue(ms);
    this.update();
  }

  private describe(): string {
    const { head, seq, at } = this.timeline;
    if (seq === null) return at && 'time' in at ? `${new Date(at.time).toLocaleString()} (finding its last event…)` : '';
    if (seq === 0) return `the start (before the first event) · event 0 of ${head}`;
    const when = this.time?.seq === seq && this.time.ms !== null ? ` · ${new Date(this.time.ms).toLocaleString()}` : '';
    return `event ${seq} of ${head}${when}`;
  }
}

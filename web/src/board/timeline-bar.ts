// The timeline bar over the board while it shows the past: a banner saying which point ("Viewing the board as of
// event 12 of 40 · its commit time — Back to live"), a slider over 0..head, one event back and forward, and a
// date-time to read the board at. It draws the Timeline and calls it; board.ts shows the board it names.
import { h } from '../dom.ts';
import { eventCommittedAt } from '../api.ts';
import { localInputValue, timeOfLocalInput, type Timeline } from './timeline.ts';

export class TimelineBar {
  readonly el: HTMLElement;
  private readonly label = h('span#timeline-label.timeline-label');
  private readonly slider = h('input#timeline-slider', { type: 'range', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'Point in time' });
  private readonly date = h('input#timeline-date', { type: 'datetime-local', step: 1, title: 'The board as it was at a date and time', 'aria-label': 'Date and time' });
  /** The commit time of the seq the label names (null: no such event), once asked for. */
  private time: { seq: number; ms: number | null } | null = null;
  private readonly timeline: Timeline;
  private readonly roomId: string;

  constructor(timeline: Timeline, roomId: string) {
    this.timeline = timeline;
    this.roomId = roomId;
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
        this.date));
    // The board's shortcuts leave inputs alone: Esc in the slider or the date leaves the timeline here.
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') timeline.close();
    });
  }

  /** Draws the timeline's state: hidden live; the slider, its range and the label in the past. */
  update(): void {
    const { head, seq } = this.timeline;
    this.el.hidden = !this.timeline.past;
    if (!this.timeline.past) return;
    this.slider.max = String(head);
    if (seq !== null) this.slider.value = String(seq);
    this.label.textContent = this.describe();
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

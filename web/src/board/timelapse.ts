// Timelapse: a region being drawn, downloaded as a WebM video that the server renders (GET /api/rooms/:id/timelapse)
// from empty to now, or to the timeline's point while it shows the past. While it renders, a card shows the frames
// done (GET …/timelapse/progress/:token, polled with a token chosen here) and can cancel the download.
import { h, download, toast } from '../dom.ts';
import { failureMessage, timelapseProgress, type Region, type TimelapseProgress } from '../api.ts';
import { exportFileName, timelapseSize } from './export-area.ts';
import type { PastPoint } from '../tiles.ts';
import type { StageData } from './stage-data.ts';

/** How often the card asks how far the render is. */
const PROGRESS_POLL_MS = 250;

/** The query parameter that ends a timelapse at a point (`to` or `toTime`). */
function toQuery(p: PastPoint): string {
  return 'seq' in p ? `to=${p.seq}` : `toTime=${encodeURIComponent(p.time)}`;
}

export interface TimelapseHost {
  readonly roomId: string;
  readonly boardName: string;
  readonly data: StageData;
}

/** One timelapse download at a time, with its progress card. */
export class TimelapseDownload {
  readonly el: HTMLElement;
  private readonly label = h('span.timelapse-label', { role: 'status' });
  private readonly bar = h('progress#timelapse-bar', { max: 1, value: 0 });
  private abort: AbortController | null = null;
  private readonly host: TimelapseHost;

  constructor(host: TimelapseHost) {
    this.host = host;
    this.el = h('div#timelapse-status.timelapse-status', { hidden: true, role: 'region', 'aria-label': 'Timelapse' },
      this.label, this.bar, h('button#timelapse-cancel', { onclick: () => this.abort?.abort() }, 'Cancel'));
  }

  get running(): boolean {
    return this.abort !== null;
  }

  /** Renders and downloads the region from empty to `to` (null: now). */
  async start(region: Region, to: PastPoint | null): Promise<void> {
    const size = timelapseSize(region);
    if (!size.fits) return toast(`This area is too thin for a video (${size.w} × ${size.h} px): select a taller one`);
    if (this.abort) return;
    const abort = (this.abort = new AbortController());
    const token = randomToken();
    const { data } = this.host;
    data.set('timelapse', 'rendering');
    this.show({ framesDone: 0, frames: 0, state: 'rendering' });
    this.el.hidden = false;
    const polling = this.poll(token, abort.signal);
    try {
      const q = `minX=${region.minX}&minY=${region.minY}&maxX=${region.maxX}&maxY=${region.maxY}&width=${size.w}&progress=${token}${to ? `&${toQuery(to)}` : ''}`;
      const res = await fetch(`/api/rooms/${this.host.roomId}/timelapse?${q}`, { credentials: 'same-origin', signal: abort.signal });
      if (!res.ok) throw new Error(await failureMessage(res));
      const frames = res.headers.get('x-timelapse-frames') ?? '?';
      download(await res.blob(), exportFileName(this.host.boardName, '-timelapse.webm'));
      data.set('timelapseFrames', frames);
      data.set('timelapse', 'done');
      toast(`Timelapse downloaded: ${frames} frames at ${res.headers.get('x-timelapse-frame-rate') ?? '?'}/s`);
    } catch (e) {
      const cancelled = abort.signal.aborted;
      data.set('timelapse', cancelled ? 'cancelled' : 'failed');
      toast(cancelled ? 'Timelapse cancelled' : `Timelapse failed: ${(e as Error).message}`);
    } finally {
      this.abort = null;
      abort.abort(); // ends the polling
      await polling;
      this.el.hidden = true;
    }
  }

  /** Asks how far the render is until the download ends; what it learns goes on the card. */
  private async poll(token: string, ended: AbortSignal): Promise<void> {
    while (!ended.aborted) {
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, PROGRESS_POLL_MS);
        ended.addEventListener('abort', () => (clearTimeout(timer), ok()), { once: true });
      });
      if (ended.aborted) return;
      const p = await timelapseProgress(this.host.roomId, token).catch(() => null);
      if (p && !ended.aborted) this.show(p);
    }
  }

  private show(p: TimelapseProgress): void {
    this.bar.value = p.frames ? p.framesDone / p.frames : 0;
    this.label.textContent =
      p.state === 'done' ? 'Timelapse rendered, downloading…' : p.frames ? `Rendering timelapse: frame ${p.framesDone} of ${p.frames}` : 'Planning timelapse…';
    if (p.frames) this.host.data.set('timelapseProgress', `${p.framesDone}/${p.frames}`);
  }
}

/** 24 random base64url characters: the token only this tab knows. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}

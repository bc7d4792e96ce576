// Export as PNG: the view as it is on screen (Shift+S), or a world rectangle dragged with the select tool and rendered
// by the server at 1×, 2× or 4× its size on screen (GET /api/rooms/:id/export.png; at the timeline's point while it
// shows the past), with its size and whether the server would take it shown before asking. In the past, editors and
// owners may also restore the rectangle to the point shown (POST /api/rooms/:id/restore), as one action of theirs. Anyone
// may download a timelapse of it (timelapse.ts).
import { h, download, toast } from '../dom.ts';
import { ApiError, failureMessage, restoreRegion, type HistoryAction, type Region, type Room } from '../api.ts';
import { pointQuery, type PastPoint } from '../tiles.ts';
import { exportFileName, exportSize, isClick, rectBetween, regionOf, EXPORT_SCALES, type WorldRect } from './export-area.ts';
import { EXPORT_MAX_PIXELS, EXPORT_MAX_SIDE } from '../gen/limits.ts';
import type { StageData } from './stage-data.ts';
import type { View } from './view.ts';

/** Downloads the canvas as a PNG on white (the board is white; the canvas is transparent where nothing is drawn). */
export function exportView(canvas: HTMLCanvasElement, boardName: string): void {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const o = out.getContext('2d')!;
  o.fillStyle = '#fff';
  o.fillRect(0, 0, out.width, out.height);
  o.drawImage(canvas, 0, 0);
  out.toBlob((blob) => {
    if (!blob) return toast('Export failed');
    download(blob, exportFileName(boardName, '.png'));
  }, 'image/png');
}

export interface AreaHost {
  readonly room: Room;
  readonly view: View;
  readonly data: StageData;
  /** The outline and panel follow the view in frames: this asks for one. */
  redraw(): void;
  /** The past point shown, null now: exports read the board there. */
  point(): PastPoint | null;
  /** The seq an area may be restored to: the timeline's, for editors and owners; null otherwise (no restore button). */
  restorePoint(): number | null;
  /** A restore of the area committed (one's own action, to undo). */
  restored(a: HistoryAction): void;
  /** Download a timelapse of the region (up to the point shown). */
  timelapse(region: Region): void;
}

export class AreaExport {
  /** The outline of the area, over the canvas. */
  readonly box: HTMLElement;
  /** Scale buttons, size and the download button, next to the area. */
  readonly panel: HTMLElement;
  private readonly size = h('span.selection-size');
  private readonly scaleButtons: HTMLButtonElement[];
  private readonly message = h('span.export-msg', { role: 'status' });
  private readonly go: HTMLButtonElement;
  private readonly restoreButton: HTMLButtonElement;
  /** Where the drag began (world), while it goes on. */
  private anchor: [number, number] | null = null;
  private area: WorldRect | null = null;
  private scale = 1;
  private exporting = false;
  private restoring = false;
  private readonly host: AreaHost;
  private readonly view: View;
  private readonly data: StageData;

  constructor(host: AreaHost) {
    this.host = host;
    this.view = host.view;
    this.data = host.data;
    this.box = h('div#selection.selection', { hidden: true, 'aria-hidden': 'true' }, this.size);
    this.scaleButtons = EXPORT_SCALES.map((f) => h('button.scale', { 'data-scale': f, title: `${f}× the size on screen`, onclick: () => this.setScale(f) }, `${f}×`));
    this.go = h('button.primary', { id: 'export-area', onclick: () => void this.download() }, 'Download PNG');
    const timelapse = h('button#timelapse-area', {
      title: 'Download a video of this area being drawn, from empty to the point shown', onclick: () => this.timelapse(),
    }, 'Timelapse video');
    this.restoreButton = h('button#restore-area', {
      hidden: true, onclick: () => void this.restore(),
      title: 'Erase what was drawn here since this point and bring back what was erased here since, as one action of yours ' +
        '(Ctrl+Z undoes it); the board then goes back to live',
    }, 'Restore this area to this point');
    this.panel = h('div#export-panel.export-panel', { hidden: true, role: 'dialog', 'aria-label': 'The selected area' },
      h('span.export-title', {}, 'Scale'), h('span.scales', {}, ...this.scaleButtons), this.message, this.go, timelapse, this.restoreButton,
      h('button#export-cancel', { title: 'Cancel (Esc)', onclick: () => this.clear() }, 'Cancel'));
  }

  /** An area is being dragged or is chosen. */
  get active(): boolean {
    return this.area !== null;
  }

  /** An area is being dragged. */
  get dragging(): boolean {
    return this.anchor !== null;
  }

  /** The drag begins at a world point. */
  begin(wx: number, wy: number): void {
    this.anchor = [wx, wy];
    this.area = rectBetween(wx, wy, wx, wy);
    this.panel.hidden = true;
  }

  drag(wx: number, wy: number): void {
    if (!this.anchor) return;
    this.area = rectBetween(this.anchor[0], this.anchor[1], wx, wy);
    this.host.redraw();
  }

  /** The drag ended: a click (or a cancelled drag) is no area; an area gets its panel. */
  end(cancelled: boolean): void {
    this.anchor = null;
    if (cancelled || !this.area || isClick(this.area, this.view.z)) this.clear();
    else this.panel.hidden = false;
    this.host.redraw();
  }

  clear(): void {
    this.anchor = null;
    this.area = null;
    this.box.hidden = true;
    this.panel.hidden = true;
    this.data.delete('selection');
  }

  /** Once per frame: the outline where the world rectangle is now, its size, and the scale buttons. */
  place(): void {
    const a = this.area;
    if (!a) return;
    const [x, y] = this.view.toScreen(a.x0, a.y0);
    const w = (a.x1 - a.x0) * this.view.z;
    const hh = (a.y1 - a.y0) * this.view.z;
    this.box.hidden = false;
    this.box.style.transform = `translate(${x}px, ${y}px)`;
    this.box.style.width = `${w}px`;
    this.box.style.height = `${hh}px`;
    const sz = exportSize(a, this.view.z, this.scale);
    this.size.textContent = `${sz.w} × ${sz.h} px`;
    this.data.set('selection', `${sz.minX},${sz.minY},${sz.maxX},${sz.maxY},${sz.w},${sz.h}`);
    for (const b of this.scaleButtons) {
      const f = Number(b.dataset.scale);
      const o = exportSize(a, this.view.z, f);
      b.classList.toggle('active', f === this.scale);
      b.classList.toggle('too-big', !o.fits);
      b.title = o.fits ? `${f}× the size on screen: ${o.w} × ${o.h} px` : `${f}× is ${o.w} × ${o.h} px: too big`;
    }
    this.message.textContent = sz.fits ? '' : `Too big: the server renders at most ${EXPORT_MAX_SIDE} px a side and ${EXPORT_MAX_PIXELS / 1024 / 1024} Mpx. Pick a smaller scale or area.`;
    this.message.classList.toggle('error', !sz.fits);
    this.go.disabled = !sz.fits || this.exporting;
    this.restoreButton.hidden = this.host.restorePoint() === null;
    this.restoreButton.disabled = this.restoring;
    if (!this.panel.hidden) {
      // Under the area, or above it near the bottom (clear of the toolbar), kept inside the stage.
      const pw = this.panel.offsetWidth;
      const ph = this.panel.offsetHeight;
      const px = Math.min(Math.max(8, x), this.view.width - pw - 8);
      const py = y + hh + 8 + ph < this.view.height - 70 ? y + hh + 8 : Math.max(8, y - ph - 8);
      this.panel.style.transform = `translate(${px}px, ${py}px)`;
    }
  }

  private setScale(f: number): void {
    this.scale = f;
    this.host.redraw();
  }

  /** Restores the area to the timeline's point; 409 is the server saying that nothing there changed since. */
  private async restore(): Promise<void> {
    const at = this.host.restorePoint();
    if (!this.area || at === null || this.restoring) return;
    this.restoring = true;
    this.data.set('restore', 'pending');
    try {
      const a = await restoreRegion(this.host.room.id, regionOf(this.area), at);
      this.data.set('restore', 'done');
      this.clear();
      this.host.restored(a);
    } catch (e) {
      const nothing = e instanceof ApiError && e.status === 409;
      this.data.set('restore', nothing ? 'nothing' : 'failed');
      toast(nothing ? 'Nothing to restore here' : `Restore failed: ${(e as Error).message}`);
    } finally {
      this.restoring = false;
      this.host.redraw();
    }
  }

  private timelapse(): void {
    if (!this.area) return;
    this.host.timelapse(regionOf(this.area));
    this.clear();
  }

  private async download(): Promise<void> {
    if (!this.area || this.exporting) return;
    const sz = exportSize(this.area, this.view.z, this.scale);
    if (!sz.fits) return toast(this.message.textContent ?? 'Too big');
    this.exporting = true;
    this.go.disabled = true;
    this.data.set('export', 'loading');
    try {
      const at = this.host.point();
      const q = `minX=${sz.minX}&minY=${sz.minY}&maxX=${sz.maxX}&maxY=${sz.maxY}&width=${sz.w}${at ? `&${pointQuery(at)}` : ''}`;
      const res = await fetch(`/api/rooms/${this.host.room.id}/export.png?${q}`, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(await failureMessage(res));
      download(await res.blob(), exportFileName(this.host.room.name, '.png'));
      this.data.set('export', 'done');
      this.clear();
    } catch (e) {
      this.data.set('export', 'failed');
      toast(`Export failed: ${(e as Error).message}`);
    } finally {
      this.exporting = false;
      this.go.disabled = false;
      this.host.redraw();
    }
  }
}

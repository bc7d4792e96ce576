// Pointer input on the canvas: mouse, pen (with pressure and coalesced events) and touch (one finger like a mouse, two
// to pan and pinch-zoom), and the wheel. The listeners are thin: they turn events into world points and call the
// stroke being drawn, the eraser, the area export or the view.
import { MAX_HIT_RADIUS } from '../tiles.ts';
import { newId } from '../ids.ts';
import type { ClientBody } from '../outbox.ts';
import { COORD_SCALE, type Decoded } from '../geometry.ts';
import type { Stroke } from '../gen/infidraw/stroke/v1/stroke.ts';
import type { AreaExport } from './export.ts';
import type { BoardModel } from './model.ts';
import type { ObjectEraser } from './object-eraser.ts';
import { StrokeBuilder, strokeStyle } from './stroke-builder.ts';
import type { Toolbar } from './toolbar.ts';
import { wheelZoomFactor, type DragStart, type Pinch } from './view.ts';

/** The object eraser's radius is this many times the chosen width (screen pixels). */
const ERASER_RADIUS = 1.5;
/** The wheel has rested this long (ms) when the zoom's previews give way to a full picture. */
const WHEEL_REST_MS = 150;

export interface InputHost {
  readonly model: BoardModel;
  readonly toolbar: Toolbar;
  readonly eraser: ObjectEraser;
  readonly area: AreaExport;
  /** Whether the pointer may draw and erase: an editor's, on the board now (not the timeline's past). */
  canDraw(): boolean;
  /** The view moved; `drag`: by a drag, which loads the tiles it uncovers as it goes. */
  moved(drag?: boolean): void;
  /** Something over the picture changed (`full`: the picture too). */
  invalidate(full: boolean): void;
  /** Run the next frame (it sends the cursor and live points). */
  schedule(): void;
  /** While the wheel zooms, frames may show the last picture scaled. */
  previewZoom(on: boolean): void;
  /** Ephemeral messages: live points, the cursor. */
  send(body: ClientBody): void;
  /** A finished stroke of one's own. */
  commit(s: Stroke): void;
  /** A drag pans (the page shows the grabbing hand). */
  panning(on: boolean): void;
}

export class PointerInput {
  /** Space is held: a drag pans whatever the tool. */
  spaceHeld = false;
  private drawing: StrokeBuilder | null = null;
  private pan: DragStart | null = null;
  /** Touch points down, by pointer id (client CSS pixels). */
  private readonly touches = new Map<number, { x: number; y: number }>();
  private pinch: Pinch | null = null;
  /** The pointer moved to this world point since the last frame: sent as the cursor. */
  private cursor: [number, number] | null = null;
  private wheelTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly canvas: HTMLCanvasElement;
  private readonly host: InputHost;

  constructor(canvas: HTMLCanvasElement, host: InputHost) {
    this.canvas = canvas;
    this.host = host;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
  }

  /** The stroke being drawn here, if any. */
  get stroke(): Decoded | null {
    return this.drawing?.decoded() ?? null;
  }

  /** Once per frame: the new points of the stroke being drawn and the cursor. True while a stroke is drawn. */
  flush(): boolean {
    const d = this.drawing;
    if (d) {
      const live = d.live();
      if (live) this.host.send(live);
    }
    if (this.cursor) {
      const [x, y] = this.cursor;
      this.host.send({ $case: 'cursorMove', value: { x: Math.round(x * COORD_SCALE), y: Math.round(y * COORD_SCALE) } });
      this.cursor = null;
    }
    return !!d && d.points > 0;
  }

  dispose(): void {
    clearTimeout(this.wheelTimer);
  }

  private down(e: PointerEvent): void {
    const { model, toolbar } = this.host;
    const canDraw = this.host.canDraw();
    this.canvas.focus({ preventScroll: true });
    if (e.pointerType === 'touch') {
      this.touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (this.touches.size === 2) {
        // A second finger: whatever the first one began is cancelled, the two pan and zoom.
        this.endStroke(true);
        this.host.eraser.end(true);
        this.pan = null;
        this.pinch = this.pinchOf();
        this.canvas.setPointerCapture(e.pointerId);
        return;
      }
    }
    if (this.touches.size > 2) return;
    this.canvas.setPointerCapture(e.pointerId);
    const tool = toolbar.tool;
    if (e.button === 1 || this.spaceHeld || tool === 'hand' || (e.button === 0 && !canDraw && tool !== 'select')) {
      this.pan = model.view.dragStart(e.clientX, e.clientY);
      this.host.panning(true);
      e.preventDefault();
      return;
    }
    if (tool === 'select' && e.button === 0) {
      this.host.area.begin(...this.toWorld(e));
      this.host.schedule();
      return;
    }
    if (e.button !== 0 || !canDraw) return;
    if (tool === 'eraser') {
      this.host.eraser.begin();
      this.eraseAt(e);
    } else if (tool === 'pen' || tool === 'highlighter' || tool === 'pixel') {
      this.drawing = new StrokeBuilder(newId(), strokeStyle(tool, toolbar.colour, toolbar.widthPx, model.view.z), e.pointerType === 'pen');
      this.addPoint(e);
    }
    this.host.schedule();
  }

  private move(e: PointerEvent): void {
    const view = this.host.model.view;
    if (this.touches.has(e.pointerId)) this.touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.pinch && this.touches.size === 2) {
      const p = this.pinchOf();
      view.pinch(this.pinch, p);
      this.pinch = p;
      this.host.moved();
      return;
    }
    this.cursor = this.toWorld(e);
    this.host.schedule();
    if (this.pan) {
      view.dragTo(this.pan, e.clientX, e.clientY);
      this.host.moved(true);
    } else if (this.host.area.dragging) {
      this.host.area.drag(...this.toWorld(e));
    } else if (this.drawing) {
      for (const ce of coalesced(e)) this.addPoint(ce);
    } else if (this.host.eraser.active) {
      for (const ce of coalesced(e)) this.eraseAt(ce);
    }
  }

  private up(e: PointerEvent): void {
    const cancel = e.type === 'pointercancel';
    this.touches.delete(e.pointerId);
    if (this.pinch) {
      if (this.touches.size < 2) this.pinch = null;
      return;
    }
    if (this.pan) {
      this.pan = null;
      this.host.panning(false);
    }
    this.endStroke(cancel);
    this.host.eraser.end(cancel);
    if (this.host.area.dragging) this.host.area.end(cancel);
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const view = this.host.model.view;
    if (e.shiftKey && !e.ctrlKey) {
      view.scrollX(e.deltaY || e.deltaX);
      this.host.moved(true);
      return;
    }
    const r = this.canvas.getBoundingClientRect();
    view.zoomTo(view.z * wheelZoomFactor(e.deltaY, e.deltaMode, e.ctrlKey), e.clientX - r.left, e.clientY - r.top);
    this.host.moved();
    this.host.previewZoom(true);
    clearTimeout(this.wheelTimer);
    this.wheelTimer = setTimeout(() => {
      this.host.previewZoom(false);
      this.host.moved();
    }, WHEEL_REST_MS);
  }

  private addPoint(e: PointerEvent): void {
    this.drawing?.add(...this.toWorld(e), e.pressure);
  }

  /** The object eraser at the pointer, with a radius of ERASER_RADIUS × the width on screen (the server's bound at most). */
  private eraseAt(e: PointerEvent): void {
    const r = Math.min(MAX_HIT_RADIUS, (this.host.toolbar.widthPx * ERASER_RADIUS) / this.host.model.view.z);
    this.host.eraser.at(...this.toWorld(e), r);
  }

  /** The stroke being drawn ends: its last points and its end go to the others, and it is committed unless cancelled. */
  private endStroke(cancel: boolean): void {
    const d = this.drawing;
    if (!d) return;
    this.flush();
    this.drawing = null;
    const end = d.end(cancel);
    if (end) this.host.send(end);
    if (!cancel && d.points) this.host.commit(d.stroke());
    this.host.invalidate(false);
  }

  private toWorld(e: { clientX: number; clientY: number }): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return this.host.model.view.toWorld(e.clientX - r.left, e.clientY - r.top);
  }

  /** The two touches: their distance and midpoint in canvas CSS pixels. */
  private pinchOf(): Pinch {
    const [a, b] = [...this.touches.values()];
    const r = this.canvas.getBoundingClientRect();
    return { d: Math.hypot(a.x - b.x, a.y - b.y), cx: (a.x + b.x) / 2 - r.left, cy: (a.y + b.y) / 2 - r.top };
  }
}

/** The events a pointermove coalesced (every point the pen passed), or the event itself. */
function coalesced(e: PointerEvent): PointerEvent[] {
  const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
  return events.length ? events : [e];
}

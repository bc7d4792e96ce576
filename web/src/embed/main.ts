// The read-only embed of a share link (/embed/:linkToken; docs/architecture.md, "Embeds"): the board's tiles read
// through the link, panned and zoomed here, kept up to date by the link's event stream (Server-Sent Events). No
// account, cookie or WebSocket: a third-party iframe often has none. It reuses the board's view, tile store, loader,
// painter and renderer. Every read is pinned to the seq the stream named, so that all viewers of the embed ask the
// same URLs and an HTTP cache in front of the gateway answers most of them.
import '../style.css';
import { h } from '../dom.ts';
import { previewLink, type LinkPreview } from '../api.ts';
import { Debounced } from '../board/debounce.ts';
import { BoardModel } from '../board/model.ts';
import { Renderer } from '../board/renderer.ts';
import { StageData } from '../board/stage-data.ts';
import { DRAG_LOAD_MS, TileLoader, TILES_DEBOUNCE_MS } from '../board/tile-loader.ts';
import { TilePainter } from '../board/tile-painter.ts';
import { wheelZoomFactor, ZOOM_STEP, zoomLabel, type DragStart, type Pinch } from '../board/view.ts';
import { parseChange, PendingChanges, touches, type Change } from './changes.ts';

/** Changes are read this long after the first of a burst (ms): a burst makes one read. */
const CHANGES_WAIT_MS = 250;
/** Without a first event from the stream this long (ms), the tiles are read as they are now. */
const STREAM_WAIT_MS = 2000;
/** Tiles are asked for in aligned blocks of BLOCK × BLOCK (64 tiles): the same URLs for every viewer's view. */
const BLOCK = 8;
/** A stream the gateway refused (at its limit, say) is opened again after this long (ms). */
const REOPEN_MS = 30_000;

const root = document.getElementById('embed')!;
const token = /^\/embed\/([A-Za-z0-9_-]{32})$/.exec(location.pathname)?.[1];

function fail(message: string): void {
  root.replaceChildren(h('p.embed-ended', { id: 'embed-error' }, message));
}

if (!token) fail('This is not an embed link.');
else previewLink(token).then((p) => mountEmbed(token, p), (e: unknown) => fail(`This board cannot be shown: ${e instanceof Error ? e.message : String(e)}`));

function mountEmbed(token: string, link: LinkPreview): void {
  document.title = `${link.roomName} · infidraw`;
  const model = new BoardModel('viewer', []);
  const view = model.view;
  const stage = h('div#stage.stage', { 'data-stream': 'connecting' });
  const data = new StageData(stage);
  const canvas = h('canvas#board-canvas', { 'aria-label': `${link.roomName} (view only)`, tabindex: 0 });
  const zoom = h('span.zoom-label');
  const header = h('header.board-header', {},
    h('h1.room-name', { title: link.roomName }, link.roomName), h('span.role', {}, 'view only'), h('span.spacer'),
    h('button', { title: 'Zoom out', 'aria-label': 'Zoom out', onclick: () => zoomBy(1 / ZOOM_STEP) }, '−'), zoom,
    h('button', { title: 'Zoom in', 'aria-label': 'Zoom in', onclick: () => zoomBy(ZOOM_STEP) }, '+'),
    h('a', { href: '/', target: '_blank', rel: 'noopener' }, 'infidraw'));
  stage.append(canvas);
  const page = h('div.embed-page', {}, header, stage);
  root.replaceChildren(page);

  const painter = new TilePainter({ view, tiles: model.tiles, committed: model.committed, hidden: () => false });
  /** The changes told after the seq the tiles are read at; null until that seq is known. */
  let changes: PendingChanges | null = null;
  const loader = new TileLoader({
    roomId: link.roomId, tilesUrl: `/api/embed/${token}/tiles`, blockTiles: BLOCK, view, tiles: model.tiles, painter, data,
    changed: () => renderer.requestFrame(),
    // A first read of now (the stream was late): its point is the one read from then on.
    answered: (a) => {
      if (changes === null) queueMicrotask(() => pin(a.atSeq));
    },
  });
  const renderer: Renderer = new Renderer(canvas, model, painter, data, {
    beforeFrame: () => false,
    drawing: () => null,
    afterFrame: () => (zoom.textContent = zoomLabel(view.z)),
  });
  let reading = false;
  const readChanges = new Debounced(() => {
    if (!changes) return;
    const c = changes.take();
    readAt(c);
  });

  /** Reads the tiles at a change's seq from now on: those it touches again (all when it names no areas). */
  function readAt(c: Change): void {
    const areas = c.areas;
    loader.readAt({ seq: c.seq }, areas ? (t) => touches(areas, t) : undefined);
    data.set('embedSeq', String(c.seq));
    reading = true;
  }

  /** From now on the tiles are read at `seq`, and changes after it are told. */
  function pin(seq: number): void {
    if (changes) return;
    changes = new PendingChanges(seq);
    readAt({ seq, areas: [] });
  }

  function changed(c: Change): void {
    data.set('changes', String(Number(stage.dataset.changes ?? 0) + 1));
    if (!changes) pin(c.seq);
    else if (changes.add(c)) readChanges.schedule(CHANGES_WAIT_MS, CHANGES_WAIT_MS);
  }

  // ---- the event stream
  let source: EventSource | null = null;
  let reopen: ReturnType<typeof setTimeout> | undefined;
  function open(): void {
    source = new EventSource(`/api/embed/${token}/events`);
    source.addEventListener('open', () => data.set('stream', 'open'));
    source.addEventListener('changed', (e) => {
      const c = parseChange((e as MessageEvent<string>).data);
      if (c) changed(c);
    });
    source.addEventListener('ended', () => {
      // What is on screen stays; nothing is read any more (the link no longer works).
      source?.close();
      loader.pause();
      readChanges.cancel();
      data.set('stream', 'ended');
      stage.append(h('p.embed-ended', {}, 'This board is no longer shared here.'));
    });
    source.addEventListener('error', () => {
      // EventSource reconnects by itself after a network error; an HTTP error (403, 410, 503) closes it for good.
      if (source?.readyState !== EventSource.CLOSED) return data.set('stream', 'connecting');
      data.set('stream', 'closed');
      if (!reading) readNow();
      reopen = setTimeout(open, REOPEN_MS);
    });
  }
  /** Reads the tiles as they are now (the stream has not named a seq yet). */
  function readNow(): void {
    if (reading) return;
    reading = true;
    loader.schedule(0);
  }
  open();
  const streamLate = setTimeout(readNow, STREAM_WAIT_MS);

  // ---- pan and zoom: drag, wheel, the buttons
  function moved(drag = false): void {
    renderer.moved();
    if (reading) loader.schedule(TILES_DEBOUNCE_MS, drag ? DRAG_LOAD_MS : Infinity);
  }
  function zoomBy(f: number): void {
    view.zoomBy(f);
    moved();
  }
  // One pointer drags; two pinch (zoom around their midpoint, follow it).
  const pointers = new Map<number, [number, number]>();
  let drag: DragStart | null = null;
  let pinch: Pinch | null = null;
  const pinchNow = (): Pinch => {
    const r = canvas.getBoundingClientRect();
    const [[ax, ay], [bx, by]] = [...pointers.values()];
    return { d: Math.hypot(ax - bx, ay - by), cx: (ax + bx) / 2 - r.left, cy: (ay + by) / 2 - r.top };
  };
  const regrip = () => {
    const [first] = [...pointers.values()];
    pinch = pointers.size >= 2 ? pinchNow() : null;
    drag = pointers.size === 1 ? view.dragStart(first[0], first[1]) : null;
    page.classList.toggle('panning', pointers.size > 0);
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (pointers.size >= 2) return;
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    regrip();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    if (pinch) {
      const to = pinchNow();
      view.pinch(pinch, to);
      pinch = to;
    } else if (drag) view.dragTo(drag, e.clientX, e.clientY);
    moved(true);
  });
  const release = (e: PointerEvent) => {
    if (!pointers.delete(e.pointerId)) return;
    regrip();
    moved();
  };
  canvas.addEventListener('pointerup', release);
  canvas.addEventListener('pointercancel', release);
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    view.zoomTo(view.z * wheelZoomFactor(e.deltaY, e.deltaMode, e.ctrlKey), e.clientX - r.left, e.clientY - r.top);
    moved();
  }, { passive: false });

  function resize(): void {
    view.resize(stage.clientWidth, stage.clientHeight, window.devicePixelRatio || 1);
    renderer.resize();
    renderer.invalidate(true);
    if (reading) loader.schedule();
  }
  resize();
  new ResizeObserver(resize).observe(stage);
  window.addEventListener('pagehide', () => {
    clearTimeout(streamLate);
    clearTimeout(reopen);
    source?.close();
  });
}

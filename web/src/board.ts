// The board: an infinite canvas with pan/zoom, pen/highlighter/erasers, live strokes and cursors of others.
import { h, clear, download, toast } from './dom';
import {
  decodeStroke, decodeQuantized, decodePressures, deltaEncode, drawStroke, encodePoints, fromQuantized, hexToRgba, hitStroke, reach,
  levelFor, span, COORD_SCALE, MAX_LEVEL, MAX_WIDTH, MIN_WIDTH, StrokeBudget, TOOL_HIGHLIGHTER, TOOL_PEN, TOOL_PIXEL_ERASER, type Decoded, type Mapping,
} from './geometry';
import { fetchStrokesAt, fetchTiles, loadSnapshot, tileKey, tileRange, MAX_HIT_RADIUS, type Tile } from './tiles';
import { RoomConnection, hex, newId, type ConnState } from './net';
import type { Room, User } from './api';
import type { Peer } from './gen/infidraw/realtime/v1/frames';
import type { Stroke } from './gen/infidraw/stroke/v1/stroke';
import { Role } from './gen/infidraw/room/v1/event';

type ToolName = 'hand' | 'pen' | 'highlighter' | 'eraser' | 'pixel' | 'select';
const PALETTE = ['#1e1e1e', '#e03131', '#f08c00', '#2f9e44', '#1971c2', '#7048e8', '#c2255c', '#ffffff'];
const WIDTHS = [2, 4, 8, 16, 32];
const MIN_ZOOM = 2 ** -16;
const MAX_ZOOM = 16;
/** A server hit test covers queued eraser points at most this many eraser radii apart (the rest waits its turn). */
const LOOKUP_SPAN = 4;
/** GET /api/rooms/:id/export.png renders at most this many pixels a side and in all (tile-delta-go ExportRegion). */
const EXPORT_MAX_SIDE = 4096;
/**
 * Tiles larger than this on screen (device pixels) are drawn directly, not from a composed canvas; composed canvases
 * are kept up to COMPOSED_MAX_BYTES of pixels (a 1920×1080 screen shows up to about 160 tiles of 128 px).
 */
const COMPOSE_MAX_PX = 1024;
const COMPOSED_MAX_BYTES = 96 * 1024 * 1024;
const COMPOSE_BUDGET_MS = 6;
/** While the wheel zooms, a full picture at least this often (ms); scaled previews of the last one in between. */
const PREVIEW_MS = 200;
const EXPORT_MAX_PIXELS = 16 * 1024 * 1024;
/** Output scales of an area export, relative to the area's size on screen (1× = as seen, in CSS pixels). */
const EXPORT_SCALES = [1, 2, 4];

interface Rec {
  id: string;
  seq: number;
  d: Decoded;
  erased: boolean;
}

interface Drawing {
  id: Uint8Array;
  tool: number;
  rgba: number;
  width: number;
  abs: number[];
  ps: number[] | null;
  /** The server's limits, point by point: the stroke ends (takes no more points) where it would break one. */
  budget: StrokeBudget;
  sent: number;
  begun: boolean;
  d: Decoded;
}

interface LiveStroke {
  session: number;
  tool: number;
  rgba: number;
  width: number;
  quantum: number;
  abs: number[];
  ps: number[] | null;
  d: Decoded;
  ended: number;
}

const SHORTCUTS: [string, string][] = [
  ['P', 'Pen'], ['I', 'Highlighter'], ['E', 'Object eraser'], ['X', 'Pixel eraser'], ['H', 'Hand (pan)'],
  ['Space + drag, middle button, two fingers', 'Pan'], ['Wheel, pinch, + / −', 'Zoom around the pointer'], ['0', 'Zoom to 100 %'],
  ['[ / ]', 'Thinner / thicker'], ['1 … 8', 'Palette colours'], ['Ctrl/⌘ + Z', 'Undo your last action'],
  ['Shift + Ctrl/⌘ + Z, Ctrl + Y', 'Redo'], ['Shift + S', 'Export the view as PNG'],
  ['A', 'Select an area to export as PNG (drag; Esc cancels)'], ['?', 'This list'],
];

function peerColour(id: string): string {
  let x = 0;
  for (const c of id) x = (x * 31 + c.charCodeAt(0)) | 0;
  return `hsl(${Math.abs(x) % 360} 70% 45%)`;
}

export function mountBoard(root: HTMLElement, room: Room, user: User): () => void {
  const conn = new RoomConnection(room.id, {
    welcome: (w) => {
      // The role of this connection's token: it may differ from the page's after the access changed.
      roleName = w.role === Role.ROLE_OWNER ? 'owner' : w.role === Role.ROLE_EDITOR ? 'editor' : 'viewer';
      canEdit = roleName !== 'viewer';
      applyRole();
      peers.clear();
      for (const p of w.peers) peers.set(p.sessionId, p);
      renderPresence();
      for (const c of cursors.values()) c.el.remove();
      cursors.clear();
      live.clear();
      invalidate(true);
    },
    events: (events) => {
      let full = false;
      for (const e of events) {
        const k = e.kind;
        if (!k) continue;
        if (k.$case === 'strokeAdded' && k.value.stroke) {
          const id = hex(k.value.stroke.id);
          live.delete(id);
          mine.delete(id);
          if (strokes.has(id)) continue;
          const rec: Rec = { id, seq: e.seq, d: decodeStroke(k.value.stroke), erased: false };
          strokes.set(id, rec);
          order.push(rec);
          dropComposed(rec.d);
          if (baseValid) drawOnBase(rec);
        } else if (k.$case === 'strokesErased' || k.$case === 'strokesRestored') {
          const erased = k.$case === 'strokesErased';
          for (const sid of k.value.strokeIds) {
            const id = hex(sid);
            const r = strokes.get(id);
            if (r) r.erased = erased;
            ghosts.delete(id); // erased: the tiles refetched below no longer hold it
            if (erased) erasedIds.add(id);
            else erasedIds.delete(id);
          }
          full = true;
          // The stroke may be baked into snapshots: the server never serves a snapshot older than an erase of
          // its tile, so refetching the tiles shows the change.
          refreshTiles();
        }
      }
      stage.dataset.strokes = String(order.length);
      stage.dataset.lastSeq = String(conn.lastSeq);
      invalidate(full);
    },
    live: (l) => {
      const b = l.body;
      if (!b || l.sessionId === conn.sessionId) return;
      if (b.$case === 'cursorMove') {
        moveCursor(l.sessionId, b.value.x / COORD_SCALE, b.value.y / COORD_SCALE);
      } else if (b.$case === 'strokeBegin' && b.value.stroke) {
        const s = b.value.stroke;
        const abs = decodeQuantized(s.quantum, s.points);
        const ps = s.pressures.length ? decodePressures(s.pressures) : null;
        const id = hex(s.id);
        if (strokes.has(id)) return;
        live.set(id, { session: l.sessionId, tool: s.tool, rgba: s.rgba, width: s.width, quantum: s.quantum || 1, abs, ps, d: fromQuantized(s.tool, s.rgba, s.width, abs, ps), ended: 0 });
        invalidate(false);
      } else if (b.$case === 'strokeMore') {
        const ls = live.get(hex(b.value.strokeId));
        if (!ls) return;
        let x = ls.abs[ls.abs.length - 2];
        let y = ls.abs[ls.abs.length - 1];
        for (let i = 0; i + 1 < b.value.points.length; i += 2) {
          x += b.value.points[i] * ls.quantum;
          y += b.value.points[i + 1] * ls.quantum;
          ls.abs.push(x, y);
        }
        if (ls.ps) {
          let p = ls.ps[ls.ps.length - 1];
          for (const dp of b.value.pressures) ls.ps.push((p += dp));
        }
        ls.d = fromQuantized(ls.tool, ls.rgba, ls.width, ls.abs, ls.ps);
        invalidate(false);
      } else if (b.$case === 'strokeEnd') {
        const id = hex(b.value.strokeId);
        const ls = live.get(id);
        if (!ls) return;
        if (b.value.cancelled) live.delete(id);
        else ls.ended = performance.now();
        invalidate(false);
      }
    },
    presence: (p) => {
      for (const j of p.joined) peers.set(j.sessionId, j);
      for (const s of p.leftSessionIds) {
        peers.delete(s);
        cursors.get(s)?.el.remove();
        cursors.delete(s);
        for (const [id, ls] of live) if (ls.session === s) live.delete(id);
      }
      renderPresence();
      invalidate(false);
    },
    state: (s, detail) => setConn(s, detail),
    accessChanged: () => toast('Your access changed'),
    refused: (msg, key) => {
      toast(msg);
      if (key) {
        mine.delete(key);
        invalidate(false);
      }
    },
    acked: () => updateUnsent(),
    reminted: (old, id) => {
      const d = mine.get(old);
      if (d) {
        mine.delete(old);
        mine.set(hex(id), d);
      }
      // Undo and redo name the action by its id: they follow the new one.
      for (const stack of [undoStack, redoStack]) for (let i = 0; i < stack.length; i++) if (hex(stack[i]) === old) stack[i] = id;
    },
  });

  // ---- state
  const strokes = new Map<string, Rec>();
  const order: Rec[] = [];
  const mine = new Map<string, Decoded>();
  for (const s of conn.unacked()) mine.set(hex(s.id), decodeStroke(s));
  const live = new Map<string, LiveStroke>();
  const peers = new Map<number, Peer>();
  const cursors = new Map<number, { el: HTMLElement; x: number; y: number; at: number }>();
  const view = { x: -40, y: -40, z: 1 };
  // ---- tiles (docs/tiles.md): per (level, x, y) the snapshot bitmap + delta strokes, up to coversSeq.
  const tileCache = new Map<string, Tile>();
  // Tiles last answered pending (a snapshot is being rendered): asked for again, 300 ms doubling to 3 s.
  const pendingTiles = new Set<string>();
  let pendingDelay = 300;
  const erasedIds = new Set<string>();
  let tileTimer: ReturnType<typeof setTimeout> | undefined;
  let tileDue = Infinity; // when tileTimer fires
  let tileSince = 0; // first scheduleTiles since the last load
  // Composed tiles (paintComposed), least recently drawn first; contentGen changes with what hides strokes.
  const composed = new Map<string, { tile: Tile; bitmap: ImageBitmap | null; gen: number; res: number; canvas: HTMLCanvasElement }>();
  let contentGen = 0;
  let composedBytes = 0;
  let composeUntil = 0; // this frame's composing budget ends (performance.now())
  // Tiles (any level) whose rectangle on the base is drawn again next frame: they changed, or their composing
  // waited for budget. Cheaper than drawing the whole base when a few tiles arrive during a drag.
  const repaintKeys = new Set<string>();
  // The view the base canvas holds (scrollBase), and whether the view moved since.
  const baseView = { x: 0, y: 0, z: 0, w: 0, h: 0 };
  let viewMoved = false;
  let baseDrawnAt = 0; // performance.now() of the last full draw of the base
  const draws = { full: 0, scroll: 0, preview: 0, repaint: 0 }; // frames by how the base was made (data-draws)
  let zoomPreview = false; // the wheel is turning (previewBase)
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  let tileGen = 0;
  let tilesInflight = 0;
  let tileWanted = '';
  const tileStats = { requests: 0, bytes: 0, pngs: 0, pngBytes: 0 };
  // Strokes the object eraser found on the server (only pixels of a snapshot here): cut out of the picture as the
  // erase preview until the erase comes back and the tiles are refetched without them.
  const ghosts = new Map<string, Decoded>();
  // Eraser gestures with points still to ask the server about (oldest first); one request in flight at a time.
  const lookups: Erasing[] = [];
  let lookupBusy = false;
  const lookupStats = { requests: 0, hits: 0, partial: 0, failed: 0 };
  let roleName = room.role;
  let canEdit = roleName !== 'viewer';
  let tool: ToolName = canEdit ? 'pen' : 'hand';
  let colour = PALETTE[0];
  let widthPx = WIDTHS[1];
  let drawing: Drawing | null = null;
  let erasing: Erasing | null = null;
  let panning: { px: number; py: number; vx: number; vy: number } | null = null;
  let spaceHeld = false;
  const undoStack: Uint8Array[] = [];
  const redoStack: Uint8Array[] = [];
  const touches = new Map<number, { x: number; y: number }>();
  let pinch: { d: number; cx: number; cy: number } | null = null;
  let cursorOut: { x: number; y: number } | null = null;
  // Area export: the world rectangle being dragged (selecting) or chosen (selection), and the output scale.
  let selecting: { wx: number; wy: number } | null = null;
  let selection: { x0: number; y0: number; x1: number; y1: number } | null = null;
  let exportScale = 1;
  let exporting = false;

  // ---- DOM
  const connEl = h('span#conn.conn', { 'data-state': 'connecting', title: 'Connection to the board' }, 'Connecting…');
  const presenceEl = h('ul#presence.presence', { 'aria-label': 'Who is here' });
  const zoomLabel = h('button.zoom-label', { title: 'Zoom to 100 % (0)', onclick: () => zoomTo(1, stageW() / 2, stageH() / 2) }, '100 %');
  const roleBadge = h('span.role', {}, room.role);
  const header = h('header.board-header', {},
    h('a.back', { href: '/', 'data-link': true, title: 'My boards' }, '← Boards'),
    h('h1.room-name', {}, room.name), roleBadge, connEl, presenceEl,
    h('span.spacer'),
    h('button#export', { title: 'Export the view as PNG (Shift+S)', onclick: () => exportPng() }, 'Export PNG'),
    h('button#help', { title: 'Keyboard shortcuts (?)', onclick: () => toggleHelp() }, '?'),
  );
  const toolButtons = new Map<ToolName, HTMLButtonElement>();
  const toolDefs: [ToolName, string, string][] = [
    ['hand', '✥', 'Hand (H)'], ['pen', '✎', 'Pen (P)'], ['highlighter', '▮', 'Highlighter (I)'], ['eraser', '⌫', 'Object eraser (E)'], ['pixel', '◌', 'Pixel eraser (X)'],
    ['select', '⬚', 'Export an area as PNG (A)'],
  ];
  const tools = h('div.tools', { role: 'toolbar', 'aria-label': 'Tools' });
  for (const [name, icon, label] of toolDefs) {
    const b = h('button.tool', { 'data-tool': name, title: label, 'aria-label': label, onclick: () => setTool(name) }, icon);
    toolButtons.set(name, b);
    tools.append(b);
  }
  const swatches = h('div.swatches', { role: 'radiogroup', 'aria-label': 'Colour' });
  const swatchButtons: HTMLButtonElement[] = [];
  PALETTE.forEach((c, i) => {
    const b = h('button.swatch', { 'data-colour': c, title: `${c} (${i + 1})`, 'aria-label': `colour ${c}`, onclick: () => setColour(c) });
    b.style.background = c;
    swatchButtons.push(b);
    swatches.append(b);
  });
  const custom = h('input.custom', { type: 'color', value: colour, title: 'Custom colour', 'aria-label': 'Custom colour' });
  custom.addEventListener('input', () => setColour(custom.value));
  swatches.append(custom);
  const widths = h('div.widths', { role: 'radiogroup', 'aria-label': 'Width' });
  const widthButtons: HTMLButtonElement[] = [];
  for (const w of WIDTHS) {
    const dotEl = h('span.wdot');
    dotEl.style.width = dotEl.style.height = `${Math.min(20, w + 2)}px`;
    const b = h('button.width', { 'data-width': w, title: `${w} px`, onclick: () => setWidth(w) }, dotEl);
    widthButtons.push(b);
    widths.append(b);
  }
  const undoBtn = h('button#undo', { title: 'Undo (Ctrl+Z)', onclick: () => undo() }, '↶');
  const redoBtn = h('button#redo', { title: 'Redo (Shift+Ctrl+Z)', onclick: () => redo() }, '↷');
  const editTools = h('div.edit-tools', {}, swatches, widths, h('div.history', {}, undoBtn, redoBtn));
  const toolbar = h('div.toolbar', {}, tools, editTools,
    h('div.zoom', {}, h('button', { title: 'Zoom out (−)', onclick: () => zoomBy(1 / 1.25) }, '−'), zoomLabel, h('button', { title: 'Zoom in (+)', onclick: () => zoomBy(1.25) }, '+')));
  const canvas = h('canvas#board-canvas', { 'aria-label': 'Drawing canvas', tabindex: 0 });
  const cursorLayer = h('div.cursors', { 'aria-hidden': 'true' });
  const readonlyBanner = h('div.readonly', { hidden: true }, 'View only — you can look around but not draw.');
  const selSize = h('span.selection-size');
  const selBox = h('div#selection.selection', { hidden: true, 'aria-hidden': 'true' }, selSize);
  const scaleButtons = EXPORT_SCALES.map((f) => h('button.scale', { 'data-scale': f, title: `${f}× the size on screen`, onclick: () => setExportScale(f) }, `${f}×`));
  const exportMsg = h('span.export-msg', { role: 'status' });
  const exportGo = h('button.primary', { id: 'export-area', onclick: () => void exportArea() }, 'Download PNG');
  const exportPanel = h('div#export-panel.export-panel', { hidden: true, role: 'dialog', 'aria-label': 'Export the selected area' },
    h('span.export-title', {}, 'Scale'), h('span.scales', {}, ...scaleButtons), exportMsg, exportGo,
    h('button#export-cancel', { title: 'Cancel (Esc)', onclick: () => clearSelection() }, 'Cancel'));
  const stage = h('div#stage.stage', { 'data-strokes': '0', 'data-last-seq': '0' }, canvas, cursorLayer, readonlyBanner, selBox, exportPanel);
  const help = h('div#shortcuts.dialog', { hidden: true, role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
    h('h2', {}, 'Keyboard shortcuts'),
    h('table', {}, ...SHORTCUTS.map(([k, v]) => h('tr', {}, h('td', {}, h('kbd', {}, k)), h('td', {}, v)))),
    h('button', { onclick: () => toggleHelp(false) }, 'Close'));
  const page = h('div.board-page', {}, header, stage, toolbar, help);
  clear(root);
  root.append(page);

  const ctx = canvas.getContext('2d')!;
  let base = document.createElement('canvas');
  let bctx = base.getContext('2d')!;
  let spare = document.createElement('canvas'); // scrollBase draws the shifted base here, then the two swap
  let sctx = spare.getContext('2d')!;
  let dpr = window.devicePixelRatio || 1;
  let baseValid = false;
  let dirty = true;
  let raf = 0;
  const stageW = () => stage.clientWidth;
  const stageH = () => stage.clientHeight;

  function resize(): void {
    dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(stageW() * dpr));
    const hh = Math.max(1, Math.round(stageH() * dpr));
    if (canvas.width !== w || canvas.height !== hh) {
      canvas.width = base.width = w;
      canvas.height = base.height = hh;
    }
    canvas.style.width = `${stageW()}px`;
    canvas.style.height = `${stageH()}px`;
    invalidate(true);
  }
  const ro = new ResizeObserver(resize);
  ro.observe(stage);

  function mapping(): Mapping {
    return { ox: view.x, oy: view.y, scale: view.z * dpr };
  }

  function visible(d: Decoded): boolean {
    const r = reach(d.width);
    const x1 = view.x + stageW() / view.z;
    const y1 = view.y + stageH() / view.z;
    return d.maxX + r >= view.x && d.minX - r <= x1 && d.maxY + r >= view.y && d.minY - r <= y1;
  }

  function drawOnBase(rec: Rec): void {
    if (viewMoved) baseValid = false; // the base still holds the previous view
    else if (!rec.erased && visible(rec.d)) {
      drawStroke(bctx, rec.d, mapping());
      dirty = true;
      schedule();
    }
  }

  /** `full`: the base is drawn again; `content` (by default with full): what is drawn changed, composed tiles too. */
  function invalidate(full: boolean, content = full): void {
    if (full) {
      baseValid = false;
      scheduleTiles();
    }
    if (content) contentGen++;
    dirty = true;
    schedule();
  }

  /** The view moved or zoomed, not what is drawn: the next frame scrolls the base or composes it from cached tiles. */
  function moved(drag = false): void {
    viewMoved = true;
    scheduleTiles(120, drag ? 300 : Infinity);
    dirty = true;
    schedule();
  }

  function schedule(): void {
    if (!raf) raf = requestAnimationFrame(frame);
  }

  function frame(): void {
    raf = 0;
    sendLive();
    const now = performance.now();
    for (const [id, ls] of live) if (ls.ended && now - ls.ended > 5000) live.delete(id);
    if (!dirty) return;
    dirty = false;
    const m = mapping();
    composeUntil = now + COMPOSE_BUDGET_MS;
    let src = base;
    if (baseValid && viewMoved && zoomPreview && now - baseDrawnAt < PREVIEW_MS && previewBase()) {
      src = spare;
      draws.preview++;
    } else {
      const keys = [...repaintKeys];
      repaintKeys.clear(); // drawing below may add tiles whose composing has to wait for the next frame
      if (!baseValid || (viewMoved && !scrollBase(m))) {
        bctx.setTransform(1, 0, 0, 1, 0, 0);
        bctx.clearRect(0, 0, base.width, base.height);
        drawTiles(m);
        baseValid = true;
        baseDrawnAt = now;
        draws.full++;
      } else {
        if (viewMoved) draws.scroll++;
        if (keys.length) repaintTiles(m, keys);
      }
      viewMoved = false;
      Object.assign(baseView, { x: view.x, y: view.y, z: view.z, w: base.width, h: base.height });
      if (repaintKeys.size) {
        dirty = true;
        schedule();
      }
    }
    stage.dataset.draws = `${draws.full},${draws.scroll},${draws.preview},${draws.repaint}`;
    ctx.globalCompositeOperation = 'copy'; // the base is the whole picture under what follows: one pass, no blending
    ctx.drawImage(src, 0, 0);
    ctx.globalCompositeOperation = 'source-over';
    for (const d of ghosts.values()) if (visible(d)) drawStroke(ctx, ghostOf(d, view.z), m);
    for (const d of mine.values()) if (visible(d)) drawStroke(ctx, d, m);
    for (const ls of live.values()) if (visible(ls.d)) drawStroke(ctx, ls.d, m);
    if (drawing) drawStroke(ctx, drawing.d, m);
    const zl = `${view.z >= 0.1 ? Math.round(view.z * 100) : (view.z * 100).toPrecision(2)}\u00a0%`;
    if (zoomLabel.textContent !== zl) zoomLabel.textContent = zl; // no layout per frame for nothing
    for (const [s, c] of cursors) placeCursor(s, c);
    placeSelection();
    updateUnsent();
  }

  /** Draws the rectangles of these tiles (keys of any level) on the base again, clipped, as scrollBase does its strips. */
  function repaintTiles(m: Mapping, keys: string[]): void {
    const W = base.width;
    const H = base.height;
    const rects: [number, number, number, number][] = [];
    for (const k of keys) {
      const [l, x, y] = k.split(':').map(Number);
      const s = span(l);
      const x0 = Math.max(0, Math.floor((x * s - m.ox) * m.scale));
      const y0 = Math.max(0, Math.floor((y * s - m.oy) * m.scale));
      const x1 = Math.min(W, Math.ceil(((x + 1) * s - m.ox) * m.scale));
      const y1 = Math.min(H, Math.ceil(((y + 1) * s - m.oy) * m.scale));
      if (x1 > x0 && y1 > y0) rects.push([x0, y0, x1 - x0, y1 - y0]);
    }
    if (!rects.length) return;
    bctx.setTransform(1, 0, 0, 1, 0, 0);
    bctx.save();
    bctx.beginPath();
    for (const r of rects) bctx.rect(...r);
    bctx.clip();
    for (const r of rects) bctx.clearRect(...r);
    drawTiles(m, rects);
    bctx.restore();
    draws.repaint++;
  }

  /**
   * While the wheel turns, frames show the last full picture scaled into the spare canvas (one image) and a full
   * one is drawn at most every PREVIEW_MS and when the wheel stops: a zoom step would otherwise draw every tile,
   * and a change of level every fallback tile, at each notch. False when the sizes differ.
   */
  function previewBase(): boolean {
    const W = base.width;
    const H = base.height;
    if (baseView.w !== W || baseView.h !== H) return false;
    if (spare.width !== W || spare.height !== H) {
      spare.width = W;
      spare.height = H;
    }
    const k = view.z / baseView.z;
    sctx.setTransform(1, 0, 0, 1, 0, 0);
    sctx.clearRect(0, 0, W, H);
    sctx.setTransform(k, 0, 0, k, (baseView.x - view.x) * view.z * dpr, (baseView.y - view.y) * view.z * dpr);
    sctx.drawImage(base, 0, 0);
    sctx.setTransform(1, 0, 0, 1, 0, 0);
    return true;
  }

  /**
   * A drag at the same zoom moves the picture by whole device pixels: the base is shifted by that much and only the
   * strips it uncovers are drawn (the tiles crossing them, clipped). False when a full redraw is needed.
   */
  function scrollBase(m: Mapping): boolean {
    if (baseView.z !== view.z || baseView.w !== base.width || baseView.h !== base.height) return false;
    const dx = (baseView.x - view.x) * m.scale;
    const dy = (baseView.y - view.y) * m.scale;
    const rx = Math.round(dx);
    const ry = Math.round(dy);
    if (Math.abs(dx - rx) > 1e-3 || Math.abs(dy - ry) > 1e-3 || Math.abs(rx) >= base.width / 2 || Math.abs(ry) >= base.height / 2) return false;
    if (rx === 0 && ry === 0) return true;
    const W = base.width;
    const H = base.height;
    const strips: [number, number, number, number][] = [];
    if (rx) strips.push(rx > 0 ? [0, 0, rx, H] : [W + rx, 0, -rx, H]);
    if (ry) strips.push(ry > 0 ? [0, 0, W, ry] : [0, H + ry, W, -ry]);
    // Into the spare canvas at the offset (a canvas drawn onto itself would be copied first), then swap.
    if (spare.width !== W || spare.height !== H) {
      spare.width = W;
      spare.height = H;
    }
    sctx.setTransform(1, 0, 0, 1, 0, 0);
    sctx.globalCompositeOperation = 'copy';
    sctx.drawImage(base, rx, ry);
    sctx.globalCompositeOperation = 'source-over';
    [base, spare] = [spare, base];
    [bctx, sctx] = [sctx, bctx];
    bctx.setTransform(1, 0, 0, 1, 0, 0);
    bctx.save();
    bctx.beginPath();
    for (const r of strips) bctx.rect(...r);
    bctx.clip();
    for (const r of strips) bctx.clearRect(...r);
    drawTiles(m, strips);
    bctx.restore();
    return true;
  }

  /**
   * A complete tile drawn from its composed canvas: snapshot, delta strokes and the WebSocket strokes after it,
   * drawn once at the power of two at or above its size on screen (at most COMPOSE_MAX_PX), so that frames while
   * panning and zooming draw one image per tile instead of every stroke again. A composed canvas is kept while its
   * tile object, snapshot and contentGen are the same (strokes reaching it are dropped by dropComposed).
   */
  function paintComposed(m: Mapping, t: Tile): boolean {
    const s = span(t.level);
    const size = s * m.scale;
    if (size > COMPOSE_MAX_PX || !complete(t)) return false;
    if (!t.bitmap && !t.strokes.length && !order.length) return true; // an empty tile: nothing to compose or draw
    const res = Math.max(64, 2 ** Math.round(Math.log2(size)));
    const k = tileKey(t.level, t.x, t.y);
    let c = composed.get(k);
    if (!c || c.tile !== t || c.bitmap !== t.bitmap || c.gen !== contentGen || c.res !== res) {
      // Composing has a budget per frame (a zoom across a level or new snapshots would compose every tile at
      // once): past it the tile's previous composed canvas stands in (what was on screen), else it is drawn
      // directly; the base is drawn again next frame until every tile is composed.
      if (performance.now() > composeUntil) {
        repaintKeys.add(k);
        if (!c) return false;
        bctx.drawImage(c.canvas, (t.x * s - m.ox) * m.scale, (t.y * s - m.oy) * m.scale, size, size);
        return true;
      }
      if (c) {
        composed.delete(k);
        composedBytes -= c.res * c.res * 4;
      }
      const cv = c?.canvas ?? document.createElement('canvas');
      cv.width = cv.height = res;
      const cx = cv.getContext('2d')!;
      const tm: Mapping = { ox: t.x * s, oy: t.y * s, scale: res / s };
      if (t.bitmap) cx.drawImage(t.bitmap, 0, 0, res, res);
      for (const st of t.strokes) if (!hidden(st.id)) drawStroke(cx, st.d, tm);
      for (const rec of order) {
        if (rec.seq <= t.coversSeq || rec.erased || hidden(rec.id)) continue;
        const d = rec.d;
        const rr = reach(d.width);
        if (d.maxX + rr < tm.ox || d.minX - rr > tm.ox + s || d.maxY + rr < tm.oy || d.minY - rr > tm.oy + s) continue;
        drawStroke(cx, d, tm);
      }
      c = { tile: t, bitmap: t.bitmap, gen: contentGen, res, canvas: cv };
      composedBytes += res * res * 4;
      for (const [ok, oc] of composed) { // the least recently drawn go first
        if (composedBytes <= COMPOSED_MAX_BYTES) break;
        composed.delete(ok);
        composedBytes -= oc.res * oc.res * 4;
      }
    } else composed.delete(k);
    composed.set(k, c);
    bctx.drawImage(c.canvas, (t.x * s - m.ox) * m.scale, (t.y * s - m.oy) * m.scale, size, size);
    return true;
  }

  /** A stroke arrived: the composed tiles it reaches are composed again. */
  function dropComposed(d: Decoded): void {
    const rr = reach(d.width);
    for (const [k, c] of composed) {
      const s = span(c.tile.level);
      const x0 = c.tile.x * s;
      const y0 = c.tile.y * s;
      if (d.maxX + rr >= x0 && d.minX - rr <= x0 + s && d.maxY + rr >= y0 && d.minY - rr <= y0 + s) {
        composed.delete(k);
        composedBytes -= c.res * c.res * 4;
      }
    }
  }

  // ---- tile layer
  function currentLevel(): number {
    return levelFor(view.z, dpr);
  }

  function visibleRange(level: number) {
    return tileRange(level, view.x, view.y, view.x + stageW() / view.z, view.y + stageH() / view.z);
  }

  function hidden(id: string): boolean {
    return erasedIds.has(id) || !!erasing?.ids.has(id) || lookups.some((g) => g.ids.has(id));
  }

  /** A tile whose content is all here: no snapshot, or its snapshot decoded; pending only with an (older) snapshot. */
  function complete(t: Tile | undefined): t is Tile {
    return !!t && (t.snapshotUrl ? !!t.bitmap : !t.pending);
  }

  function visiblePending(level: number): boolean {
    const r = visibleRange(level);
    for (let ty = r.y0; ty <= r.y1; ty++) for (let tx = r.x0; tx <= r.x1; tx++) if (pendingTiles.has(tileKey(level, tx, ty))) return true;
    return false;
  }

  /** Clips to the device-pixel-rounded rectangle of tile (level, tx, ty); returns that rectangle. */
  function clipTile(m: Mapping, level: number, tx: number, ty: number): [number, number, number, number] {
    const s = span(level);
    const px0 = (tx * s - m.ox) * m.scale;
    const py0 = (ty * s - m.oy) * m.scale;
    const size = s * m.scale;
    const cx0 = Math.round(px0);
    const cy0 = Math.round(py0);
    const rect: [number, number, number, number] = [cx0, cy0, Math.round(px0 + size) - cx0, Math.round(py0 + size) - cy0];
    bctx.beginPath();
    bctx.rect(...rect);
    bctx.clip();
    return rect;
  }

  /**
   * Draws tile `t` (any level) into the current clip: its snapshot scaled into place, its delta strokes, then the
   * WebSocket strokes after its covers_seq that reach the world rectangle [wx0, wx0+ws) × [wy0, wy0+ws).
   */
  function paintTile(m: Mapping, t: Tile | undefined, wx0: number, wy0: number, ws: number): void {
    if (t && paintComposed(m, t)) return;
    const after = t ? t.coversSeq : 0;
    if (t?.bitmap) {
      const s = span(t.level);
      bctx.drawImage(t.bitmap, (t.x * s - m.ox) * m.scale, (t.y * s - m.oy) * m.scale, s * m.scale, s * m.scale);
    }
    if (t) for (const st of t.strokes) if (!hidden(st.id)) drawStroke(bctx, st.d, m);
    for (const rec of order) {
      if (rec.seq <= after || rec.erased || hidden(rec.id)) continue;
      const d = rec.d;
      const rr = reach(d.width);
      if (d.maxX + rr < wx0 || d.minX - rr > wx0 + ws || d.maxY + rr < wy0 || d.minY - rr > wy0 + ws) continue;
      drawStroke(bctx, d, m);
    }
  }

  /** Cached complete tiles one and two levels finer inside (level, tx, ty), drawn in their rectangles. */
  function paintChildren(m: Mapping, level: number, tx: number, ty: number, depth: number): number {
    if (level === 0 || depth === 0) return 0;
    let n = 0;
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        const cx = tx * 2 + dx;
        const cy = ty * 2 + dy;
        const c = tileCache.get(tileKey(level - 1, cx, cy));
        if (complete(c)) {
          bctx.save();
          const r = clipTile(m, level - 1, cx, cy);
          bctx.clearRect(...r); // over a coarser ancestor drawn before: the finer tile replaces it
          const s = span(level - 1);
          paintTile(m, c, cx * s, cy * s, s);
          bctx.restore();
          n++;
        } else n += paintChildren(m, level - 1, cx, cy, depth - 1);
      }
    }
    return n;
  }

  /**
   * Each visible tile clipped to its rectangle, from its own level when it is loaded. Until it is (while
   * zooming), the nearest cached complete ancestor (coarser, scaled up) and any cached complete descendants
   * (finer, scaled down) stand in for it, so that the screen is never blank; with neither, the WebSocket strokes.
   */
  function drawTiles(m: Mapping, only?: [number, number, number, number][]): void {
    const level = currentLevel();
    const s = span(level);
    const r = visibleRange(level);
    let visibleN = 0;
    let drawn = 0;
    let fallback = 0;
    for (let ty = r.y0; ty <= r.y1; ty++) {
      for (let tx = r.x0; tx <= r.x1; tx++) {
        visibleN++;
        const t = tileCache.get(tileKey(level, tx, ty));
        if (only) { // scrolling: only the tiles crossing the uncovered strips
          const px = (tx * s - m.ox) * m.scale;
          const py = (ty * s - m.oy) * m.scale;
          const sz = s * m.scale;
          if (!only.some(([x, y, w, hh]) => px < x + w && px + sz > x && py < y + hh && py + sz > y)) {
            if (complete(t)) drawn++;
            continue;
          }
        }
        bctx.save();
        clipTile(m, level, tx, ty);
        if (complete(t)) {
          paintTile(m, t, tx * s, ty * s, s);
          drawn++;
        } else {
          let anc: Tile | undefined;
          for (let l = level + 1; l <= Math.min(MAX_LEVEL, level + 6) && !anc; l++) {
            const a = tileCache.get(tileKey(l, tx >> (l - level), ty >> (l - level)));
            if (complete(a)) anc = a;
          }
          // Without an ancestor the WebSocket strokes (after seq 0) show what is known.
          paintTile(m, anc, tx * s, ty * s, s);
          const kids = paintChildren(m, level, tx, ty, 2);
          if (anc || kids) fallback++;
        }
        bctx.restore();
      }
    }
    setData('tilesVisible', String(visibleN));
    setData('tilesDrawn', String(drawn));
    if (!only) setData('tilesFallback', String(fallback));
    setData('filled', String(drawn === visibleN && tilesInflight === 0));
    setData('drawnLevel', String(level));
    setData('view', `${view.x},${view.y},${view.z}`);
  }

  /** Sets a data attribute of the stage only when it changes (no style invalidation per frame for nothing). */
  function setData(k: string, v: string): void {
    if (stage.dataset[k] !== v) stage.dataset[k] = v;
  }

  function setTileData(): void {
    let snaps = 0;
    let deltas = 0;
    const level = currentLevel();
    for (const t of tileCache.values()) {
      if (t.level !== level) continue;
      if (t.bitmap) snaps++;
      deltas += t.strokes.length;
    }
    stage.dataset.level = String(level);
    stage.dataset.tiles = String(tileCache.size);
    stage.dataset.tileSnapshots = String(snaps);
    stage.dataset.tileStrokes = String(deltas);
    stage.dataset.tilesPending = String(tilesInflight);
    stage.dataset.tilesAwaiting = String([...pendingTiles].filter((k) => k.startsWith(`${level}:`)).length);
    stage.dataset.tileRequests = String(tileStats.requests);
    stage.dataset.tileBytes = String(tileStats.bytes + tileStats.pngBytes);
  }

  /** Debounced: loads the visible tiles of the current level that are not cached. */
  function scheduleTiles(delay = 120, maxWait = Infinity): void {
    // Debounced, but never put off past `maxWait` after the first call since the last load: a continuous drag
    // loads the tiles it uncovers while it goes on (zooming waits until it stops: the levels in between are skipped).
    const now = performance.now();
    if (tileDue === Infinity) tileSince = now;
    const at = Math.max(now, Math.min(now + delay, tileSince + maxWait));
    clearTimeout(tileTimer);
    tileDue = at;
    tileTimer = setTimeout(() => {
      tileDue = Infinity;
      void loadVisibleTiles();
    }, at - now);
  }

  /** Drops every cached tile and loads the visible ones again (after an erase or a restore). */
  function refreshTiles(): void {
    tileCache.clear();
    composed.clear();
    composedBytes = 0;
    pendingTiles.clear();
    tileWanted = '';
    tileGen++;
    scheduleTiles(0);
  }

  async function loadVisibleTiles(): Promise<number | null> {
    const level = currentLevel();
    const r = visibleRange(level);
    let missing = false;
    for (let ty = r.y0; ty <= r.y1 && !missing; ty++) for (let tx = r.x0; tx <= r.x1; tx++) { const k = tileKey(level, tx, ty); if (!tileCache.has(k) || pendingTiles.has(k)) { missing = true; break; } }
    const want = `${level}:${r.x0}:${r.y0}:${r.x1}:${r.y1}`;
    if (!missing || want === tileWanted) return null;
    tileWanted = want;
    const gen = tileGen;
    tilesInflight++;
    setTileData();
    try {
      const got = await fetchTiles(room.id, level, r);
      tileStats.requests += got.requests;
      tileStats.bytes += got.bytes;
      if (gen !== tileGen) return got.headSeq;
      if (tileCache.size > 4000) for (const [k, t] of tileCache) if (t.level !== level) tileCache.delete(k);
      const loads: Promise<void>[] = [];
      let changed = 0;
      for (const t of got.tiles) {
        const k = tileKey(t.level, t.x, t.y);
        const old = tileCache.get(k);
        if (t.pending) pendingTiles.add(k);
        else pendingTiles.delete(k);
        // The same content again (the request covers the whole screen, cached tiles too): the cached object stays,
        // and with it its composed canvas.
        if (old && !t.pending && complete(old) && !old.pending && old.coversSeq === t.coversSeq && old.snapshotUrl === t.snapshotUrl &&
          old.strokes.length === t.strokes.length) continue;
        changed++;
        repaintKeys.add(k);
        if (t.snapshotUrl && old?.snapshotUrl === t.snapshotUrl && old.bitmap) t.bitmap = old.bitmap;
        // A tile on screen with content stays until its replacement can be drawn (no blank flicker); over a
        // pending answer it stays until the tile is not pending (it is no older than the pending tile's snapshot).
        const keepOld = complete(old) && (t.pending || !complete(t));
        if (!keepOld) tileCache.set(k, t);
        if (t.snapshotUrl && !t.bitmap && !(keepOld && t.pending)) {
          const url = t.snapshotUrl;
          loads.push(loadSnapshot(url).then(({ bitmap, bytes }) => {
            tileStats.pngs++;
            tileStats.pngBytes += bytes;
            const cur = tileCache.get(k);
            if (cur === t || (keepOld && cur === old)) {
              t.bitmap = bitmap;
              tileCache.set(k, t);
              repaintKeys.add(k);
            }
          }, () => {}));
        }
      }
      // Show deltas at once; the snapshots as one change when all have arrived (no tile drawn half).
      // Only the rectangles of the tiles that changed are drawn again (repaintKeys).
      if (changed) invalidate(false);
      await Promise.all(loads);
      if (loads.length) invalidate(false);
      return got.headSeq;
    } catch (e) {
      tileWanted = '';
      if (gen === tileGen) scheduleTiles(2000);
      throw e;
    } finally {
      tilesInflight--;
      if (tileWanted === want) tileWanted = '';
      setTileData();
      // Filled as of the last frame drawn (a response that changed nothing draws none).
      setData('filled', String(stage.dataset.tilesDrawn === stage.dataset.tilesVisible && tilesInflight === 0));
      if (gen === tileGen) {
        // Pending tiles in view: ask again with a backoff until their snapshots exist.
        if (visiblePending(level)) {
          scheduleTiles(pendingDelay);
          pendingDelay = Math.min(3000, pendingDelay * 2);
        } else {
          pendingDelay = 300;
          scheduleTiles();
        }
      }
    }
  }

  // ---- presence and cursors
  function renderPresence(): void {
    clear(presenceEl);
    const seen = new Set<string>();
    const me = h('li.peer.me', { title: `${user.displayName} (you)` }, user.displayName.slice(0, 1).toUpperCase());
    me.style.background = peerColour(user.id);
    presenceEl.append(me);
    seen.add(`${user.id}:${conn.sessionId}`);
    for (const p of peers.values()) {
      if (p.sessionId === conn.sessionId) continue;
      const li = h('li.peer', { title: p.displayName, 'data-session': p.sessionId }, p.displayName.slice(0, 1).toUpperCase());
      li.style.background = peerColour(p.userId);
      presenceEl.append(li);
    }
    presenceEl.dataset.count = String(presenceEl.childElementCount);
  }

  function moveCursor(session: number, x: number, y: number): void {
    let c = cursors.get(session);
    if (!c) {
      const p = peers.get(session);
      const el = h('div.cursor', { 'data-session': session }, h('span.cursor-name', {}, p?.displayName ?? 'someone'));
      el.style.setProperty('--c', peerColour(p?.userId ?? String(session)));
      cursorLayer.append(el);
      c = { el, x, y, at: 0 };
      cursors.set(session, c);
    }
    c.x = x;
    c.y = y;
    c.at = performance.now();
    placeCursor(session, c);
  }

  function placeCursor(_s: number, c: { el: HTMLElement; x: number; y: number; at: number }): void {
    const sx = (c.x - view.x) * view.z;
    const sy = (c.y - view.y) * view.z;
    c.el.style.transform = `translate(${sx}px, ${sy}px)`;
    c.el.hidden = performance.now() - c.at > 15000 || sx < -50 || sy < -50 || sx > stageW() + 50 || sy > stageH() + 50;
  }

  function setConn(s: ConnState, detail: string): void {
    connEl.dataset.state = s;
    connEl.title = detail || s;
    connEl.textContent = s === 'online' ? 'Connected' : s === 'connecting' ? 'Connecting…' : s === 'offline' ? 'Offline — retrying' : 'Disconnected';
    updateUnsent();
  }

  function updateUnsent(): void {
    const n = conn.unacked().length;
    if (connEl.dataset.unsent !== String(n)) connEl.dataset.unsent = String(n);
    const base = connEl.textContent?.replace(/ · \d+ unsent$/, '') ?? '';
    const text = n ? `${base} · ${n} unsent` : base;
    if (connEl.textContent !== text) connEl.textContent = text;
  }

  // ---- tools
  function applyRole(): void {
    roleBadge.textContent = roleName;
    readonlyBanner.hidden = canEdit;
    editTools.hidden = !canEdit;
    page.dataset.readonly = String(!canEdit);
    for (const [n, b] of toolButtons) b.hidden = !canEdit && n !== 'hand' && n !== 'select';
    if (!canEdit && tool !== 'select') setTool('hand');
  }

  function setTool(t: ToolName): void {
    if (!canEdit && t !== 'hand' && t !== 'select') return;
    if (t !== 'select') clearSelection();
    tool = t;
    for (const [n, b] of toolButtons) b.classList.toggle('active', n === t);
    page.dataset.tool = t;
  }

  function setColour(c: string): void {
    colour = c;
    custom.value = c;
    swatchButtons.forEach((b) => b.classList.toggle('active', b.dataset.colour === c));
  }

  function setWidth(w: number): void {
    widthPx = w;
    widthButtons.forEach((b) => b.classList.toggle('active', Number(b.dataset.width) === w));
  }

  // ---- coordinates
  function toWorld(e: { clientX: number; clientY: number }): [number, number] {
    const r = canvas.getBoundingClientRect();
    return [view.x + (e.clientX - r.left) / view.z, view.y + (e.clientY - r.top) / view.z];
  }

  function zoomTo(z: number, sx: number, sy: number): void {
    z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
    const wx = view.x + sx / view.z;
    const wy = view.y + sy / view.z;
    view.z = z;
    view.x = wx - sx / z;
    view.y = wy - sy / z;
    moved();
  }

  function zoomBy(f: number, sx = stageW() / 2, sy = stageH() / 2): void {
    zoomTo(view.z * f, sx, sy);
  }

  // ---- drawing
  function startStroke(e: PointerEvent): void {
    const t = tool === 'pen' ? TOOL_PEN : tool === 'highlighter' ? TOOL_HIGHLIGHTER : TOOL_PIXEL_ERASER;
    const px = tool === 'highlighter' ? widthPx * 4 : tool === 'pixel' ? widthPx * 3 : widthPx;
    const width = Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, (px / view.z) * COORD_SCALE)));
    const rgba = t === TOOL_HIGHLIGHTER ? hexToRgba(colour, 0x60) : hexToRgba(colour);
    drawing = { id: newId(), tool: t, rgba, width, abs: [], ps: e.pointerType === 'pen' && t === TOOL_PEN ? [] : null, budget: new StrokeBudget(width), sent: 0, begun: false, d: fromQuantized(t, rgba, width, [], null) };
    addPoint(e);
  }

  function addPoint(e: PointerEvent): void {
    const d = drawing;
    if (!d) return;
    const [wx, wy] = toWorld(e);
    const qx = Math.round(wx * COORD_SCALE);
    const qy = Math.round(wy * COORD_SCALE);
    const n = d.abs.length;
    if (n >= 2 && d.abs[n - 2] === qx && d.abs[n - 1] === qy) return;
    if (!d.budget.add(qx, qy)) return;
    d.abs.push(qx, qy);
    if (d.ps) d.ps.push(Math.max(0, Math.min(255, Math.round((e.pressure || 0.5) * 255))));
  }

  function strokeOf(d: Drawing): Stroke {
    const { quantum, points } = encodePoints(d.abs);
    return { id: d.id, tool: d.tool, rgba: d.rgba, width: d.width, quantum, points, pressures: d.ps ? deltaEncode(d.ps, 1) : [] };
  }

  /** Once per frame: live points of the stroke being drawn and the cursor. */
  function sendLive(): void {
    const d = drawing;
    if (d && d.abs.length) {
      d.d = fromQuantized(d.tool, d.rgba, d.width, d.abs, d.ps);
      const n = d.abs.length / 2;
      if (!d.begun) {
        conn.sendEphemeral({ $case: 'strokeBegin', value: { stroke: { id: d.id, tool: d.tool, rgba: d.rgba, width: d.width, quantum: 1, points: deltaEncode(d.abs, 2), pressures: d.ps ? deltaEncode(d.ps, 1) : [] } } });
        d.begun = true;
        d.sent = n;
      } else if (n > d.sent) {
        const pts: number[] = [];
        const ps: number[] = [];
        for (let i = d.sent; i < n; i++) {
          pts.push(d.abs[2 * i] - d.abs[2 * i - 2], d.abs[2 * i + 1] - d.abs[2 * i - 1]);
          if (d.ps) ps.push(d.ps[i] - d.ps[i - 1]);
        }
        conn.sendEphemeral({ $case: 'strokeMore', value: { strokeId: d.id, points: pts, pressures: ps } });
        d.sent = n;
      }
      dirty = true;
    }
    if (cursorOut) {
      conn.sendEphemeral({ $case: 'cursorMove', value: { x: Math.round(cursorOut.x * COORD_SCALE), y: Math.round(cursorOut.y * COORD_SCALE) } });
      cursorOut = null;
    }
  }

  function endStroke(cancel: boolean): void {
    const d = drawing;
    if (!d) return;
    sendLive();
    drawing = null;
    if (d.begun) conn.sendEphemeral({ $case: 'strokeEnd', value: { strokeId: d.id, cancelled: cancel || d.abs.length === 0 } });
    if (!cancel && d.abs.length) {
      const s = strokeOf(d);
      mine.set(hex(d.id), decodeStroke(s));
      conn.commit(s);
      undoStack.push(d.id);
      redoStack.length = 0;
    }
    invalidate(false);
  }

  /** Marks every stroke under (wx, wy) within r that is here as a vector: WebSocket strokes and tile deltas. */
  function hitLocal(er: Erasing, wx: number, wy: number, r: number): boolean {
    let hit = false;
    const test = (id: string, d: Decoded) => {
      if (erasedIds.has(id) || er.ids.has(id) || !hitStroke(d, wx, wy, r)) return;
      er.ids.add(id);
      hit = true;
    };
    for (let i = order.length - 1; i >= 0; i--) if (!order[i].erased) test(order[i].id, order[i].d);
    const level = currentLevel();
    for (const t of tileCache.values()) if (t.level === level) for (const st of t.strokes) test(st.id, st.d);
    return hit;
  }

  /**
   * Local vectors first; a point that hits none of them may lie on a stroke that is only pixels of a snapshot PNG,
   * so it is queued for the server's hit test (GET /api/rooms/:id/strokes/at, which reads the tile index of the few
   * tiles under it, never the room's history). Points closer than half the eraser radius to the last queued one
   * add nothing.
   */
  function eraseAt(e: PointerEvent): void {
    const er = erasing;
    if (!er) return;
    const [wx, wy] = toWorld(e);
    const r = Math.min(MAX_HIT_RADIUS, (widthPx * 1.5) / view.z);
    if (hitLocal(er, wx, wy, r)) return invalidate(true);
    const last = er.queue[er.queue.length - 1];
    if (last && Math.hypot(last[0] - wx, last[1] - wy) < r / 2) return;
    er.queue.push([wx, wy, r]);
    if (!lookups.includes(er)) lookups.push(er);
    pumpLookups();
  }

  /**
   * At most one hit-test request in flight: the oldest gesture's queued points (those within LOOKUP_SPAN eraser radii
   * of its first one) go out as one disk covering them all; the answer is hit-tested again point by point (the disk
   * covers more than the path), and what it hits joins the gesture's erase set with the same preview.
   */
  function pumpLookups(): void {
    if (lookupBusy) return;
    const er = lookups.find((g) => g.queue.length > 0);
    if (!er) return;
    const [fx, fy, fr] = er.queue[0];
    let n = 0;
    let x0 = fx, y0 = fy, x1 = fx, y1 = fy;
    for (const [x, y] of er.queue) {
      const nx0 = Math.min(x0, x), ny0 = Math.min(y0, y), nx1 = Math.max(x1, x), ny1 = Math.max(y1, y);
      if (n > 0 && Math.hypot(nx1 - nx0, ny1 - ny0) > LOOKUP_SPAN * fr) break;
      [x0, y0, x1, y1] = [nx0, ny0, nx1, ny1];
      n++;
    }
    const batch = er.queue.splice(0, n);
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const cr = Math.min(MAX_HIT_RADIUS, Math.max(...batch.map(([x, y, r]) => Math.hypot(x - cx, y - cy) + r)));
    const ctl = new AbortController();
    er.abort = ctl;
    lookupBusy = true;
    lookupStats.requests++;
    fetchStrokesAt(room.id, cx, cy, cr, ctl.signal).then((got) => {
      if (ctl.signal.aborted || er.cancelled) return;
      if (got.partial) lookupStats.partial++;
      let hit = false;
      for (const st of got.strokes) {
        if (erasedIds.has(st.id) || er.ids.has(st.id)) continue;
        if (batch.length > 1 && !batch.some(([x, y, r]) => hitStroke(st.d, x, y, r))) continue;
        er.ids.add(st.id);
        if (!strokes.has(st.id)) ghosts.set(st.id, st.d);
        lookupStats.hits++;
        hit = true;
      }
      if (hit) invalidate(true);
    }, () => {
      if (!ctl.signal.aborted) lookupStats.failed++;
    }).finally(() => {
      er.abort = null;
      lookupBusy = false;
      if (er.done && er.queue.length === 0) finishErase(er);
      stage.dataset.eraserLookups = `${lookupStats.requests},${lookupStats.hits},${lookupStats.partial},${lookupStats.failed}`;
      pumpLookups();
    });
  }

  /**
   * The pointer lifted: the erase goes out once the gesture's server lookups are answered (at most one in flight,
   * the rest of its queue coalesced into disks). A cancelled gesture (pointercancel, a second finger, leaving the
   * board) aborts its request and drops its queue and preview.
   */
  function endErase(cancel = false): void {
    const er = erasing;
    erasing = null;
    if (!er) return;
    er.done = true;
    if (cancel) {
      er.cancelled = true;
      er.queue.length = 0;
      er.abort?.abort();
      for (const id of er.ids) ghosts.delete(id);
      dropLookup(er);
      invalidate(true);
      return;
    }
    if (er.queue.length === 0 && !er.abort) finishErase(er);
  }

  function dropLookup(er: Erasing): void {
    const i = lookups.indexOf(er);
    if (i >= 0) lookups.splice(i, 1);
  }

  function finishErase(er: Erasing): void {
    dropLookup(er);
    if (!er.cancelled) sendErase(er.ids);
  }

  function sendErase(set: Set<string>): void {
    if (set.size === 0) return;
    const actionId = newId();
    const ids = [...set];
    for (const id of ids) {
      const r = strokes.get(id);
      if (r) r.erased = true;
      erasedIds.add(id);
    }
    conn.action({ $case: 'eraseStrokes', value: { actionId, strokeIds: ids.map(unhex) } }, actionId);
    undoStack.push(actionId);
    redoStack.length = 0;
    invalidate(true);
  }

  function undo(): void {
    if (!canEdit) return;
    const a = undoStack.pop();
    if (!a) return toast('Nothing to undo');
    conn.action({ $case: 'undo', value: { actionId: a } }, a);
    redoStack.push(a);
  }

  function redo(): void {
    if (!canEdit) return;
    const a = redoStack.pop();
    if (!a) return toast('Nothing to redo');
    conn.action({ $case: 'redo', value: { actionId: a } }, a);
    undoStack.push(a);
  }

  // ---- pointer input
  canvas.addEventListener('pointerdown', (e) => {
    canvas.focus({ preventScroll: true });
    if (e.pointerType === 'touch') {
      touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (touches.size === 2) {
        endStroke(true);
        endErase(true);
        panning = null;
        pinch = pinchState();
        canvas.setPointerCapture(e.pointerId);
        return;
      }
    }
    if (touches.size > 2) return;
    canvas.setPointerCapture(e.pointerId);
    if (e.button === 1 || spaceHeld || tool === 'hand' || (e.button === 0 && !canEdit && tool !== 'select')) {
      panning = { px: e.clientX, py: e.clientY, vx: view.x, vy: view.y };
      page.classList.add('panning');
      e.preventDefault();
      return;
    }
    if (tool === 'select' && e.button === 0) {
      const [wx, wy] = toWorld(e);
      selecting = { wx, wy };
      selection = { x0: wx, y0: wy, x1: wx, y1: wy };
      exportPanel.hidden = true;
      schedule();
      return;
    }
    if (e.button !== 0 || !canEdit) return;
    if (tool === 'eraser') {
      erasing = { ids: new Set(), queue: [], abort: null, done: false, cancelled: false };
      eraseAt(e);
    } else startStroke(e);
    schedule();
  });

  function pinchState(): { d: number; cx: number; cy: number } {
    const [a, b] = [...touches.values()];
    const r = canvas.getBoundingClientRect();
    return { d: Math.hypot(a.x - b.x, a.y - b.y), cx: (a.x + b.x) / 2 - r.left, cy: (a.y + b.y) / 2 - r.top };
  }

  canvas.addEventListener('pointermove', (e) => {
    if (touches.has(e.pointerId)) touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch && touches.size === 2) {
      const p = pinchState();
      view.x -= (p.cx - pinch.cx) / view.z;
      view.y -= (p.cy - pinch.cy) / view.z;
      if (pinch.d > 0) zoomTo(view.z * (p.d / pinch.d), p.cx, p.cy);
      pinch = p;
      moved();
      return;
    }
    const [wx, wy] = toWorld(e);
    cursorOut = { x: wx, y: wy };
    schedule();
    if (panning) {
      // Whole device pixels from where the drag began, so that the base can be shifted instead of drawn again.
      view.x = panning.vx - Math.round((e.clientX - panning.px) * dpr) / dpr / view.z;
      view.y = panning.vy - Math.round((e.clientY - panning.py) * dpr) / dpr / view.z;
      moved(true);
    } else if (selecting) {
      const [wx, wy] = toWorld(e);
      selection = { x0: Math.min(selecting.wx, wx), y0: Math.min(selecting.wy, wy), x1: Math.max(selecting.wx, wx), y1: Math.max(selecting.wy, wy) };
      dirty = true;
    } else if (drawing) {
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const ce of events.length ? events : [e]) addPoint(ce);
    } else if (erasing) {
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const ce of events.length ? events : [e]) eraseAt(ce);
    }
  });

  function up(e: PointerEvent): void {
    touches.delete(e.pointerId);
    if (pinch) {
      if (touches.size < 2) pinch = null;
      return;
    }
    if (panning) {
      panning = null;
      page.classList.remove('panning');
    }
    if (drawing) endStroke(e.type === 'pointercancel');
    if (erasing) endErase(e.type === 'pointercancel');
    if (selecting) {
      selecting = null;
      // A click (under 3 screen pixels either way) is no area.
      if (e.type === 'pointercancel' || !selection || (selection.x1 - selection.x0) * view.z < 3 || (selection.y1 - selection.y0) * view.z < 3) clearSelection();
      else exportPanel.hidden = false;
      invalidate(false);
    }
  }
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);

  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (e.shiftKey && !e.ctrlKey) {
      view.x += (e.deltaY || e.deltaX) / view.z;
      moved(true);
      return;
    }
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    zoomTo(view.z * Math.exp(-dy * (e.ctrlKey ? 0.01 : 0.0015)), e.clientX - r.left, e.clientY - r.top);
    zoomPreview = true;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => {
      zoomPreview = false;
      moved();
    }, 150);
  }, { passive: false });

  // ---- keyboard
  function onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
    const mod = e.ctrlKey || e.metaKey;
    if (e.type === 'keyup') {
      if (e.code === 'Space') {
        spaceHeld = false;
        page.classList.remove('space');
      }
      return;
    }
    if (e.code === 'Space') {
      spaceHeld = true;
      page.classList.add('space');
      e.preventDefault();
      return;
    }
    if (mod && (e.key === 'z' || e.key === 'Z')) {
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
      return;
    }
    if (mod && (e.key === 'y' || e.key === 'Y')) {
      e.preventDefault();
      redo();
      return;
    }
    if (mod || e.altKey) return;
    switch (e.key) {
      case '+': case '=': zoomBy(1.25); break;
      case '-': case '_': zoomBy(1 / 1.25); break;
      case '0': zoomTo(1, stageW() / 2, stageH() / 2); break;
      case 'p': case 'P': setTool('pen'); break;
      case 'i': case 'I': setTool('highlighter'); break;
      case 'e': case 'E': setTool('eraser'); break;
      case 'x': case 'X': setTool('pixel'); break;
      case 'h': case 'H': setTool('hand'); break;
      case 'a': case 'A': setTool('select'); break;
      case '[': setWidth(WIDTHS[Math.max(0, WIDTHS.indexOf(widthPx) - 1)] ?? WIDTHS[0]); break;
      case ']': setWidth(WIDTHS[Math.min(WIDTHS.length - 1, WIDTHS.indexOf(widthPx) + 1)] ?? WIDTHS[0]); break;
      case 'S': exportPng(); break;
      case '?': toggleHelp(); break;
      case 'Escape':
        if (selection || selecting) clearSelection();
        toggleHelp(false);
        break;
      default:
        if (/^[1-8]$/.test(e.key) && canEdit) setColour(PALETTE[Number(e.key) - 1]);
        else return;
    }
    e.preventDefault();
  }
  window.addEventListener('keydown', onKey);
  window.addEventListener('keyup', onKey);
  const onBlur = () => {
    spaceHeld = false;
    page.classList.remove('space');
  };
  window.addEventListener('blur', onBlur);
  const onOnline = () => conn.reconnectNow();
  window.addEventListener('online', onOnline);

  function toggleHelp(show?: boolean): void {
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  function exportPng(): void {
    const out = document.createElement('canvas');
    out.width = canvas.width;
    out.height = canvas.height;
    const o = out.getContext('2d')!;
    o.fillStyle = '#fff';
    o.fillRect(0, 0, out.width, out.height);
    o.drawImage(canvas, 0, 0);
    out.toBlob((blob) => {
      if (!blob) return toast('Export failed');
      download(blob, fileName());
    }, 'image/png');
  }

  function fileName(): string {
    return `${room.name.replace(/[^\w.-]+/g, '_') || 'board'}.png`;
  }

  // ---- area export: a world rectangle rendered server-side (GET /api/rooms/:id/export.png)
  /** The region in world units ×100 and the picture's size at a scale, as the server computes it. */
  function exportSize(f: number): { minX: number; minY: number; maxX: number; maxY: number; w: number; h: number; fits: boolean } | null {
    const sel = selection;
    if (!sel) return null;
    const minX = Math.round(sel.x0 * COORD_SCALE);
    const minY = Math.round(sel.y0 * COORD_SCALE);
    const maxX = Math.max(minX + 1, Math.round(sel.x1 * COORD_SCALE));
    const maxY = Math.max(minY + 1, Math.round(sel.y1 * COORD_SCALE));
    const w = Math.max(1, Math.round(((maxX - minX) / COORD_SCALE) * view.z * f));
    const hh = Math.max(1, Math.round((w * (maxY - minY)) / (maxX - minX))); // the gateway's exportHeight
    return { minX, minY, maxX, maxY, w, h: hh, fits: w <= EXPORT_MAX_SIDE && hh <= EXPORT_MAX_SIDE && w * hh <= EXPORT_MAX_PIXELS };
  }

  function setExportScale(f: number): void {
    exportScale = f;
    dirty = true;
    schedule();
  }

  function clearSelection(): void {
    selecting = null;
    selection = null;
    selBox.hidden = true;
    exportPanel.hidden = true;
    delete stage.dataset.selection;
  }

  /** Once per frame: the outline where the world rectangle is now, its size, and the scale buttons. */
  function placeSelection(): void {
    const sel = selection;
    if (!sel) return;
    const x = (sel.x0 - view.x) * view.z;
    const y = (sel.y0 - view.y) * view.z;
    const w = (sel.x1 - sel.x0) * view.z;
    const hh = (sel.y1 - sel.y0) * view.z;
    selBox.hidden = false;
    selBox.style.transform = `translate(${x}px, ${y}px)`;
    selBox.style.width = `${w}px`;
    selBox.style.height = `${hh}px`;
    const sz = exportSize(exportScale)!;
    selSize.textContent = `${sz.w} × ${sz.h} px`;
    stage.dataset.selection = `${sz.minX},${sz.minY},${sz.maxX},${sz.maxY},${sz.w},${sz.h}`;
    for (const b of scaleButtons) {
      const f = Number(b.dataset.scale);
      const o = exportSize(f)!;
      b.classList.toggle('active', f === exportScale);
      b.classList.toggle('too-big', !o.fits);
      b.title = o.fits ? `${f}× the size on screen: ${o.w} × ${o.h} px` : `${f}× is ${o.w} × ${o.h} px: too big`;
    }
    exportMsg.textContent = sz.fits ? '' : `Too big: the server renders at most ${EXPORT_MAX_SIDE} px a side and ${EXPORT_MAX_PIXELS / 1024 / 1024} Mpx. Pick a smaller scale or area.`;
    exportMsg.classList.toggle('error', !sz.fits);
    exportGo.disabled = !sz.fits || exporting;
    if (!exportPanel.hidden) {
      // Under the area, or above it near the bottom, kept inside the stage.
      const pw = exportPanel.offsetWidth;
      const ph = exportPanel.offsetHeight;
      const px = Math.min(Math.max(8, x), stageW() - pw - 8);
      const py = y + hh + 8 + ph < stageH() - 70 ? y + hh + 8 : Math.max(8, y - ph - 8);
      exportPanel.style.transform = `translate(${px}px, ${py}px)`;
    }
  }

  async function exportArea(): Promise<void> {
    const sz = exportSize(exportScale);
    if (!sz || exporting) return;
    if (!sz.fits) return toast(exportMsg.textContent ?? 'Too big');
    exporting = true;
    exportGo.disabled = true;
    stage.dataset.export = 'loading';
    try {
      const q = `minX=${sz.minX}&minY=${sz.minY}&maxX=${sz.maxX}&maxY=${sz.maxY}&width=${sz.w}`;
      const res = await fetch(`/api/rooms/${room.id}/export.png?${q}`, { credentials: 'same-origin' });
      if (!res.ok) {
        let msg = `${res.status} ${res.statusText}`;
        try {
          const j = (await res.json()) as { message?: string | string[] };
          if (j.message) msg = Array.isArray(j.message) ? j.message.join(', ') : j.message;
        } catch {}
        throw new Error(msg);
      }
      download(await res.blob(), fileName());
      stage.dataset.export = 'done';
      clearSelection();
    } catch (e) {
      stage.dataset.export = 'failed';
      toast(`Export failed: ${(e as Error).message}`);
    } finally {
      exporting = false;
      exportGo.disabled = false;
      invalidate(false);
    }
  }

  // ---- start
  setTool(tool);
  setColour(colour);
  setWidth(widthPx);
  applyRole();
  renderPresence();
  resize();
  // Tiles first; then the WebSocket sends only what came after them (last_seq = head_seq).
  clearTimeout(tileTimer);
  loadVisibleTiles().then((head) => {
    if (head) conn.lastSeq = head;
  }, () => {}).finally(() => conn.start());
  canvas.focus({ preventScroll: true });

  return () => {
    conn.stop();
    endErase(true);
    for (const er of lookups) er.abort?.abort();
    clearTimeout(tileTimer);
    tileGen++;
    ro.disconnect();
    cancelAnimationFrame(raf);
    clearTimeout(previewTimer);
    window.removeEventListener('keydown', onKey);
    window.removeEventListener('keyup', onKey);
    window.removeEventListener('blur', onBlur);
    window.removeEventListener('online', onOnline);
  };
}

/** An object-eraser gesture: what it will erase, and its points still to ask the server about. */
interface Erasing {
  ids: Set<string>;
  /** World points (x, y, radius) that hit no local vector, not yet asked about. */
  queue: [number, number, number][];
  /** The request in flight for this gesture. */
  abort: AbortController | null;
  done: boolean;
  cancelled: boolean;
}

/** A stroke as a cut-out at zoom z: its widest ink (pen factor 1.5) plus a CSS pixel of anti-aliasing each side. */
function ghostOf(d: Decoded, z: number): Decoded {
  return { ...d, tool: TOOL_PIXEL_ERASER, ps: null, width: d.width * (d.tool === TOOL_PEN ? 1.5 : 1) + 2 / z };
}

function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

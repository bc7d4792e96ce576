// The board page: an infinite canvas with pan and zoom, pen, highlighter and erasers, other people's strokes while
// they draw and their cursors. This file puts the board model and the modules around it together and wires the
// WebSocket to them (docs/architecture.md, "Browser client modules").
import { h, clear, toast } from '../dom.ts';
import type { Role as RoleName, Room, User } from '../api.ts';
import { Role } from '../gen/infidraw/room/v1/event.ts';
import type { Stroke } from '../gen/infidraw/stroke/v1/stroke.ts';
import { unhex } from '../ids.ts';
import { RoomConnection } from '../net.ts';
import { fetchStrokesAt } from '../tiles.ts';
import { AreaExport, exportView } from './export.ts';
import { Header } from './header.ts';
import { PointerInput } from './input.ts';
import { bindKeyboard } from './keyboard.ts';
import { BoardModel } from './model.ts';
import { ObjectEraser } from './object-eraser.ts';
import { PeersView } from './peers.ts';
import { Renderer } from './renderer.ts';
import { ShortcutsDialog } from './shortcuts.ts';
import { StageData } from './stage-data.ts';
import { DRAG_LOAD_MS, TileLoader, TILES_DEBOUNCE_MS } from './tile-loader.ts';
import { TilePainter } from './tile-painter.ts';
import { Toolbar } from './toolbar.ts';
import { zoomLabel } from './view.ts';

export function mountBoard(root: HTMLElement, room: Room, user: User): () => void {
  const conn = new RoomConnection(room.id, {
    welcome: (w) => {
      // The role of this connection's token: it may differ from the page's after the access changed.
      model.welcome(w.sessionId, roleName(w.role), w.peers);
      applyRole();
      peers.renderPresence();
      peers.placeCursors(performance.now());
      invalidate(true);
    },
    events: (events) => {
      const { added, erasedOrRestored } = model.applyEvents(events);
      for (const rec of added) renderer.strokeAdded(rec);
      // The strokes may be baked into snapshots: the server never serves a snapshot older than an erase of its
      // tile, so the tiles fetched again show the change.
      if (erasedOrRestored) tiles.refresh();
      data.set('strokes', String(model.committed.length));
      data.set('lastSeq', String(conn.lastSeq));
      invalidate(erasedOrRestored);
    },
    live: (l) => {
      const changed = model.applyLive(l, performance.now());
      if (changed === 'cursor') peers.placeCursors(performance.now());
      else if (changed === 'stroke') renderer.requestFrame();
    },
    presence: (p) => {
      model.presence(p);
      peers.renderPresence();
      peers.placeCursors(performance.now());
      renderer.requestFrame();
    },
    state: (s, detail) => {
      header.setConnection(s, detail);
      header.setUnsent(conn.unackedCount);
    },
    accessChanged: () => toast('Your access changed'),
    refused: (msg, key) => {
      toast(msg);
      if (key) {
        model.refused(key);
        renderer.requestFrame();
      }
    },
    acked: () => header.setUnsent(conn.unackedCount),
    reminted: (oldId, newId) => model.reminted(oldId, newId),
  });

  const model = new BoardModel(room.role, conn.unacked());
  const stage = h('div#stage.stage', { 'data-strokes': '0', 'data-last-seq': '0' });
  const data = new StageData(stage);
  const canvas = h('canvas#board-canvas', { 'aria-label': 'Drawing canvas', tabindex: 0 });
  const peers = new PeersView(model, user);
  const shortcuts = new ShortcutsDialog();
  const header = new Header(room, peers.list, { exportView: () => exportView(canvas, room.name), toggleHelp: () => shortcuts.toggle() });
  const area = new AreaExport(room, model.view, data, () => renderer.requestFrame());
  const toolbar = new Toolbar({
    canEdit: () => model.canEdit, zoomBy, zoomReset,
    undo: () => replay('undo'),
    redo: () => replay('redo'),
    toolChanged: (t) => {
      if (t !== 'select') area.clear();
      page.dataset.tool = t;
    },
  });
  const readonlyBanner = h('div.readonly', { hidden: true }, 'View only — you can look around but not draw.');
  stage.append(canvas, peers.layer, readonlyBanner, area.box, area.panel);
  const page = h('div.board-page', {}, header.el, stage, toolbar.el, shortcuts.el);

  const eraser = new ObjectEraser(model, {
    lookup: (x, y, r, signal) => fetchStrokesAt(room.id, x, y, r, signal),
    changed: () => invalidate(true),
    erase,
    looked: (s) => data.set('eraserLookups', `${s.requests},${s.hits},${s.partial},${s.failed}`),
  });
  const painter = new TilePainter(model, (id) => model.erased.has(id) || eraser.selects(id));
  const tiles = new TileLoader(room.id, model, painter, data, () => renderer.requestFrame());
  const renderer: Renderer = new Renderer(canvas, model, painter, data, {
    beforeFrame: () => input.flush(),
    drawing: () => input.stroke,
    afterFrame: () => {
      toolbar.showZoom(zoomLabel(model.view.z));
      peers.placeCursors(performance.now());
      area.place();
      header.setUnsent(conn.unackedCount);
    },
  });
  const input: PointerInput = new PointerInput(canvas, {
    model, toolbar, eraser, area, moved, invalidate,
    schedule: () => renderer.schedule(),
    previewZoom: (on) => (renderer.previewing = on),
    send: (body) => conn.sendEphemeral(body),
    commit,
    panning: (on) => page.classList.toggle('panning', on),
  });
  const unbindKeyboard = bindKeyboard({
    toolbar, zoomBy, zoomReset,
    undo: () => replay('undo'),
    redo: () => replay('redo'),
    canEdit: () => model.canEdit,
    exportView: () => exportView(canvas, room.name),
    toggleHelp: (show) => shortcuts.toggle(show),
    cancelSelection: () => area.clear(),
    space: (held) => {
      input.spaceHeld = held;
      page.classList.toggle('space', held);
    },
  });

  /** What is drawn changed; `full`: the whole picture (and the tiles the view needs may have changed too). */
  function invalidate(full: boolean): void {
    renderer.invalidate(full);
    if (full) tiles.schedule();
  }

  /** The view moved or zoomed; `drag`: by a drag, which loads the tiles it uncovers while it goes on. */
  function moved(drag = false): void {
    renderer.moved();
    tiles.schedule(TILES_DEBOUNCE_MS, drag ? DRAG_LOAD_MS : Infinity);
  }

  function zoomBy(f: number): void {
    model.view.zoomBy(f);
    moved();
  }

  function zoomReset(): void {
    model.view.zoomTo(1, model.view.width / 2, model.view.height / 2);
    moved();
  }

  function commit(s: Stroke): void {
    model.drew(s);
    conn.commit(s);
  }

  function erase(ids: string[]): void {
    const actionId = unhex(model.erase(ids));
    conn.action({ $case: 'eraseStrokes', value: { actionId, strokeIds: ids.map(unhex) } }, actionId);
    invalidate(true);
  }

  /** Undoes one's own last action, or redoes the last one undone; the server checks that it is one's own. */
  function replay(kind: 'undo' | 'redo'): void {
    if (!model.canEdit) return;
    const a = kind === 'undo' ? model.history.undo() : model.history.redo();
    if (!a) return toast(`Nothing to ${kind}`);
    const actionId = unhex(a);
    conn.action(kind === 'undo' ? { $case: 'undo', value: { actionId } } : { $case: 'redo', value: { actionId } }, actionId);
  }

  function applyRole(): void {
    header.setRole(model.role);
    readonlyBanner.hidden = model.canEdit;
    page.dataset.readonly = String(!model.canEdit);
    toolbar.applyRole(model.canEdit);
  }

  function resize(): void {
    model.view.resize(stage.clientWidth, stage.clientHeight, window.devicePixelRatio || 1);
    renderer.resize();
    invalidate(true);
  }

  clear(root);
  root.append(page);
  toolbar.start();
  applyRole();
  peers.renderPresence();
  resize();
  const ro = new ResizeObserver(resize);
  ro.observe(stage);
  const onOnline = () => conn.reconnectNow();
  window.addEventListener('online', onOnline);
  let mounted = true;
  // Tiles first; then the WebSocket sends only what came after them (last_seq = head_seq).
  tiles.loadNow().then((head) => {
    if (head) conn.lastSeq = head;
  }, () => {}).finally(() => {
    if (mounted) conn.start();
  });
  canvas.focus({ preventScroll: true });

  return () => {
    mounted = false;
    conn.stop();
    eraser.dispose();
    tiles.dispose();
    ro.disconnect();
    renderer.dispose();
    input.dispose();
    unbindKeyboard();
    window.removeEventListener('online', onOnline);
  };
}

function roleName(r: Role): RoleName {
  return r === Role.ROLE_OWNER ? 'owner' : r === Role.ROLE_EDITOR ? 'editor' : 'viewer';
}

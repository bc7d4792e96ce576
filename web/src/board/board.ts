// The board page: an infinite canvas with pan and zoom, pen, highlighter and erasers, other people's strokes while
// they draw and their cursors, a timeline that shows the board as it was, restoring an area to a past point, and the
// owner's People dialog (revert a person, ban). This file puts the board model and the modules around it together and
// wires the WebSocket to them (docs/architecture.md, "Browser client modules").
import { h, clear, toast } from '../dom.ts';
import type { HistoryAction, Region, Role as RoleName, Room, User } from '../api.ts';
import { Role } from '../gen/infidraw/room/v1/event.ts';
import type { Stroke } from '../gen/infidraw/stroke/v1/stroke.ts';
import { hexOfUuid, unhex } from '../ids.ts';
import { RoomConnection, sameView } from '../net.ts';
import { fetchStrokesAt, type PastPoint } from '../tiles.ts';
import { AreaExport, exportView } from './export.ts';
import { rectBetween, regionOf } from './export-area.ts';
import { Header } from './header.ts';
import { actionSummary } from './history-actions.ts';
import { PointerInput } from './input.ts';
import { bindKeyboard } from './keyboard.ts';
import { Debounced } from './debounce.ts';
import { declaredView, Interest } from './interest.ts';
import { BoardModel } from './model.ts';
import { ObjectEraser } from './object-eraser.ts';
import { PeersView } from './peers.ts';
import { PeopleDialog } from './people.ts';
import { Renderer } from './renderer.ts';
import { ShortcutsDialog } from './shortcuts.ts';
import { StageData } from './stage-data.ts';
import { DRAG_LOAD_MS, TileLoader, TILES_DEBOUNCE_MS, type TilesAnswer } from './tile-loader.ts';
import { TilePainter } from './tile-painter.ts';
import { TileStore } from './tile-store.ts';
import { TimelapseDownload } from './timelapse.ts';
import { Timeline } from './timeline.ts';
import { TimelineBar } from './timeline-bar.ts';
import { Toolbar } from './toolbar.ts';
import { zoomLabel } from './view.ts';

export function mountBoard(root: HTMLElement, room: Room, user: User): () => void {
  const conn = new RoomConnection(room.id, {
    welcome: (w) => {
      // The role of this connection's token: it may differ from the page's after the access changed.
      model.welcome(w.sessionId, roleName(w.role), w.peers, w.viewers);
      applyRole();
      peers.renderPresence();
      peers.placeCursors(performance.now());
      invalidate(true);
    },
    // In the past too: the board now stays up to date for the way back, and the timeline reaches the new head.
    events: (events) => {
      const { added, erasedOrRestored } = model.applyEvents(events);
      for (const rec of added) renderer.strokeAdded(rec);
      // The strokes may be baked into snapshots: the server never serves a snapshot older than an erase of its
      // tile, so the tiles fetched again show the change.
      if (erasedOrRestored) liveTiles.refresh();
      data.set('strokes', String(model.committed.length));
      data.set('lastSeq', String(conn.lastSeq));
      timeline.headMoved(conn.lastSeq);
      invalidate(erasedOrRestored);
    },
    // The server filters by the view from now on: cached tiles it does not watch go stale; the visible tiles that waited
    // for it (or are stale) are read now, unless the view moved on since (a zoom still going: the loader's debounce).
    watching: (view, seq) => {
      interest.watching(view);
      data.set('watch', view ? `${view.level}:${view.minX},${view.minY},${view.maxX},${view.maxY}@${seq}` : 'all');
      if (!view || sameView(view, declaredView(model.view))) liveTiles.schedule(0);
    },
    tilesChanged: (level, tiles, throughSeq) => {
      interest.tilesChanged(level, tiles, throughSeq);
      tilesChanged++;
      data.set('tilesChanged', String(tilesChanged));
      data.set('lastSeq', String(conn.lastSeq));
      timeline.headMoved(conn.lastSeq);
      liveTiles.schedule();
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
    acked: (key, seq) => {
      header.setUnsent(conn.unackedCount);
      // One's own stroke is committed even when its event does not come (a view elsewhere or at a coarse level).
      const rec = model.ackedStroke(key, seq);
      if (rec) {
        renderer.strokeAdded(rec);
        data.set('strokes', String(model.committed.length));
      }
    },
    reminted: (oldId, newId) => model.reminted(oldId, newId),
  });

  const model = new BoardModel(room.role, conn.unacked());
  const interest = new Interest(model.tiles);
  /** TilesChanged notices received (a view at a coarse level). */
  let tilesChanged = 0;
  // The view goes to the server when it settles, as the tiles are loaded (not at every pointer move).
  const viewSender = new Debounced(() => conn.setView(declaredView(model.view)));
  const stage = h('div#stage.stage', { 'data-strokes': '0', 'data-last-seq': '0' });
  const data = new StageData(stage);
  const canvas = h('canvas#board-canvas', { 'aria-label': 'Drawing canvas', tabindex: 0 });
  const peers = new PeersView(model, user);
  const shortcuts = new ShortcutsDialog();
  const timeline = new Timeline({
    show: showPoint,
    changed: () => {
      timelineBar.update();
      data.set('history', timeline.past ? 'past' : 'live');
    },
  });
  const timelapse = new TimelapseDownload({ roomId: room.id, boardName: room.name, data });
  const timelapseOf = (r: Region) => void timelapse.start(r, timeline.at);
  const timelineBar = new TimelineBar(timeline, room.id, model.view, data, () => {
    const v = model.view;
    timelapseOf(regionOf(rectBetween(...v.toWorld(0, 0), ...v.toWorld(v.width, v.height))));
  });
  const people = new PeopleDialog({
    roomId: room.id,
    timelineSeq: () => timeline.seq,
    reverted: (a, name) => didHistoryAction(a, `Reverted ${name}`),
  });
  const header = new Header(room, peers.list, {
    toggleTimeline, togglePeople: () => people.toggle(), exportView: () => exportView(canvas, room.name), toggleHelp: () => shortcuts.toggle(),
  });
  const area = new AreaExport({
    room, view: model.view, data,
    redraw: () => renderer.requestFrame(),
    point: () => timeline.at,
    restorePoint: () => (model.canEdit ? timeline.seq : null),
    restored: (a) => didHistoryAction(a, 'Restored'),
    timelapse: timelapseOf,
  });
  const toolbar = new Toolbar({
    canEdit: canDraw, zoomBy, zoomReset,
    undo: () => replay('undo'),
    redo: () => replay('redo'),
    toolChanged: (t) => {
      if (t !== 'select') area.clear();
      page.dataset.tool = t;
    },
  });
  const readonlyBanner = h('div.readonly', { hidden: true }, 'View only — you can look around but not draw.');
  stage.append(canvas, peers.layer, readonlyBanner, timelineBar.el, area.box, area.panel, timelapse.el);
  const page = h('div.board-page', {}, header.el, stage, toolbar.el, shortcuts.el, people.el);

  const eraser = new ObjectEraser(model, {
    lookup: (x, y, r, signal) => fetchStrokesAt(room.id, x, y, r, signal),
    changed: () => invalidate(true),
    erase,
    looked: (s) => data.set('eraserLookups', `${s.requests},${s.hits},${s.partial},${s.failed}`),
  });
  // The board now and, while the timeline is open, the past point it shows: each its own tiles, painter and loader.
  const livePainter = new TilePainter({
    view: model.view, tiles: model.tiles, committed: model.committed, hidden: (id) => model.erased.has(id) || eraser.selects(id),
  });
  const liveTiles = new TileLoader({
    roomId: room.id, view: model.view, tiles: model.tiles, painter: livePainter, data, interest,
    changed: () => renderer.requestFrame(),
    // Strokes restored where this page did not look (their restore was not sent here) show again.
    read: (answer) => {
      let restored = false;
      for (const t of answer) if (model.shown(t.strokes.map((st) => st.id), t.coversSeq)) restored = true;
      if (restored) invalidate(true);
    },
    answered: (a) => timeline.headMoved(a.headSeq),
  });
  const pastStore = new TileStore();
  const pastPainter = new TilePainter({ view: model.view, tiles: pastStore, committed: [], hidden: () => false });
  const pastTiles = new TileLoader({
    roomId: room.id, view: model.view, tiles: pastStore, painter: pastPainter, data,
    changed: () => renderer.requestFrame(),
    answered: pastAnswered,
  });
  pastTiles.pause();
  /** The point the past tiles were last read at (a frame with them on screen says so in data-at-seq). */
  let pastAt: number | null = null;
  const renderer: Renderer = new Renderer(canvas, model, livePainter, data, {
    beforeFrame: () => input.flush(),
    drawing: () => input.stroke,
    afterFrame: () => {
      if (pastAt !== null) data.set('atSeq', String(pastAt));
      toolbar.showZoom(zoomLabel(model.view.z));
      peers.placeCursors(performance.now());
      area.place();
      header.setUnsent(conn.unackedCount);
    },
  });
  const input: PointerInput = new PointerInput(canvas, {
    model, toolbar, eraser, area, canDraw, moved, invalidate,
    schedule: () => renderer.schedule(),
    previewZoom: (on) => (renderer.previewing = on),
    send: (body) => conn.sendEphemeral(body),
    commit,
    panning: (on) => page.classList.toggle('panning', on),
  });
  const unbindKeyboard = bindKeyboard({
    toolbar, zoomBy, zoomReset, canEdit: canDraw, toggleTimeline,
    undo: () => replay('undo'),
    redo: () => replay('redo'),
    exportView: () => exportView(canvas, room.name),
    toggleHelp: (show) => shortcuts.toggle(show),
    stepTimeline: (by) => timeline.step(by),
    escape: () => {
      if (area.active) area.clear();
      else if (shortcuts.open) shortcuts.toggle(false);
      else if (people.open) people.toggle(false);
      else timeline.close();
    },
    space: (held) => {
      input.spaceHeld = held;
      page.classList.toggle('space', held);
    },
  });

  /** The loader of the tiles on screen: the past point's while the timeline is open. */
  function tiles(): TileLoader {
    return timeline.past ? pastTiles : liveTiles;
  }

  /** Whether one may draw and erase: an editor, on the board now. */
  function canDraw(): boolean {
    return model.canEdit && !timeline.past;
  }

  /** What is drawn changed; `full`: the whole picture (and the tiles the view needs may have changed too). */
  function invalidate(full: boolean): void {
    renderer.invalidate(full);
    if (full) tiles().schedule();
  }

  /** The view moved or zoomed; `drag`: by a drag, which loads the tiles it uncovers while it goes on. */
  function moved(drag = false): void {
    renderer.moved();
    tiles().schedule(TILES_DEBOUNCE_MS, drag ? DRAG_LOAD_MS : Infinity);
    viewSender.schedule(TILES_DEBOUNCE_MS, drag ? DRAG_LOAD_MS : Infinity);
    timelineBar.viewMoved();
  }

  function toggleTimeline(): void {
    if (timeline.past) timeline.close();
    else timeline.open();
  }

  /**
   * The timeline chose a point (null: now). Into the past, the live tiles stop loading and stay cached, peers' cursors
   * and every stroke not in the past's tiles leave the screen, and drawing stops; back, all of it returns as it is
   * now (the WebSocket kept the board now up to date meanwhile) and the past's tiles are dropped.
   */
  function showPoint(point: PastPoint | null): void {
    if (point) {
      pastTiles.readAt(point);
      void timelineBar.lookUpTime();
      if (!renderer.showingPast) {
        liveTiles.pause();
        pastTiles.resume();
        renderer.showPast(pastPainter);
      }
    } else {
      pastTiles.pause();
      pastTiles.refresh();
      liveTiles.resume();
      renderer.showPast(null);
      pastAt = null;
      data.delete('atSeq');
    }
    peers.layer.hidden = !!point;
    applyRole();
  }

  /** A read of the past answered: the point it read (a time chosen now has its seq), and the head it saw. */
  function pastAnswered(a: TilesAnswer): void {
    timeline.headMoved(a.headSeq);
    timeline.resolved(a.atSeq);
    void timelineBar.lookUpTime();
    pastAt = a.atSeq;
    renderer.requestFrame();
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

  /**
   * A restore or revert of one's own committed: the next undo names it, and the board goes back to live to show what
   * it did (and so that Ctrl+Z, which works on the board now only, can undo it at once).
   */
  function didHistoryAction(a: HistoryAction, what: string): void {
    model.history.did(hexOfUuid(a.actionId));
    timeline.close();
    toast(`${what}: ${actionSummary(a)}. Ctrl+Z undoes it.`);
  }

  /** Undoes one's own last action, or redoes the last one undone; the server checks that it is one's own. */
  function replay(kind: 'undo' | 'redo'): void {
    if (!canDraw()) return;
    const a = kind === 'undo' ? model.history.undo() : model.history.redo();
    if (!a) return toast(`Nothing to ${kind}`);
    const actionId = unhex(a);
    conn.action(kind === 'undo' ? { $case: 'undo', value: { actionId } } : { $case: 'redo', value: { actionId } }, actionId);
  }

  /** The role and the timeline decide what one may do; the timeline's banner stands in for the viewers' one. */
  function applyRole(): void {
    header.setRole(model.role);
    readonlyBanner.hidden = model.canEdit || timeline.past;
    page.dataset.readonly = String(!canDraw());
    toolbar.applyRole(canDraw());
  }

  function resize(): void {
    model.view.resize(stage.clientWidth, stage.clientHeight, window.devicePixelRatio || 1);
    renderer.resize();
    invalidate(true);
    viewSender.schedule(TILES_DEBOUNCE_MS);
  }

  clear(root);
  root.append(page);
  data.set('history', 'live');
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
  liveTiles.loadNow().then((head) => {
    if (head) conn.lastSeq = head;
  }, () => {}).finally(() => {
    if (!mounted) return;
    conn.setView(declaredView(model.view)); // the Join carries it
    conn.start();
  });
  canvas.focus({ preventScroll: true });

  return () => {
    mounted = false;
    viewSender.cancel();
    conn.stop();
    eraser.dispose();
    timeline.dispose();
    timelineBar.dispose();
    liveTiles.dispose();
    pastTiles.dispose();
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

// Who is here and where their pointers are: the presence list in the header (oneself first, and in a crowded room the
// viewers counted, not listed) and a cursor with a name per session that moved its pointer, following the view.
import { h, clear } from '../dom.ts';
import type { User } from '../api.ts';
import type { BoardModel, Cursor } from './model.ts';

/** A cursor that has not moved for this long (ms) is hidden. */
const CURSOR_IDLE_MS = 15_000;
/** Cursors this far (CSS pixels) outside the stage are hidden. */
const CURSOR_MARGIN_PX = 50;

/** A colour per user, the same on every screen. */
export function peerColour(id: string): string {
  let x = 0;
  for (const c of id) x = (x * 31 + c.charCodeAt(0)) | 0;
  return `hsl(${Math.abs(x) % 360} 70% 45%)`;
}

export class PeersView {
  /** The presence list for the header. */
  readonly list = h('ul#presence.presence', { 'aria-label': 'Who is here' });
  /** The layer of cursors over the canvas. */
  readonly layer = h('div.cursors', { 'aria-hidden': 'true' });
  private readonly cursors = new Map<number, HTMLElement>();
  private readonly model: BoardModel;
  private readonly user: User;

  constructor(model: BoardModel, user: User) {
    this.model = model;
    this.user = user;
  }

  /** The presence list again: oneself, then every other session listed, then "N watching" for the viewers counted. */
  renderPresence(): void {
    clear(this.list);
    const name = this.user.displayName;
    const me = h('li.peer.me', { title: `${name} (you)` }, name.slice(0, 1).toUpperCase());
    me.style.background = peerColour(this.user.id);
    this.list.append(me);
    for (const p of this.model.peers.values()) {
      if (p.sessionId === this.model.session) continue;
      const li = h('li.peer', { title: p.displayName, 'data-session': p.sessionId }, p.displayName.slice(0, 1).toUpperCase());
      li.style.background = peerColour(p.userId);
      this.list.append(li);
    }
    this.list.dataset.count = String(this.list.childElementCount);
    const n = this.model.viewers;
    this.list.dataset.watching = String(n);
    if (n > 0) this.list.append(h('li.watching', { title: 'Viewers of this crowded board, not listed' }, `${n} watching`));
  }

  /** Every cursor where the view shows it now; cursors of sessions gone are removed. */
  placeCursors(now: number): void {
    for (const [session, el] of this.cursors) {
      if (this.model.cursors.has(session)) continue;
      el.remove();
      this.cursors.delete(session);
    }
    for (const [session, c] of this.model.cursors) this.place(this.cursorOf(session), c, now);
  }

  private cursorOf(session: number): HTMLElement {
    let el = this.cursors.get(session);
    if (!el) {
      const p = this.model.peers.get(session);
      el = h('div.cursor', { 'data-session': session }, h('span.cursor-name', {}, p?.displayName ?? 'someone'));
      el.style.setProperty('--c', peerColour(p?.userId ?? String(session)));
      this.layer.append(el);
      this.cursors.set(session, el);
    }
    return el;
  }

  private place(el: HTMLElement, c: Cursor, now: number): void {
    const view = this.model.view;
    const [sx, sy] = view.toScreen(c.x, c.y);
    el.style.transform = `translate(${sx}px, ${sy}px)`;
    const m = CURSOR_MARGIN_PX;
    el.hidden = now - c.at > CURSOR_IDLE_MS || sx < -m || sy < -m || sx > view.width + m || sy > view.height + m;
  }
}

// The header above the board: back to the boards, the board's name and one's role, the connection with the number of
// strokes not yet sent, who is here, and the history (timeline), people (the owner's), export and help buttons.
import { h } from '../dom.ts';
import type { Role, Room } from '../api.ts';
import type { ConnState } from '../net.ts';

const CONNECTION_TEXT: Record<ConnState, string> = { online: 'Connected', connecting: 'Connecting…', offline: 'Offline — retrying', closed: 'Disconnected' };

export interface HeaderHost {
  toggleTimeline(): void;
  /** The owner's People dialog: revert and ban. */
  togglePeople(): void;
  exportView(): void;
  toggleHelp(): void;
}

export class Header {
  readonly el: HTMLElement;
  private readonly conn = h('span#conn.conn', { 'data-state': 'connecting', title: 'Connection to the board' }, CONNECTION_TEXT.connecting);
  private readonly role: HTMLElement;
  private readonly people: HTMLButtonElement;
  private state: ConnState = 'connecting';
  private unsent = 0;

  /** presence: the list of who is here (PeersView). */
  constructor(room: Room, presence: HTMLElement, host: HeaderHost) {
    this.role = h('span.role', {}, room.role);
    this.people = h('button#people-button', { title: 'Members and guests: revert what someone did, ban them', hidden: room.role !== 'owner', onclick: () => host.togglePeople() }, 'People');
    this.el = h('header.board-header', {},
      h('a.back', { href: '/', 'data-link': true, title: 'My boards' }, '← Boards'),
      h('h1.room-name', {}, room.name), this.role, this.conn, presence,
      h('span.spacer'),
      h('button#history', { title: 'The board as it was: a timeline (T)', onclick: () => host.toggleTimeline() }, 'History'),
      this.people,
      h('button#export', { title: 'Export the view as PNG (Shift+S)', onclick: () => host.exportView() }, 'Export PNG'),
      h('button#help', { title: 'Keyboard shortcuts (?)', onclick: () => host.toggleHelp() }, '?'));
  }

  /** One's role; the People button is the owner's. */
  setRole(role: Role): void {
    this.role.textContent = role;
    this.people.hidden = role !== 'owner';
  }

  /** The connection's state; `detail` (why, the next retry) goes in the tooltip. */
  setConnection(s: ConnState, detail: string): void {
    this.state = s;
    this.conn.dataset.state = s;
    this.conn.title = detail || s;
    this.showText();
  }

  /** Strokes drawn here and not acknowledged yet (they are kept and resent). */
  setUnsent(n: number): void {
    if (n === this.unsent) return;
    this.unsent = n;
    this.showText();
  }

  private showText(): void {
    this.conn.dataset.unsent = String(this.unsent);
    const base = CONNECTION_TEXT[this.state];
    this.conn.textContent = this.unsent ? `${base} · ${this.unsent} unsent` : base;
  }
}

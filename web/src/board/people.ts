// The owner's People dialog on the board: the room's members and guests, and who is banned. Per person, "Revert
// since…" undoes what they did since a point as one action of the owner's (POST /api/rooms/:id/revert), which the
// owner's Ctrl+Z undoes on this page; "Ban" removes them and keeps them out of the room's links (PUT …/bans/:userId),
// "Lift ban" lets them back (DELETE).
import { h, clear, toast } from '../dom.ts';
import { ApiError, ban, liftBan, listBans, listMembers, revertPerson, type HistoryAction } from '../api.ts';
import { localInputValue } from './timeline.ts';
import { revertPoint, type RevertFrom } from './history-actions.ts';

export interface PeopleHost {
  readonly roomId: string;
  /** The seq the timeline shows, null when it shows the board now or a time not resolved yet. */
  timelineSeq(): number | null;
  /** A revert of `name` committed (the owner's action, to undo). */
  reverted(a: HistoryAction, name: string): void;
}

/** Someone a revert may name: a member or guest of the room, or someone banned from it. */
interface Person {
  userId: string;
  displayName: string;
}

export class PeopleDialog {
  readonly el: HTMLElement;
  private readonly members = h('ul#people-members.people');
  private readonly banned = h('ul#people-banned.people');
  private readonly host: PeopleHost;

  constructor(host: PeopleHost) {
    this.host = host;
    this.el = h('div#people.dialog', { hidden: true, role: 'dialog', 'aria-label': 'People' },
      h('h2', {}, 'People'),
      h('p.hint', {}, 'Revert undoes what someone did since a point, as one action of yours (Ctrl+Z undoes it). Ban removes them ' +
        'at once and keeps them out of this board\'s share links; what they drew stays until you revert it.'),
      this.members,
      h('h3', {}, 'Banned'),
      this.banned,
      h('button.close', { onclick: () => this.toggle(false) }, 'Done'));
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  /** Shows the dialog (reading who is here and who is banned) or hides it; without an argument, the other way round. */
  toggle(show?: boolean): void {
    this.el.hidden = show === undefined ? !this.el.hidden : !show;
    if (!this.el.hidden) void this.refresh();
  }

  private async refresh(): Promise<void> {
    try {
      const [members, bans] = await Promise.all([listMembers(this.host.roomId), listBans(this.host.roomId)]);
      clear(this.members);
      clear(this.banned);
      for (const m of members.filter((m) => m.role !== 'owner')) {
        this.members.append(this.row(m, `${m.kind === 'guest' ? 'guest' : 'member'} · ${m.role}`,
          h('button.ban.danger', { onclick: () => void this.ban(m) }, 'Ban')));
      }
      if (this.members.childElementCount === 0) this.members.append(h('li.empty', {}, 'Nobody else has joined yet.'));
      for (const b of bans) {
        this.banned.append(this.row(b, `banned ${new Date(b.bannedAt).toLocaleString()}`,
          h('button.lift', { onclick: () => void this.lift(b) }, 'Lift ban')));
      }
      if (bans.length === 0) this.banned.append(h('li.empty', {}, 'Nobody.'));
    } catch (e) {
      toast(`People: ${(e as Error).message}`);
    }
  }

  /** A person's row: name, what they are, "Revert since…" and one more action. */
  private row(p: Person, what: string, action: HTMLElement): HTMLElement {
    const li = h('li.person', { 'data-user': p.userId },
      h('span.name', {}, p.displayName), h('span.meta', {}, what),
      h('span.actions', {}, h('button.revert', { onclick: () => this.revertForm(li, p) }, 'Revert since…'), action));
    return li;
  }

  /** The choice of point under a person's row (one at a time), then the revert. */
  private revertForm(li: HTMLElement, p: Person): void {
    this.el.querySelector('.revert-form')?.remove();
    const seq = this.host.timelineSeq();
    const from = h('select.revert-from', { 'aria-label': 'Revert since' },
      h('option', { value: 'all' }, 'everything they did'),
      seq === null ? null : h('option', { value: 'timeline' }, `the timeline's point (event ${seq})`),
      h('option', { value: 'time' }, 'a date and time…'));
    const date = h('input.revert-time', { type: 'datetime-local', step: 1, hidden: true, value: localInputValue(Date.now() - 3_600_000), 'aria-label': 'Since' });
    from.addEventListener('change', () => (date.hidden = from.value !== 'time'));
    const go = h('button.revert-go.primary', {}, 'Revert');
    const form = h('div.revert-form.row', {}, 'Since ', from, date, go, h('button', { onclick: () => form.remove() }, 'Cancel'));
    go.addEventListener('click', () => {
      const point = revertPoint(from.value as RevertFrom, this.host.timelineSeq(), date.value);
      if (!point) return toast(from.value === 'time' ? 'Pick a date and time' : 'The timeline shows no event now');
      go.disabled = true;
      revertPerson(this.host.roomId, p.userId, point).then((a) => {
        form.remove();
        this.host.reverted(a, p.displayName);
      }, (e: unknown) => {
        go.disabled = false;
        toast(e instanceof ApiError && e.status === 409 ? `Nothing of ${p.displayName}'s to revert` : `Revert failed: ${(e as Error).message}`);
      });
    });
    li.after(form);
  }

  private async ban(p: Person): Promise<void> {
    if (!confirm(`Ban ${p.displayName}? They leave the board at once and cannot come back through its share links until you lift the ban. What they drew stays until you revert it.`)) return;
    try {
      await ban(this.host.roomId, p.userId);
      toast(`${p.displayName} is banned`);
    } catch (e) {
      toast(`Ban failed: ${(e as Error).message}`);
    }
    await this.refresh();
  }

  private async lift(p: Person): Promise<void> {
    try {
      await liftBan(this.host.roomId, p.userId);
      toast(`${p.displayName} may come back`);
    } catch (e) {
      toast(`Lift ban failed: ${(e as Error).message}`);
    }
    await this.refresh();
  }
}

// The app shell: a tiny history router over the pages (log in / sign up, my boards, a board, a share link).
import './style.css';
import { h, clear, toast } from './dom.ts';
import * as api from './api.ts';
import { mountBoard } from './board/board.ts';

const app = document.getElementById('app')!;
let unmount: (() => void) | null = null;

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void route();
}

document.addEventListener('click', (e) => {
  const a = (e.target as HTMLElement).closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => void route());

async function route(): Promise<void> {
  unmount?.();
  unmount = null;
  const path = location.pathname;
  const next = encodeURIComponent(path + location.search);
  try {
    let m: RegExpExecArray | null;
    if (path === '/login' || path === '/signup') return authPage(path === '/signup');
    if ((m = /^\/join\/([^/]+)$/.exec(path))) return await joinPage(decodeURIComponent(m[1]));
    const user = await api.currentUser();
    if (!user) return navigate(`/login?next=${next}`, true);
    if ((m = /^\/b\/([0-9a-f-]{36})$/i.exec(path))) {
      const room = await api.getRoom(m[1]);
      document.title = `${room.name} · infidraw`;
      unmount = mountBoard(app, room, user);
      return;
    }
    return await boardsPage(user);
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) return navigate(`/login?next=${next}`, true);
    clear(app);
    app.append(h('main.page', {}, h('h1', {}, 'Something went wrong'), h('p.error', {}, String(e instanceof Error ? e.message : e)), h('a', { href: '/', 'data-link': true }, 'My boards')));
  }
}

function field(label: string, input: HTMLInputElement): HTMLElement {
  return h('label.field', {}, h('span', {}, label), input);
}

function authPage(signup: boolean): void {
  document.title = `${signup ? 'Sign up' : 'Log in'} · infidraw`;
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'email' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: signup ? 8 : 1, autocomplete: signup ? 'new-password' : 'current-password' });
  const name = h('input', { name: 'displayName', type: 'text', required: true, maxlength: 64, autocomplete: 'nickname' });
  const err = h('p.error', { role: 'alert' });
  const next = new URLSearchParams(location.search).get('next') ?? '/';
  const form = h('form.card', {},
    h('h1', {}, signup ? 'Create your account' : 'Log in'),
    field('Email', email), signup ? field('Display name', name) : null, field('Password', password), err,
    h('button.primary', { type: 'submit' }, signup ? 'Sign up' : 'Log in'),
    h('p.alt', {}, signup ? 'Have an account? ' : 'New here? ', h('a', { href: `${signup ? '/login' : '/signup'}?next=${encodeURIComponent(next)}`, 'data-link': true }, signup ? 'Log in' : 'Create an account')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    err.textContent = '';
    const submit = form.querySelector('button')!;
    submit.disabled = true;
    (signup ? api.signup(email.value, password.value, name.value) : api.login(email.value, password.value))
      .then(() => navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', true))
      .catch((x: unknown) => {
        err.textContent = x instanceof Error ? x.message : String(x);
        submit.disabled = false;
      });
  });
  clear(app);
  app.append(h('main.auth', {}, h('div.brand', {}, h('span.logo', {}, '∞'), ' infidraw'), h('p.tagline', {}, 'An infinite canvas to draw on together.'), form));
  email.focus();
}

function topbar(user: api.User): HTMLElement {
  return h('header.topbar', {},
    h('a.brand', { href: '/', 'data-link': true }, h('span.logo', {}, '∞'), ' infidraw'),
    h('span.spacer'),
    h('span.who', {}, user.displayName),
    h('button', { onclick: () => void api.logout().then(() => navigate('/login')) }, 'Log out'));
}

const fmtDate = (s: string) => new Date(s).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

async function boardsPage(user: api.User): Promise<void> {
  document.title = 'My boards · infidraw';
  const rooms = await api.listRooms();
  const list = h('ul#rooms.rooms');
  const name = h('input', { name: 'name', placeholder: 'Name of a new board', required: true, maxlength: 100 });
  const create = h('form.create', {}, name, h('button.primary', { type: 'submit' }, 'New board'));
  create.addEventListener('submit', (e) => {
    e.preventDefault();
    api.createRoom(name.value).then((r) => navigate(`/b/${r.id}`)).catch((x: unknown) => toast(String(x instanceof Error ? x.message : x)));
  });
  for (const r of rooms) list.append(roomItem(r));
  if (rooms.length === 0) list.append(h('li.empty', {}, 'No boards yet — create one above.'));
  clear(app);
  app.append(topbar(user), h('main.page', {}, h('h1', {}, 'My boards'), create, list));
  if (user.kind === 'user') name.focus();
}

function roomItem(r: api.Room): HTMLElement {
  const title = h('a.room-link', { href: `/b/${r.id}`, 'data-link': true }, r.name);
  const owner = r.role === 'owner';
  const li = h('li.room', { 'data-room': r.id },
    h('div.room-main', {}, title, h('span.meta', {}, `${r.role}${owner ? '' : ` · by ${r.owner.displayName}`} · active ${fmtDate(r.lastActivityAt)}`)),
    h('div.actions', {},
      owner ? h('button.share', { onclick: () => shareDialog(r) }, 'Share') : null,
      owner ? h('button.rename', { onclick: () => {
        const n = prompt('New name', r.name);
        if (n && n.trim()) api.renameRoom(r.id, n.trim()).then((u) => { title.textContent = u.name; r.name = u.name; }).catch((x: unknown) => toast(String(x)));
      } }, 'Rename') : null,
      owner ? h('button.delete.danger', { onclick: () => {
        if (confirm(`Delete “${r.name}” for everyone?`)) api.deleteRoom(r.id).then(() => li.remove()).catch((x: unknown) => toast(String(x)));
      } }, 'Delete') : null));
  return li;
}

function shareDialog(r: api.Room): void {
  const role = h('select', { name: 'role' }, h('option', { value: 'viewer' }, 'can view'), h('option', { value: 'editor' }, 'can draw'));
  const out = h('input#share-url', { readonly: true, placeholder: 'The link appears here' });
  const origins = h('input#embed-origins', { placeholder: 'Sites that may embed it, e.g. https://blog.example.com (optional)' });
  // Only a viewer link can be embedded: the embedding page makes the link's secret public.
  role.addEventListener('change', () => (origins.disabled = role.value !== 'viewer'));
  const snippet = h('textarea#embed-snippet', { readonly: true, rows: 2, hidden: true });
  const links = h('ul.links');
  const email = h('input', { type: 'email', placeholder: 'Email of a registered user' });
  const inviteRole = h('select', {}, h('option', { value: 'editor' }, 'can draw'), h('option', { value: 'viewer' }, 'can view'));
  const refresh = () => api.listLinks(r.id).then((ls) => {
    clear(links);
    for (const l of ls.filter((x) => x.status === 'active')) {
      const embeds = l.embedOrigins.length ? ` (embeddable on ${l.embedOrigins.join(', ')})` : '';
      links.append(h('li', {}, `${l.role} link created ${fmtDate(l.createdAt)}${embeds} `, h('button.small', { onclick: () => void api.revokeLink(r.id, l.id).then(refresh) }, 'Revoke')));
    }
  });
  const create = () => {
    const embedOrigins = origins.disabled ? [] : origins.value.split(/[\s,]+/).filter(Boolean);
    api.createLink(r.id, role.value as api.Role, embedOrigins.length ? { embedOrigins } : {}).then((l) => {
      out.value = l.url;
      out.select();
      void navigator.clipboard?.writeText(l.url).catch(() => {});
      // The read-only embed, view only whatever the link's role, for the sites named.
      snippet.hidden = !embedOrigins.length;
      snippet.value = `<iframe src="${l.embedUrl}" width="800" height="500" style="border:0" title="${r.name.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)}"></iframe>`;
      void refresh();
    }).catch((x: unknown) => toast(String(x instanceof Error ? x.message : x)));
  };
  const dlg = h('div.dialog.share-dialog', { role: 'dialog', 'aria-label': `Share ${r.name}` },
    h('h2', {}, `Share “${r.name}”`),
    h('div.row', {}, h('span', {}, 'Anyone with the link '), role, h('button.primary#create-link', { onclick: create }, 'Create link')),
    origins, out, snippet, links,
    h('h3', {}, 'Invite people'),
    h('div.row', {}, email, inviteRole, h('button', { onclick: () => void api.inviteMember(r.id, email.value, inviteRole.value as api.Role).then(() => { toast(`${email.value} invited`); email.value = ''; }).catch((x: unknown) => toast(String(x instanceof Error ? x.message : x))) }, 'Invite')),
    h('button.close', { onclick: () => dlg.remove() }, 'Done'));
  document.body.append(dlg);
  void refresh();
}

async function joinPage(token: string): Promise<void> {
  document.title = 'Join a board · infidraw';
  const preview = await api.previewLink(token);
  const user = await api.currentUser();
  const name = h('input', { name: 'displayName', placeholder: 'Your name', required: true, maxlength: 64 });
  const err = h('p.error', { role: 'alert' });
  const form = h('form.card', {},
    h('h1', {}, preview.roomName),
    h('p', {}, `You are invited to ${preview.role === 'editor' ? 'draw on' : 'view'} this board.`),
    user ? h('p', {}, `Joining as ${user.displayName}.`) : field('Your name', name), err,
    h('button.primary#join', { type: 'submit' }, 'Open the board'),
    user ? null : h('p.alt', {}, 'Have an account? ', h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}`, 'data-link': true }, 'Log in')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api.joinLink(token, user ? undefined : name.value).then((r) => navigate(`/b/${r.room.id}`, true)).catch((x: unknown) => { err.textContent = x instanceof Error ? x.message : String(x); });
  });
  clear(app);
  app.append(h('main.auth', {}, h('div.brand', {}, h('span.logo', {}, '∞'), ' infidraw'), form));
}

void route();

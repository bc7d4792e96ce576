// REST client of the gateway: cookie sessions with the CSRF token in X-CSRF-Token on every change.

export type Role = 'owner' | 'editor' | 'viewer';
export interface User { id: string; kind: 'user' | 'guest'; email: string | null; displayName: string }
export interface Room { id: string; name: string; role: Role; owner: { id: string; displayName: string }; createdAt: string; updatedAt: string; lastActivityAt: string }
export interface RoomToken { token: string; expiresAt: string; roomId: string; role: Role; wsUrl: string }
export interface Link { id: string; role: Role; status: string; createdAt: string; expiresAt: string | null; revokedAt: string | null; embedOrigins: string[] }
export interface CreatedLink extends Link { token: string; url: string; embedUrl: string }
export interface LinkPreview { roomId: string; roomName: string; role: Role; expiresAt: string | null }
export interface Member { userId: string; kind: 'user' | 'guest'; displayName: string; email: string | null; role: Role; viaLink: boolean; joinedAt: string }
export interface Ban { userId: string; kind: 'user' | 'guest'; displayName: string; bannedAt: string }
/** A region in world units ×100, min inclusive and max exclusive (as the export and the restore take it). */
export interface Region { minX: number; minY: number; maxX: number; maxY: number }
/** One author of events in a view around a point: their events there and the last one. */
export interface ViewAuthor { userId: string; displayName: string; events: number; lastSeq: number }
/** A restore or revert committed: its action id (a UUID, undone over the WebSocket), its last seq, the point used, and how many strokes it erased and brought back. */
export interface HistoryAction { actionId: string; seq: number; pointSeq: number; erased: number; restored: number }
/** A timelapse being rendered: the frames done of all of them (0 until planned), and whether it ended. */
export interface TimelapseProgress { framesDone: number; frames: number; state: 'rendering' | 'done' | 'failed' }
/** Where a revert starts: after event `since` (0: everything), or after the last event committed by `sinceTime` (RFC 3339). */
export type RevertPoint = { since: number } | { sinceTime: string };

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

let csrf: string | undefined;
let me: User | null | undefined;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {}
  if (!res.ok) {
    const msg = (json as { message?: string } | undefined)?.message ?? `${res.status} ${res.statusText}`;
    if (res.status === 401) me = null;
    throw new ApiError(res.status, Array.isArray(msg) ? msg.join(', ') : String(msg));
  }
  return json as T;
}

/** The gateway's message of a failed response (its `message`), or its status. */
export async function failureMessage(res: Response): Promise<string> {
  try {
    const j = (await res.json()) as { message?: string | string[] };
    if (j.message) return Array.isArray(j.message) ? j.message.join(', ') : j.message;
  } catch {}
  return `${res.status} ${res.statusText}`;
}

interface SessionResponse { user: User; csrfToken?: string }

export async function currentUser(refresh = false): Promise<User | null> {
  if (me !== undefined && !refresh) return me;
  try {
    const r = await call<SessionResponse>('GET', '/api/auth/me');
    csrf = r.csrfToken;
    me = r.user;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) me = null;
    else throw e;
  }
  return me;
}

export async function login(email: string, password: string): Promise<User> {
  const r = await call<SessionResponse>('POST', '/api/auth/login', { email, password });
  csrf = r.csrfToken;
  return (me = r.user);
}

export async function signup(email: string, password: string, displayName: string): Promise<User> {
  const r = await call<SessionResponse>('POST', '/api/auth/signup', { email, password, displayName });
  csrf = r.csrfToken;
  return (me = r.user);
}

export async function logout(): Promise<void> {
  await call('POST', '/api/auth/logout');
  me = null;
  csrf = undefined;
}

export const listRooms = () => call<Room[]>('GET', '/api/rooms');
export const getRoom = (id: string) => call<Room>('GET', `/api/rooms/${id}`);
export const createRoom = (name: string) => call<Room>('POST', '/api/rooms', { name });
export const renameRoom = (id: string, name: string) => call<Room>('PATCH', `/api/rooms/${id}`, { name });
export const deleteRoom = (id: string) => call<void>('DELETE', `/api/rooms/${id}`);
export const roomToken = (id: string) => call<RoomToken>('POST', `/api/rooms/${id}/token`);
export const listLinks = (id: string) => call<Link[]>('GET', `/api/rooms/${id}/links`);
/** A share link; `embedOrigins`: the sites whose pages may show its read-only embed (/embed/:token) in an iframe. */
export const createLink = (id: string, role: Role, o: { expiresInSeconds?: number; embedOrigins?: string[] } = {}) =>
  call<CreatedLink>('POST', `/api/rooms/${id}/links`, { role, ...o });
export const revokeLink = (id: string, linkId: string) => call<void>('DELETE', `/api/rooms/${id}/links/${linkId}`);
export const inviteMember = (id: string, email: string, role: Role) => call<unknown>('POST', `/api/rooms/${id}/members`, { email, role });
export const listMembers = (id: string) => call<Member[]>('GET', `/api/rooms/${id}/members`);
export const listBans = (id: string) => call<Ban[]>('GET', `/api/rooms/${id}/bans`);
export const ban = (id: string, userId: string) => call<void>('PUT', `/api/rooms/${id}/bans/${userId}`);
export const liftBan = (id: string, userId: string) => call<void>('DELETE', `/api/rooms/${id}/bans/${userId}`);
/** Restores a region to how it was right after event `at`, as one new action of the caller's (409: nothing would change). */
export const restoreRegion = (id: string, region: Region, at: number) => call<HistoryAction>('POST', `/api/rooms/${id}/restore`, { ...region, at });
/** Undoes what one member or guest did since a point, as one new action of the owner's (409: nothing would change). */
export const revertPerson = (id: string, userId: string, from: RevertPoint) => call<HistoryAction>('POST', `/api/rooms/${id}/revert`, { userId, ...from });
export const timelapseProgress = (id: string, token: string) => call<TimelapseProgress>('GET', `/api/rooms/${id}/timelapse/progress/${token}`);
export const previewLink = (token: string) => call<LinkPreview>('GET', `/api/links/${encodeURIComponent(token)}`);

/** When event `seq` of a room was committed (ms since the epoch); null when there is none (0: before the first event). */
export async function eventCommittedAt(roomId: string, seq: number): Promise<number | null> {
  if (seq < 1) return null;
  const page = await call<{ events: { seq: number; committedAtMs: number }[] }>('GET', `/api/rooms/${roomId}/events?format=json&since=${seq - 1}&limit=1`);
  const e = page.events[0];
  return e?.seq === seq ? e.committedAtMs : null;
}

/** Who drew in a region (world units x100, whole tiles of the level) around event `at`: GET /api/rooms/{id}/authors. */
export const viewAuthors = (id: string, level: number, r: Region, at: number, span: number) =>
  call<{ atSeq: number; authors: ViewAuthor[]; partial: boolean }>(
    'GET', `/api/rooms/${id}/authors?level=${level}&minX=${r.minX}&minY=${r.minY}&maxX=${r.maxX}&maxY=${r.maxY}&at=${at}&span=${span}`);

export async function joinLink(token: string, displayName?: string): Promise<{ room: Room; user: User }> {
  const r = await call<{ room: Room; user: User; csrfToken?: string }>('POST', `/api/links/${encodeURIComponent(token)}/join`, displayName ? { displayName } : {});
  if (r.csrfToken) csrf = r.csrfToken;
  me = r.user;
  return r;
}

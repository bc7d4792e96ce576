import { encode as encodeMsgpack } from '@msgpack/msgpack';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { IngestStrokesRequest } from '../src/gen/infidraw/realtime/v1/realtime_service';
import { Caller, Gateway, PASSWORD, signup, startGateway, testDb, uniqueEmail } from './helpers';
import { penStroke } from './ws-client';

/** Bad input on every endpoint gets a 4xx with a clear message, and changes nothing. */

interface Case {
  name: string;
  method: string;
  path: string;
  json?: unknown;
  body?: Buffer | string;
  headers?: Record<string, string>;
  status?: number;
  message?: RegExp;
  anonymous?: boolean;
}

const big = (bytes: number) => JSON.stringify({ name: 'x'.repeat(bytes) });

describe('bad input', () => {
  let gw: Gateway;
  let db: Pool;
  let owner: Awaited<ReturnType<typeof signup>>;
  let roomId: string;
  let memberId: string;
  let linkId: string;
  let linkToken: string;
  let cases: Case[];

  before(async () => {
    gw = await startGateway();
    db = testDb();
    owner = await signup(gw.url, 'bad-owner');
    const member = await signup(gw.url, 'bad-member');
    memberId = member.userId;
    roomId = (await owner.post('/api/rooms', { name: 'Bad input room' })).json.id;
    await owner.post(`/api/rooms/${roomId}/members`, { email: member.email, role: 'viewer' });
    const link = await owner.post(`/api/rooms/${roomId}/links`, { role: 'viewer' });
    linkId = link.json.id;
    linkToken = link.json.token;

    const good = penStroke();
    const goodJson = { id: good.uuid, tool: 'pen', rgba: 1, width: 300, points: good.points };
    const strokes = `/api/rooms/${roomId}/strokes`;
    const signupBody = { email: uniqueEmail('bad'), password: PASSWORD, displayName: 'B' };
    cases = [
      // accounts
      { name: 'signup: email of the wrong type', method: 'POST', path: '/api/auth/signup', json: { ...signupBody, email: 5 }, message: /email must be an email/ },
      { name: 'signup: not an email', method: 'POST', path: '/api/auth/signup', json: { ...signupBody, email: 'nope' }, message: /email/ },
      { name: 'signup: short password', method: 'POST', path: '/api/auth/signup', json: { ...signupBody, password: 'short' }, message: /password must be longer/ },
      { name: 'signup: empty display name', method: 'POST', path: '/api/auth/signup', json: { ...signupBody, displayName: '   ' }, message: /displayName/ },
      { name: 'signup: unknown field', method: 'POST', path: '/api/auth/signup', json: { ...signupBody, admin: true }, message: /property admin should not exist/ },
      { name: 'signup: unknown session kind', method: 'POST', path: '/api/auth/signup', json: { ...signupBody, session: 'jwt' }, message: /session must be one of/ },
      { name: 'signup: missing fields', method: 'POST', path: '/api/auth/signup', json: {}, message: /email/ },
      { name: 'signup: array body', method: 'POST', path: '/api/auth/signup', json: [signupBody], message: /must be a JSON object/ },
      { name: 'signup: null body', method: 'POST', path: '/api/auth/signup', body: 'null', headers: { 'content-type': 'application/json' }, message: /must be a JSON object/ },
      { name: 'signup: malformed JSON', method: 'POST', path: '/api/auth/signup', body: '{"email":', headers: { 'content-type': 'application/json' }, message: /not valid JSON/ },
      { name: 'signup: form body', method: 'POST', path: '/api/auth/signup', body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, message: /unsupported media type application\/x-www-form-urlencoded; send application\/json/ },
      { name: 'signup: huge body', method: 'POST', path: '/api/auth/signup', body: big(200_000), headers: { 'content-type': 'application/json' }, status: 413, message: /larger than/ },
      { name: 'signup: prototype pollution', method: 'POST', path: '/api/auth/signup', body: `{"__proto__":{"x":1},"email":"${uniqueEmail('p')}","password":"${PASSWORD}","displayName":"P"}`, headers: { 'content-type': 'application/json' } },
      { name: 'login: password of the wrong type', method: 'POST', path: '/api/auth/login', json: { email: owner.email, password: 12345678 }, message: /password must be a string/ },
      { name: 'login: unknown field', method: 'POST', path: '/api/auth/login', json: { email: owner.email, password: PASSWORD, remember: true }, message: /remember/ },
      { name: 'password: short new password', method: 'POST', path: '/api/auth/password', json: { currentPassword: PASSWORD, newPassword: 'x' }, message: /newPassword/ },
      { name: 'password: unknown field', method: 'POST', path: '/api/auth/password', json: { currentPassword: PASSWORD, newPassword: 'long enough pw', old: 1 }, message: /old/ },
      // rooms
      { name: 'create room: name of the wrong type', method: 'POST', path: '/api/rooms', json: { name: 42 }, message: /name must be a string/ },
      { name: 'create room: empty name', method: 'POST', path: '/api/rooms', json: { name: '' }, message: /name/ },
      { name: 'create room: long name', method: 'POST', path: '/api/rooms', json: { name: 'x'.repeat(101) }, message: /name must be shorter/ },
      { name: 'create room: unknown field', method: 'POST', path: '/api/rooms', json: { name: 'ok', ownerId: randomUUID() }, message: /ownerId should not exist/ },
      { name: 'create room: huge body', method: 'POST', path: '/api/rooms', body: big(100_000), headers: { 'content-type': 'application/json' }, status: 413 },
      { name: 'create room: no body', method: 'POST', path: '/api/rooms', message: /name/ },
      { name: 'get room: invalid UUID', method: 'GET', path: '/api/rooms/123', message: /id must be a UUID/ },
      { name: 'get room: very long id', method: 'GET', path: `/api/rooms/${'a'.repeat(300)}` },
      { name: 'rename: invalid UUID', method: 'PATCH', path: '/api/rooms/not-a-uuid', json: { name: 'x' }, message: /UUID/ },
      { name: 'rename: bad name', method: 'PATCH', path: `/api/rooms/${roomId}`, json: { name: ['x'] }, message: /name must be a string/ },
      { name: 'rename: unknown field', method: 'PATCH', path: `/api/rooms/${roomId}`, json: { name: 'x', deleted: true }, message: /deleted/ },
      { name: 'delete room: invalid UUID', method: 'DELETE', path: `/api/rooms/${roomId.slice(0, 35)}`, message: /UUID/ },
      { name: 'token: invalid UUID', method: 'POST', path: '/api/rooms/zzz/token', message: /UUID/ },
      // members
      { name: 'list members: invalid UUID', method: 'GET', path: '/api/rooms/1/members', message: /UUID/ },
      { name: 'invite: not an email', method: 'POST', path: `/api/rooms/${roomId}/members`, json: { email: 'x', role: 'viewer' }, message: /email/ },
      { name: 'invite: owner role', method: 'POST', path: `/api/rooms/${roomId}/members`, json: { email: uniqueEmail('i'), role: 'owner' }, message: /role must be one of/ },
      { name: 'invite: unknown role', method: 'POST', path: `/api/rooms/${roomId}/members`, json: { email: uniqueEmail('i'), role: 'admin' }, message: /role/ },
      { name: 'invite: unknown field', method: 'POST', path: `/api/rooms/${roomId}/members`, json: { email: uniqueEmail('i'), role: 'viewer', x: 1 }, message: /x should not exist/ },
      { name: 'change role: invalid user UUID', method: 'PATCH', path: `/api/rooms/${roomId}/members/abc`, json: { role: 'editor' }, message: /userId must be a UUID/ },
      { name: 'change role: role of the wrong type', method: 'PATCH', path: `/api/rooms/${roomId}/members/${memberId}`, json: { role: 2 }, message: /role/ },
      { name: 'change role: owner', method: 'PATCH', path: `/api/rooms/${roomId}/members/${memberId}`, json: { role: 'owner' }, message: /role/ },
      { name: 'remove member: invalid UUID', method: 'DELETE', path: `/api/rooms/${roomId}/members/-1`, message: /UUID/ },
      // links
      { name: 'create link: owner role', method: 'POST', path: `/api/rooms/${roomId}/links`, json: { role: 'owner' }, message: /role/ },
      { name: 'create link: expiry of the wrong type', method: 'POST', path: `/api/rooms/${roomId}/links`, json: { role: 'viewer', expiresInSeconds: '3600' }, message: /expiresInSeconds/ },
      { name: 'create link: expiry too short', method: 'POST', path: `/api/rooms/${roomId}/links`, json: { role: 'viewer', expiresInSeconds: 5 }, message: /expiresInSeconds must not be less than 60/ },
      { name: 'create link: fractional expiry', method: 'POST', path: `/api/rooms/${roomId}/links`, json: { role: 'viewer', expiresInSeconds: 90.5 }, message: /integer/ },
      { name: 'create link: unknown field', method: 'POST', path: `/api/rooms/${roomId}/links`, json: { role: 'viewer', token: 'mine' }, message: /token should not exist/ },
      { name: 'revoke link: invalid room UUID', method: 'DELETE', path: `/api/rooms/r00m/links/${linkId}`, message: /id must be a UUID/ },
      { name: 'revoke link: invalid UUID', method: 'DELETE', path: `/api/rooms/${roomId}/links/xyz`, message: /linkId must be a UUID/ },
      { name: 'link preview: malformed token', method: 'GET', path: '/api/links/short', message: /not a share-link token/, anonymous: true },
      { name: 'link join: malformed token', method: 'POST', path: `/api/links/${'!'.repeat(32)}/join`, json: {}, message: /share-link token/, anonymous: true },
      { name: 'link join: long display name', method: 'POST', path: `/api/links/${linkToken}/join`, json: { displayName: 'x'.repeat(65) }, message: /displayName/, anonymous: true },
      { name: 'link join: display name of the wrong type', method: 'POST', path: `/api/links/${linkToken}/join`, json: { displayName: 7 }, message: /displayName/, anonymous: true },
      { name: 'link join: unknown field', method: 'POST', path: `/api/links/${linkToken}/join`, json: { role: 'owner' }, message: /role should not exist/, anonymous: true },
      // room data
      { name: 'events: invalid UUID', method: 'GET', path: '/api/rooms/x/events', message: /UUID/ },
      { name: 'events: negative since', method: 'GET', path: `/api/rooms/${roomId}/events?since=-1`, message: /since must not be less than 0/ },
      { name: 'events: since not a number', method: 'GET', path: `/api/rooms/${roomId}/events?since=abc`, message: /since must be an integer/ },
      { name: 'events: limit 0', method: 'GET', path: `/api/rooms/${roomId}/events?limit=0`, message: /limit/ },
      { name: 'events: limit too large', method: 'GET', path: `/api/rooms/${roomId}/events?limit=100001`, message: /limit must not be greater/ },
      { name: 'events: unknown format', method: 'GET', path: `/api/rooms/${roomId}/events?format=xml`, message: /format/ },
      { name: 'events: unknown parameter', method: 'GET', path: `/api/rooms/${roomId}/events?roomId=${randomUUID()}`, message: /roomId should not exist/ },
      { name: 'events: unacceptable Accept', method: 'GET', path: `/api/rooms/${roomId}/events`, headers: { accept: 'text/csv' }, status: 406 },
      { name: 'strokes: invalid UUID', method: 'POST', path: '/api/rooms/nope/strokes', json: { strokes: [goodJson] }, message: /UUID/ },
      { name: 'strokes: empty object', method: 'POST', path: strokes, json: {}, message: /strokes must be an array/ },
      { name: 'strokes: none', method: 'POST', path: strokes, json: { strokes: [] }, message: /must not be empty/ },
      { name: 'strokes: too many', method: 'POST', path: strokes, json: { strokes: Array(1001).fill(goodJson) }, message: /at most 1000/ },
      { name: 'strokes: unknown top-level field', method: 'POST', path: strokes, json: { strokes: [goodJson], authorId: randomUUID() }, message: /authorId should not exist/ },
      { name: 'strokes: unknown stroke field', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, layer: 2 }] }, message: /strokes\[0\]\.layer/ },
      { name: 'strokes: id not a UUID', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, id: 'abc' }] }, message: /strokes\[0\]\.id must be a UUID/ },
      { name: 'strokes: unknown tool', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, tool: 'brush' }] }, message: /tool/ },
      { name: 'strokes: negative colour', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, rgba: -1 }] }, message: /rgba/ },
      { name: 'strokes: odd point count', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, points: [1, 2, 3] }] }, message: /pairs/ },
      { name: 'strokes: fractional point', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, points: [1.5, 2] }] }, message: /points\[0\]/ },
      { name: 'strokes: point out of range', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, points: [2 ** 31, 2] }] }, message: /points\[0\]/ },
      { name: 'strokes: pressures not matching points', method: 'POST', path: strokes, json: { strokes: [{ ...goodJson, pressures: [1] }] }, message: /pressures/ },
      { name: 'strokes: text body', method: 'POST', path: strokes, body: 'hello', headers: { 'content-type': 'text/plain' }, status: 415, message: /protobuf/ },
      { name: 'strokes: protobuf garbage', method: 'POST', path: strokes, body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), headers: { 'content-type': 'application/x-protobuf' }, message: /not a valid infidraw.realtime.v1.IngestStrokesRequest/ },
      {
        name: 'strokes: protobuf naming an author',
        method: 'POST',
        path: strokes,
        body: Buffer.from(IngestStrokesRequest.encode({ roomId: '', authorId: randomUUID(), strokes: [good] }).finish()),
        headers: { 'content-type': 'application/x-protobuf' },
        message: /author_id must be empty/,
      },
      {
        name: 'strokes: protobuf for another room',
        method: 'POST',
        path: strokes,
        body: Buffer.from(IngestStrokesRequest.encode({ roomId: randomUUID(), authorId: '', strokes: [good] }).finish()),
        headers: { 'content-type': 'application/x-protobuf' },
        message: /differs from the room/,
      },
      { name: 'strokes: msgpack garbage', method: 'POST', path: strokes, body: Buffer.from([0xc1]), headers: { 'content-type': 'application/msgpack' }, message: /not valid msgpack/ },
      { name: 'strokes: msgpack array', method: 'POST', path: strokes, body: Buffer.from(encodeMsgpack([goodJson])), headers: { 'content-type': 'application/msgpack' }, message: /must be an object/ },
      { name: 'strokes: huge body', method: 'POST', path: strokes, body: Buffer.alloc(gw.config.strokesBodyLimitBytes + 1), headers: { 'content-type': 'application/x-protobuf' }, status: 413 },
      { name: 'protobuf anywhere else', method: 'POST', path: '/api/rooms', body: Buffer.from([1]), headers: { 'content-type': 'application/x-protobuf' }, status: 415 },
      { name: 'presence: invalid UUID', method: 'GET', path: '/api/rooms/%20/presence', message: /UUID/ },
    ];
  });

  after(async () => {
    await gw.close();
    await db.end();
  });

  async function snapshot() {
    const { rows } = await db.query(
      `select (select count(*) from users)::int as users,
              (select count(*) from sessions where revoked_at is null)::int as live_sessions,
              (select count(*) from rooms)::int as rooms,
              (select count(*) from rooms where deleted_at is not null)::int as deleted_rooms,
              (select name || updated_at::text from rooms where id = $1) as room,
              (select string_agg(user_id::text || role || coalesce(via_link_id::text, ''), ',' order by user_id) from room_members where room_id = $1) as members,
              (select count(*) from room_links)::int as links,
              (select count(*) from room_links where revoked_at is not null)::int as revoked_links,
              (select password_hash from users where id = $2) as password,
              (select count(*) from stroke_events where room_id = $1)::int as events`,
      [roomId, owner.userId],
    );
    return rows[0];
  }

  it('every bad request is a 4xx with a clear message, and the database is unchanged', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const c of cases) {
      const caller = c.anonymous ? new Caller(gw.url) : owner;
      const res = await caller.request(c.method, c.path, { json: c.json, body: c.body, headers: c.headers });
      const problems: string[] = [];
      if (c.status !== undefined ? res.status !== c.status : res.status < 400 || res.status >= 500) problems.push(`status ${res.status}`);
      if (typeof res.json?.message !== 'string' || res.json.message.length < 3) problems.push('no message');
      else if (c.message && !c.message.test(res.json.message)) problems.push(`message "${res.json.message}"`);
      if (res.json?.statusCode !== res.status) problems.push('statusCode differs');
      if (process.env.SHOW_MESSAGES) console.log(`${c.name} -> ${res.status} ${res.json?.message}`);
      if (problems.length) failures.push(`${c.name}: ${problems.join(', ')}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(await snapshot(), before);
  });

  it(`covers every endpoint that takes input`, () => {
    const covered = new Set(cases.map((c) => `${c.method} ${c.path.replace(/\?.*/, '').replace(/\/api\/rooms\/[^/]+/, '/api/rooms/:id').replace(/\/(members|links)\/[^/]+/, '/$1/:x').replace(/\/api\/links\/[^/]+/, '/api/links/:token')}`));
    for (const route of [
      'POST /api/auth/signup',
      'POST /api/auth/login',
      'POST /api/auth/password',
      'POST /api/rooms',
      'GET /api/rooms/:id',
      'PATCH /api/rooms/:id',
      'DELETE /api/rooms/:id',
      'POST /api/rooms/:id/token',
      'GET /api/rooms/:id/members',
      'POST /api/rooms/:id/members',
      'PATCH /api/rooms/:id/members/:x',
      'DELETE /api/rooms/:id/members/:x',
      'POST /api/rooms/:id/links',
      'DELETE /api/rooms/:id/links/:x',
      'GET /api/links/:token',
      'POST /api/links/:token/join',
      'GET /api/rooms/:id/events',
      'POST /api/rooms/:id/strokes',
      'GET /api/rooms/:id/presence',
    ]) {
      assert.ok(covered.has(route), `no bad-input case for ${route}`);
    }
  });
});

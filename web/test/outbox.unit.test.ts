import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type PendingStore } from '../src/outbox.ts';
import { hex } from '../src/ids.ts';
import type { Stroke } from '../src/gen/infidraw/stroke/v1/stroke.ts';
import { id, idHex, stroke } from './fixtures.ts';

/** Keeps what was saved, as localStorage would across a reload. */
class MemoryStore implements PendingStore {
  saved: Stroke[] = [];
  saves = 0;
  load(): Stroke[] {
    return [...this.saved];
  }
  save(strokes: readonly Stroke[]): void {
    this.saved = [...strokes];
    this.saves++;
  }
}

const erase = (action: number, strokes: number[]) => ({ $case: 'eraseStrokes' as const, value: { actionId: id(action), strokeIds: strokes.map(id) } });
const strokeIdOf = (m: { body?: { $case: string; value: unknown } }) => m.body?.$case === 'commitStroke' ? hex((m.body.value as { stroke: Stroke }).stroke.id) : undefined;

test('commits are stored until acknowledged and survive a reload; acks name the request they answer', () => {
  const store = new MemoryStore();
  const box = new Outbox(store);
  const k1 = box.commit(stroke(1, [0, 0, 1, 1]));
  const k2 = box.commit(stroke(2, [0, 0, 1, 2]));
  assert.deepEqual([k1, k2], [idHex(1), idHex(2)]);
  assert.deepEqual(store.saved.map((s) => hex(s.id)), [idHex(1), idHex(2)]);
  const m1 = box.request({ $case: 'commitStroke', value: { stroke: stroke(1, [0, 0, 1, 1]) } }, k1);
  const cursor = box.request({ $case: 'cursorMove', value: { x: 1, y: 2 } });
  assert.ok(cursor.requestId > m1.requestId, 'one sequence of request ids');
  assert.equal(box.acked(cursor.requestId), undefined, 'ephemeral messages are not waited for');
  assert.equal(box.acked(m1.requestId), k1);
  assert.equal(box.acked(m1.requestId), undefined, 'an ack counts once');
  assert.deepEqual(store.saved.map((s) => hex(s.id)), [idHex(2)]);

  const reloaded = new Outbox(store);
  assert.deepEqual(reloaded.unacked().map((s) => hex(s.id)), [idHex(2)]);
  assert.equal(reloaded.unackedCount, 1);
});

test('after a reconnect everything unacknowledged is sent again with its ids, commits first; acks of the old connection are ignored', () => {
  const store = new MemoryStore();
  const box = new Outbox(store);
  const sent = box.request(erase(50, [7]), box.action(erase(50, [7]), id(50)));
  box.commit(stroke(1, [0, 0, 1, 1]));
  box.disconnected();
  assert.equal(box.acked(sent.requestId), undefined, 'the old connection\'s request will never be answered');

  const again = box.resend();
  assert.deepEqual(again.map((m) => m.body?.$case), ['commitStroke', 'eraseStrokes']);
  assert.equal(strokeIdOf(again[0]), idHex(1), 'the same stroke id: commits are idempotent');
  assert.equal(new Set(again.map((m) => m.requestId)).size, 2);
  assert.ok(again.every((m) => m.requestId > sent.requestId), 'new request ids');
  assert.equal(box.acked(again[1].requestId), `eraseStrokes:${idHex(50)}`);
  assert.deepEqual(box.resend().map((m) => m.body?.$case), ['commitStroke'], 'the acknowledged erase is not sent again');
});

test('a committed event settles a commit whose ack was lost', () => {
  const store = new MemoryStore();
  const box = new Outbox(store);
  box.commit(stroke(1, [0, 0, 1, 1]));
  box.committed(idHex(9));
  assert.equal(box.unackedCount, 1);
  const saves = store.saves;
  box.committed(idHex(1));
  assert.equal(box.unackedCount, 0);
  assert.deepEqual(store.saved, []);
  assert.equal(store.saves, saves + 1);
  assert.deepEqual(box.resend(), []);
});

test('a request refused for good is forgotten; an error names the request it answers', () => {
  const store = new MemoryStore();
  const box = new Outbox(store);
  const k = box.commit(stroke(1, [0, 0, 1, 1]));
  const m = box.request({ $case: 'commitStroke', value: { stroke: stroke(1, [0, 0, 1, 1]) } }, k);
  const p = box.answered(m.requestId)!;
  assert.equal(p.key, k);
  assert.equal(box.answered(m.requestId), undefined);
  assert.equal(box.unackedCount, 1, 'answered is not yet settled: a transient error retries it');
  box.drop(p);
  assert.equal(box.unackedCount, 0);
  assert.deepEqual(store.saved, []);
});

test('a commit or erase whose id was taken goes again under a new id; undo cannot be reminted', () => {
  const store = new MemoryStore();
  const box = new Outbox(store);
  const k = box.commit(stroke(1, [0, 0, 1, 1]));
  const m = box.request({ $case: 'commitStroke', value: { stroke: stroke(1, [0, 0, 1, 1]) } }, k);
  const r = box.remint(box.answered(m.requestId)!, id(21))!;
  assert.equal(r.oldId, idHex(1));
  assert.equal(strokeIdOf(r.message), idHex(21));
  assert.deepEqual(store.saved.map((s) => hex(s.id)), [idHex(21)], 'the store follows the new id');
  assert.deepEqual(store.saved[0].points, stroke(1, [0, 0, 1, 1]).points, 'same content');
  assert.equal(box.acked(r.message.requestId), idHex(21));
  assert.equal(box.unackedCount, 0);

  const ek = box.action(erase(50, [7]), id(50));
  const em = box.request(erase(50, [7]), ek);
  const er = box.remint(box.answered(em.requestId)!, id(51))!;
  assert.equal(er.oldId, idHex(50), 'the action id, which the undo history holds');
  assert.equal(er.message.body?.$case, 'eraseStrokes');
  assert.deepEqual(box.resend().map((x) => x.body?.$case === 'eraseStrokes' && hex(x.body.value.actionId)), [idHex(51)]);

  const undo = { $case: 'undo' as const, value: { actionId: id(60) } };
  const um = box.request(undo, box.action(undo, id(60)));
  assert.equal(box.remint(box.answered(um.requestId)!, id(61)), null);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionSummary, revertPoint } from '../src/board/history-actions.ts';
import { localInputValue } from '../src/board/timeline.ts';
import { hexOfUuid } from '../src/ids.ts';
import type { HistoryAction } from '../src/api.ts';

const answer = (erased: number, restored: number): HistoryAction => ({ actionId: '0', seq: 9, pointSeq: 4, erased, restored });

test('a restore or revert is told by what it changed', () => {
  assert.equal(actionSummary(answer(2, 1)), '2 strokes erased, 1 brought back');
  assert.equal(actionSummary(answer(1, 0)), '1 stroke erased, 0 brought back');
  assert.equal(actionSummary(answer(0, 3)), '0 strokes erased, 3 brought back');
});

test("the answer's action id (a UUID) is the hex key the undo history names actions by", () => {
  assert.equal(hexOfUuid('0F1E2D3C-4B5A-4968-8778-69584A3B2C1D'), '0f1e2d3c4b5a4968877869584a3b2c1d');
});

test("a revert starts from 0 (everything), the timeline's seq, or the instant before the second chosen", () => {
  assert.deepEqual(revertPoint('all', 12, ''), { since: 0 });
  assert.deepEqual(revertPoint('timeline', 12, ''), { since: 12 });
  assert.deepEqual(revertPoint('timeline', 0, ''), { since: 0 });
  assert.equal(revertPoint('timeline', null, ''), null, 'the timeline shows no seq');
  const ms = Date.UTC(2031, 4, 6, 7, 8, 9);
  const value = localInputValue(ms);
  assert.deepEqual(revertPoint('time', null, value), { sinceTime: new Date(ms - 1).toISOString() }, 'what happened in that second counts');
  assert.deepEqual(revertPoint('time', null, value.slice(0, 16)), { sinceTime: new Date(ms - 9_001).toISOString() }, 'without seconds: the minute');
  assert.equal(revertPoint('time', 12, ''), null);
});

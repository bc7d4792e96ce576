// History as new actions (issue 16): what the board says about a restore or a revert the server committed, and which
// point a revert starts from as the owner chose it. No DOM: export.ts (the area panel) and people.ts use it.
import type { HistoryAction, RevertPoint } from '../api.ts';
import { timeBeforeLocalInput } from './timeline.ts';

/** Where a revert of a person starts: everything they did, after the point the timeline shows, or since a date and time. */
export type RevertFrom = 'all' | 'timeline' | 'time';

/** "1 stroke erased, 2 brought back": what a restore or revert changed. */
export function actionSummary(a: HistoryAction): string {
  return `${a.erased} stroke${a.erased === 1 ? '' : 's'} erased, ${a.restored} brought back`;
}

/**
 * The revert's point: since 0 for everything, the timeline's seq (null when it shows none), or the instant before the
 * date-time input's second (null when it names no time), so that what the person did in that second counts.
 */
export function revertPoint(from: RevertFrom, timelineSeq: number | null, dateValue: string): RevertPoint | null {
  switch (from) {
    case 'all':
      return { since: 0 };
    case 'timeline':
      return timelineSeq === null ? null : { since: timelineSeq };
    case 'time': {
      const sinceTime = timeBeforeLocalInput(dateValue);
      return sinceTime === null ? null : { sinceTime };
    }
  }
}

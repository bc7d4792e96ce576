import { Injectable } from '@nestjs/common';
import { DatabaseRepository } from './database.repository';

/**
 * The last event of a room committed by a time: a binary search over seq on realtime-go's stroke_events (read only
 * here, like room_heads), about log2(head) primary-key lookups instead of a scan of the room's log. Commit times
 * follow seq order (a room's events are written in seq order under its head's row lock), so the search is exact up to
 * the time one write transaction takes.
 */
const SEQ_AT_SQL = `with recursive search(lo, hi) as (
    select 0::bigint, coalesce((select head_seq from room_heads where room_id = $1), 0)
  union all
    select case when e.committed_at <= $2::timestamptz then m.mid else s.lo end,
           case when e.committed_at <= $2::timestamptz then s.hi else m.mid - 1 end
    from search s
    cross join lateral (select (s.lo + s.hi + 1) / 2 as mid) m
    left join stroke_events e on e.room_id = $1 and e.seq = m.mid
    where s.lo < s.hi
  )
  select min(lo)::text as seq from search where lo >= hi`;

@Injectable()
export class EventTimesRepository {
  constructor(private readonly db: DatabaseRepository) {}

  /**
   * The seq of the room's last event committed at or before `time` (RFC 3339, handed to PostgreSQL as it is: a
   * JavaScript Date would cut its microseconds); 0 when none was.
   */
  async seqAt(roomId: string, time: string): Promise<number> {
    const [row] = await this.db.query<{ seq: string | null }>(SEQ_AT_SQL, [roomId, time]);
    return Number(row?.seq ?? 0);
  }
}

import { BadRequestException, Injectable } from '@nestjs/common';
import { PointInTimeQueryDto } from '../dtos/point-in-time.dto';
import { EventTimesRepository } from '../repositories/event-times.repository';

/** Turns `?at=` / `?atTime=` into the sequence number to read the room at (tile-delta-go's at_seq). */
@Injectable()
export class PointInTimeService {
  constructor(private readonly times: EventTimesRepository) {}

  /** The seq to read at, or undefined to read the room as it is now. Call after the access check. */
  resolve(roomId: string, q: PointInTimeQueryDto): Promise<number | undefined> {
    return this.seqOf(roomId, { seq: q.at, time: q.atTime }, { seq: 'at', time: 'atTime' });
  }

  /**
   * A point given as a seq or as a time (RFC 3339: the last event committed by then), under the request's names for
   * them: at most one; undefined for neither.
   */
  async seqOf(roomId: string, p: { seq?: number; time?: string }, names: { seq: string; time: string }): Promise<number | undefined> {
    if (p.seq !== undefined && p.time !== undefined) throw new BadRequestException(`give ${names.seq} or ${names.time}, not both`);
    if (p.time === undefined) return p.seq;
    return this.times.seqAt(roomId, p.time);
  }
}

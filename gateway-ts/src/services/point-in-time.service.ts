import { BadRequestException, Injectable } from '@nestjs/common';
import { PointInTimeQueryDto } from '../dtos/point-in-time.dto';
import { EventTimesRepository } from '../repositories/event-times.repository';

/** Turns `?at=` / `?atTime=` into the sequence number to read the room at (tile-delta-go's at_seq). */
@Injectable()
export class PointInTimeService {
  constructor(private readonly times: EventTimesRepository) {}

  /** The seq to read at, or undefined to read the room as it is now. Call after the access check. */
  async resolve(roomId: string, q: PointInTimeQueryDto): Promise<number | undefined> {
    if (q.at !== undefined && q.atTime !== undefined) throw new BadRequestException('give at or atTime, not both');
    if (q.atTime === undefined) return q.at;
    return this.times.seqAt(roomId, q.atTime);
  }
}

import { Injectable } from '@nestjs/common';
import { DatabaseRepository } from './database.repository';

/** A room's newest sequence number: realtime-go's room_heads, read only here. */
@Injectable()
export class RoomHeadsRepository {
  constructor(private readonly db: DatabaseRepository) {}

  /** The room's head (0 before its first event). */
  async head(roomId: string): Promise<number> {
    const [row] = await this.db.query<{ seq: string }>(`select head_seq::text as seq from room_heads where room_id = $1`, [roomId]);
    return Number(row?.seq ?? 0);
  }
}

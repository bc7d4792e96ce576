import { Injectable } from '@nestjs/common';
import { DatabaseRepository, Queryable } from './database.repository';
import { UserKind } from './users.repository';

export interface BanRow {
  userId: string;
  kind: UserKind;
  displayName: string;
  createdAt: Date;
}

/** Who an owner keeps out of a room (table room_bans). */
@Injectable()
export class BansRepository {
  constructor(private readonly db: DatabaseRepository) {}

  async put(roomId: string, userId: string, db: Queryable): Promise<void> {
    await this.db.query(`insert into room_bans (room_id, user_id) values ($1, $2) on conflict do nothing`, [roomId, userId], db);
  }

  /** Lifts a ban; true when there was one. */
  async lift(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.db.query(`delete from room_bans where room_id = $1 and user_id = $2 returning user_id`, [roomId, userId]);
    return rows.length > 0;
  }

  async has(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.db.query(`select 1 from room_bans where room_id = $1 and user_id = $2`, [roomId, userId]);
    return rows.length > 0;
  }

  async list(roomId: string): Promise<BanRow[]> {
    return this.db.query<BanRow>(
      `select u.id as "userId", u.kind, u.display_name as "displayName", b.created_at as "createdAt"
         from room_bans b join users u on u.id = b.user_id
        where b.room_id = $1
        order by b.created_at desc, u.id`,
      [roomId],
    );
  }
}

import { Injectable } from '@nestjs/common';
import { DatabaseRepository, Queryable } from './database.repository';

export type Role = 'owner' | 'editor' | 'viewer';

export interface RoomRow {
  id: string;
  name: string;
  ownerId: string;
  ownerName: string;
  createdAt: Date;
  updatedAt: Date;
  /** The later of the room's own changes and its newest committed event. */
  lastActivityAt: Date;
}

export interface RoomAccessRow extends RoomRow {
  role: Role;
  viaLinkId: string | null;
  /** When the share link this access came through expires (null: no link, or one that never expires). */
  linkExpiresAt: Date | null;
}

// A membership that came from a share link lasts only while the link is valid; a banned user's grants nothing.
const VALID_MEMBERSHIP = `(m.via_link_id is null or (l.revoked_at is null and (l.expires_at is null or l.expires_at > now())))
  and not exists (select 1 from room_bans b where b.room_id = m.room_id and b.user_id = m.user_id)`;

// room_heads is realtime-go's table; the gateway only reads its updated_at for "last activity".
const ROOM_COLUMNS = `r.id, r.name, r.owner_id as "ownerId", o.display_name as "ownerName", r.created_at as "createdAt",
  r.updated_at as "updatedAt", greatest(r.updated_at, h.updated_at) as "lastActivityAt"`;

/** Rooms and the caller's access to them (tables rooms, room_members, room_links, room_bans; reads room_heads). */
@Injectable()
export class RoomsRepository {
  constructor(private readonly db: DatabaseRepository) {}

  async create(room: { id: string; name: string; ownerId: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.db.query(`insert into rooms (id, name, owner_id) values ($1, $2, $3)`, [room.id, room.name, room.ownerId], tx);
      await this.db.query(`insert into room_members (room_id, user_id, role) values ($1, $2, 'owner')`, [room.id, room.ownerId], tx);
    });
  }

  /** The room with the user's role in it; null when the room is gone or the user has no valid access. */
  async findAccess(roomId: string, userId: string, db?: Queryable): Promise<RoomAccessRow | null> {
    const rows = await this.db.query<RoomAccessRow>(
      `select ${ROOM_COLUMNS}, m.role, m.via_link_id as "viaLinkId", l.expires_at as "linkExpiresAt"
         from rooms r
         join room_members m on m.room_id = r.id and m.user_id = $2
         join users o on o.id = r.owner_id
         left join room_links l on l.id = m.via_link_id
         left join room_heads h on h.room_id = r.id
        where r.id = $1 and r.deleted_at is null and ${VALID_MEMBERSHIP}`,
      [roomId, userId],
      db,
    );
    return rows[0] ?? null;
  }

  /** Every room the user owns or may open, most recently active first. */
  async listForUser(userId: string): Promise<RoomAccessRow[]> {
    return this.db.query<RoomAccessRow>(
      `select ${ROOM_COLUMNS}, m.role, m.via_link_id as "viaLinkId", l.expires_at as "linkExpiresAt"
         from room_members m
         join rooms r on r.id = m.room_id
         join users o on o.id = r.owner_id
         left join room_links l on l.id = m.via_link_id
         left join room_heads h on h.room_id = r.id
        where m.user_id = $1 and r.deleted_at is null and ${VALID_MEMBERSHIP}
        order by "lastActivityAt" desc, r.id`,
      [userId],
    );
  }

  async rename(roomId: string, name: string): Promise<void> {
    await this.db.query(`update rooms set name = $2, updated_at = now() where id = $1 and deleted_at is null`, [roomId, name]);
  }

  /** Marks a room deleted: it disappears for everyone at once and no token is issued for it again. */
  async markDeleted(roomId: string, db?: Queryable): Promise<boolean> {
    const rows = await this.db.query(
      `update rooms set deleted_at = now() where id = $1 and deleted_at is null returning id`,
      [roomId],
      db,
    );
    return rows.length > 0;
  }

  /** Removes a deleted room with its members and links. */
  async remove(roomId: string): Promise<void> {
    await this.db.query(`delete from rooms where id = $1 and deleted_at is not null`, [roomId]);
  }

  /** Deleted rooms marked before `before` (purge pending or to be repeated). */
  async listDeleted(before: Date, limit = 100): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `select id from rooms where deleted_at is not null and deleted_at < $1 order by deleted_at limit $2`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }
}

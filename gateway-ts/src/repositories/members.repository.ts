import { Injectable } from '@nestjs/common';
import { DatabaseRepository, Queryable } from './database.repository';
import { Role } from './rooms.repository';
import { UserKind } from './users.repository';

export interface MemberRow {
  userId: string;
  kind: UserKind;
  email: string | null;
  displayName: string;
  role: Role;
  viaLinkId: string | null;
  createdAt: Date;
}

export interface MembershipRow {
  role: Role;
  viaLinkId: string | null;
}

/** Room members (table room_members). */
@Injectable()
export class MembersRepository {
  constructor(private readonly db: DatabaseRepository) {}

  /** The members whose access is valid now (link memberships only while their link is). */
  async list(roomId: string): Promise<MemberRow[]> {
    return this.db.query<MemberRow>(
      `select u.id as "userId", u.kind, u.email, u.display_name as "displayName", m.role, m.via_link_id as "viaLinkId",
              m.created_at as "createdAt"
         from room_members m
         join users u on u.id = m.user_id
         left join room_links l on l.id = m.via_link_id
        where m.room_id = $1
          and (m.via_link_id is null or (l.revoked_at is null and (l.expires_at is null or l.expires_at > now())))
        order by case m.role when 'owner' then 0 when 'editor' then 1 else 2 end, m.created_at, u.id`,
      [roomId],
    );
  }

  /**
   * The raw membership row, valid or not. With `forUpdate` (inside a transaction) the row is locked until the
   * transaction ends, so that what is read is what a following put replaces.
   */
  async find(roomId: string, userId: string, db?: Queryable, forUpdate = false): Promise<MembershipRow | null> {
    const rows = await this.db.query<MembershipRow>(
      `select role, via_link_id as "viaLinkId" from room_members where room_id = $1 and user_id = $2${forUpdate ? ' for update' : ''}`,
      [roomId, userId],
      db,
    );
    return rows[0] ?? null;
  }

  /** Inserts or replaces a membership. */
  async put(m: { roomId: string; userId: string; role: Role; viaLinkId: string | null }, db?: Queryable): Promise<void> {
    await this.db.query(
      `insert into room_members (room_id, user_id, role, via_link_id) values ($1, $2, $3, $4)
       on conflict (room_id, user_id) do update set role = excluded.role, via_link_id = excluded.via_link_id`,
      [m.roomId, m.userId, m.role, m.viaLinkId],
      db,
    );
  }

  /** Removes a membership (never the owner's); true when there was one. */
  async remove(roomId: string, userId: string, db?: Queryable): Promise<boolean> {
    const rows = await this.db.query(
      `delete from room_members where room_id = $1 and user_id = $2 and role <> 'owner' returning user_id`,
      [roomId, userId],
      db,
    );
    return rows.length > 0;
  }
}

import { Injectable } from '@nestjs/common';
import { DatabaseRepository, Queryable } from './database.repository';

export type UserKind = 'user' | 'guest';

export interface UserRow {
  id: string;
  kind: UserKind;
  email: string | null;
  displayName: string;
  passwordHash: string | null;
  createdAt: Date;
}

const COLUMNS = `id, kind, email, display_name as "displayName", password_hash as "passwordHash", created_at as "createdAt"`;

/** Accounts and guests (table users). Emails are stored lower-cased. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: DatabaseRepository) {}

  /** Inserts an account; resolves null when the email is taken. */
  async createUser(u: { id: string; email: string; displayName: string; passwordHash: string }): Promise<UserRow | null> {
    const rows = await this.db.query<UserRow>(
      `insert into users (id, kind, email, display_name, password_hash) values ($1, 'user', $2, $3, $4)
       on conflict do nothing returning ${COLUMNS}`,
      [u.id, u.email, u.displayName, u.passwordHash],
    );
    return rows[0] ?? null;
  }

  async createGuest(u: { id: string; displayName: string }, db?: Queryable): Promise<UserRow> {
    const rows = await this.db.query<UserRow>(
      `insert into users (id, kind, display_name) values ($1, 'guest', $2) returning ${COLUMNS}`,
      [u.id, u.displayName],
      db,
    );
    return rows[0];
  }

  async findByEmail(email: string): Promise<UserRow | null> {
    const rows = await this.db.query<UserRow>(`select ${COLUMNS} from users where email = $1`, [email]);
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<UserRow | null> {
    const rows = await this.db.query<UserRow>(`select ${COLUMNS} from users where id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Display names by user id, guests too; ids of users gone are left out. */
  async displayNames(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ id: string; displayName: string }>(
      `select id, display_name as "displayName" from users where id = any($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.displayName]));
  }

  /** Marks the user seen now unless it was seen within the hour, so that this writes at most once an hour. */
  async touch(id: string): Promise<void> {
    await this.db.query(`update users set last_seen_at = now() where id = $1 and last_seen_at < now() - interval '1 hour'`, [id]);
  }

  /**
   * Deletes up to `limit` guests unseen for `days` days, with their sessions and memberships (cascade);
   * returns how many. Guests that own a room are kept (they cannot create one; a room is never dropped
   * without its purge). Rows another replica is deleting are skipped.
   */
  async deleteInactiveGuests(days: number, limit: number): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `delete from users where id in (
         select u.id from users u
          where u.kind = 'guest' and u.last_seen_at < now() - make_interval(days => $1)
            and not exists (select 1 from rooms r where r.owner_id = u.id)
          order by u.last_seen_at limit $2 for update skip locked)
       returning id`,
      [days, limit],
    );
    return rows.length;
  }

  async setPasswordHash(id: string, passwordHash: string, db?: Queryable): Promise<void> {
    await this.db.query(`update users set password_hash = $2, password_changed_at = now() where id = $1`, [id, passwordHash], db);
  }
}

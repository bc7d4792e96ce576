import { Injectable } from '@nestjs/common';
import { DatabaseRepository, Queryable } from './database.repository';
import { UserKind } from './users.repository';

export type SessionKind = 'cookie' | 'bearer';

export interface SessionWithUser {
  sessionId: string;
  sessionKind: SessionKind;
  csrfToken: string | null;
  expiresAt: Date;
  userId: string;
  userKind: UserKind;
  email: string | null;
  displayName: string;
  lastSeenAt: Date;
}

/** Sessions and API tokens (table sessions), looked up by the SHA-256 of their secret. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly db: DatabaseRepository) {}

  async create(
    s: { id: string; userId: string; tokenHash: Buffer; kind: SessionKind; csrfToken: string | null; expiresAt: Date },
    db?: Queryable,
  ): Promise<void> {
    await this.db.query(
      `insert into sessions (id, user_id, token_hash, kind, csrf_token, expires_at) values ($1, $2, $3, $4, $5, $6)`,
      [s.id, s.userId, s.tokenHash, s.kind, s.csrfToken, s.expiresAt],
      db,
    );
  }

  /** The live (not expired, not revoked) session with this secret hash, and its user. */
  async findLive(tokenHash: Buffer): Promise<SessionWithUser | null> {
    const rows = await this.db.query<SessionWithUser>(
      `select s.id as "sessionId", s.kind as "sessionKind", s.csrf_token as "csrfToken", s.expires_at as "expiresAt",
              u.id as "userId", u.kind as "userKind", u.email, u.display_name as "displayName",
              u.last_seen_at as "lastSeenAt"
         from sessions s join users u on u.id = s.user_id
        where s.token_hash = $1 and s.revoked_at is null and s.expires_at > now()`,
      [tokenHash],
    );
    return rows[0] ?? null;
  }

  /** When the session with this id expires; null when it has expired or was revoked. */
  async liveExpiry(id: string, db?: Queryable): Promise<Date | null> {
    const rows = await this.db.query<{ expiresAt: Date }>(
      `select expires_at as "expiresAt" from sessions where id = $1 and revoked_at is null and expires_at > now()`,
      [id],
      db,
    );
    return rows[0]?.expiresAt ?? null;
  }

  async revoke(id: string, db?: Queryable): Promise<void> {
    await this.db.query(`update sessions set revoked_at = now() where id = $1 and revoked_at is null`, [id], db);
  }

  /** Revokes every live session of a user except one; returns the ids of those it revoked. */
  async revokeAllExcept(userId: string, keepId: string, db?: Queryable): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `update sessions set revoked_at = now() where user_id = $1 and id <> $2 and revoked_at is null returning id`,
      [userId, keepId],
      db,
    );
    return rows.map((r) => r.id);
  }

  /** Deletes sessions that expired or were revoked more than `days` ago; returns how many. */
  async deleteStale(days: number): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `delete from sessions where expires_at < now() - make_interval(days => $1) or revoked_at < now() - make_interval(days => $1)
       returning id`,
      [days],
    );
    return rows.length;
  }
}

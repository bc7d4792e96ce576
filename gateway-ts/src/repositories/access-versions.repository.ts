import { Injectable } from '@nestjs/common';
import { DatabaseRepository, Queryable } from './database.repository';

// The scopes of access a room token depends on (docs/contracts.md, claim `acc`). realtime-go builds the same
// names from a token's room, sub, sid and lnk claims.
export const roomScope = (roomId: string) => `room:${roomId}`;
export const memberScope = (roomId: string, userId: string) => `member:${roomId}:${userId}`;
export const sessionScope = (sessionId: string) => `session:${sessionId}`;
export const linkScope = (linkId: string) => `link:${linkId}`;

/**
 * Access versions (table access_versions; written here, read by realtime-go). A change that takes access
 * away bumps its scope in the same transaction; a room token carries the versions read with the role, so
 * realtime-go can tell that the access a token was issued for has ended.
 */
@Injectable()
export class AccessVersionsRepository {
  constructor(private readonly db: DatabaseRepository) {}

  /** The current version of each scope (0 for one never bumped), as db's snapshot sees them. */
  async read(scopes: string[], db: Queryable): Promise<Record<string, number>> {
    const rows = await this.db.query<{ scope: string; version: string }>(
      `select scope, version from access_versions where scope = any($1::text[])`,
      [scopes],
      db,
    );
    const current = new Map(rows.map((r) => [r.scope, Number(r.version)]));
    return Object.fromEntries(scopes.map((s) => [s, current.get(s) ?? 0]));
  }

  /**
   * Gives each scope a new version; call it in the transaction of the change it records. The update draws
   * its number after it holds the row lock, so of two concurrent bumps of a scope the one that commits last
   * always leaves the higher version. Scopes are locked in sorted order so that bumps never deadlock.
   */
  async bump(scopes: string[], db: Queryable): Promise<void> {
    if (scopes.length === 0) return;
    await this.db.query(
      `insert into access_versions (scope, version, changed_at)
       select s, nextval('access_version_seq'), clock_timestamp() from unnest($1::text[]) as s
       on conflict (scope) do update set version = nextval('access_version_seq'), changed_at = clock_timestamp()`,
      [[...new Set(scopes)].sort()],
      db,
    );
  }

  /**
   * Deletes versions bumped longer ago than `seconds`: by then every token issued before the bump has
   * expired, and the sequence keeps a later bump above any version a token still holds.
   */
  async deleteOlderThan(seconds: number): Promise<number> {
    const rows = await this.db.query<{ scope: string }>(
      `delete from access_versions where changed_at < now() - make_interval(secs => $1) returning scope`,
      [seconds],
    );
    return rows.length;
  }
}

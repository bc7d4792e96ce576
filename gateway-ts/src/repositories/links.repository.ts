import { Injectable } from '@nestjs/common';
import { DatabaseRepository, Queryable } from './database.repository';
import { Role } from './rooms.repository';

export interface LinkRow {
  id: string;
  roomId: string;
  role: Exclude<Role, 'owner'>;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Origins whose pages may show the link's embed in an iframe (CSP frame-ancestors); empty: not embeddable. */
  embedOrigins: string[];
}

export interface LinkWithRoomRow extends LinkRow {
  roomName: string;
  roomDeleted: boolean;
}

const COLUMNS = `l.id, l.room_id as "roomId", l.role, l.created_by as "createdBy", l.created_at as "createdAt",
  l.expires_at as "expiresAt", l.revoked_at as "revokedAt", l.embed_origins as "embedOrigins"`;

/** Share links (table room_links), found by the SHA-256 of their secret. */
@Injectable()
export class LinksRepository {
  constructor(private readonly db: DatabaseRepository) {}

  async create(link: {
    id: string;
    roomId: string;
    tokenHash: Buffer;
    role: Exclude<Role, 'owner'>;
    createdBy: string;
    expiresAt: Date | null;
    embedOrigins: string[];
  }): Promise<LinkRow> {
    const rows = await this.db.query<LinkRow>(
      `insert into room_links as l (id, room_id, token_hash, role, created_by, expires_at, embed_origins)
       values ($1, $2, $3, $4, $5, $6, $7) returning ${COLUMNS}`,
      [link.id, link.roomId, link.tokenHash, link.role, link.createdBy, link.expiresAt, link.embedOrigins],
    );
    return rows[0];
  }

  /** A link of a room, or null. */
  async find(roomId: string, linkId: string): Promise<LinkRow | null> {
    const rows = await this.db.query<LinkRow>(`select ${COLUMNS} from room_links l where l.id = $1 and l.room_id = $2`, [linkId, roomId]);
    return rows[0] ?? null;
  }

  /** Sets the embedding origins of a link of a room; null if no such link. */
  async setEmbedOrigins(roomId: string, linkId: string, embedOrigins: string[]): Promise<LinkRow | null> {
    const rows = await this.db.query<LinkRow>(
      `update room_links as l set embed_origins = $3 where l.id = $1 and l.room_id = $2 returning ${COLUMNS}`,
      [linkId, roomId, embedOrigins],
    );
    return rows[0] ?? null;
  }

  /** These links as they are now (the ones that still exist), for rechecking the embeds open through them. */
  async findByIds(ids: string[]): Promise<LinkWithRoomRow[]> {
    return this.db.query<LinkWithRoomRow>(
      `select ${COLUMNS}, r.name as "roomName", r.deleted_at is not null as "roomDeleted"
         from room_links l join rooms r on r.id = l.room_id where l.id = any($1::uuid[])`,
      [ids],
    );
  }

  async list(roomId: string): Promise<LinkRow[]> {
    return this.db.query<LinkRow>(`select ${COLUMNS} from room_links l where l.room_id = $1 order by l.created_at desc, l.id`, [roomId]);
  }

  async findByHash(tokenHash: Buffer, db?: Queryable): Promise<LinkWithRoomRow | null> {
    const rows = await this.db.query<LinkWithRoomRow>(
      `select ${COLUMNS}, r.name as "roomName", r.deleted_at is not null as "roomDeleted"
         from room_links l join rooms r on r.id = l.room_id where l.token_hash = $1`,
      [tokenHash],
      db,
    );
    return rows[0] ?? null;
  }

  /**
   * Revokes a link of a room and removes the memberships that came from it (run it in a transaction);
   * returns the users whose access came from it, or null if no such link.
   */
  async revoke(roomId: string, linkId: string, tx: Queryable): Promise<string[] | null> {
    const rows = await this.db.query(
      `update room_links set revoked_at = coalesce(revoked_at, now()) where id = $1 and room_id = $2 returning id`,
      [linkId, roomId],
      tx,
    );
    if (rows.length === 0) return null;
    const members = await this.db.query<{ userId: string }>(
      `delete from room_members where room_id = $1 and via_link_id = $2 returning user_id as "userId"`,
      [roomId, linkId],
      tx,
    );
    return members.map((m) => m.userId);
  }
}

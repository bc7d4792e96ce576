import { BadRequestException, ForbiddenException, GoneException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { randomBytes, randomUUID } from 'node:crypto';
import { CONFIG, GatewayConfig } from '../config';
import { SessionResponseDto } from '../dtos/auth.dto';
import {
  CreatedLinkDto,
  CreateLinkDto,
  JoinLinkDto,
  JoinLinkResponseDto,
  LinkDto,
  linkStatus,
  LinkPreviewDto,
  mapLink,
  UpdateLinkDto,
} from '../dtos/links.dto';
import { mapRoom } from '../dtos/rooms.dto';
import { AccessVersionsRepository, linkScope } from '../repositories/access-versions.repository';
import { BansRepository } from '../repositories/bans.repository';
import { DatabaseRepository } from '../repositories/database.repository';
import { LinkRow, LinksRepository, LinkWithRoomRow } from '../repositories/links.repository';
import { MembersRepository } from '../repositories/members.repository';
import { RealtimeRepository } from '../repositories/realtime.repository';
import { RoomsRepository } from '../repositories/rooms.repository';
import { UsersRepository } from '../repositories/users.repository';
import { AuthContext, AuthService, hashSecret, IssuedSession } from './auth.service';
import { LinkChangesService } from './link-changes.service';
import { RateLimitService } from './rate-limit.service';
import { atLeast, RoomAccessService } from './room-access.service';

/**
 * Only a viewer link may name embedding origins: the embedding page holds the link's secret for anyone who reads its
 * source, and the secret also joins the room with the link's role.
 */
function requireEmbeddable(role: LinkRow['role'], embedOrigins: string[]): void {
  if (role !== 'viewer' && embedOrigins.length > 0) {
    throw new BadRequestException('only a viewer link can be embedded: the embedding page makes its secret public, and the secret joins with its role');
  }
}

/** Share links: create, list, revoke, preview, and join (members join; anonymous visitors become guests). */
@Injectable()
export class LinksService {
  constructor(
    private readonly db: DatabaseRepository,
    private readonly access: RoomAccessService,
    private readonly links: LinksRepository,
    private readonly members: MembersRepository,
    private readonly rooms: RoomsRepository,
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly realtime: RealtimeRepository,
    private readonly versions: AccessVersionsRepository,
    private readonly rateLimit: RateLimitService,
    private readonly bans: BansRepository,
    private readonly linkChanges: LinkChangesService,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger(LinksService.name) private readonly logger: PinoLogger,
  ) {}

  async create(auth: AuthContext, roomId: string, dto: CreateLinkDto): Promise<CreatedLinkDto> {
    await this.access.require(auth, roomId, 'owner');
    requireEmbeddable(dto.role, dto.embedOrigins ?? []);
    const token = randomBytes(24).toString('base64url');
    const expiresAt = dto.expiresInSeconds ? new Date(Date.now() + dto.expiresInSeconds * 1000) : null;
    const link = await this.links.create({
      id: randomUUID(),
      roomId,
      tokenHash: hashSecret(token),
      role: dto.role,
      createdBy: auth.user.id,
      expiresAt,
      embedOrigins: dto.embedOrigins ?? [],
    });
    return { ...mapLink(link), token, url: `${this.config.publicOrigin}/join/${token}`, embedUrl: `${this.config.publicOrigin}/embed/${token}` };
  }

  /** Changes which origins may embed a link (owner); an embed open elsewhere is rechecked (EmbedService). */
  async update(auth: AuthContext, roomId: string, linkId: string, dto: UpdateLinkDto): Promise<LinkDto> {
    await this.access.require(auth, roomId, 'owner');
    const current = await this.links.find(roomId, linkId);
    if (!current) throw new NotFoundException('link not found');
    requireEmbeddable(current.role, dto.embedOrigins);
    const link = await this.links.setEmbedOrigins(roomId, linkId, dto.embedOrigins);
    if (!link) throw new NotFoundException('link not found');
    this.linkChanges.changed(linkId);
    return mapLink(link);
  }

  async list(auth: AuthContext, roomId: string): Promise<LinkDto[]> {
    await this.access.require(auth, roomId, 'owner');
    return (await this.links.list(roomId)).map(mapLink);
  }

  /**
   * Revokes a link: everyone whose access came from it loses it and is disconnected at once, and every room
   * token issued through it (claim lnk) is refused from now on.
   */
  async revoke(auth: AuthContext, roomId: string, linkId: string): Promise<void> {
    await this.access.require(auth, roomId, 'owner');
    const users = await this.db.transaction(async (tx) => {
      const revoked = await this.links.revoke(roomId, linkId, tx);
      if (revoked !== null) await this.versions.bump([linkScope(linkId)], tx);
      return revoked;
    });
    if (users === null) throw new NotFoundException('link not found');
    this.linkChanges.changed(linkId);
    this.logger.info({ roomId, linkId, members: users.length }, 'share link revoked');
    await Promise.all(
      users.map((userId) =>
        this.realtime.disconnectUser(roomId, userId).catch((err: unknown) => {
          this.logger.warn({ roomId, userId, err }, 'realtime DisconnectUser failed');
        }),
      ),
    );
  }

  async preview(token: string): Promise<LinkPreviewDto> {
    const link = await this.usable(token);
    return { roomId: link.roomId, roomName: link.roomName, role: link.role, expiresAt: link.expiresAt?.toISOString() ?? null };
  }

  /**
   * Opens a link. A signed-in caller becomes a member with the link's role (an explicit membership is
   * kept as it is; a better link replaces a weaker one). An anonymous caller gets a guest account and a
   * session first; guests are rate-limited per client address and per link.
   */
  async join(
    auth: AuthContext | undefined,
    token: string,
    dto: JoinLinkDto,
    address: string,
  ): Promise<{ body: JoinLinkResponseDto; issued?: IssuedSession }> {
    const link = await this.usable(token);
    // A membership of a banned user grants nothing (RoomsRepository), whatever a join racing the ban writes.
    if (auth && (await this.bans.has(link.roomId, auth.user.id))) throw new ForbiddenException('you are banned from this room');
    if (!auth) {
      // The address first: an address over its limit must not use up the link's budget too.
      const { perAddress, perLink } = this.config.guestRateLimit;
      await this.rateLimit.consume([{ key: `guest:addr:${address}`, limit: perAddress }]);
      await this.rateLimit.consume([{ key: `guest:link:${link.id}`, limit: perLink }]);
    }
    return this.db.transaction(async (tx) => {
      let user = auth?.user;
      let started: { body: SessionResponseDto; issued: IssuedSession } | undefined;
      if (!user) {
        const guest = await this.users.createGuest({ id: randomUUID(), displayName: dto.displayName ?? 'Guest' }, tx);
        started = await this.auth.startSession(guest, dto.session ?? 'cookie', tx);
        user = started.body.user;
        this.logger.info({ roomId: link.roomId, userId: user.id, linkId: link.id }, 'guest joined by link');
      }
      const existing = await this.members.find(link.roomId, user.id, tx);
      const current = existing ? await this.rooms.findAccess(link.roomId, user.id, tx) : null;
      const keep = current && (current.viaLinkId === null || atLeast(current.role, link.role));
      if (!keep) await this.members.put({ roomId: link.roomId, userId: user.id, role: link.role, viaLinkId: link.id }, tx);
      const room = (await this.rooms.findAccess(link.roomId, user.id, tx))!;
      const body: JoinLinkResponseDto = { room: mapRoom(room), user };
      if (started) {
        body.session = started.body.session;
        if (started.body.token) body.token = started.body.token;
        if (started.body.csrfToken) body.csrfToken = started.body.csrfToken;
      }
      return { body, issued: started?.issued };
    });
  }

  /** The link with this secret if it can be used now: 404 when unknown, 410 when revoked or expired. */
  async usable(token: string): Promise<LinkWithRoomRow> {
    const link = await this.links.findByHash(hashSecret(token));
    if (!link || link.roomDeleted) throw new NotFoundException('share link not found');
    const status = linkStatus(link);
    if (status !== 'active') throw new GoneException(`share link ${status}`);
    return link;
  }
}

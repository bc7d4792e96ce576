import { Inject, Injectable, OnModuleDestroy, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { CONFIG, GatewayConfig } from '../config';
import { CreateRoomDto, mapRoom, RoomDto, RoomTokenResponseDto, UpdateRoomDto } from '../dtos/rooms.dto';
import { AccessVersionsRepository, linkScope, memberScope, roomScope, sessionScope } from '../repositories/access-versions.repository';
import { DatabaseRepository } from '../repositories/database.repository';
import { RealtimeRepository } from '../repositories/realtime.repository';
import { RoomsRepository } from '../repositories/rooms.repository';
import { SessionsRepository } from '../repositories/sessions.repository';
import { TileDeltaRepository } from '../repositories/tile-delta.repository';
import { PeriodicJob } from '../utils/periodic-job';
import { AuthContext } from './auth.service';
import { MetricsService } from './metrics.service';
import { RoomAccessService } from './room-access.service';
import { SigningKeyService } from './signing-key.service';

export const ROOM_TOKEN_ISSUER = 'infidraw-gateway';
export const ROOM_TOKEN_AUDIENCE = 'infidraw-realtime';

/** Rooms: create, list, get, rename, delete (with realtime-go's and tile-delta-go's purges), and room tokens for /ws. */
@Injectable()
export class RoomsService implements OnModuleInit, OnModuleDestroy {
  private readonly sweeper: PeriodicJob<void>;

  constructor(
    private readonly db: DatabaseRepository,
    private readonly rooms: RoomsRepository,
    private readonly sessions: SessionsRepository,
    private readonly versions: AccessVersionsRepository,
    private readonly access: RoomAccessService,
    private readonly realtime: RealtimeRepository,
    private readonly tileDelta: TileDeltaRepository,
    private readonly keys: SigningKeyService,
    private readonly metrics: MetricsService,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger(RoomsService.name) private readonly logger: PinoLogger,
  ) {
    this.sweeper = new PeriodicJob(
      () => this.purgeDeleted(),
      (err) => this.logger.warn({ err }, 'sweeping deleted rooms failed; will retry'),
    );
  }

  onModuleInit() {
    this.sweeper.start(this.config.purgeSweepSeconds * 1000);
  }

  onModuleDestroy() {
    return this.sweeper.stop();
  }

  async create(auth: AuthContext, dto: CreateRoomDto): Promise<RoomDto> {
    const id = randomUUID();
    await this.rooms.create({ id, name: dto.name, ownerId: auth.user.id });
    this.logger.info({ roomId: id, userId: auth.user.id }, 'room created');
    return mapRoom((await this.rooms.findAccess(id, auth.user.id))!);
  }

  async list(auth: AuthContext): Promise<RoomDto[]> {
    return (await this.rooms.listForUser(auth.user.id)).map(mapRoom);
  }

  async get(auth: AuthContext, roomId: string): Promise<RoomDto> {
    return mapRoom(await this.access.require(auth, roomId, 'viewer'));
  }

  async rename(auth: AuthContext, roomId: string, dto: UpdateRoomDto): Promise<RoomDto> {
    await this.access.require(auth, roomId, 'owner');
    await this.rooms.rename(roomId, dto.name);
    return mapRoom((await this.rooms.findAccess(roomId, auth.user.id))!);
  }

  /**
   * Deletes a room: marks it (no new token from now on, and every token issued before is refused: the room's
   * access version is bumped with the mark), then asks realtime-go to disconnect everyone and
   * purge the events, and tile-delta-go to purge the tile snapshots (rows and PNGs). When a call fails the
   * sweeper retries both. The row itself is removed only after every token issued before the deletion has
   * expired and a second purge of both has run, so a client that reconnected with an old token in between
   * (or a snapshot rendered in between) leaves nothing behind.
   */
  async delete(auth: AuthContext, roomId: string): Promise<void> {
    await this.access.require(auth, roomId, 'owner');
    const marked = await this.db.transaction(async (tx) => {
      if (!(await this.rooms.markDeleted(roomId, tx))) return false;
      await this.versions.bump([roomScope(roomId)], tx);
      return true;
    });
    if (!marked) return;
    try {
      const r = await this.purge(roomId);
      this.logger.info({ roomId, ...r }, 'room deleted');
    } catch (err) {
      this.logger.warn({ roomId, err }, 'room deleted; purge failed, the sweeper will retry');
    }
  }

  /**
   * Purges a deleted room in realtime-go (disconnect, events) and then in tile-delta-go (snapshots):
   * events first, so that no new snapshot is rendered from them after the snapshots are gone.
   */
  private async purge(roomId: string): Promise<{ disconnected: number; purgedEvents: number; purgedSnapshots: number }> {
    const r = await this.realtime.closeRoom(roomId, true);
    const t = await this.tileDelta.purgeRoom(roomId);
    return { disconnected: r.disconnected, purgedEvents: r.purgedEvents, purgedSnapshots: t.snapshotsDeleted };
  }

  /** Purges and removes rooms deleted longer ago than a room token lives. A sweep already running is joined. */
  sweepDeleted(): Promise<void> {
    return this.sweeper.run();
  }

  private async purgeDeleted(): Promise<void> {
    const before = new Date(Date.now() - (this.config.roomTokenTtlSeconds + 10) * 1000);
    for (const roomId of await this.rooms.listDeleted(before)) {
      await this.purge(roomId);
      await this.rooms.remove(roomId);
      this.logger.info({ roomId }, 'deleted room purged and removed');
    }
  }

  /**
   * A short-lived room token for /ws with the caller's current role (claims in docs/contracts.md). The role,
   * the session's and link's validity and the access versions are read in one snapshot, so a token that
   * carries a role also carries the versions of that moment: any later change that takes the role away
   * bumps a version above the token's, and realtime-go refuses it.
   */
  async token(auth: AuthContext, roomId: string): Promise<RoomTokenResponseDto> {
    const { access, sessionExpiresAt, acc } = await this.db.transaction(
      async (tx) => {
        const access = await this.access.require(auth, roomId, 'viewer', tx);
        const sessionExpiresAt = await this.sessions.liveExpiry(auth.session.id, tx);
        if (!sessionExpiresAt) throw new UnauthorizedException('session expired or revoked; log in again');
        const scopes = [roomScope(roomId), memberScope(roomId, auth.user.id), sessionScope(auth.session.id)];
        if (access.viaLinkId) scopes.push(linkScope(access.viaLinkId));
        return { access, sessionExpiresAt, acc: await this.versions.read(scopes, tx) };
      },
      { snapshot: true },
    );
    // The access itself ends with the session, or earlier with the share link it came through.
    const ends = Math.min(sessionExpiresAt.getTime(), access.linkExpiresAt?.getTime() ?? Infinity);
    const { token, expiresAt } = this.keys.signJwt(
      {
        iss: ROOM_TOKEN_ISSUER,
        aud: ROOM_TOKEN_AUDIENCE,
        sub: auth.user.id,
        room: roomId,
        role: access.role,
        name: auth.user.displayName,
        sid: auth.session.id,
        ...(access.viaLinkId ? { lnk: access.viaLinkId } : {}),
        acc,
        axp: Math.floor(ends / 1000),
      },
      this.config.roomTokenTtlSeconds,
    );
    this.metrics.roomTokens.inc({ role: access.role });
    return { token, expiresAt: expiresAt.toISOString(), roomId, role: access.role, wsUrl: this.config.realtimePublicUrl };
  }
}

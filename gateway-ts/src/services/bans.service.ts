import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { BanDto, mapBan } from '../dtos/bans.dto';
import { AccessVersionsRepository, memberScope } from '../repositories/access-versions.repository';
import { BansRepository } from '../repositories/bans.repository';
import { DatabaseRepository } from '../repositories/database.repository';
import { MembersRepository } from '../repositories/members.repository';
import { UsersRepository } from '../repositories/users.repository';
import { AuthContext } from './auth.service';
import { MembersService } from './members.service';
import { RoomAccessService } from './room-access.service';

/**
 * Bans (owners): a banned member or guest loses their membership at once, cannot join again through any share link
 * of the room, and a membership of theirs grants nothing until the ban is lifted (or the owner invites them by
 * email). The ban holds an identity: someone with a share link can still join as a new guest, which revoking the
 * link stops.
 */
@Injectable()
export class BansService {
  constructor(
    private readonly db: DatabaseRepository,
    private readonly access: RoomAccessService,
    private readonly bans: BansRepository,
    private readonly members: MembersRepository,
    private readonly membership: MembersService,
    private readonly users: UsersRepository,
    private readonly versions: AccessVersionsRepository,
    @InjectPinoLogger(BansService.name) private readonly logger: PinoLogger,
  ) {}

  async list(auth: AuthContext, roomId: string): Promise<BanDto[]> {
    await this.access.require(auth, roomId, 'owner');
    return (await this.bans.list(roomId)).map(mapBan);
  }

  /**
   * Bans a user: removes their membership and records the ban in one transaction that bumps their member scope, so
   * that their room tokens are refused and their connections end (DisconnectUser at once, the access poll anyway).
   */
  async ban(auth: AuthContext, roomId: string, userId: string): Promise<void> {
    const room = await this.access.require(auth, roomId, 'owner');
    if (userId === room.ownerId) throw new BadRequestException('the owner cannot be banned');
    if (!(await this.users.findById(userId))) throw new NotFoundException('no such user');
    await this.db.transaction(async (tx) => {
      await this.members.remove(roomId, userId, tx);
      await this.bans.put(roomId, userId, tx);
      await this.versions.bump([memberScope(roomId, userId)], tx);
    });
    this.logger.info({ roomId, userId, by: auth.user.id }, 'user banned');
    await this.membership.disconnect(roomId, userId);
  }

  async lift(auth: AuthContext, roomId: string, userId: string): Promise<void> {
    await this.access.require(auth, roomId, 'owner');
    if (!(await this.bans.lift(roomId, userId))) throw new NotFoundException('no such ban');
    this.logger.info({ roomId, userId, by: auth.user.id }, 'ban lifted');
  }
}

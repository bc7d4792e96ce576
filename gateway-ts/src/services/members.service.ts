import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { InviteMemberDto, mapMember, MemberDto, UpdateMemberDto } from '../dtos/members.dto';
import { AccessVersionsRepository, memberScope } from '../repositories/access-versions.repository';
import { BansRepository } from '../repositories/bans.repository';
import { DatabaseRepository } from '../repositories/database.repository';
import { MembersRepository } from '../repositories/members.repository';
import { RealtimeRepository } from '../repositories/realtime.repository';
import { Role } from '../repositories/rooms.repository';
import { UsersRepository } from '../repositories/users.repository';
import { AuthContext } from './auth.service';
import { RoomAccessService } from './room-access.service';

/** Members of a room: list, invite by email, change a role, remove (or leave). */
@Injectable()
export class MembersService {
  constructor(
    private readonly db: DatabaseRepository,
    private readonly access: RoomAccessService,
    private readonly members: MembersRepository,
    private readonly versions: AccessVersionsRepository,
    private readonly users: UsersRepository,
    private readonly realtime: RealtimeRepository,
    private readonly bans: BansRepository,
    @InjectPinoLogger(MembersService.name) private readonly logger: PinoLogger,
  ) {}

  async list(auth: AuthContext, roomId: string): Promise<MemberDto[]> {
    const room = await this.access.require(auth, roomId, 'viewer');
    const showEmails = room.role === 'owner';
    return (await this.members.list(roomId)).map((m) => mapMember(m, showEmails));
  }

  /** Adds a registered user with a role. A member who came by link becomes an explicit member. */
  async invite(auth: AuthContext, roomId: string, dto: InviteMemberDto): Promise<MemberDto> {
    await this.access.require(auth, roomId, 'owner');
    const user = await this.users.findByEmail(dto.email);
    if (!user) throw new NotFoundException('no registered user has this email');
    const existing = await this.members.find(roomId, user.id);
    if (existing && existing.viaLinkId === null) throw new ConflictException('already a member; change the role instead');
    // Inviting someone banned is the owner taking them back.
    await this.bans.lift(roomId, user.id);
    // A member who came by link may be given a lower role than the link's: that ends their current access.
    if (await this.setRole(roomId, user.id, dto.role)) await this.disconnect(roomId, user.id);
    this.logger.info({ roomId, userId: user.id, role: dto.role }, 'member invited');
    return this.one(roomId, user.id);
  }

  /** Changes a member's role; their open connections end so that they rejoin with the new role. */
  async updateRole(auth: AuthContext, roomId: string, userId: string, dto: UpdateMemberDto): Promise<MemberDto> {
    await this.access.require(auth, roomId, 'owner');
    const existing = await this.findValid(roomId, userId);
    if (existing.role === 'owner') throw new ForbiddenException("the owner's role cannot be changed");
    if (await this.setRole(roomId, userId, dto.role)) await this.disconnect(roomId, userId);
    return this.one(roomId, userId);
  }

  /** The owner removes a member, or a member leaves; realtime-go disconnects them at once. */
  async remove(auth: AuthContext, roomId: string, userId: string): Promise<void> {
    const room = await this.access.require(auth, roomId, 'viewer');
    const self = userId === auth.user.id;
    if (!self && room.role !== 'owner') throw new ForbiddenException('only the owner can remove other members');
    if (self && room.role === 'owner') throw new BadRequestException('the owner cannot leave; delete the room instead');
    await this.findValid(roomId, userId);
    await this.db.transaction(async (tx) => {
      if (!(await this.members.remove(roomId, userId, tx))) throw new NotFoundException('member not found');
      await this.versions.bump([memberScope(roomId, userId)], tx);
    });
    this.logger.info({ roomId, userId, by: auth.user.id }, 'member removed');
    await this.disconnect(roomId, userId);
  }

  /**
   * Makes the user an explicit member with this role. When that changes the role it had, the member's access
   * version is bumped in the same transaction: tokens issued with the old role are refused from now on.
   * Returns whether the role changed.
   */
  private async setRole(roomId: string, userId: string, role: Role): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const before = await this.members.find(roomId, userId, tx, true);
      await this.members.put({ roomId, userId, role, viaLinkId: null }, tx);
      const changed = before !== null && before.role !== role;
      if (changed) await this.versions.bump([memberScope(roomId, userId)], tx);
      return changed;
    });
  }

  private async findValid(roomId: string, userId: string) {
    const member = (await this.members.list(roomId)).find((m) => m.userId === userId);
    if (!member) throw new NotFoundException('member not found');
    return member;
  }

  private async one(roomId: string, userId: string): Promise<MemberDto> {
    return mapMember(await this.findValid(roomId, userId), true);
  }

  /** Ends a member's connections at once; best effort: the access poll ends them within a poll anyway. */
  async disconnect(roomId: string, userId: string) {
    try {
      const r = await this.realtime.disconnectUser(roomId, userId);
      this.logger.info({ roomId, userId, disconnected: r.disconnected }, 'member disconnected');
    } catch (err) {
      this.logger.warn({ roomId, userId, err }, 'realtime DisconnectUser failed');
    }
  }
}

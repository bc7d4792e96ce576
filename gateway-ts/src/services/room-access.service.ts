import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { Queryable } from '../repositories/database.repository';
import { RoomAccessRow, RoomsRepository, Role } from '../repositories/rooms.repository';
import { AuthContext } from './auth.service';

const RANK: Record<Role, number> = { viewer: 1, editor: 2, owner: 3 };

export const atLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];

/**
 * The one place that decides whether a caller may act on a room. A caller without access gets 404, so
 * that a room's existence is not revealed; a member whose role is too low gets 403.
 */
@Injectable()
export class RoomAccessService {
  constructor(private readonly rooms: RoomsRepository) {}

  /** The caller's access to the room, read through db when given (a transaction's snapshot). */
  async require(auth: AuthContext, roomId: string, min: Role, db?: Queryable): Promise<RoomAccessRow> {
    const access = await this.rooms.findAccess(roomId, auth.user.id, db);
    if (!access) throw new NotFoundException('room not found');
    if (!atLeast(access.role, min)) throw new ForbiddenException(`this needs the ${min} role; you are ${access.role}`);
    return access;
  }
}

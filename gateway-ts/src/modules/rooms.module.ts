import { Module } from '@nestjs/common';
import { LinksController } from '../controllers/links.controller';
import { MembersController } from '../controllers/members.controller';
import { RoomsController } from '../controllers/rooms.controller';
import { LinkRepository } from '../repositories/link.repository';
import { MemberRepository } from '../repositories/member.repository';
import { RoomRepository } from '../repositories/room.repository';
import { LinksService } from '../services/links.service';
import { MembersService } from '../services/members.service';
import { RoomAccessService } from '../services/room-access.service';
import { RoomsService } from '../services/rooms.service';
import { AuthModule } from './auth.module';
import { KeysModule } from './keys.module';

/** Rooms, members and roles, share links and guests, room tokens. */
@Module({
  imports: [AuthModule, KeysModule],
  controllers: [RoomsController, MembersController, LinksController],
  providers: [RoomsService, MembersService, LinksService, RoomAccessService, RoomRepository, MemberRepository, LinkRepository],
  exports: [RoomAccessService, RoomsService],
})
export class RoomsModule {}

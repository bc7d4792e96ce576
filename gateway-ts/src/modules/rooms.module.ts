import { Module } from '@nestjs/common';
import { BansController } from '../controllers/bans.controller';
import { LinksController } from '../controllers/links.controller';
import { MembersController } from '../controllers/members.controller';
import { RoomsController } from '../controllers/rooms.controller';
import { BansRepository } from '../repositories/bans.repository';
import { LinksRepository } from '../repositories/links.repository';
import { MembersRepository } from '../repositories/members.repository';
import { RoomsRepository } from '../repositories/rooms.repository';
import { BansService } from '../services/bans.service';
import { LinkChangesService } from '../services/link-changes.service';
import { LinksService } from '../services/links.service';
import { MembersService } from '../services/members.service';
import { RoomAccessService } from '../services/room-access.service';
import { RoomsService } from '../services/rooms.service';
import { AuthModule } from './auth.module';
import { KeysModule } from './keys.module';

/** Rooms, members and roles, bans, share links and guests, room tokens. */
@Module({
  imports: [AuthModule, KeysModule],
  controllers: [RoomsController, MembersController, BansController, LinksController],
  providers: [
    RoomsService,
    MembersService,
    BansService,
    LinksService,
    LinkChangesService,
    RoomAccessService,
    RoomsRepository,
    MembersRepository,
    BansRepository,
    LinksRepository,
  ],
  exports: [RoomAccessService, RoomsService, LinksService, LinksRepository, LinkChangesService],
})
export class RoomsModule {}

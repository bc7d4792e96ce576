import { Module } from '@nestjs/common';
import { LinksController } from '../controllers/links.controller';
import { MembersController } from '../controllers/members.controller';
import { RoomsController } from '../controllers/rooms.controller';
import { LinksRepository } from '../repositories/links.repository';
import { MembersRepository } from '../repositories/members.repository';
import { RoomsRepository } from '../repositories/rooms.repository';
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
  providers: [RoomsService, MembersService, LinksService, RoomAccessService, RoomsRepository, MembersRepository, LinksRepository],
  exports: [RoomAccessService, RoomsService],
})
export class RoomsModule {}

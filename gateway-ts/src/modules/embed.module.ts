import { Module } from '@nestjs/common';
import { EmbedController } from '../controllers/embed.controller';
import { RoomBusRepository } from '../repositories/room-bus.repository';
import { RoomHeadsRepository } from '../repositories/room-heads.repository';
import { EmbedService } from '../services/embed.service';
import { RoomChangesService } from '../services/room-changes.service';
import { RoomsModule } from './rooms.module';
import { TilesModule } from './tiles.module';
import { WebModule } from './web.module';

/** The read-only embed of a share link: its page, tiles and snapshots through the link, and its change events. */
@Module({
  imports: [RoomsModule, TilesModule, WebModule],
  controllers: [EmbedController],
  providers: [EmbedService, RoomChangesService, RoomBusRepository, RoomHeadsRepository],
})
export class EmbedModule {}

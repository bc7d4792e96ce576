import { Module } from '@nestjs/common';
import { RoomDataController } from '../controllers/room-data.controller';
import { RoomDataService } from '../services/room-data.service';
import { RoomsModule } from './rooms.module';

/** A room's events, stroke ingestion and presence, through realtime-go. */
@Module({
  imports: [RoomsModule],
  controllers: [RoomDataController],
  providers: [RoomDataService],
})
export class RoomDataModule {}

import { Module } from '@nestjs/common';
import { HistoryController } from '../controllers/history.controller';
import { HistoryService } from '../services/history.service';
import { RoomsModule } from './rooms.module';
import { TilesModule } from './tiles.module';

/** History as new actions: restore a region to an earlier point, revert what a person did (issue 16). */
@Module({
  imports: [RoomsModule, TilesModule],
  controllers: [HistoryController],
  providers: [HistoryService],
})
export class HistoryModule {}

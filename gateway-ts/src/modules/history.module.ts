import { Module } from '@nestjs/common';
import { HistoryController } from '../controllers/history.controller';
import { TimelapseController } from '../controllers/timelapse.controller';
import { TimelapseProgressRepository, TimelapseRepository } from '../repositories/timelapse.repository';
import { HistoryService } from '../services/history.service';
import { TimelapseService } from '../services/timelapse.service';
import { RoomsModule } from './rooms.module';
import { TilesModule } from './tiles.module';

/**
 * History as new actions: restore a region to an earlier point, revert what a person did; and a region being drawn
 * as a video (issue 16).
 */
@Module({
  imports: [RoomsModule, TilesModule],
  controllers: [HistoryController, TimelapseController],
  providers: [HistoryService, TimelapseService, TimelapseRepository, TimelapseProgressRepository],
})
export class HistoryModule {}

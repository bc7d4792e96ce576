import { Module } from '@nestjs/common';
import { ExportController } from '../controllers/export.controller';
import { StrokesAtController } from '../controllers/strokes-at.controller';
import { TilesController } from '../controllers/tiles.controller';
import { EventTimesRepository } from '../repositories/event-times.repository';
import { ExportRepository } from '../repositories/export.repository';
import { ExportService } from '../services/export.service';
import { PointInTimeService } from '../services/point-in-time.service';
import { TilesService } from '../services/tiles.service';
import { RoomsModule } from './rooms.module';

/**
 * A room as tiles through tile-delta-go, the snapshot PNGs (from tile-delta-go too), region exports, and the strokes
 * under a disk (the object eraser's hit test).
 */
@Module({
  imports: [RoomsModule],
  controllers: [TilesController, ExportController, StrokesAtController],
  providers: [TilesService, ExportService, ExportRepository, PointInTimeService, EventTimesRepository],
  exports: [PointInTimeService],
})
export class TilesModule {}

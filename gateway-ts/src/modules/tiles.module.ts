import { Module } from '@nestjs/common';
import { ExportController } from '../controllers/export.controller';
import { StrokesAtController } from '../controllers/strokes-at.controller';
import { ViewAuthorsController } from '../controllers/view-authors.controller';
import { TilesController } from '../controllers/tiles.controller';
import { EventTimesRepository } from '../repositories/event-times.repository';
import { ExportRepository } from '../repositories/export.repository';
import { ExportService } from '../services/export.service';
import { PointInTimeService } from '../services/point-in-time.service';
import { TilesService } from '../services/tiles.service';
import { AuthModule } from './auth.module';
import { RoomsModule } from './rooms.module';

/**
 * A room as tiles through tile-delta-go, the snapshot PNGs (from tile-delta-go too), region exports, the strokes
 * under a disk (the object eraser's hit test), and who drew in a view around a point.
 */
@Module({
  imports: [RoomsModule, AuthModule],
  controllers: [TilesController, ExportController, StrokesAtController, ViewAuthorsController],
  providers: [TilesService, ExportService, ExportRepository, PointInTimeService, EventTimesRepository],
  exports: [PointInTimeService, TilesService],
})
export class TilesModule {}

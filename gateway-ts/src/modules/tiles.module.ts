import { Module } from '@nestjs/common';
import { TilesController } from '../controllers/tiles.controller';
import { SnapshotObjectsRepository } from '../repositories/snapshot-objects.repository';
import { TileDeltaRepository } from '../repositories/tile-delta.repository';
import { TilesService } from '../services/tiles.service';
import { RoomsModule } from './rooms.module';

/** A room as tiles through tile-delta-go, and the snapshot PNGs from the object store. */
@Module({
  imports: [RoomsModule],
  controllers: [TilesController],
  providers: [TilesService, TileDeltaRepository, SnapshotObjectsRepository],
})
export class TilesModule {}

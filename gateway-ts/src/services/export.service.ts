import { BadRequestException, HttpException, Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { exportHeight, ExportQueryDto, MAX_EXPORT_PIXELS, MAX_EXPORT_SIDE } from '../dtos/export.dto';
import { ExportRegionResponse } from '../gen/infidraw/tile/v1/tile';
import { ExportRepository } from '../repositories/export.repository';
import { grpcToHttp, isGrpcError } from '../utils/grpc-error';
import { AuthContext } from './auth.service';
import type { Payload } from './room-data.service';
import { RoomAccessService } from './room-access.service';

/** A region of a room as one PNG (tile-delta-go ExportRegion) behind the room's access check. */
@Injectable()
export class ExportService {
  constructor(
    private readonly access: RoomAccessService,
    private readonly exports: ExportRepository,
    @InjectPinoLogger(ExportService.name) private readonly logger: PinoLogger,
  ) {}

  async png(auth: AuthContext, roomId: string, q: ExportQueryDto): Promise<Payload> {
    const start = process.hrtime.bigint();
    if (q.maxX <= q.minX || q.maxY <= q.minY) throw new BadRequestException('the region is empty: maxX must exceed minX and maxY minY');
    const height = exportHeight(q);
    if (height > MAX_EXPORT_SIDE || q.width * height > MAX_EXPORT_PIXELS) {
      throw new BadRequestException(
        `a ${q.width} pixel wide picture of this region is ${height} pixels high; at most ${MAX_EXPORT_SIDE} pixels a side and ` +
          `${MAX_EXPORT_PIXELS} pixels in all: ask for a smaller width`,
      );
    }
    await this.access.require(auth, roomId, 'viewer');
    let res: ExportRegionResponse;
    try {
      res = await this.exports.exportRegion({
        roomId,
        viewport: { minX: q.minX, minY: q.minY, maxX: q.maxX, maxY: q.maxY },
        widthPx: q.width,
        heightPx: height,
      });
    } catch (err) {
      if (!isGrpcError(err)) throw err;
      const { status, message } = grpcToHttp(err, 'tile-delta');
      throw new HttpException(message, status);
    }
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    this.logger.info(
      { roomId, width: q.width, height, level: res.level, tiles: res.tiles, bytes: res.png.length, totalMs },
      `GET export room=${roomId} ${q.width}x${height} level=${res.level} tiles=${res.tiles} total=${totalMs.toFixed(1)}ms`,
    );
    return {
      contentType: 'image/png',
      headers: { 'cache-control': 'no-store', 'x-covers-seq': String(res.coversSeq), 'x-export-level': String(res.level) },
      body: Buffer.from(res.png),
    };
  }
}

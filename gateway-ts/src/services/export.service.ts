import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CONFIG, GatewayConfig } from '../config';
import { exportHeight, ExportQueryDto } from '../dtos/export.dto';
import { EXPORT_MAX_PIXELS, EXPORT_MAX_SIDE } from '../gen/limits';
import { ExportRepository } from '../repositories/export.repository';
import { Bulkhead } from '../utils/bulkhead';
import { Payload } from '../utils/payload';
import { TooManyRequestsException } from '../utils/too-many-requests';
import { AuthContext } from './auth.service';
import { MetricsService } from './metrics.service';
import { PointInTimeService } from './point-in-time.service';
import { RoomAccessService } from './room-access.service';

/** Seconds a refused export is told to wait: a large export takes seconds. */
const EXPORT_RETRY_AFTER_SECONDS = 2;

/**
 * A region of a room as one PNG (tile-delta-go ExportRegion) behind the room's access check. A picture
 * can be 64 MiB in memory (received, then copied into the reply), so this process runs at most
 * GATEWAY_EXPORT_CONCURRENCY exports at once and answers the rest 429 at once, without queueing;
 * tile-delta-go bounds the pixels it renders at once across every gateway the same way.
 */
@Injectable()
export class ExportService {
  private readonly running: Bulkhead;

  constructor(
    private readonly access: RoomAccessService,
    private readonly exports: ExportRepository,
    private readonly pointInTime: PointInTimeService,
    metrics: MetricsService,
    @Inject(CONFIG) config: GatewayConfig,
    @InjectPinoLogger(ExportService.name) private readonly logger: PinoLogger,
  ) {
    this.running = new Bulkhead(config.exportConcurrency, 0, () => {
      metrics.busy.inc({ limit: 'export' });
      return new TooManyRequestsException(
        `too many exports at once; retry in ${EXPORT_RETRY_AFTER_SECONDS} s`,
        EXPORT_RETRY_AFTER_SECONDS,
      );
    });
  }

  async png(auth: AuthContext, roomId: string, q: ExportQueryDto): Promise<Payload> {
    const start = process.hrtime.bigint();
    if (q.maxX <= q.minX || q.maxY <= q.minY) throw new BadRequestException('the region is empty: maxX must exceed minX and maxY minY');
    const height = exportHeight(q);
    if (height > EXPORT_MAX_SIDE || q.width * height > EXPORT_MAX_PIXELS) {
      throw new BadRequestException(
        `a ${q.width} pixel wide picture of this region is ${height} pixels high; at most ${EXPORT_MAX_SIDE} pixels a side and ` +
          `${EXPORT_MAX_PIXELS} pixels in all: ask for a smaller width`,
      );
    }
    await this.access.require(auth, roomId, 'viewer');
    const atSeq = await this.pointInTime.resolve(roomId, q);
    // When tile-delta-go's own pixel budget is full, its RESOURCE_EXHAUSTED (and the wait it names) becomes a 429.
    const res = await this.running.run(() =>
      this.exports.exportRegion({
        roomId,
        viewport: { minX: q.minX, minY: q.minY, maxX: q.maxX, maxY: q.maxY },
        widthPx: q.width,
        heightPx: height,
        atSeq,
      }),
    );
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    this.logger.info(
      { roomId, width: q.width, height, level: res.level, tiles: res.tiles, bytes: res.png.length, totalMs },
      `GET export room=${roomId} ${q.width}x${height} level=${res.level} tiles=${res.tiles} total=${totalMs.toFixed(1)}ms`,
    );
    return new Payload({
      contentType: 'image/png',
      headers: { 'x-covers-seq': String(res.coversSeq), 'x-export-level': String(res.level) },
      body: Buffer.from(res.png),
    });
  }
}

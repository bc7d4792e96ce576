import { BadGatewayException, BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CONFIG, GatewayConfig } from '../config';
import {
  timelapseHeight,
  TimelapseProgressDto,
  TimelapseQueryDto,
  TIMELAPSE_MAX_HEIGHT,
  TIMELAPSE_MIN_SIDE,
} from '../dtos/timelapse.dto';
import type { TimelapseHeader } from '../gen/infidraw/tile/v1/tile';
import { TimelapseProgressRepository, TimelapseRepository } from '../repositories/timelapse.repository';
import { Bulkhead } from '../utils/bulkhead';
import { Payload } from '../utils/payload';
import { TooManyRequestsException } from '../utils/too-many-requests';
import { AuthContext } from './auth.service';
import { MetricsService } from './metrics.service';
import { PointInTimeService } from './point-in-time.service';
import { RoomAccessService } from './room-access.service';

/** Seconds a refused timelapse is told to wait: one takes seconds to tens of seconds. */
const TIMELAPSE_RETRY_AFTER_SECONDS = 5;
/** The most video bytes the gateway holds for one answer (it sends the file whole, so a failure is an error, not a cut file). */
export const TIMELAPSE_MAX_BYTES = 256 * 1024 * 1024;

const EXTENSIONS: Record<string, string> = { 'video/webm': 'webm', 'video/mp4': 'mp4' };

/**
 * A region of a room being drawn, as a video (tile-delta-go Timelapse, encoded by snapshot-rs) behind the room's
 * access check. The gateway collects the file before it answers, so a render that fails midway is an error rather
 * than a truncated video; meanwhile it records the frames done under the caller's progress token. Like exports, at
 * most GATEWAY_EXPORT_CONCURRENCY run at once in this process; the rest are answered 429 at once.
 */
@Injectable()
export class TimelapseService {
  private readonly running: Bulkhead;

  constructor(
    private readonly access: RoomAccessService,
    private readonly timelapses: TimelapseRepository,
    private readonly progress: TimelapseProgressRepository,
    private readonly pointInTime: PointInTimeService,
    metrics: MetricsService,
    @Inject(CONFIG) config: GatewayConfig,
    @InjectPinoLogger(TimelapseService.name) private readonly logger: PinoLogger,
  ) {
    this.running = new Bulkhead(config.exportConcurrency, 0, () => {
      metrics.busy.inc({ limit: 'timelapse' });
      return new TooManyRequestsException(
        `too many timelapses at once; retry in ${TIMELAPSE_RETRY_AFTER_SECONDS} s`,
        TIMELAPSE_RETRY_AFTER_SECONDS,
      );
    });
  }

  async video(auth: AuthContext, roomId: string, q: TimelapseQueryDto): Promise<Payload> {
    const start = process.hrtime.bigint();
    if (q.maxX <= q.minX || q.maxY <= q.minY) throw new BadRequestException('the region is empty: maxX must exceed minX and maxY minY');
    if (q.width % 2 !== 0) throw new BadRequestException(`width must be even (video frames are encoded in 2 x 2 blocks): ${q.width}`);
    const height = timelapseHeight(q);
    if (height < TIMELAPSE_MIN_SIDE || height > TIMELAPSE_MAX_HEIGHT) {
      throw new BadRequestException(
        `a ${q.width} pixel wide video of this region is ${height} pixels high; it must be ${TIMELAPSE_MIN_SIDE} to ${TIMELAPSE_MAX_HEIGHT}: ` +
          'change the width or the region',
      );
    }
    await this.access.require(auth, roomId, 'viewer');
    const fromSeq = (await this.pointInTime.seqOf(roomId, { seq: q.from, time: q.fromTime }, { seq: 'from', time: 'fromTime' })) ?? 0;
    const toSeq = await this.pointInTime.seqOf(roomId, { seq: q.to, time: q.toTime }, { seq: 'to', time: 'toTime' });
    if (toSeq !== undefined && toSeq < fromSeq) throw new BadRequestException(`the video would end (${toSeq}) before it starts (${fromSeq})`);
    const report = (p: TimelapseProgressDto) => this.report(roomId, q.progress, p);
    await report({ framesDone: 0, frames: 0, state: 'rendering' });
    try {
      const { header, video } = await this.running.run(() =>
        this.collect(
          {
            roomId,
            region: { minX: q.minX, minY: q.minY, maxX: q.maxX, maxY: q.maxY },
            widthPx: q.width,
            heightPx: height,
            fromSeq,
            toSeq,
            frameRate: q.fps ?? 0,
            maxFrames: q.frames ?? 0,
          },
          report,
        ),
      );
      await report({ framesDone: header.frames, frames: header.frames, state: 'done' });
      const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
      this.logger.info(
        { roomId, width: q.width, height, frames: header.frames, strokes: header.strokes, bytes: video.length, totalMs },
        `GET timelapse room=${roomId} ${q.width}x${height} frames=${header.frames} strokes=${header.strokes} total=${totalMs.toFixed(1)}ms`,
      );
      const ext = EXTENSIONS[header.contentType] ?? 'bin';
      return new Payload({
        contentType: header.contentType,
        headers: {
          'content-disposition': `attachment; filename="timelapse-${roomId}.${ext}"`,
          'x-timelapse-frames': String(header.frames),
          'x-timelapse-frame-rate': String(header.frameRate),
          'x-timelapse-strokes': String(header.strokes),
          'x-from-seq': String(header.fromSeq),
          'x-to-seq': String(header.toSeq),
        },
        body: video,
      });
    } catch (e) {
      await report({ framesDone: 0, frames: 0, state: 'failed' });
      throw e;
    }
  }

  /** The progress of the caller's timelapse in this room; 404 before it started or long after it ended. */
  async progressOf(auth: AuthContext, roomId: string, token: string): Promise<TimelapseProgressDto> {
    await this.access.require(auth, roomId, 'viewer');
    const p = await this.progress.get(roomId, token);
    if (!p) throw new NotFoundException('no timelapse with this progress token in this room (not started, or ended over ten minutes ago)');
    return p;
  }

  /** Reads the stream: its header, then progress (reported) and the video's parts (kept). */
  private async collect(
    request: Parameters<TimelapseRepository['timelapse']>[0],
    report: (p: TimelapseProgressDto) => Promise<void>,
  ): Promise<{ header: TimelapseHeader; video: Buffer }> {
    let header: TimelapseHeader | undefined;
    const parts: Buffer[] = [];
    let bytes = 0;
    for await (const { part } of this.timelapses.timelapse(request)) {
      if (part?.$case === 'header') header = part.value;
      else if (part?.$case === 'progress') await report({ ...part.value, state: 'rendering' });
      else if (part?.$case === 'video') {
        bytes += part.value.length;
        if (bytes > TIMELAPSE_MAX_BYTES) {
          throw new BadGatewayException(`the video is larger than the ${TIMELAPSE_MAX_BYTES / 2 ** 20} MiB the gateway sends: ask for fewer frames or a smaller width`);
        }
        parts.push(Buffer.from(part.value));
      }
    }
    if (!header) throw new BadGatewayException('tile-delta service sent a timelapse without its header');
    return { header, video: Buffer.concat(parts, bytes) };
  }

  /** Progress is for the caller's eyes only: a Redis failure is logged, never fails the video. */
  private async report(roomId: string, token: string | undefined, p: TimelapseProgressDto): Promise<void> {
    if (!token) return;
    await this.progress.set(roomId, token, p).catch((err: Error) => this.logger.warn({ err: err.message, roomId }, 'timelapse progress not recorded'));
  }
}

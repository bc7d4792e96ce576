import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { HistoryActionDto, RestoreRegionDto, RevertPersonDto } from '../dtos/history.dto';
import { RevertRequest } from '../gen/infidraw/realtime/v1/realtime_service';
import { RealtimeRepository } from '../repositories/realtime.repository';
import { TileDeltaRepository } from '../repositories/tile-delta.repository';
import { UpstreamError } from '../utils/upstream-error';
import { uuidToBytes } from '../utils/uuid';
import { AuthContext } from './auth.service';
import { PointInTimeService } from './point-in-time.service';
import { RoomAccessService } from './room-access.service';

/** The lists of one revert: 16-byte stroke ids. */
type Changes = Pick<RevertRequest, 'eraseStrokeIds' | 'restoreStrokeIds'>;

/**
 * History as new actions (issue 16): restoring a region to an earlier point and reverting what a person did since
 * one. tile-delta-go (RegionChanges) or realtime-go (AuthorChanges) says which strokes to erase and restore; one
 * realtime-go Revert by the caller commits them, which the caller undoes like an erase. Nothing of the log is
 * rewritten. The read and the commit are two calls: a stroke someone changes in between is left as they left it
 * (Revert erases only visible strokes and restores only erased ones).
 */
@Injectable()
export class HistoryService {
  constructor(
    private readonly access: RoomAccessService,
    private readonly pointInTime: PointInTimeService,
    private readonly tileDelta: TileDeltaRepository,
    private readonly realtime: RealtimeRepository,
    @InjectPinoLogger(HistoryService.name) private readonly logger: PinoLogger,
  ) {}

  /** Editors and owners restore a region to the room as it was at a point. */
  async restore(auth: AuthContext, roomId: string, dto: RestoreRegionDto): Promise<HistoryActionDto> {
    if (dto.maxX <= dto.minX || dto.maxY <= dto.minY) throw new BadRequestException('the region is empty: maxX must exceed minX and maxY minY');
    await this.access.require(auth, roomId, 'editor');
    const at = await this.point(roomId, { seq: dto.at, time: dto.atTime }, { seq: 'at', time: 'atTime' });
    const region = { minX: dto.minX, minY: dto.minY, maxX: dto.maxX, maxY: dto.maxY };
    const changes = await this.tileDelta.regionChanges({ roomId, region, atSeq: at });
    return this.commit(auth, roomId, changes, changes.atSeq, `nothing to restore: the region is as it was at seq ${changes.atSeq}`);
  }

  /** The owner undoes what one member or guest did since a point, as an action of the owner's. */
  async revert(auth: AuthContext, roomId: string, dto: RevertPersonDto): Promise<HistoryActionDto> {
    await this.access.require(auth, roomId, 'owner');
    const since = await this.point(roomId, { seq: dto.since, time: dto.sinceTime }, { seq: 'since', time: 'sinceTime' });
    const changes = await this.realtime.authorChanges(roomId, dto.userId, since);
    return this.commit(auth, roomId, changes, since, `nothing to revert: user ${dto.userId} changed nothing since seq ${since} that is still in place`);
  }

  private async point(roomId: string, p: { seq?: number; time?: string }, names: { seq: string; time: string }): Promise<number> {
    const seq = await this.pointInTime.seqOf(roomId, p, names);
    if (seq === undefined) throw new BadRequestException(`give ${names.seq} (a seq) or ${names.time} (RFC 3339)`);
    return seq;
  }

  /** Commits the changes as one revert of the caller; 409 when there is nothing to change, before or by then. */
  private async commit(auth: AuthContext, roomId: string, c: Changes, pointSeq: number, nothing: string): Promise<HistoryActionDto> {
    if (c.eraseStrokeIds.length + c.restoreStrokeIds.length === 0) throw new ConflictException(nothing);
    const actionId = randomUUID();
    const start = process.hrtime.bigint();
    try {
      const request = { roomId, authorId: auth.user.id, actionId: uuidToBytes(actionId)!, eraseStrokeIds: c.eraseStrokeIds, restoreStrokeIds: c.restoreStrokeIds };
      const { seq } = await this.realtime.revert(request);
      const commitMs = Number(process.hrtime.bigint() - start) / 1e6;
      const answer = { actionId, seq, pointSeq, erased: c.eraseStrokeIds.length, restored: c.restoreStrokeIds.length };
      this.logger.info({ roomId, userId: auth.user.id, ...answer, commitMs }, 'revert committed');
      return answer;
    } catch (err) {
      // Others changed every one of these strokes between the read and the commit.
      if (err instanceof UpstreamError && err.code === GrpcStatus.NOT_FOUND) throw new ConflictException(nothing);
      throw err;
    }
  }
}

import { Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import { Metadata } from '@grpc/grpc-js';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { EventsQueryDto, mapPresence, PresenceDto } from '../dtos/events.dto';
import { mapIngestResponse, parseStrokeBatch } from '../dtos/strokes.dto';
import { GetEventsResponse, IngestStrokesResponse } from '../gen/infidraw/realtime/v1/realtime_service';
import { RoomEvent } from '../gen/infidraw/room/v1/event';
import { RealtimeRepository } from '../repositories/realtime.repository';
import { encode, Payload, WireFormat, wireFormatOf } from '../utils/payload';
import { AuthContext } from './auth.service';
import { RoomAccessService } from './room-access.service';

const ms = (from: bigint, to = process.hrtime.bigint()) => Number(to - from) / 1e6;
const fmt = (n: number) => n.toFixed(1);

/** The database time realtime-go reports in its trailers (`x-db-ms`, or `server-timing: db;dur=`). */
function dbMsFrom(trailers: Metadata): number | undefined {
  const direct = trailers.get('x-db-ms')[0];
  if (direct !== undefined && Number.isFinite(Number(direct))) return Number(direct);
  const timing = trailers.get('server-timing')[0];
  const m = typeof timing === 'string' ? /(?:^|,)\s*db;dur=([\d.]+)/.exec(timing) : null;
  return m ? Number(m[1]) : undefined;
}

/** Room data through realtime-go: events, stroke ingestion and presence. */
@Injectable()
export class RoomDataService {
  constructor(
    private readonly access: RoomAccessService,
    private readonly realtime: RealtimeRepository,
    @InjectPinoLogger(RoomDataService.name) private readonly logger: PinoLogger,
  ) {}

  /** A page of committed events: GetEventsResponse as protobuf, or JSON with every field. Logs timings. */
  async events(auth: AuthContext, roomId: string, q: EventsQueryDto, format: WireFormat): Promise<Payload> {
    const start = process.hrtime.bigint();
    await this.access.require(auth, roomId, 'viewer');
    const afterAccess = process.hrtime.bigint();
    const since = q.since ?? 0;
    const { response, trailers } = await this.realtime.getEvents(roomId, since, q.limit ?? 0);
    const afterGrpc = process.hrtime.bigint();
    const { contentType, body } = encode(format, {
      protobuf: () => GetEventsResponse.encode(response).finish(),
      // Not GetEventsResponse.toJSON, which leaves out fields at their defaults (an empty page, hasMore false).
      plain: () => ({ events: response.events.map((e) => RoomEvent.toJSON(e)), headSeq: response.headSeq, hasMore: response.hasMore }),
    });
    const end = process.hrtime.bigint();
    const dbMs = dbMsFrom(trailers);
    const timing = {
      accessMs: ms(start, afterAccess),
      grpcMs: ms(afterAccess, afterGrpc),
      encodeMs: ms(afterGrpc, end),
      totalMs: ms(start, end),
      ...(dbMs !== undefined ? { dbMs } : {}),
    };
    this.logger.info(
      { roomId, since, limit: q.limit ?? 0, events: response.events.length, bytes: body.length, format, ...timing },
      `GET events room=${roomId} since=${since} events=${response.events.length} ` +
        `${dbMs !== undefined ? `db=${fmt(dbMs)}ms ` : ''}grpc=${fmt(timing.grpcMs)}ms total=${fmt(timing.totalMs)}ms`,
    );
    return new Payload({
      contentType,
      headers: {
        'x-head-seq': String(response.headSeq),
        'x-has-more': String(response.hasMore),
        'server-timing': `${dbMs !== undefined ? `db;dur=${fmt(dbMs)}, ` : ''}grpc;dur=${fmt(timing.grpcMs)}, total;dur=${fmt(timing.totalMs)}`,
      },
      body,
    });
  }

  /** Commits strokes (editor or owner) through realtime-go; idempotent by stroke id. */
  async ingest(auth: AuthContext, roomId: string, contentType: string | undefined, body: unknown, format: WireFormat): Promise<Payload> {
    const inFormat = wireFormatOf(contentType);
    if (!inFormat) {
      throw new UnsupportedMediaTypeException('send application/x-protobuf, application/msgpack or application/json');
    }
    await this.access.require(auth, roomId, 'editor');
    const strokes = parseStrokeBatch(inFormat, body, roomId);
    const response = await this.realtime.ingestStrokes(roomId, auth.user.id, strokes);
    this.logger.info(
      { roomId, userId: auth.user.id, strokes: strokes.length, duplicates: response.results.filter((r) => r.duplicate).length },
      'strokes ingested',
    );
    return new Payload(encode(format, { protobuf: () => IngestStrokesResponse.encode(response).finish(), plain: () => mapIngestResponse(response) }));
  }

  async presence(auth: AuthContext, roomId: string): Promise<PresenceDto> {
    await this.access.require(auth, roomId, 'viewer');
    return mapPresence(await this.realtime.getPresence(roomId));
  }
}

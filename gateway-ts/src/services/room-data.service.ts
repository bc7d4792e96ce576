import { Injectable, NotAcceptableException, UnsupportedMediaTypeException } from '@nestjs/common';
import { Metadata } from '@grpc/grpc-js';
import { encode as encodeMsgpack } from '@msgpack/msgpack';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { EventsQueryDto, mapPresence, PresenceDto } from '../dtos/events.dto';
import { mapIngestResponse, parseStrokeBatch, STROKE_CONTENT_TYPES, WireFormat, wireFormatOf } from '../dtos/strokes.dto';
import { GetEventsResponse, IngestStrokesResponse } from '../gen/infidraw/realtime/v1/realtime_service';
import { RoomEvent } from '../gen/infidraw/room/v1/event';
import { RealtimeRepository } from '../repositories/realtime.repository';
import { AuthContext } from './auth.service';
import { RoomAccessService } from './room-access.service';

/** A response body with its type and extra headers, written by the controller. */
export interface Payload {
  contentType: string;
  headers: Record<string, string>;
  body: Buffer | string;
}

export const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json; charset=utf-8';

const ms = (from: bigint, to = process.hrtime.bigint()) => Number(to - from) / 1e6;
const fmt = (n: number) => n.toFixed(1);

/** The database time realtime-go reports in its trailers (`x-db-ms`, or `server-timing: db;dur=`). */
function dbMsFrom(trailers: Metadata | undefined): number | undefined {
  if (!trailers) return undefined;
  const direct = trailers.get('x-db-ms')[0];
  if (direct !== undefined && Number.isFinite(Number(direct))) return Number(direct);
  const timing = trailers.get('server-timing')[0];
  const m = typeof timing === 'string' ? /(?:^|,)\s*db;dur=([\d.]+)/.exec(timing) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Picks the response format: an explicit `format` wins, then the first Accept entry the gateway can
 * produce, then the default (protobuf for events: programs are the main readers).
 */
function negotiate(accept: string | undefined, available: WireFormat[], fallback: WireFormat): WireFormat {
  if (!accept) return fallback;
  const wanted = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { type } of wanted) {
    if (type === '*/*' || type === 'application/*') return fallback;
    const format = wireFormatOf(type);
    if (format && available.includes(format)) return format;
  }
  throw new NotAcceptableException(`can answer with ${available.map((f) => STROKE_CONTENT_TYPES[f][0]).join(', ')}`);
}

/** Room data through realtime-go: events, stroke ingestion and presence. */
@Injectable()
export class RoomDataService {
  constructor(
    private readonly access: RoomAccessService,
    private readonly realtime: RealtimeRepository,
    @InjectPinoLogger(RoomDataService.name) private readonly logger: PinoLogger,
  ) {}

  /** A page of committed events: protobuf GetEventsResponse by default, JSON on request. Logs timings. */
  async events(auth: AuthContext, roomId: string, q: EventsQueryDto, accept: string | undefined): Promise<Payload> {
    const start = process.hrtime.bigint();
    const format = q.format ?? negotiate(accept, ['protobuf', 'json'], 'protobuf');
    await this.access.require(auth, roomId, 'viewer');
    const afterAccess = process.hrtime.bigint();
    const since = q.since ?? 0;
    const { response, trailers } = await this.realtime.getEvents(roomId, since, q.limit ?? 0);
    const afterGrpc = process.hrtime.bigint();
    const body =
      format === 'json'
        ? JSON.stringify({ events: response.events.map((e) => RoomEvent.toJSON(e)), headSeq: response.headSeq, hasMore: response.hasMore })
        : Buffer.from(GetEventsResponse.encode(response).finish());
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
    return {
      contentType: format === 'json' ? JSON_TYPE : PROTOBUF,
      headers: {
        'x-head-seq': String(response.headSeq),
        'x-has-more': String(response.hasMore),
        'server-timing': `${dbMs !== undefined ? `db;dur=${fmt(dbMs)}, ` : ''}grpc;dur=${fmt(timing.grpcMs)}, total;dur=${fmt(timing.totalMs)}`,
        'cache-control': 'no-store',
      },
      body,
    };
  }

  /** Commits strokes (editor or owner) through realtime-go; idempotent by stroke id. */
  async ingest(
    auth: AuthContext,
    roomId: string,
    contentType: string | undefined,
    body: unknown,
    accept: string | undefined,
  ): Promise<Payload> {
    const inFormat = wireFormatOf(contentType);
    if (!inFormat) {
      throw new UnsupportedMediaTypeException('send application/x-protobuf, application/msgpack or application/json');
    }
    const outFormat = negotiate(accept, ['protobuf', 'msgpack', 'json'], inFormat);
    await this.access.require(auth, roomId, 'editor');
    const strokes = parseStrokeBatch(inFormat, body, roomId);
    const response = await this.realtime.ingestStrokes(roomId, auth.user.id, strokes);
    this.logger.info(
      { roomId, userId: auth.user.id, strokes: strokes.length, duplicates: response.results.filter((r) => r.duplicate).length },
      'strokes ingested',
    );
    return this.encodeIngest(response, outFormat);
  }

  private encodeIngest(response: IngestStrokesResponse, format: WireFormat): Payload {
    switch (format) {
      case 'protobuf':
        return { contentType: PROTOBUF, headers: {}, body: Buffer.from(IngestStrokesResponse.encode(response).finish()) };
      case 'msgpack':
        return { contentType: 'application/msgpack', headers: {}, body: Buffer.from(encodeMsgpack(mapIngestResponse(response))) };
      case 'json':
        return { contentType: JSON_TYPE, headers: {}, body: JSON.stringify(mapIngestResponse(response)) };
    }
  }

  async presence(auth: AuthContext, roomId: string): Promise<PresenceDto> {
    await this.access.require(auth, roomId, 'viewer');
    return mapPresence(await this.realtime.getPresence(roomId));
  }
}

import { BadRequestException, HttpException, Injectable, NotAcceptableException, NotFoundException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { StrokesAtQueryDto } from '../dtos/strokes-at.dto';
import { KnownTilesDto, snapshotKey, snapshotUrl, TilesQueryDto } from '../dtos/tiles.dto';
import { GetTilesRequest, GetTilesResponse, HitStrokesResponse } from '../gen/infidraw/tile/v1/tile';
import { SnapshotObjectsRepository } from '../repositories/snapshot-objects.repository';
import { TileDeltaRepository } from '../repositories/tile-delta.repository';
import { grpcToHttp, isGrpcError } from '../utils/grpc-error';
import { AuthContext } from './auth.service';
import type { Payload } from './room-data.service';
import { RoomAccessService } from './room-access.service';

/** A Payload that may carry a status other than 200 (304 on revalidation). */
export interface TilePayload extends Payload {
  status?: number;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json; charset=utf-8';
export const IMMUTABLE = 'private, max-age=31536000, immutable';

/** protobuf unless the Accept header prefers JSON; 406 when it accepts neither. */
function formatFor(accept: string | undefined): 'protobuf' | 'json' {
  if (!accept) return 'protobuf';
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
    if (type === '*/*' || type === 'application/*' || type === PROTOBUF || type === 'application/protobuf') return 'protobuf';
    if (type === 'application/json') return 'json';
  }
  throw new NotAcceptableException('can answer with application/x-protobuf, application/json');
}

/** Whether an If-None-Match header lists the ETag (weak comparison, as RFC 9110 says for If-None-Match). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === bare;
  });
}

/** A room as tiles: tile-delta-go's GetTiles behind the room's access check, and the snapshot PNGs. */
@Injectable()
export class TilesService {
  constructor(
    private readonly access: RoomAccessService,
    private readonly tileDelta: TileDeltaRepository,
    private readonly objects: SnapshotObjectsRepository,
    @InjectPinoLogger(TilesService.name) private readonly logger: PinoLogger,
  ) {}

  /** Per tile of the viewport: the newest usable snapshot (as a URL) and the strokes drawn after it. */
  async tiles(auth: AuthContext, roomId: string, q: TilesQueryDto, accept: string | undefined): Promise<Payload> {
    const start = process.hrtime.bigint();
    const format = q.format ?? formatFor(accept);
    if (q.maxX <= q.minX || q.maxY <= q.minY) throw new BadRequestException('the viewport is empty: maxX must exceed minX and maxY minY');
    await this.access.require(auth, roomId, 'viewer');
    const selection: GetTilesRequest['selection'] = { $case: 'viewport', value: { minX: q.minX, minY: q.minY, maxX: q.maxX, maxY: q.maxY } };
    return this.read(roomId, q.level, selection, format, 'GET tiles', start);
  }

  /**
   * Per listed tile: what it gained after the client's coversSeq (tile-delta-go GetTiles with a known
   * list; tile-delta-go reads every tile after the lowest coversSeq of the list), as in tiles().
   */
  async known(auth: AuthContext, roomId: string, body: KnownTilesDto, format: 'protobuf' | 'json' | undefined, accept: string | undefined): Promise<Payload> {
    const start = process.hrtime.bigint();
    const chosen = format ?? formatFor(accept);
    const seen = new Set<string>();
    for (const t of body.tiles) {
      const k = `${t.x},${t.y}`;
      if (seen.has(k)) throw new BadRequestException(`tile ${k} is listed twice`);
      seen.add(k);
    }
    await this.access.require(auth, roomId, 'viewer');
    const selection: GetTilesRequest['selection'] = {
      $case: 'known',
      value: { tiles: body.tiles.map((t) => ({ coord: { level: body.level, x: t.x, y: t.y }, coversSeq: t.coversSeq })) },
    };
    return this.read(roomId, body.level, selection, chosen, 'POST tiles/known', start);
  }

  /**
   * The visible strokes under a disk (world units), topmost first: tile-delta-go HitStrokes. Editors and owners only:
   * it serves the object eraser, which viewers cannot use.
   */
  async strokesAt(auth: AuthContext, roomId: string, q: StrokesAtQueryDto, accept: string | undefined): Promise<Payload> {
    const start = process.hrtime.bigint();
    const format = q.format ?? formatFor(accept);
    await this.access.require(auth, roomId, 'editor');
    const request = { roomId, x: Math.round(q.x * 100), y: Math.round(q.y * 100), radius: Math.max(1, Math.round(q.r * 100)) };
    let response: HitStrokesResponse;
    try {
      response = await this.tileDelta.hitStrokes(request);
    } catch (err) {
      if (!isGrpcError(err)) throw err;
      const { status, message } = grpcToHttp(err, 'tile-delta');
      throw new HttpException(message, status);
    }
    const body = format === 'json' ? JSON.stringify(HitStrokesResponse.toJSON(response)) : Buffer.from(HitStrokesResponse.encode(response).finish());
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    this.logger.info(
      { roomId, hits: response.strokes.length, partial: response.partial, level: response.level, bytes: body.length, format, totalMs },
      `GET strokes/at room=${roomId} hits=${response.strokes.length} partial=${response.partial} total=${totalMs.toFixed(1)}ms`,
    );
    return {
      contentType: format === 'json' ? JSON_TYPE : PROTOBUF,
      headers: { 'x-head-seq': String(response.headSeq), 'x-hit-partial': response.partial ? '1' : '0', 'cache-control': 'no-store', vary: 'accept' },
      body,
    };
  }

  /** GetTiles, snapshot keys rewritten to URLs, encoded as asked. */
  private async read(
    roomId: string,
    level: number,
    selection: GetTilesRequest['selection'],
    format: 'protobuf' | 'json',
    label: string,
    start: bigint,
  ): Promise<Payload> {
    let response: GetTilesResponse;
    try {
      response = await this.tileDelta.getTiles({ roomId, level, selection });
    } catch (err) {
      if (!isGrpcError(err)) throw err;
      const { status, message } = grpcToHttp(err, 'tile-delta');
      throw new HttpException(message, status);
    }
    let snapshots = 0;
    for (const t of response.tiles) {
      const c = t.coord;
      if (!t.snapshot || !c) continue;
      snapshots++;
      const expected = snapshotKey(roomId, c.level, c.x, c.y, t.snapshot.coversSeq);
      if (t.snapshot.key !== expected) {
        this.logger.warn({ roomId, key: t.snapshot.key, expected }, 'snapshot key not in the expected layout');
      }
      t.snapshot.key = snapshotUrl(roomId, c.level, c.x, c.y, t.snapshot.coversSeq);
    }
    const body = format === 'json' ? JSON.stringify(GetTilesResponse.toJSON(response)) : Buffer.from(GetTilesResponse.encode(response).finish());
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    this.logger.info(
      { roomId, level, tiles: response.tiles.length, snapshots, bytes: body.length, format, totalMs },
      `${label} room=${roomId} level=${level} tiles=${response.tiles.length} snapshots=${snapshots} total=${totalMs.toFixed(1)}ms`,
    );
    return {
      contentType: format === 'json' ? JSON_TYPE : PROTOBUF,
      headers: { 'x-head-seq': String(response.headSeq), 'cache-control': 'no-store', vary: 'accept' },
      body,
    };
  }

  /** One snapshot PNG of this room: immutable, with a strong ETag; 304 when the caller has it. */
  async snapshot(
    auth: AuthContext,
    roomId: string,
    level: number,
    x: number,
    y: number,
    coversSeq: number,
    ifNoneMatch: string | undefined,
  ): Promise<TilePayload> {
    await this.access.require(auth, roomId, 'viewer');
    // Built from the validated room id and integers only: never a path from the caller.
    const key = snapshotKey(roomId, level, x, y, coversSeq);
    const info = await this.objects.stat(key);
    if (!info) throw new NotFoundException('no such snapshot');
    const etag = `"${createHash('sha256').update(key).digest('base64url').slice(0, 22)}-${info.size}"`;
    const headers = { etag, 'cache-control': IMMUTABLE };
    if (matches(ifNoneMatch, etag)) return { status: 304, contentType: 'image/png', headers, body: '' };
    const png = await this.objects.read(key);
    if (!png) throw new NotFoundException('no such snapshot');
    return { contentType: 'image/png', headers, body: png };
  }
}

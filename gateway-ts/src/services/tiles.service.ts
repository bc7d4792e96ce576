import { BadRequestException, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { StrokesAtQueryDto } from '../dtos/strokes-at.dto';
import { KnownTilesDto, snapshotUrl, TilesQueryDto } from '../dtos/tiles.dto';
import { DEFAULT_AUTHORS_SPAN, ViewAuthorsDto, ViewAuthorsQueryDto } from '../dtos/view-authors.dto';
import { COORD_SCALE } from '../gen/limits';
import { GetTilesRequest, GetTilesResponse, HitStrokesResponse, TileCoord } from '../gen/infidraw/tile/v1/tile';
import { TileDeltaRepository } from '../repositories/tile-delta.repository';
import { UsersRepository } from '../repositories/users.repository';
import { encode, Payload, WireFormat } from '../utils/payload';
import { bytesToUuid } from '../utils/uuid';
import { AuthContext } from './auth.service';
import { PointInTimeService } from './point-in-time.service';
import { RoomAccessService } from './room-access.service';

export const IMMUTABLE_FOR_A_YEAR = 'max-age=31536000, immutable';

/** Where a read's snapshot URLs point (the members' route or an embed's) and how its answer may be cached. */
export interface TilesExposure {
  snapshotUrl(coord: TileCoord, coversSeq: number): string;
  /** Cache-Control of an answer; `no-store` when absent. */
  cacheControl?(response: GetTilesResponse): string;
}

/** 400 for a viewport without area. */
export function requireViewport(q: TilesQueryDto): void {
  if (q.maxX <= q.minX || q.maxY <= q.minY) throw new BadRequestException('the viewport is empty: maxX must exceed minX and maxY minY');
}

/** A room as tiles: tile-delta-go's GetTiles behind the room's access check, and the snapshot PNGs (GetSnapshot). */
@Injectable()
export class TilesService {
  constructor(
    private readonly access: RoomAccessService,
    private readonly tileDelta: TileDeltaRepository,
    private readonly pointInTime: PointInTimeService,
    private readonly users: UsersRepository,
    @InjectPinoLogger(TilesService.name) private readonly logger: PinoLogger,
  ) {}

  /**
   * Per tile of the viewport: the newest usable snapshot (as a URL) and the strokes drawn after it; with `at` or
   * `atTime`, the same as the room was then.
   */
  async tiles(auth: AuthContext, roomId: string, q: TilesQueryDto, format: WireFormat): Promise<Payload> {
    const start = process.hrtime.bigint();
    requireViewport(q);
    await this.access.require(auth, roomId, 'viewer');
    return this.viewport(roomId, q, format, { snapshotUrl: (c, coversSeq) => snapshotUrl(roomId, c.level, c.x, c.y, coversSeq) }, 'GET tiles', start);
  }

  /**
   * The tiles of a viewport (checked by requireViewport) of a room whose access the caller checked, with snapshot URLs
   * and caching as `exposure` says: the members' route and the embeds' share it.
   */
  async viewport(roomId: string, q: TilesQueryDto, format: WireFormat, exposure: TilesExposure, label: string, start: bigint): Promise<Payload> {
    const atSeq = await this.pointInTime.resolve(roomId, q);
    const selection: GetTilesRequest['selection'] = { $case: 'viewport', value: { minX: q.minX, minY: q.minY, maxX: q.maxX, maxY: q.maxY } };
    return this.read({ roomId, level: q.level, selection, atSeq }, format, exposure, label, start);
  }

  /**
   * Per listed tile: what it gained after the client's coversSeq (tile-delta-go GetTiles with a known
   * list; tile-delta-go reads every tile after the lowest coversSeq of the list), as in tiles().
   */
  async known(auth: AuthContext, roomId: string, body: KnownTilesDto, format: WireFormat): Promise<Payload> {
    const start = process.hrtime.bigint();
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
    const exposure = { snapshotUrl: (c: TileCoord, coversSeq: number) => snapshotUrl(roomId, c.level, c.x, c.y, coversSeq) };
    return this.read({ roomId, level: body.level, selection }, format, exposure, 'POST tiles/known', start);
  }

  /**
   * The visible strokes under a disk (world units), topmost first: tile-delta-go HitStrokes. Editors and owners only:
   * it serves the object eraser, which viewers cannot use.
   */
  async strokesAt(auth: AuthContext, roomId: string, q: StrokesAtQueryDto, format: WireFormat): Promise<Payload> {
    const start = process.hrtime.bigint();
    await this.access.require(auth, roomId, 'editor');
    const request = { roomId, x: Math.round(q.x * COORD_SCALE), y: Math.round(q.y * COORD_SCALE), radius: Math.max(1, Math.round(q.r * COORD_SCALE)) };
    const response = await this.tileDelta.hitStrokes(request);
    const { contentType, body } = encode(format, { protobuf: () => HitStrokesResponse.encode(response).finish(), plain: () => HitStrokesResponse.toJSON(response) });
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    this.logger.info(
      { roomId, hits: response.strokes.length, partial: response.partial, level: response.level, bytes: body.length, format, totalMs },
      `GET strokes/at room=${roomId} hits=${response.strokes.length} partial=${response.partial} total=${totalMs.toFixed(1)}ms`,
    );
    return new Payload({
      contentType,
      headers: { 'x-head-seq': String(response.headSeq), 'x-hit-partial': response.partial ? '1' : '0' },
      body,
    });
  }

  /** Who drew in the viewport around event `at` (tile-delta-go ViewAuthors), with display names (any member). */
  async viewAuthors(auth: AuthContext, roomId: string, q: ViewAuthorsQueryDto): Promise<ViewAuthorsDto> {
    if (q.maxX <= q.minX || q.maxY <= q.minY) throw new BadRequestException('the viewport is empty: maxX must exceed minX and maxY minY');
    await this.access.require(auth, roomId, 'viewer');
    const viewport = { minX: q.minX, minY: q.minY, maxX: q.maxX, maxY: q.maxY };
    const response = await this.tileDelta.viewAuthors({ roomId, level: q.level, viewport, atSeq: q.at, span: q.span ?? DEFAULT_AUTHORS_SPAN });
    const ids = response.authors.map((a) => bytesToUuid(a.authorId));
    const names = ids.length === 0 ? new Map<string, string>() : await this.users.displayNames(ids);
    const authors = response.authors.map((a, i) => ({ userId: ids[i], displayName: names.get(ids[i]) ?? '', events: a.events, lastSeq: a.lastSeq }));
    return { atSeq: q.at, authors, partial: response.partial };
  }

  /** GetTiles, each snapshot given the URL a browser fetches it from (and no object key), encoded as asked. */
  private async read(request: GetTilesRequest, format: WireFormat, exposure: TilesExposure, label: string, start: bigint): Promise<Payload> {
    const { roomId, level, atSeq } = request;
    const response = await this.tileDelta.getTiles(request);
    let snapshots = 0;
    for (const t of response.tiles) {
      const c = t.coord;
      if (!t.snapshot || !c) continue;
      snapshots++;
      t.snapshot.url = exposure.snapshotUrl(c, t.snapshot.coversSeq);
      t.snapshot.key = '';
    }
    const { contentType, body } = encode(format, { protobuf: () => GetTilesResponse.encode(response).finish(), plain: () => GetTilesResponse.toJSON(response) });
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    const at = atSeq === undefined ? '' : ` at=${response.atSeq}`;
    this.logger.info(
      { roomId, level, atSeq, tiles: response.tiles.length, snapshots, bytes: body.length, format, totalMs },
      `${label} room=${roomId} level=${level}${at} tiles=${response.tiles.length} snapshots=${snapshots} total=${totalMs.toFixed(1)}ms`,
    );
    return new Payload({
      contentType,
      headers: { 'x-head-seq': String(response.headSeq), 'x-at-seq': String(response.atSeq) },
      cacheControl: exposure.cacheControl?.(response),
      body,
    });
  }

  /**
   * One snapshot PNG of this room (tile-delta-go GetSnapshot): the bytes, immutable, or a redirect to a presigned
   * URL, cached a little less long than the URL lives. Snapshots never change, so the ETag is their name: a caller
   * that has the PNG gets 304 without tile-delta-go being asked.
   */
  async snapshot(auth: AuthContext, roomId: string, level: number, x: number, y: number, coversSeq: number): Promise<Payload> {
    await this.access.require(auth, roomId, 'viewer');
    return this.snapshotPng(roomId, { level, x, y }, coversSeq, 'private');
  }

  /**
   * A snapshot PNG of a room whose access the caller checked, cached by browsers only (`private`) or by any cache
   * (`public`: an embed's, which needs no credentials).
   */
  snapshotPng(roomId: string, coord: TileCoord, coversSeq: number, scope: 'private' | 'public'): Payload {
    const { level, x, y } = coord;
    const etag = `"${createHash('sha256').update(snapshotUrl(roomId, level, x, y, coversSeq)).digest('base64url').slice(0, 22)}"`;
    const fetch = async (): Promise<Buffer | Payload> => {
      const { content, urlTtlSeconds } = await this.tileDelta.getSnapshot({ roomId, coord, coversSeq, acceptUrl: true });
      switch (content?.$case) {
        case 'png':
          return content.value;
        case 'url':
          return Payload.redirect(content.value, `${scope}, max-age=${redirectMaxAge(urlTtlSeconds)}`);
        default:
          throw new Error('tile-delta GetSnapshot answered neither a PNG nor a URL');
      }
    };
    return new Payload({ contentType: 'image/png', cacheControl: `${scope}, ${IMMUTABLE_FOR_A_YEAR}`, etag, body: fetch });
  }
}

/** How long a browser may reuse a redirect to a presigned URL: a tenth less than the URL lives, time to fetch it. */
function redirectMaxAge(urlTtlSeconds: number): number {
  return Math.max(0, urlTtlSeconds - Math.ceil(urlTtlSeconds / 10));
}

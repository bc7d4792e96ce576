import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { StrokesAtQueryDto } from '../dtos/strokes-at.dto';
import { KnownTilesDto, snapshotKey, snapshotUrl, TilesQueryDto } from '../dtos/tiles.dto';
import { GetTilesRequest, GetTilesResponse, HitStrokesResponse } from '../gen/infidraw/tile/v1/tile';
import { SnapshotObjectsRepository } from '../repositories/snapshot-objects.repository';
import { TileDeltaRepository } from '../repositories/tile-delta.repository';
import { encode, Payload, WireFormat } from '../utils/payload';
import { AuthContext } from './auth.service';
import { RoomAccessService } from './room-access.service';

export const IMMUTABLE = 'private, max-age=31536000, immutable';

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
  async tiles(auth: AuthContext, roomId: string, q: TilesQueryDto, format: WireFormat): Promise<Payload> {
    const start = process.hrtime.bigint();
    if (q.maxX <= q.minX || q.maxY <= q.minY) throw new BadRequestException('the viewport is empty: maxX must exceed minX and maxY minY');
    await this.access.require(auth, roomId, 'viewer');
    const selection: GetTilesRequest['selection'] = { $case: 'viewport', value: { minX: q.minX, minY: q.minY, maxX: q.maxX, maxY: q.maxY } };
    return this.read(roomId, q.level, selection, format, 'GET tiles', start);
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
    return this.read(roomId, body.level, selection, format, 'POST tiles/known', start);
  }

  /**
   * The visible strokes under a disk (world units), topmost first: tile-delta-go HitStrokes. Editors and owners only:
   * it serves the object eraser, which viewers cannot use.
   */
  async strokesAt(auth: AuthContext, roomId: string, q: StrokesAtQueryDto, format: WireFormat): Promise<Payload> {
    const start = process.hrtime.bigint();
    await this.access.require(auth, roomId, 'editor');
    const request = { roomId, x: Math.round(q.x * 100), y: Math.round(q.y * 100), radius: Math.max(1, Math.round(q.r * 100)) };
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

  /** GetTiles, snapshot keys rewritten to URLs, encoded as asked. */
  private async read(
    roomId: string,
    level: number,
    selection: GetTilesRequest['selection'],
    format: WireFormat,
    label: string,
    start: bigint,
  ): Promise<Payload> {
    const response = await this.tileDelta.getTiles({ roomId, level, selection });
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
    const { contentType, body } = encode(format, { protobuf: () => GetTilesResponse.encode(response).finish(), plain: () => GetTilesResponse.toJSON(response) });
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    this.logger.info(
      { roomId, level, tiles: response.tiles.length, snapshots, bytes: body.length, format, totalMs },
      `${label} room=${roomId} level=${level} tiles=${response.tiles.length} snapshots=${snapshots} total=${totalMs.toFixed(1)}ms`,
    );
    return new Payload({ contentType, headers: { 'x-head-seq': String(response.headSeq) }, body });
  }

  /** One snapshot PNG of this room: immutable, with a strong ETag (the PNG is read only when the caller lacks it). */
  async snapshot(auth: AuthContext, roomId: string, level: number, x: number, y: number, coversSeq: number): Promise<Payload> {
    await this.access.require(auth, roomId, 'viewer');
    // Built from the validated room id and integers only: never a path from the caller.
    const key = snapshotKey(roomId, level, x, y, coversSeq);
    const info = await this.objects.stat(key);
    if (!info) throw new NotFoundException('no such snapshot');
    const etag = `"${createHash('sha256').update(key).digest('base64url').slice(0, 22)}-${info.size}"`;
    const read = async () => {
      const png = await this.objects.read(key);
      if (!png) throw new NotFoundException('no such snapshot');
      return png;
    };
    return new Payload({ contentType: 'image/png', cacheControl: IMMUTABLE, etag, body: read });
  }
}

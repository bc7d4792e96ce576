import { applyDecorators, Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiParam, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { FormatQueryDto } from '../dtos/format.dto';
import { SnapshotPngDocs, coversSeqParam, KnownTilesDto, levelParam, tileIndexParam, TilesJsonDto, TilesQueryDto } from '../dtos/tiles.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { Negotiate, ResponseFormat } from '../middleware/representation.interceptor';
import { AuthContext } from '../services/auth.service';
import { TilesService } from '../services/tiles.service';
import { WireFormat } from '../utils/payload';

const binary = { type: 'string', format: 'binary' } as const;

/** Both tile reads answer GetTilesResponse, as protobuf or JSON. */
const AnswersTiles = () =>
  applyDecorators(
    Negotiate(['protobuf', 'json']),
    ApiResponse({
      status: 200,
      content: {
        'application/x-protobuf': { schema: binary },
        'application/json': { schema: { $ref: getSchemaPath(TilesJsonDto) } },
      },
    }),
  );

@ApiTags('Tiles')
@ApiExtraModels(TilesJsonDto)
@Controller('api/rooms/:id/tiles')
@ApiParam({ name: 'id', format: 'uuid' })
export class TilesController {
  constructor(private readonly service: TilesService) {}

  @Authenticated()
  @Get()
  @ApiOperation({
    summary: 'The tiles of a viewport at one level (any member)',
    description:
      'Per tile: the newest usable snapshot (the URL of its PNG in `url`; `key` empty) and the visible strokes drawn after ' +
      'it (tile-delta-go GetTiles). Protobuf `infidraw.tile.v1.GetTilesResponse` by default; JSON with ' +
      '`Accept: application/json` or `?format=json`. At most 256 tiles per request. X-Head-Seq repeats head_seq. With `at` ' +
      '(a seq; 0 is before the first event) or `atTime` (RFC 3339: the last event committed by then), the tiles as they were ' +
      'right after that event (a past tile over the delta bound is pending while its snapshot at that point renders); ' +
      'X-At-Seq names the point read.',
  })
  @AnswersTiles()
  @ErrorResponses(400, 401, 404, 406, 502, 503, 504)
  tiles(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Query() query: TilesQueryDto, @ResponseFormat() format: WireFormat) {
    return this.service.tiles(auth, id, query, format);
  }

  @Authenticated()
  @Post('known')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Listed tiles of one level, each after the sequence number the client holds (any member)',
    description:
      'tile-delta-go GetTiles with a known tile list (1..256 distinct tiles): per tile, what it gained after `coversSeq` ' +
      '(tile-delta-go reads every listed tile after the lowest `coversSeq` of the list; an erase or restore after it ' +
      'resets the tile). Nothing changes: it is a POST only to carry the list. Answer as GET tiles: protobuf ' +
      '`infidraw.tile.v1.GetTilesResponse` by default, JSON with `Accept: application/json` or `?format=json`, snapshots ' +
      'with their PNG URLs, X-Head-Seq.',
  })
  @AnswersTiles()
  @ErrorResponses(400, 401, 403, 404, 406, 502, 503, 504)
  known(
    @Auth() auth: AuthContext,
    @Param('id', uuidPipe('id')) id: string,
    @Body() body: KnownTilesDto,
    // Validates ?format= (ResponseFormat reads it).
    @Query() _query: FormatQueryDto,
    @ResponseFormat() format: WireFormat,
  ) {
    return this.service.known(auth, id, body, format);
  }

  @Authenticated()
  @Get(':level/:x/:y/:coversSeq.png')
  @ApiOperation({
    summary: 'A snapshot PNG of one tile (any member)',
    description:
      'The PNG from tile-delta-go GetSnapshot, immutable (`Cache-Control: private, max-age=31536000, immutable`) with a ' +
      'strong ETag; 304 when `If-None-Match` names it (snapshots never change). When tile-delta-go stores snapshots in ' +
      'S3 and presigns (TILE_DELTA_SNAPSHOT_URL_TTL), a 302 to a presigned URL instead, cached `private` for a little ' +
      'less than the URL lives. 404 when the tile has no snapshot covering `coversSeq`.',
  })
  @SnapshotPngDocs()
  @ErrorResponses(400, 401, 404, 502, 503, 504)
  snapshot(
    @Auth() auth: AuthContext,
    @Param('id', uuidPipe('id')) id: string,
    @Param('level', levelParam()) level: number,
    @Param('x', tileIndexParam('x')) x: number,
    @Param('y', tileIndexParam('y')) y: number,
    @Param('coversSeq', coversSeqParam()) coversSeq: number,
  ) {
    return this.service.snapshot(auth, id, level, x, y, coversSeq);
  }
}

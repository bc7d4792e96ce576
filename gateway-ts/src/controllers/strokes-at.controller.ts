import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiParam, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { StrokesAtJsonDto, StrokesAtQueryDto } from '../dtos/strokes-at.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { Negotiate, ResponseFormat } from '../middleware/representation.interceptor';
import { AuthContext } from '../services/auth.service';
import { TilesService } from '../services/tiles.service';
import { WireFormat } from '../utils/payload';

@ApiTags('Tiles')
@ApiExtraModels(StrokesAtJsonDto)
@Controller('api/rooms/:id/strokes')
@ApiParam({ name: 'id', format: 'uuid' })
export class StrokesAtController {
  constructor(private readonly service: TilesService) {}

  @Authenticated()
  @Get('at')
  @ApiOperation({
    summary: 'The visible strokes under a disk, topmost first (editor or owner: what the object eraser removes)',
    description:
      'tile-delta-go HitStrokes: reads the tile index of the few tiles the disk touches (never the room history), so strokes ' +
      'that a client only has as snapshot pixels are found too. x, y, r in world units (floats; r 0.01..1,000,000). ' +
      'At most 64 strokes; `partial` (and X-Hit-Partial: 1) when there may be more. Protobuf ' +
      '`infidraw.tile.v1.HitStrokesResponse` by default; JSON with `Accept: application/json` or `?format=json`. ' +
      'X-Head-Seq repeats head_seq. Viewers get 403: they cannot erase.',
  })
  @Negotiate(['protobuf', 'json'])
  @ApiResponse({
    status: 200,
    content: {
      'application/x-protobuf': { schema: { type: 'string', format: 'binary' } },
      'application/json': { schema: { $ref: getSchemaPath(StrokesAtJsonDto) } },
    },
  })
  @ErrorResponses(400, 401, 403, 404, 406, 502, 503, 504)
  at(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Query() query: StrokesAtQueryDto, @ResponseFormat() format: WireFormat) {
    return this.service.strokesAt(auth, id, query, format);
  }
}

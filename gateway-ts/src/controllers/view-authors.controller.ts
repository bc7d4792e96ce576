import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { ViewAuthorsDto, ViewAuthorsQueryDto } from '../dtos/view-authors.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { TilesService } from '../services/tiles.service';

@ApiTags('History')
@Controller('api/rooms/:id/authors')
@ApiParam({ name: 'id', format: 'uuid' })
export class ViewAuthorsController {
  constructor(private readonly service: TilesService) {}

  @Authenticated()
  @Get()
  @ApiOperation({
    summary: 'Who drew in a viewport around a point (any member)',
    description:
      'tile-delta-go ViewAuthors: the authors of the events touching the viewport\'s tiles (at most 256) in ' +
      '(at - span, at + span], with their count of events and last seq, most events first, and display names (guests ' +
      'too). It reads the tile index of those tiles, at most 1,024 entries each, never the room history.',
  })
  @ApiResponse({ status: 200, type: ViewAuthorsDto })
  @ErrorResponses(400, 401, 403, 404, 502, 503, 504)
  authors(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Query() query: ViewAuthorsQueryDto) {
    return this.service.viewAuthors(auth, id, query);
  }
}

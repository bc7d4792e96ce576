import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { ExportQueryDto } from '../dtos/export.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { ExportService } from '../services/export.service';

@ApiTags('Tiles')
@Controller('api/rooms/:id')
@ApiParam({ name: 'id', format: 'uuid' })
export class ExportController {
  constructor(private readonly service: ExportService) {}

  @Authenticated()
  @Get('export.png')
  @ApiOperation({
    summary: 'A region of the board as one PNG (any member)',
    description:
      'Rendered server-side by tile-delta-go ExportRegion from the tiles of the level closest to the output scale. ' +
      'The region is in world units x100; the height follows its aspect ratio. At most 4096 pixels a side and 16 Mpx in all ' +
      '(400 otherwise). X-Covers-Seq names the sequence number the picture reflects. With `at` (a seq) or `atTime` (RFC ' +
      '3339), the region as it was right after that event (or the last one committed by then). Exports run a few at a time: ' +
      'beyond that 429 with Retry-After.',
  })
  @ApiProduces('image/png')
  @ApiResponse({ status: 200, content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } })
  @ErrorResponses(400, 401, 404, 429, 502, 503, 504)
  png(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Query() query: ExportQueryDto) {
    return this.service.png(auth, id, query);
  }
}

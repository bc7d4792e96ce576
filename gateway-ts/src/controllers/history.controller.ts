import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { HistoryActionDto, RestoreRegionDto, RevertPersonDto } from '../dtos/history.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { HistoryService } from '../services/history.service';

@ApiTags('History')
@Controller('api/rooms/:id')
@ApiParam({ name: 'id', format: 'uuid' })
export class HistoryController {
  constructor(private readonly service: HistoryService) {}

  @Authenticated()
  @Post('restore')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restore a region to an earlier point, as one new action (editor or owner)',
    description:
      'Strokes meeting the region (world units x100; a stroke meets it when its ink, as the tile index bounds it, reaches ' +
      'into it) that are visible now and were not right after event `at` (or the last event committed by `atTime`) are ' +
      'erased, and those visible then and erased now come back, as one revert of the caller, who undoes and redoes it over ' +
      'the WebSocket by `actionId` like an erase. Nothing in the log is rewritten. 409 when nothing would change; 400 when ' +
      'more than 100,000 strokes changed in the tiles around the region since the point (restore a smaller region).',
  })
  @ApiResponse({ status: 200, type: HistoryActionDto })
  @ErrorResponses(400, 401, 403, 404, 409, 413, 415, 502, 503, 504)
  restore(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Body() dto: RestoreRegionDto) {
    return this.service.restore(auth, id, dto);
  }

  @Authenticated()
  @Post('revert')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Undo what one member or guest did since a point, as one new action (owner)',
    description:
      "Undoes the person's erases and reverts committed after event `since` (or the last event committed by `sinceTime`) " +
      'that are not undone, newest first, and erases the strokes they drew since, leaving what others did since as it is: ' +
      "one revert of the owner's, which the owner undoes over the WebSocket by `actionId`. The answer to vandalism through " +
      'a share link (ban the guest too: PUT /api/rooms/{id}/bans/{userId}). 409 when nothing would change.',
  })
  @ApiResponse({ status: 200, type: HistoryActionDto })
  @ErrorResponses(400, 401, 403, 404, 409, 413, 415, 502, 503, 504)
  revert(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Body() dto: RevertPersonDto) {
    return this.service.revert(auth, id, dto);
  }
}

import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { TimelapseProgressDto, TimelapseQueryDto } from '../dtos/timelapse.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { ProgressTokenPipe, uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { TimelapseService } from '../services/timelapse.service';

@ApiTags('History')
@Controller('api/rooms/:id/timelapse')
@ApiParam({ name: 'id', format: 'uuid' })
export class TimelapseController {
  constructor(private readonly service: TimelapseService) {}

  @Authenticated()
  @Get()
  @ApiOperation({
    summary: 'A region being drawn, as a video (any member)',
    description:
      'Rendered server-side (tile-delta-go Timelapse, VP8 in WebM by snapshot-rs): the region from empty (or right after event ' +
      '`from` / at `fromTime`) to now (or `to` / `toTime`), its events spread evenly over min(events, `frames`) frames at `fps`. ' +
      'The region is in world units x100; the height follows its aspect ratio, rounded to even. X-Timelapse-Frames, ' +
      'X-Timelapse-Frame-Rate, X-From-Seq and X-To-Seq describe the video. With `progress` (a token of the caller), ' +
      'GET …/timelapse/progress/{token} reports the frames done meanwhile. 400 when the region holds more strokes than a ' +
      'timelapse draws (a smaller region or a later `from`); 503 when no renderer answers; 429 with Retry-After when too many run.',
  })
  @ApiProduces('video/webm')
  @ApiResponse({ status: 200, content: { 'video/webm': { schema: { type: 'string', format: 'binary' } } } })
  @ErrorResponses(400, 401, 404, 429, 502, 503, 504)
  video(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Query() query: TimelapseQueryDto) {
    return this.service.video(auth, id, query);
  }

  @Authenticated()
  @Get('progress/:token')
  @ApiOperation({ summary: 'The frames of a timelapse rendered so far, by the progress token its request carried (any member)' })
  @ApiParam({ name: 'token', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,64}$' } })
  @ApiOkResponse({ type: TimelapseProgressDto })
  @ErrorResponses(400, 401, 404)
  progress(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Param('token', ProgressTokenPipe) token: string) {
    return this.service.progressOf(auth, id, token);
  }
}

import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiResponse, ApiTags, getSchemaPath, ApiExtraModels } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { EventsJsonDto, EventsQueryDto, PresenceDto } from '../dtos/events.dto';
import { IngestStrokesResponseDto, StrokeBatchJsonDto } from '../dtos/strokes.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { Negotiate, ResponseFormat } from '../middleware/representation.interceptor';
import { AuthContext } from '../services/auth.service';
import { RoomDataService } from '../services/room-data.service';
import { WIRE_MEDIA_TYPES, WireFormat } from '../utils/payload';

const binary = { type: 'string', format: 'binary' } as const;

@ApiTags('Room data')
@ApiExtraModels(StrokeBatchJsonDto, EventsJsonDto, IngestStrokesResponseDto)
@Controller('api/rooms/:id')
@ApiParam({ name: 'id', format: 'uuid' })
export class RoomDataController {
  constructor(private readonly service: RoomDataService) {}

  @Authenticated()
  @Get('events')
  @ApiOperation({
    summary: 'Committed events after `since` (any member)',
    description:
      'Protobuf `infidraw.realtime.v1.GetEventsResponse` by default; JSON with `Accept: application/json` or ' +
      '`?format=json`. Headers X-Head-Seq and X-Has-More repeat the paging fields. A page holds at most `limit` ' +
      'events and at most realtime-go\'s page byte budget (1 MiB by default), and at least one event: page on ' +
      'with `since` = the last seq while X-Has-More is true.',
  })
  @Negotiate(['protobuf', 'json'])
  @ApiResponse({
    status: 200,
    content: {
      'application/x-protobuf': { schema: binary },
      'application/json': { schema: { $ref: getSchemaPath(EventsJsonDto) } },
    },
  })
  @ErrorResponses(400, 401, 404, 406, 502, 503, 504)
  events(
    @Auth() auth: AuthContext,
    @Param('id', uuidPipe('id')) id: string,
    @Query() query: EventsQueryDto,
    @ResponseFormat() format: WireFormat,
  ) {
    return this.service.events(auth, id, query, format);
  }

  @Authenticated()
  @Post('strokes')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Commit strokes (editor or owner); idempotent by stroke id',
    description:
      'Body: protobuf `infidraw.realtime.v1.IngestStrokesRequest` (room_id empty or this room, author_id empty), ' +
      'or msgpack / JSON `{"strokes": [...]}`. The answer comes in the request format unless Accept (or `?format=`) asks otherwise. ' +
      'Sending a stroke again (same id, same content, same author) answers its first seq with duplicate=true; a ' +
      'stroke id already used by another stroke or another author is 409 naming the stroke: it was not stored ' +
      '(the other strokes of the request were), send it again under a new id.',
  })
  @ApiConsumes(WIRE_MEDIA_TYPES.protobuf[0], WIRE_MEDIA_TYPES.msgpack[0], WIRE_MEDIA_TYPES.json[0])
  @ApiBody({
    schema: { $ref: getSchemaPath(StrokeBatchJsonDto) },
  })
  @ApiResponse({
    status: 200,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(IngestStrokesResponseDto) } },
      'application/msgpack': { schema: binary },
      'application/x-protobuf': { schema: binary },
    },
  })
  @Negotiate(['protobuf', 'msgpack', 'json'], 'request')
  @ErrorResponses(400, 401, 403, 404, 406, 409, 413, 415, 429, 502, 503, 504)
  strokes(
    @Auth() auth: AuthContext,
    @Param('id', uuidPipe('id')) id: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @ResponseFormat() format: WireFormat,
  ) {
    return this.service.ingest(auth, id, contentType, body, format);
  }

  @Authenticated()
  @Get('presence')
  @ApiOperation({ summary: 'Who is connected to the room now, across realtime-go replicas (any member)' })
  @ApiResponse({ status: 200, type: PresenceDto })
  @ErrorResponses(400, 401, 404, 502, 503, 504)
  presence(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string) {
    return this.service.presence(auth, id);
  }
}

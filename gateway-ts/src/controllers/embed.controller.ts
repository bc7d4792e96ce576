import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorResponses } from '../dtos/error.dto';
import { SnapshotPngDocs, coversSeqParam, levelParam, tileIndexParam, TilesJsonDto, TilesQueryDto } from '../dtos/tiles.dto';
import { Public } from '../middleware/auth.guard';
import { LinkTokenPipe } from '../middleware/pipes';
import { Negotiate, ResponseFormat } from '../middleware/representation.interceptor';
import { EmbedService } from '../services/embed.service';
import { WireFormat } from '../utils/payload';

const binary = { type: 'string', format: 'binary' } as const;
const token = () => ApiParam({ name: 'token', description: 'The share link secret' });

@ApiTags('Embeds')
@ApiExtraModels(TilesJsonDto)
@Controller()
export class EmbedController {
  constructor(private readonly service: EmbedService) {}

  @Public()
  @Get('embed/:token')
  @token()
  @ApiOperation({
    summary: "A share link's read-only embed page, for an iframe of the link's embedOrigins (CSP frame-ancestors)",
    description: 'No account, cookie or WebSocket needed. Refusals (400, 403, 404, 410) are short HTML pages that no site may frame.',
  })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, content: { 'text/html': { schema: { type: 'string' } } } })
  page(@Param('token') tokenValue: string, @Res() reply: FastifyReply) {
    return this.service.page(tokenValue, reply);
  }

  @Public()
  @Get('api/embed/:token/tiles')
  @token()
  @Negotiate(['protobuf', 'json'])
  @ApiOperation({
    summary: 'The tiles of a viewport through an embeddable share link (read-only)',
    description:
      'As GET /api/rooms/{id}/tiles, snapshot URLs under /api/embed/{token}. Cacheable by any cache: pinned to an existing ' +
      'point (`at` ≤ head) and nothing pending, `public, max-age=GATEWAY_EMBED_PINNED_MAX_AGE_SECONDS, immutable`; a read ' +
      'of now `public, max-age=0, s-maxage=2`; pending tiles `no-store`.',
  })
  @ApiResponse({
    status: 200,
    content: { 'application/x-protobuf': { schema: binary }, 'application/json': { schema: { $ref: getSchemaPath(TilesJsonDto) } } },
  })
  @ErrorResponses(400, 403, 404, 406, 410, 502, 503, 504)
  tiles(@Param('token', LinkTokenPipe) tokenValue: string, @Query() query: TilesQueryDto, @ResponseFormat() format: WireFormat) {
    return this.service.tilesOf(tokenValue, query, format);
  }

  @Public()
  @Get('api/embed/:token/tiles/:level/:x/:y/:coversSeq.png')
  @token()
  @ApiOperation({ summary: 'A snapshot PNG through an embeddable share link: `public, max-age=31536000, immutable` (or a redirect)' })
  @SnapshotPngDocs()
  @ErrorResponses(400, 403, 404, 410, 502, 503, 504)
  snapshot(
    @Param('token', LinkTokenPipe) tokenValue: string,
    @Param('level', levelParam()) level: number,
    @Param('x', tileIndexParam('x')) x: number,
    @Param('y', tileIndexParam('y')) y: number,
    @Param('coversSeq', coversSeqParam()) coversSeq: number,
  ) {
    return this.service.snapshot(tokenValue, { level, x, y }, coversSeq);
  }

  @Public()
  @Get('api/embed/:token/events')
  @token()
  @ApiOperation({
    summary: 'Server-Sent Events: which parts of the board changed (docs/contracts.md, "Embeds")',
    description:
      '`event: changed`, `id: <seq>`, `data: {"seq": N, "areas": [[minX, minY, maxX, maxY], …] | null}` (world units; null: ' +
      'anywhere), coalesced per 250 ms; the head first when Last-Event-ID is older; a comment every 15 s; `event: ended` ' +
      'when the link stops working. 503 with Retry-After when the gateway holds GATEWAY_EMBED_MAX_STREAMS streams.',
  })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ErrorResponses(400, 403, 404, 410, 503)
  events(@Param('token', LinkTokenPipe) tokenValue: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.service.events(tokenValue, request, reply);
  }
}

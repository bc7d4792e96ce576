import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ErrorResponses } from '../dtos/error.dto';
import { CreatedLinkDto, CreateLinkDto, JoinLinkDto, JoinLinkResponseDto, LinkDto, LinkPreviewDto, UpdateLinkDto } from '../dtos/links.dto';
import { Auth, Authenticated, MaybeAuth, OptionalAuth, Public } from '../middleware/auth.guard';
import { ClientAddress } from '../middleware/client-address';
import { LinkTokenPipe, uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { CookieService } from '../services/cookie.service';
import { LinksService } from '../services/links.service';

@ApiTags('Share links')
@Controller()
export class LinksController {
  constructor(
    private readonly service: LinksService,
    private readonly cookies: CookieService,
  ) {}

  @Authenticated()
  @Post('api/rooms/:id/links')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Create a share link with a role and optional expiry (owner); the secret is shown once' })
  @ApiResponse({ status: 201, type: CreatedLinkDto })
  @ErrorResponses(400, 401, 403, 404, 413, 415)
  create(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Body() dto: CreateLinkDto) {
    return this.service.create(auth, id, dto);
  }

  @Authenticated()
  @Get('api/rooms/:id/links')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Share links of a room (owner)' })
  @ApiResponse({ status: 200, type: [LinkDto] })
  @ErrorResponses(400, 401, 403, 404)
  list(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string) {
    return this.service.list(auth, id);
  }

  @Authenticated()
  @Patch('api/rooms/:id/links/:linkId')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'linkId', format: 'uuid' })
  @ApiOperation({ summary: "Change which origins may embed a share link (owner); an open embed from another origin stops" })
  @ApiResponse({ status: 200, type: LinkDto })
  @ErrorResponses(400, 401, 403, 404, 413, 415)
  update(
    @Auth() auth: AuthContext,
    @Param('id', uuidPipe('id')) id: string,
    @Param('linkId', uuidPipe('linkId')) linkId: string,
    @Body() dto: UpdateLinkDto,
  ) {
    return this.service.update(auth, id, linkId, dto);
  }

  @Authenticated()
  @Delete('api/rooms/:id/links/:linkId')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'linkId', format: 'uuid' })
  @ApiOperation({ summary: 'Revoke a share link (owner); everyone who came by it loses access and is disconnected' })
  @ApiResponse({ status: 204 })
  @ErrorResponses(400, 401, 403, 404)
  revoke(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Param('linkId', uuidPipe('linkId')) linkId: string) {
    return this.service.revoke(auth, id, linkId);
  }

  @Public()
  @Get('api/links/:token')
  @ApiOperation({ summary: 'What a share link opens (room name and role)' })
  @ApiResponse({ status: 200, type: LinkPreviewDto })
  @ErrorResponses(400, 404, 410)
  preview(@Param('token', LinkTokenPipe) token: string) {
    return this.service.preview(token);
  }

  @OptionalAuth()
  @Post('api/links/:token/join')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Open a share link: a signed-in caller joins the room, an anonymous one gets a guest session',
    description: 'Guest sessions are rate-limited per client address and per link (429 with Retry-After).',
  })
  @ApiResponse({ status: 200, type: JoinLinkResponseDto })
  @ErrorResponses(400, 401, 403, 404, 410, 413, 415, 429)
  async join(
    @MaybeAuth() auth: AuthContext | undefined,
    @Param('token', LinkTokenPipe) token: string,
    @Body() dto: JoinLinkDto,
    @ClientAddress() address: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.cookies.applyOptional(reply, await this.service.join(auth, token, dto, address));
  }
}

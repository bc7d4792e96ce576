import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { InviteMemberDto, MemberDto, UpdateMemberDto } from '../dtos/members.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { MembersService } from '../services/members.service';

@ApiTags('Members')
@Controller('api/rooms/:id/members')
@ApiParam({ name: 'id', format: 'uuid' })
export class MembersController {
  constructor(private readonly service: MembersService) {}

  @Authenticated()
  @Get()
  @ApiOperation({ summary: 'Members of a room (any member; emails are shown to the owner only)' })
  @ApiResponse({ status: 200, type: [MemberDto] })
  @ErrorResponses(400, 401, 404)
  list(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string) {
    return this.service.list(auth, id);
  }

  @Authenticated()
  @Post()
  @ApiOperation({ summary: 'Invite a registered user by email with a role (owner)' })
  @ApiResponse({ status: 201, type: MemberDto })
  @ErrorResponses(400, 401, 403, 404, 409, 413, 415)
  invite(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Body() dto: InviteMemberDto) {
    return this.service.invite(auth, id, dto);
  }

  @Authenticated()
  @Patch(':userId')
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOperation({ summary: "Change a member's role (owner); their connections end so they rejoin with it" })
  @ApiResponse({ status: 200, type: MemberDto })
  @ErrorResponses(400, 401, 403, 404, 413, 415)
  update(
    @Auth() auth: AuthContext,
    @Param('id', uuidPipe('id')) id: string,
    @Param('userId', uuidPipe('userId')) userId: string,
    @Body() dto: UpdateMemberDto,
  ) {
    return this.service.updateRole(auth, id, userId, dto);
  }

  @Authenticated()
  @Delete(':userId')
  @HttpCode(204)
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOperation({ summary: 'Remove a member (owner) or leave (the member); realtime-go disconnects them at once' })
  @ApiResponse({ status: 204 })
  @ErrorResponses(400, 401, 403, 404)
  remove(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Param('userId', uuidPipe('userId')) userId: string) {
    return this.service.remove(auth, id, userId);
  }
}

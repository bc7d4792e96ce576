import { Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BanDto } from '../dtos/bans.dto';
import { ErrorResponses } from '../dtos/error.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { BansService } from '../services/bans.service';

@ApiTags('Members')
@Controller('api/rooms/:id/bans')
@ApiParam({ name: 'id', format: 'uuid' })
export class BansController {
  constructor(private readonly service: BansService) {}

  @Authenticated()
  @Get()
  @ApiOperation({ summary: 'Who is banned from the room (owner)' })
  @ApiResponse({ status: 200, type: [BanDto] })
  @ErrorResponses(400, 401, 403, 404)
  list(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string) {
    return this.service.list(auth, id);
  }

  @Authenticated()
  @Put(':userId')
  @HttpCode(204)
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOperation({
    summary: 'Ban a member or guest (owner): removed at once, and kept out of every share link of the room',
    description:
      'Their membership goes, their room tokens are refused and their connections end; they cannot join again through a ' +
      'share link until the ban is lifted. Idempotent. Undo what they did with POST /api/rooms/{id}/revert.',
  })
  @ApiResponse({ status: 204 })
  @ErrorResponses(400, 401, 403, 404)
  ban(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Param('userId', uuidPipe('userId')) userId: string) {
    return this.service.ban(auth, id, userId);
  }

  @Authenticated()
  @Delete(':userId')
  @HttpCode(204)
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOperation({ summary: 'Lift a ban (owner): share links admit them again' })
  @ApiResponse({ status: 204 })
  @ErrorResponses(400, 401, 403, 404)
  lift(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Param('userId', uuidPipe('userId')) userId: string) {
    return this.service.lift(auth, id, userId);
  }
}

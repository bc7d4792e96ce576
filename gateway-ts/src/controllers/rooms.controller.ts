import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from '../dtos/error.dto';
import { CreateRoomDto, RoomDto, RoomTokenResponseDto, UpdateRoomDto } from '../dtos/rooms.dto';
import { Auth, Authenticated } from '../middleware/auth.guard';
import { uuidPipe } from '../middleware/pipes';
import { AuthContext } from '../services/auth.service';
import { RoomsService } from '../services/rooms.service';

@ApiTags('Rooms')
@Controller('api/rooms')
export class RoomsController {
  constructor(private readonly service: RoomsService) {}

  @Authenticated({ usersOnly: true })
  @Post()
  @ApiOperation({ summary: 'Create a room; the caller becomes its owner' })
  @ApiResponse({ status: 201, type: RoomDto })
  @ErrorResponses(400, 401, 403, 413, 415)
  create(@Auth() auth: AuthContext, @Body() dto: CreateRoomDto) {
    return this.service.create(auth, dto);
  }

  @Authenticated()
  @Get()
  @ApiOperation({ summary: 'Rooms the caller owns or shares, most recently active first' })
  @ApiResponse({ status: 200, type: [RoomDto] })
  @ErrorResponses(401)
  list(@Auth() auth: AuthContext) {
    return this.service.list(auth);
  }

  @Authenticated()
  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'One room (any member)' })
  @ApiResponse({ status: 200, type: RoomDto })
  @ErrorResponses(400, 401, 404)
  get(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string) {
    return this.service.get(auth, id);
  }

  @Authenticated()
  @Patch(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Rename a room (owner)' })
  @ApiResponse({ status: 200, type: RoomDto })
  @ErrorResponses(400, 401, 403, 404, 413, 415)
  rename(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string, @Body() dto: UpdateRoomDto) {
    return this.service.rename(auth, id, dto);
  }

  @Authenticated()
  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Delete a room (owner): realtime-go disconnects its clients and purges its events' })
  @ApiResponse({ status: 204 })
  @ErrorResponses(400, 401, 403, 404)
  delete(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string) {
    return this.service.delete(auth, id);
  }

  @Authenticated()
  @Post(':id/token')
  @HttpCode(200)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'A short-lived room token (EdDSA JWT) for Join on /ws, with the caller’s role' })
  @ApiResponse({ status: 200, type: RoomTokenResponseDto })
  @ErrorResponses(400, 401, 403, 404)
  token(@Auth() auth: AuthContext, @Param('id', uuidPipe('id')) id: string) {
    return this.service.token(auth, id);
  }
}

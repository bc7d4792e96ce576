import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import {
  ChangePasswordDto,
  ChangePasswordResponseDto,
  LoginDto,
  MeResponseDto,
  SessionResponseDto,
  SignupDto,
} from '../dtos/auth.dto';
import { ErrorResponses } from '../dtos/error.dto';
import { Auth, Authenticated, Public } from '../middleware/auth.guard';
import { ClientAddress } from '../middleware/client-address';
import { AuthContext, AuthService } from '../services/auth.service';
import { CookieService } from '../services/cookie.service';

@ApiTags('Auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly service: AuthService,
    private readonly cookies: CookieService,
  ) {}

  @Public()
  @Post('signup')
  @ApiOperation({ summary: 'Create an account and start a session (cookie or bearer token)' })
  @ApiResponse({ status: 201, type: SessionResponseDto })
  @ErrorResponses(400, 403, 409, 413, 415, 429)
  async signup(@Body() dto: SignupDto, @ClientAddress() address: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.cookies.apply(reply, await this.service.signup(dto, address));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in; rate-limited per address and per email from one address' })
  @ApiResponse({ status: 200, type: SessionResponseDto })
  @ErrorResponses(400, 401, 403, 413, 415, 429)
  async login(@Body() dto: LoginDto, @ClientAddress() address: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.cookies.apply(reply, await this.service.login(dto, address));
  }

  @Authenticated()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the current session or bearer token' })
  @ApiResponse({ status: 204 })
  @ErrorResponses(401, 403)
  async logout(@Auth() auth: AuthContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.service.logout(auth).then(() => this.cookies.clear(reply));
  }

  @Authenticated({ usersOnly: true })
  @Post('password')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change the password; revokes every other session and token; rate-limited per user' })
  @ApiResponse({ status: 200, type: ChangePasswordResponseDto })
  @ErrorResponses(400, 401, 403, 413, 415, 429)
  changePassword(@Auth() auth: AuthContext, @Body() dto: ChangePasswordDto) {
    return this.service.changePassword(auth, dto);
  }

  @Authenticated()
  @Get('me')
  @ApiOperation({ summary: 'The caller, its session and (for cookie sessions) the CSRF token' })
  @ApiResponse({ status: 200, type: MeResponseDto })
  @ErrorResponses(401)
  me(@Auth() auth: AuthContext) {
    return this.service.me(auth);
  }
}

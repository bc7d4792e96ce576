import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController } from '../controllers/auth.controller';
import { AuthGuard } from '../middleware/auth.guard';
import { AccessVersionsRepository } from '../repositories/access-versions.repository';
import { SessionsRepository } from '../repositories/sessions.repository';
import { UsersRepository } from '../repositories/users.repository';
import { AuthService } from '../services/auth.service';
import { CookieService } from '../services/cookie.service';
import { GuestSweeperService } from '../services/guest-sweeper.service';
import { PasswordHasher } from '../services/password-hasher.service';
import { RateLimitService } from '../services/rate-limit.service';

/** Accounts, sessions and bearer tokens, CSRF, the guard that authenticates every request, and access versions. */
@Module({
  controllers: [AuthController],
  providers: [
    AuthService,
    CookieService,
    GuestSweeperService,
    PasswordHasher,
    RateLimitService,
    UsersRepository,
    SessionsRepository,
    AccessVersionsRepository,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService, CookieService, RateLimitService, UsersRepository, SessionsRepository, AccessVersionsRepository],
})
export class AuthModule {}

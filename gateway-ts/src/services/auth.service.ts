import { ConflictException, ForbiddenException, Inject, Injectable, OnModuleDestroy, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CONFIG, GatewayConfig } from '../config';
import {
  ChangePasswordDto,
  ChangePasswordResponseDto,
  LoginDto,
  mapUser,
  MeResponseDto,
  SessionResponseDto,
  SignupDto,
  UserDto,
} from '../dtos/auth.dto';
import { AccessVersionsRepository, sessionScope } from '../repositories/access-versions.repository';
import { DatabaseRepository, Queryable } from '../repositories/database.repository';
import { SessionKind, SessionsRepository } from '../repositories/sessions.repository';
import { UsersRepository, UserRow } from '../repositories/users.repository';
import { PeriodicJob } from '../utils/periodic-job';
import { MetricsService } from './metrics.service';
import { PasswordHasher } from './password-hasher.service';
import { RateLimitService } from './rate-limit.service';

export const SESSION_COOKIE = 'infidraw_session';

/** Who is calling: the user (or guest) and the session or token that proved it. */
export interface AuthContext {
  user: UserDto;
  session: { id: string; kind: SessionKind; csrfToken: string | null; expiresAt: Date };
}

/** A new session: the secret goes to the client (cookie or body), only its hash is stored. */
export interface IssuedSession {
  secret: string;
  kind: SessionKind;
  expiresAt: Date;
  csrfToken: string | null;
}

/** How stale users.last_seen_at may get before a request writes it again. */
const SEEN_RESOLUTION_MS = 3600_000;

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

/** Sign-up, log-in, log-out, password change, and resolving a session secret to its user. */
@Injectable()
export class AuthService implements OnModuleInit, OnModuleDestroy {
  private readonly cleaner: PeriodicJob<void>;

  constructor(
    private readonly db: DatabaseRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly versions: AccessVersionsRepository,
    private readonly rateLimit: RateLimitService,
    private readonly passwords: PasswordHasher,
    private readonly metrics: MetricsService,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger(AuthService.name) private readonly logger: PinoLogger,
  ) {
    this.cleaner = new PeriodicJob(
      () => this.deleteExpired(),
      (err) => this.logger.warn({ err }, 'deleting stale sessions or old access versions failed'),
    );
  }

  onModuleInit() {
    this.cleaner.start(3600_000);
  }

  onModuleDestroy() {
    return this.cleaner.stop();
  }

  /**
   * Dead sessions are kept a week (for audits of recent log-outs), then deleted. Access versions are needed
   * only while a token issued before their bump lives (minutes): a day is ample.
   */
  private async deleteExpired(): Promise<void> {
    const [sessions, versions] = await Promise.all([this.sessions.deleteStale(7), this.versions.deleteOlderThan(86_400)]);
    if (sessions > 0) this.logger.info({ deleted: sessions }, 'stale sessions deleted');
    if (versions > 0) this.logger.info({ deleted: versions }, 'old access versions deleted');
  }

  /** `address` is the client's (ClientAddress): sign-ups are limited per address. */
  async signup(dto: SignupDto, address: string): Promise<{ body: SessionResponseDto; issued: IssuedSession }> {
    await this.rateLimit.consume([{ key: `signup:addr:${address}`, limit: this.config.authRateLimit }]);
    const passwordHash = await this.passwords.hash(dto.password);
    const user = await this.users.createUser({ id: randomUUID(), email: dto.email, displayName: dto.displayName, passwordHash });
    if (!user) throw new ConflictException('an account with this email already exists');
    this.logger.info({ userId: user.id }, 'account created');
    return this.startSession(user, dto.session ?? 'cookie');
  }

  /**
   * Log-ins are limited per address and per email from that address: failures on someone's email from
   * elsewhere never lock its owner out.
   */
  async login(dto: LoginDto, address: string): Promise<{ body: SessionResponseDto; issued: IssuedSession }> {
    await this.rateLimit.consume([
      { key: `login:addr:${address}`, limit: this.config.loginAddressRateLimit },
      { key: `login:email:${dto.email}:addr:${address}`, limit: this.config.authRateLimit },
    ]);
    const user = await this.users.findByEmail(dto.email);
    const ok = await this.passwords.verify(user?.passwordHash, dto.password);
    if (!user || !ok) {
      this.metrics.authFailures.inc({ reason: 'bad_credentials' });
      throw new UnauthorizedException('wrong email or password');
    }
    return this.startSession(user, dto.session ?? 'cookie');
  }

  /** Revokes the caller's session; room tokens issued to it stop working and its live sockets close. */
  async logout(auth: AuthContext): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.sessions.revoke(auth.session.id, tx);
      await this.versions.bump([sessionScope(auth.session.id)], tx);
    });
  }

  /**
   * Sets a new password and revokes every other session and token of the account (and with them the room
   * tokens and live sockets they opened).
   */
  async changePassword(auth: AuthContext, dto: ChangePasswordDto): Promise<ChangePasswordResponseDto> {
    await this.rateLimit.consume([{ key: `password:user:${auth.user.id}`, limit: this.config.authRateLimit }]);
    const user = await this.users.findById(auth.user.id);
    if (!user?.passwordHash) throw new ForbiddenException('guests have no password');
    if (!(await this.passwords.verify(user.passwordHash, dto.currentPassword))) {
      this.metrics.authFailures.inc({ reason: 'bad_password' });
      throw new ForbiddenException('current password is wrong');
    }
    const hash = await this.passwords.hash(dto.newPassword);
    const revokedSessions = await this.db.transaction(async (tx) => {
      await this.users.setPasswordHash(user.id, hash, tx);
      const revoked = await this.sessions.revokeAllExcept(user.id, auth.session.id, tx);
      await this.versions.bump(revoked.map(sessionScope), tx);
      return revoked.length;
    });
    this.logger.info({ userId: user.id, revokedSessions }, 'password changed');
    return { revokedSessions };
  }

  me(auth: AuthContext): MeResponseDto {
    return {
      user: auth.user,
      session: { kind: auth.session.kind, expiresAt: auth.session.expiresAt.toISOString() },
      ...(auth.session.csrfToken ? { csrfToken: auth.session.csrfToken } : {}),
    };
  }

  /** Resolves a secret presented as `via` to its live session; null when unknown, expired or revoked. */
  async authenticate(secret: string, via: SessionKind): Promise<AuthContext | null> {
    const row = await this.sessions.findLive(hashSecret(secret));
    if (!row || row.sessionKind !== via) return null;
    // Activity keeps a guest from the retention sweep; recorded at most once an hour.
    if (Date.now() - row.lastSeenAt.getTime() > SEEN_RESOLUTION_MS) await this.users.touch(row.userId);
    return {
      user: { id: row.userId, kind: row.userKind, email: row.email, displayName: row.displayName },
      session: { id: row.sessionId, kind: row.sessionKind, csrfToken: row.csrfToken, expiresAt: row.expiresAt },
    };
  }

  /** Creates a session (or bearer token) for a user, inside tx when given. */
  async startSession(
    user: Pick<UserRow, 'id' | 'kind' | 'email' | 'displayName'>,
    kind: SessionKind,
    tx?: Queryable,
  ): Promise<{ body: SessionResponseDto; issued: IssuedSession }> {
    const secret = randomBytes(32).toString('base64url');
    const csrfToken = kind === 'cookie' ? randomBytes(24).toString('base64url') : null;
    const expiresAt = new Date(Date.now() + this.config.sessionTtlSeconds * 1000);
    await this.sessions.create({ id: randomUUID(), userId: user.id, tokenHash: hashSecret(secret), kind, csrfToken, expiresAt }, tx);
    const body: SessionResponseDto = {
      user: mapUser(user),
      session: { kind, expiresAt: expiresAt.toISOString() },
      ...(kind === 'bearer' ? { token: secret } : { csrfToken: csrfToken! }),
    };
    return { body, issued: { secret, kind, expiresAt, csrfToken } };
  }
}

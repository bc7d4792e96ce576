import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiCookieAuth, ApiHeader } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { CONFIG, GatewayConfig } from '../config';
import { AuthContext, AuthService, SESSION_COOKIE } from '../services/auth.service';

/** How a route authenticates. Routes without a decorator require a signed-in user or guest. */
type AuthMode = { mode: 'public' } | { mode: 'optional' } | { mode: 'required'; usersOnly: boolean };
const AUTH_MODE = 'infidraw:auth';

/** No authentication; credentials, if any, are ignored. */
export const Public = () => SetMetadata(AUTH_MODE, { mode: 'public' } satisfies AuthMode);

const credentialDocs = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiCookieAuth(),
    ApiHeader({ name: 'x-csrf-token', required: false, description: 'Required with the session cookie on POST/PATCH/PUT/DELETE' }),
  );

/** Credentials are used when present (and must then be valid); anonymous callers are let through. */
export const OptionalAuth = () => applyDecorators(SetMetadata(AUTH_MODE, { mode: 'optional' } satisfies AuthMode), credentialDocs());

/** A signed-in caller is required; with usersOnly a guest (share-link visitor) is refused. */
export const Authenticated = (options: { usersOnly?: boolean } = {}) =>
  applyDecorators(
    SetMetadata(AUTH_MODE, { mode: 'required', usersOnly: options.usersOnly ?? false } satisfies AuthMode),
    credentialDocs(),
  );

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

/** The caller (route must be @Authenticated). */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const auth = ctx.switchToHttp().getRequest<FastifyRequest>().auth;
  if (!auth) throw new UnauthorizedException('authentication required');
  return auth;
});

/** The caller, or undefined for an anonymous one (route must be @OptionalAuth). */
export const MaybeAuth = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthContext | undefined => ctx.switchToHttp().getRequest<FastifyRequest>().auth,
);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An origin in its canonical form (lower-case host, no default port); null when it is not one. */
function canonicalOrigin(value: string): string | null {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * The origin a request was sent to: its scheme and Host, as a trusted proxy forwarded them
 * (X-Forwarded-Proto, X-Forwarded-Host; Fastify believes those only from GATEWAY_TRUSTED_PROXIES).
 */
function requestOrigin(request: FastifyRequest): string | null {
  return request.host ? canonicalOrigin(`${request.protocol}://${request.host}`) : null;
}

/**
 * Authenticates every request: `Authorization: Bearer <token>` (API clients) or the session cookie
 * (browsers). Cookie-authenticated requests that change state must carry the session's CSRF token in
 * `X-CSRF-Token`; any request that changes state without a bearer token and names an `Origin` must come
 * from the origin it was sent to or from one of the configured ones (public origin,
 * GATEWAY_ALLOWED_ORIGINS), which also stops log-in CSRF: a page elsewhere cannot make a browser send
 * our Host with its own Origin.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const meta = this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE, [
      context.getHandler(),
      context.getClass(),
    ]) ?? { mode: 'required', usersOnly: false };
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const unsafe = !SAFE_METHODS.has(request.method);

    if (unsafe && request.headers.authorization === undefined) {
      const origin = request.headers.origin;
      if (origin !== undefined && !this.allowedOrigin(origin, request)) {
        throw new ForbiddenException(`cross-origin request from ${origin} refused`);
      }
    }
    if (meta.mode === 'public') return true;

    let token: string | undefined;
    let via: 'bearer' | 'cookie' | undefined;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header);
      if (!match) throw new UnauthorizedException('malformed Authorization header (expected "Bearer <token>")');
      token = match[1];
      via = 'bearer';
    } else if (request.cookies?.[SESSION_COOKIE]) {
      token = request.cookies[SESSION_COOKIE];
      via = 'cookie';
    }

    if (token === undefined || via === undefined) {
      if (meta.mode === 'optional') return true;
      throw new UnauthorizedException('authentication required');
    }

    const auth = await this.auth.authenticate(token, via);
    if (!auth) {
      if (via === 'cookie') void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      throw new UnauthorizedException('session expired or revoked; log in again');
    }
    if (via === 'cookie' && unsafe) {
      const csrf = request.headers['x-csrf-token'];
      if (typeof csrf !== 'string' || !auth.session.csrfToken || !sameSecret(csrf, auth.session.csrfToken)) {
        throw new ForbiddenException('missing or invalid CSRF token (send X-CSRF-Token from GET /api/auth/me)');
      }
    }
    if (meta.mode === 'required' && meta.usersOnly && auth.user.kind !== 'user') {
      throw new ForbiddenException('guests cannot do this; sign up for an account');
    }
    request.auth = auth;
    return true;
  }

  private allowedOrigin(origin: string, request: FastifyRequest): boolean {
    const canonical = canonicalOrigin(origin);
    return canonical !== null && (canonical === requestOrigin(request) || this.config.allowedOrigins.includes(canonical));
  }
}

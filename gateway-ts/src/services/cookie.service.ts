import { Inject, Injectable } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { CONFIG, GatewayConfig } from '../config';
import { IssuedSession, SESSION_COOKIE } from './auth.service';

/** Writes and clears the session cookie: httpOnly, SameSite=Lax, Secure when the public origin is https. */
@Injectable()
export class CookieService {
  private readonly secure: boolean;

  constructor(@Inject(CONFIG) config: GatewayConfig) {
    this.secure = config.publicOrigin.startsWith('https:');
  }

  /** Sets the cookie of a cookie session and passes the body through. */
  apply<T>(reply: FastifyReply, result: { body: T; issued: IssuedSession }): T {
    if (result.issued.kind === 'cookie') {
      void reply.setCookie(SESSION_COOKIE, result.issued.secret, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secure,
        path: '/',
        expires: result.issued.expiresAt,
      });
    }
    return result.body;
  }

  /** Like apply, when a session may or may not have been started. */
  applyOptional<T>(reply: FastifyReply, result: { body: T; issued?: IssuedSession }): T {
    return result.issued ? this.apply(reply, { body: result.body, issued: result.issued }) : result.body;
  }

  clear(reply: FastifyReply): void {
    void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure });
  }
}

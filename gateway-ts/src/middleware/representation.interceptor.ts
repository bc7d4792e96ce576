import {
  applyDecorators,
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  NotAcceptableException,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiProduces } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mergeMap, Observable, of } from 'rxjs';
import { Body, Payload, WIRE_MEDIA_TYPES, WireFormat, wireFormatOf } from '../utils/payload';

/**
 * The formats a route answers in, and the one it answers in when the caller states no preference: a fixed
 * format, or `request` for the format the request body came in.
 */
interface Negotiation {
  formats: readonly WireFormat[];
  fallback: WireFormat | 'request';
}

const NEGOTIATION = Symbol('negotiation');

/**
 * Declares the formats a route answers in (and documents them in OpenAPI); the handler receives the chosen
 * one with @ResponseFormat(). By default the first format is the fallback.
 */
export const Negotiate = (formats: readonly WireFormat[], fallback: Negotiation['fallback'] = formats[0]) =>
  applyDecorators(SetMetadata(NEGOTIATION, { formats, fallback } satisfies Negotiation), ApiProduces(...formats.map((f) => WIRE_MEDIA_TYPES[f][0])));

/**
 * The format a request asks for among `formats`: the Accept entries by quality, `*` ranges meaning the
 * fallback; no Accept header is the fallback too. 406 when Accept allows none of them.
 */
export function negotiate(accept: string | undefined, formats: readonly WireFormat[], fallback: WireFormat): WireFormat {
  if (!accept) return fallback;
  const wanted = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { type } of wanted) {
    if (type === '*/*' || type === 'application/*') return fallback;
    const format = wireFormatOf(type);
    if (format && formats.includes(format)) return format;
  }
  throw new NotAcceptableException(`can answer with ${formats.map((f) => WIRE_MEDIA_TYPES[f][0]).join(', ')}`);
}

/**
 * The format the answer of a @Negotiate route is to be encoded in: `?format=` when it names one of the
 * route's formats (the query DTO validates the parameter), else what negotiate() makes of Accept.
 */
export const ResponseFormat = createParamDecorator((_data: unknown, context: ExecutionContext): WireFormat => {
  const spec = Reflect.getMetadata(NEGOTIATION, context.getHandler()) as Negotiation | undefined;
  if (!spec) throw new Error(`@ResponseFormat() on ${context.getHandler().name} needs @Negotiate()`);
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const explicit = (request.query as Record<string, unknown> | undefined)?.format;
  const chosen = spec.formats.find((f) => f === explicit);
  if (chosen) return chosen;
  const fallback = spec.fallback === 'request' ? (wireFormatOf(request.headers['content-type']) ?? spec.formats[0]) : spec.fallback;
  return negotiate(request.headers.accept, spec.formats, fallback);
});

/** An entity tag (an opaque quoted string, which may hold commas, possibly W/-prefixed) or `*`. */
const ENTITY_TAG = /(?:W\/)?"[^"]*"|\*/g;

/**
 * Whether an If-None-Match header names the ETag: `*`, or any listed tag by the weak comparison RFC 9110
 * (13.1.2) prescribes for If-None-Match (W/"x" matches "x").
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.replace(/^W\//, '');
  const wanted = opaque(etag);
  return (ifNoneMatch.match(ENTITY_TAG) ?? []).some((tag) => tag === '*' || opaque(tag) === wanted);
}

/**
 * Writes the Payloads handlers return: status, content type, caching and headers, Vary: Accept on negotiated
 * routes, and 304 without a body when the payload's ETag is one the caller has (its body is then never read). A
 * body that turns out to be another Payload is written in its place. Other results pass through.
 */
@Injectable()
export class RepresentationInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const negotiated = this.reflector.get<Negotiation | undefined>(NEGOTIATION, context.getHandler()) !== undefined;
    return next.handle().pipe(mergeMap((result) => (result instanceof Payload ? this.write(context, result, negotiated) : of(result))));
  }

  private async write(context: ExecutionContext, payload: Payload, negotiated: boolean): Promise<Body> {
    const http = context.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    if (payload.etag !== undefined && etagMatches(http.getRequest<FastifyRequest>().headers['if-none-match'], payload.etag)) {
      this.writeHead(reply, payload, negotiated);
      void reply.status(304);
      return '';
    }
    const body = typeof payload.body === 'function' ? await payload.body() : payload.body;
    // Headers are written once the body is known: a body function may answer with another Payload (a redirect).
    if (body instanceof Payload) return this.write(context, body, negotiated);
    this.writeHead(reply, payload, negotiated);
    if (payload.status !== undefined) void reply.status(payload.status);
    return body;
  }

  private writeHead(reply: FastifyReply, payload: Payload, negotiated: boolean): void {
    void reply.header('content-type', payload.contentType).header('cache-control', payload.cacheControl);
    for (const [name, value] of Object.entries(payload.headers)) void reply.header(name, value);
    if (negotiated) void reply.header('vary', 'accept');
    if (payload.etag !== undefined) void reply.header('etag', payload.etag);
  }
}

import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AppModule, AppOptions } from './app.module';
import { GatewayConfig } from './config';
import { MetricsService } from './services/metrics.service';
import { WebService } from './services/web.service';
import { cspDirectives } from './utils/csp';
import { WIRE_MEDIA_TYPES } from './utils/payload';

export const STROKES_ROUTE = '/api/rooms/:id/strokes';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

/**
 * Body parsers: JSON everywhere (up to GATEWAY_BODY_LIMIT_BYTES), protobuf and msgpack only for
 * POST /api/rooms/:id/strokes, which also gets the larger GATEWAY_STROKES_BODY_LIMIT_BYTES. Everything
 * else (forms, text) is 415.
 */
function registerBodyParsers(fastify: FastifyInstance, config: GatewayConfig) {
  const max = Math.max(config.bodyLimitBytes, config.strokesBodyLimitBytes);
  const limitOf = (req: FastifyRequest) => (req.routeOptions.url === STROKES_ROUTE ? config.strokesBodyLimitBytes : config.bodyLimitBytes);
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: max }, (req, body, done) => {
    const limit = limitOf(req);
    if (Buffer.byteLength(body) > limit) return done(httpError(413, `request body is larger than ${limit} bytes`), undefined);
    void json(req, String(body), (err, value) => {
      if (err) return done(err, undefined);
      // Every JSON body of this API is an object; say so rather than report its missing fields.
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return done(httpError(400, 'request body must be a JSON object'), undefined);
      }
      done(null, value);
    });
  });
  const binary = [...WIRE_MEDIA_TYPES.protobuf, ...WIRE_MEDIA_TYPES.msgpack];
  fastify.addContentTypeParser(binary, { parseAs: 'buffer', bodyLimit: max }, (req, body, done) => {
    if (req.routeOptions.url !== STROKES_ROUTE) return done(httpError(415, `unsupported media type ${req.headers['content-type']}`), undefined);
    done(null, body);
  });
  fastify.addContentTypeParser('*', (req, _payload, done) => {
    const type = String(req.headers['content-type']).split(';')[0];
    const accepted = req.routeOptions.url === STROKES_ROUTE ? 'application/json, application/x-protobuf or application/msgpack' : 'application/json';
    done(httpError(415, `unsupported media type ${type}; send ${accepted}`), undefined);
  });
}

const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The OpenAPI document of every endpoint. */
export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('infidraw gateway')
    .setDescription(
      'Accounts, rooms, sharing and roles, room tokens for realtime-go, and room data over gRPC. ' +
        'Errors are always `{statusCode, error, message, requestId}`.',
    )
    .setVersion('1')
    .addBearerAuth()
    .addCookieAuth('infidraw_session')
    .build();
  return SwaggerModule.createDocument(app, config);
}

const ROUTES = new WeakMap<NestFastifyApplication, { method: string; url: string }[]>();

/** Every route registered on the HTTP server (method and URL pattern), for the OpenAPI coverage test. */
export function registeredRoutes(app: NestFastifyApplication): { method: string; url: string }[] {
  return ROUTES.get(app) ?? [];
}

/** Builds the application (not listening yet). */
export async function createApp(config: GatewayConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: Math.max(config.bodyLimitBytes, config.strokesBodyLimitBytes),
    // Only these peers' X-Forwarded-For/-Proto/-Host count (request.ip, .protocol, .host); others are ignored.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    routerOptions: { maxParamLength: 200 },
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  const routes: { method: string; url: string }[] = [];
  ROUTES.set(app, routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  registerBodyParsers(fastify, config);
  await app.register(fastifyCookie);
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(config) },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
    hsts: config.publicOrigin.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  await app.register(fastifyStatic, { root: config.webDistDir, serve: false });

  const metrics = app.get(MetricsService);
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/api/docs' || request.url.startsWith('/api/docs/')) void reply.header('content-security-policy', DOCS_CSP);
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.observeHttp(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  SwaggerModule.setup('api/docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'api/docs-json' });

  const web = app.get(WebService);
  fastify.get('/*', (request, reply) => web.serve(request, reply));

  await app.init();
  return app;
}

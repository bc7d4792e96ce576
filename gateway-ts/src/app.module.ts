import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { stdTimeFunctions, type DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayConfig } from './config';
import { ErrorFilter } from './middleware/error.filter';
import { RepresentationInterceptor } from './middleware/representation.interceptor';
import { AuthModule } from './modules/auth.module';
import { EmbedModule } from './modules/embed.module';
import { HealthModule } from './modules/health.module';
import { HistoryModule } from './modules/history.module';
import { InfraModule } from './modules/infra.module';
import { KeysModule } from './modules/keys.module';
import { RoomDataModule } from './modules/room-data.module';
import { RoomsModule } from './modules/rooms.module';
import { TilesModule } from './modules/tiles.module';
import { WebModule } from './modules/web.module';

export interface AppOptions {
  /** Where the JSON logs go (stdout by default); tests capture them. */
  logStream?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, options: AppOptions = {}): DynamicModule {
    const pinoHttp: Options<IncomingMessage, ServerResponse> = {
      level: config.logLevel,
      base: { service: 'gateway-ts' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
      // Fastify assigned the id (from a valid X-Request-Id or a new UUID); the raw request carries it.
      genReqId: (req) => String((req as { id?: unknown }).id),
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, url: req.url, remoteAddress: req.remoteAddress }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    };
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: options.logStream ? [pinoHttp, options.logStream] : pinoHttp,
          forRoutes: ['{*splat}'],
        }),
        InfraModule.forRoot(config),
        AuthModule,
        KeysModule,
        RoomsModule,
        RoomDataModule,
        TilesModule,
        HistoryModule,
        EmbedModule,
        HealthModule,
        WebModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: RepresentationInterceptor },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            forbidUnknownValues: true,
            transform: true,
            stopAtFirstError: true,
            validationError: { target: false, value: false },
          }),
        },
      ],
    };
  }
}

import { DynamicModule, Global, Module } from '@nestjs/common';
import { CONFIG, GatewayConfig } from '../config';
import { DatabaseRepository } from '../repositories/database.repository';
import { GrpcClientFactory } from '../repositories/grpc-client';
import { GrpcHealthRepository } from '../repositories/grpc-health.repository';
import { InternalCredentials } from '../repositories/internal-credentials';
import { RealtimeRepository } from '../repositories/realtime.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { TileDeltaRepository } from '../repositories/tile-delta.repository';
import { MetricsService } from '../services/metrics.service';

const providers = [
  DatabaseRepository,
  RedisRepository,
  InternalCredentials,
  GrpcClientFactory,
  RealtimeRepository,
  TileDeltaRepository,
  GrpcHealthRepository,
  MetricsService,
];

/**
 * Configuration and the outside systems every feature uses: Postgres, Redis, the gRPC clients of realtime-go and
 * tile-delta-go (over internal TLS when configured), metrics.
 */
@Global()
@Module({})
export class InfraModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: InfraModule,
      providers: [{ provide: CONFIG, useValue: config }, ...providers],
      exports: [CONFIG, ...providers],
    };
  }
}

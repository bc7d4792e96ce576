import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Payload } from '../utils/payload';

/** Prometheus metrics of this process. Each app instance has its own registry (tests run several). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly grpcDuration = new Histogram({
    name: 'gateway_grpc_client_duration_seconds',
    help: 'Duration of gRPC calls the gateway makes, by service, method and status',
    labelNames: ['service', 'method', 'code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly roomTokens = new Counter({
    name: 'gateway_room_tokens_issued_total',
    help: 'Room tokens issued, by role',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'gateway_auth_failures_total',
    help: 'Failed log-ins and rate-limited auth attempts',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly busy = new Counter({
    name: 'gateway_busy_total',
    help: 'Requests refused with 429 (or 503: embed_streams) because a concurrency limit (argon2, export, timelapse, embed_streams) was full, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly embedStreams = new Gauge({
    name: 'gateway_embed_streams',
    help: 'Embed event streams (/api/embed/:token/events) open in this process',
    registers: [this.registry],
  });

  readonly embedRooms = new Gauge({
    name: 'gateway_embed_rooms_watched',
    help: "Rooms whose realtime-go bus channel this process subscribes to for embeds",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observeHttp(method: string, route: string, status: number, seconds: number) {
    this.httpDuration.observe({ method, route, status_code: String(status) }, seconds);
  }

  /** Every metric in the Prometheus text format. */
  async render(): Promise<Payload> {
    return new Payload({ contentType: this.registry.contentType, body: await this.registry.metrics() });
  }
}

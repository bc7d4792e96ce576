import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseRepository } from '../repositories/database.repository';
import { GrpcHealthRepository, ServingStatus } from '../repositories/grpc-health.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { Payload } from '../utils/payload';
import { Upstream } from '../utils/upstream-error';

const GRPC_DEPENDENCIES: Upstream[] = ['realtime', 'tile-delta', 'snapshot'];

/** The health report: ok when Postgres, Redis and every gRPC dependency answer SERVING. */
export interface HealthReport extends HealthCheckResult {
  /** The failing dependencies by name, when there are any. */
  message?: string;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly database: DatabaseRepository,
    private readonly redis: RedisRepository,
    private readonly grpcHealth: GrpcHealthRepository,
  ) {}

  private async probe(key: string, fn: () => Promise<Record<string, unknown> | void>): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    try {
      return session.up((await fn()) ?? {});
    } catch (err) {
      return session.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Checks every dependency: 200 with the report, or 503 when one is down (`message` names the failures). */
  async check(): Promise<Payload> {
    const checks = [
      () => this.probe('postgres', () => this.database.ping()),
      () => this.probe('redis', () => this.redis.ping()),
      ...GRPC_DEPENDENCIES.map((dep) => () =>
        this.probe(dep, async () => {
          const status = await this.grpcHealth.check(dep);
          if (status !== ServingStatus.SERVING) throw new Error(`status ${ServingStatus[status] ?? status}`);
          return { target: this.grpcHealth.target(dep) };
        }),
      ),
    ];
    const json = (status: number, report: HealthReport) =>
      new Payload({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(report) });
    try {
      return json(200, await this.health.check(checks));
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const report = err.getResponse() as HealthCheckResult;
      const failing = Object.keys(report.error ?? {});
      return json(503, { ...report, message: `unhealthy: ${failing.join(', ')}` });
    }
  }
}

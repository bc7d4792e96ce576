import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseRepository } from '../repositories/database.repository';
import { GrpcDependency, GrpcHealthRepository, ServingStatus } from '../repositories/grpc-health.repository';
import { RedisRepository } from '../repositories/redis.repository';

const GRPC_DEPENDENCIES: GrpcDependency[] = ['realtime', 'tile-delta', 'snapshot'];

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

  /** Checks every dependency; `ok` is false (and `message` names the failures) when one is down. */
  async check(): Promise<{ ok: boolean; report: HealthReport }> {
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
    try {
      return { ok: true, report: await this.health.check(checks) };
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const report = err.getResponse() as HealthCheckResult;
      const failing = Object.keys(report.error ?? {});
      return { ok: false, report: { ...report, message: `unhealthy: ${failing.join(', ')}` } };
    }
  }
}

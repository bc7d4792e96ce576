import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { CONFIG, GatewayConfig } from '../config';
import { RedisRepository } from '../repositories/redis.repository';
import { MetricsService } from './metrics.service';

/** Fixed-window limits on sign-up and log-in attempts, counted in Redis so every replica shares them. */
@Injectable()
export class RateLimitService {
  constructor(
    private readonly redis: RedisRepository,
    private readonly metrics: MetricsService,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Counts one attempt under each key; throws 429 (with Retry-After) when any is over the limit. */
  async consume(keys: string[]): Promise<void> {
    const { max, windowSeconds } = this.config.authRateLimit;
    const windowMs = windowSeconds * 1000;
    const hits = await Promise.all(keys.map((k) => this.redis.hit(`rl:${k}`, windowMs)));
    const over = hits.filter((h) => h.count > max);
    if (over.length > 0) {
      this.metrics.authFailures.inc({ reason: 'rate_limited' });
      const retryAfter = Math.max(1, Math.ceil(Math.max(...over.map((h) => h.resetMs)) / 1000));
      throw new RateLimitedException(retryAfter);
    }
  }
}

export class RateLimitedException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many attempts; retry in ${retryAfterSeconds} s`, HttpStatus.TOO_MANY_REQUESTS);
  }
}

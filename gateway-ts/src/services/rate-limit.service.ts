import { Injectable } from '@nestjs/common';
import { RateLimit } from '../config';
import { RedisRepository } from '../repositories/redis.repository';
import { TooManyRequestsException } from '../utils/too-many-requests';
import { MetricsService } from './metrics.service';

/** One counter: `key` may be hit `limit.max` times per window. */
export interface RateRule {
  key: string;
  limit: RateLimit;
}

/**
 * Fixed-window limits on attempts to get or prove credentials (sign-up, log-in, password change, guest
 * sessions), counted in Redis so every replica shares them.
 */
@Injectable()
export class RateLimitService {
  constructor(
    private readonly redis: RedisRepository,
    private readonly metrics: MetricsService,
  ) {}

  /** Counts one attempt under each rule's key; throws 429 (with Retry-After) when any is over its limit. */
  async consume(rules: RateRule[]): Promise<void> {
    const hits = await Promise.all(rules.map((r) => this.redis.hit(`rl:${r.key}`, r.limit.windowSeconds * 1000)));
    const over = hits.filter((h, i) => h.count > rules[i].limit.max);
    if (over.length > 0) {
      this.metrics.authFailures.inc({ reason: 'rate_limited' });
      const retryAfter = Math.max(1, Math.ceil(Math.max(...over.map((h) => h.resetMs)) / 1000));
      throw new TooManyRequestsException(`too many attempts; retry in ${retryAfter} s`, retryAfter);
    }
  }
}

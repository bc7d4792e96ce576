import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Redis } from 'ioredis';
import { CONFIG, GatewayConfig } from '../config';

// Fixed-window counter: the first hit of a window sets its expiry. Returns [count, ms left].
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

/** Redis: rate-limit counters. Keys are prefixed so several deployments (or test runs) can share one. */
@Injectable()
export class RedisRepository implements OnModuleDestroy {
  readonly client: Redis;

  constructor(
    @Inject(CONFIG) config: GatewayConfig,
    @InjectPinoLogger(RedisRepository.name) private readonly logger: PinoLogger,
  ) {
    this.client = new Redis(config.redisUrl, {
      keyPrefix: config.redisKeyPrefix,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    this.client.on('error', (err) => this.logger.warn({ err: err.message }, 'redis error'));
  }

  /** Counts one hit of key in a window of windowMs; returns the count so far and the ms left. */
  async hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const [count, resetMs] = (await this.client.eval(HIT_SCRIPT, 1, key, String(windowMs))) as [number, number];
    return { count, resetMs };
  }

  async ping(): Promise<void> {
    const reply = await this.client.ping();
    if (reply !== 'PONG') throw new Error(`unexpected PING reply ${String(reply)}`);
  }

  async onModuleDestroy() {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

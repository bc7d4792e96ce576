import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { CONFIG, GatewayConfig } from '../config';
import { Bulkhead } from '../utils/bulkhead';
import { TooManyRequestsException } from '../utils/too-many-requests';
import { MetricsService } from './metrics.service';

const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * argon2id hashing and verification, every call through one bounded pool per process: each call takes
 * 19 MiB and tens of milliseconds of a libuv thread, so GATEWAY_ARGON2_CONCURRENCY run at once,
 * GATEWAY_ARGON2_QUEUE more wait, and the rest are answered 429 (Retry-After: 1) at once.
 */
@Injectable()
export class PasswordHasher {
  private readonly pool: Bulkhead;
  // Verified against when an account has no password to check, so that a miss costs what a wrong password costs.
  private readonly dummyHash: Promise<string>;

  constructor(@Inject(CONFIG) config: GatewayConfig, metrics: MetricsService) {
    this.pool = new Bulkhead(config.argon2.concurrency, config.argon2.queue, () => {
      metrics.busy.inc({ limit: 'argon2' });
      return new TooManyRequestsException('too many password checks at once; retry in 1 s', 1);
    });
    this.dummyHash = argon2.hash(randomBytes(16).toString('hex'), ARGON2_OPTIONS);
  }

  /** Runs `task` in one of the pool's slots, as hash and verify do (tests hold slots with it). */
  occupy<T>(task: () => Promise<T>): Promise<T> {
    return this.pool.run(task);
  }

  hash(password: string): Promise<string> {
    return this.pool.run(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  /** Whether password matches hash; with no hash, spends the same work and answers false. */
  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    const against = hash ?? (await this.dummyHash);
    const ok = await this.pool.run(() => argon2.verify(against, password));
    return hash ? ok : false;
  }
}

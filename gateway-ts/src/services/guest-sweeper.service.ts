import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CONFIG, GatewayConfig } from '../config';
import { UsersRepository } from '../repositories/users.repository';
import { PeriodicJob } from '../utils/periodic-job';

/** Guests deleted per statement: keeps each delete's locks and cascade short. */
const BATCH = 500;
const SWEEP_INTERVAL_MS = 3600_000;

/**
 * Deletes guests (share-link visitors) unseen for GATEWAY_GUEST_RETENTION_DAYS, with their sessions and
 * memberships, once an hour: anonymous joins must not pile up accounts forever. Every replica sweeps;
 * the deletes skip rows another one holds.
 */
@Injectable()
export class GuestSweeperService implements OnModuleInit, OnModuleDestroy {
  private readonly sweeper: PeriodicJob<number>;

  constructor(
    private readonly users: UsersRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger(GuestSweeperService.name) private readonly logger: PinoLogger,
  ) {
    this.sweeper = new PeriodicJob(
      () => this.deleteInactive(),
      (err) => this.logger.warn({ err }, 'deleting inactive guests failed; will retry'),
    );
  }

  onModuleInit() {
    this.sweeper.start(SWEEP_INTERVAL_MS);
  }

  onModuleDestroy() {
    return this.sweeper.stop();
  }

  /** Deletes every inactive guest (in batches); returns how many. A sweep already running is joined. */
  sweep(): Promise<number> {
    return this.sweeper.run();
  }

  private async deleteInactive(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.users.deleteInactiveGuests(this.config.guestRetentionDays, BATCH);
      total += n;
      if (n < BATCH) break;
    }
    if (total > 0) this.logger.info({ deleted: total, retentionDays: this.config.guestRetentionDays }, 'inactive guests deleted');
    return total;
  }
}

import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CONFIG, GatewayConfig } from '../config';
import { UsersRepository } from '../repositories/users.repository';

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
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;

  constructor(
    private readonly users: UsersRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger(GuestSweeperService.name) private readonly logger: PinoLogger,
  ) {}

  onModuleInit() {
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.logger.warn({ err }, 'deleting inactive guests failed; will retry'));
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy() {
    clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  /** Deletes every inactive guest (in batches); returns how many. A sweep already running is joined. */
  sweep(): Promise<number> {
    this.sweeping ??= (async () => {
      try {
        let total = 0;
        for (;;) {
          const n = await this.users.deleteInactiveGuests(this.config.guestRetentionDays, BATCH);
          total += n;
          if (n < BATCH) break;
        }
        if (total > 0) this.logger.info({ deleted: total, retentionDays: this.config.guestRetentionDays }, 'inactive guests deleted');
        return total;
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }
}

import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Pool, PoolClient, QueryResultRow } from 'pg';
import { CONFIG, GatewayConfig } from '../config';

/** Something that runs SQL: the pool, or one client inside a transaction. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

/** The PostgreSQL pool. Every other repository runs its SQL through it. */
@Injectable()
export class DatabaseRepository implements OnModuleDestroy {
  readonly pool: Pool;

  constructor(
    @Inject(CONFIG) config: GatewayConfig,
    @InjectPinoLogger(DatabaseRepository.name) private readonly logger: PinoLogger,
  ) {
    this.pool = new Pool({
      connectionString: config.databaseUrl,
      max: 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'gateway-ts',
    });
    // An idle client that loses its connection must not crash the process.
    this.pool.on('error', (err) => this.logger.warn({ err }, 'postgres idle client error'));
  }

  async query<T extends QueryResultRow>(text: string, params: unknown[] = [], db: Queryable = this.pool) {
    const result = await db.query<T>(text, params);
    return result.rows;
  }

  /**
   * Runs fn in one transaction; it commits when fn resolves and rolls back when it throws. With `snapshot`
   * the transaction is REPEATABLE READ and read-only: every query in fn sees the same committed state.
   */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>, options: { snapshot?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(options.snapshot ? 'begin isolation level repeatable read read only' : 'begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async onModuleDestroy() {
    await this.pool.end();
  }
}

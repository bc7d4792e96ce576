import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
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
  /** Every command names one key, so a cluster serves them as a single Redis does. */
  readonly client: Redis | Cluster;

  constructor(
    @Inject(CONFIG) config: GatewayConfig,
    @InjectPinoLogger(RedisRepository.name) private readonly logger: PinoLogger,
  ) {
    this.client = redisClient(config, {
      keyPrefix: config.redisKeyPrefix,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    this.client.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'redis error'));
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

/**
 * A client of the gateway's Redis: the cluster of REDIS_CLUSTER_URL when it is set (options apply to its nodes; the key
 * prefix, lazy connecting and the offline queue to the cluster client), else the Redis of REDIS_URL.
 */
export function redisClient(config: GatewayConfig, options: RedisOptions & { shardedSubscribers?: boolean }): Redis | Cluster {
  const { keyPrefix, lazyConnect, enableOfflineQueue, shardedSubscribers, ...nodeOptions } = options;
  const clientOptions = definedOnly({ keyPrefix, lazyConnect, enableOfflineQueue });
  if (!config.redisClusterUrl) return new Redis(config.redisUrl, { ...clientOptions, ...nodeOptions });
  const { nodes, username, password, tls } = clusterNodes(config.redisClusterUrl);
  return new Cluster(nodes, { ...clientOptions, ...definedOnly({ shardedSubscribers }), redisOptions: { ...nodeOptions, username, password, tls } });
}

/** The object without its undefined properties (so that ioredis' defaults apply to them). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The entry nodes and credentials of a cluster URL: redis[s]://[user:password@]host:port[?addr=host:port…]. */
export function clusterNodes(raw: string): { nodes: ClusterNode[]; username?: string; password?: string; tls?: object } {
  const u = new URL(raw);
  const node = (hostPort: string): ClusterNode => {
    const colon = hostPort.lastIndexOf(':');
    return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
  };
  return {
    nodes: [node(u.port ? u.host : `${u.hostname}:6379`), ...u.searchParams.getAll('addr').map(node)],
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

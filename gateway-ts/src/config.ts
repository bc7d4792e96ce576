import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';

/** The gateway's configuration, read from the environment once at start-up (docs/contracts.md). */
export interface GatewayConfig {
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  http: { host: string; port: number };
  databaseUrl: string;
  redisUrl: string;
  /** A Redis Cluster's entry nodes, used instead of redisUrl when set. */
  redisClusterUrl: string | undefined;
  /** Prefix of every Redis key the gateway writes. */
  redisKeyPrefix: string;
  /** gRPC targets (host:port) of the services the gateway calls. */
  grpc: { realtime: string; tileDelta: string; snapshot: string; deadlineMs: number };
  /** Mutual TLS to those services (PEM files); undefined: plaintext, for services on loopback. */
  internalTls?: InternalTlsFiles;
  signingKeyDir: string;
  /** Origin the browser uses to reach the gateway: cookies, CSRF origin checks and share-link URLs. */
  publicOrigin: string;
  /**
   * Origins whose state-changing requests are accepted besides the request's own origin (scheme and
   * Host): the public origin and GATEWAY_ALLOWED_ORIGINS.
   */
  allowedOrigins: string[];
  /** WebSocket URL of realtime-go's /ws as the browser reaches it (token responses, CSP connect-src). */
  realtimePublicUrl: string;
  /**
   * Origins of the object store the browser fetches presigned snapshot URLs from (tile-delta-go's
   * TILE_DELTA_SNAPSHOT_URL_TTL > 0): the snapshot route redirects there, so the CSP connect-src admits them.
   */
  snapshotOrigins: string[];
  webDistDir: string;
  roomTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  /**
   * Attempts allowed in one window: sign-ups per client address, log-ins per email and address, password
   * changes per user.
   */
  authRateLimit: RateLimit;
  /** Log-in attempts per client address whatever the email (many people may share one address). */
  loginAddressRateLimit: RateLimit;
  /** Guests a share link may create in one window, per client address and per link. */
  guestRateLimit: { perAddress: RateLimit; perLink: RateLimit };
  /** Guests unseen this long are deleted with their sessions and memberships. */
  guestRetentionDays: number;
  /**
   * Addresses (CIDRs) of the reverse proxies whose X-Forwarded-For, -Proto and -Host are believed; empty:
   * the client is the socket's peer.
   */
  trustedProxies: string[];
  /** argon2 hashes and verifications run at once, and how many more may wait; beyond that 429. */
  argon2: { concurrency: number; queue: number };
  /** Region exports (export.png) this process runs at once; beyond that 429. */
  exportConcurrency: number;
  bodyLimitBytes: number;
  strokesBodyLimitBytes: number;
  /** How often deleted rooms whose purge is pending are retried. */
  purgeSweepSeconds: number;
  /**
   * Embeds (/embed/:linkToken): event streams this process holds open at most (beyond, 503 with Retry-After), and
   * how often the links of the open ones are checked again (revoked, expired or no longer embeddable elsewhere), and
   * how long any cache may keep a tiles answer pinned to a past point (keep it below tile-delta-go's
   * TILE_DELTA_SNAPSHOT_RETAIN: the snapshots such an answer names are collected that long after being superseded).
   */
  embed: { maxStreams: number; recheckMs: number; pinnedMaxAgeSeconds: number };
}

/** At most max events in a window of windowSeconds. */
export interface RateLimit {
  max: number;
  windowSeconds: number;
}

/** The gateway's client certificate and key, and the CA that signs the services' certificates. */
export interface InternalTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** Thrown when the environment holds a bad value; main() prints it and exits non-zero. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
  }
}

/** The directory of the gateway-ts package (the one holding its package.json). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (name === '@infidraw/gateway') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(__dirname, '..');
    dir = parent;
  }
}

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'must be host:port (host may be empty)')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/** A gRPC dial target: host:port, or dns:///host:port (what the Helm chart gives: the client resolves every
 * address of a headless Service and balances over them). */
const grpcTarget = (def: string) =>
  z
    .string()
    .regex(/^(dns:\/\/\/)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'must be host:port or dns:///host:port')
    .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535')
    .default(def);

const positiveInt = (def: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(1).max(max).default(def);

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** An IPv4 or IPv6 address, optionally with a prefix length (CIDR). */
export function isCidr(v: string): boolean {
  const [addr, prefix, ...rest] = v.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** A comma-separated list (blanks around items allowed), each item checked. */
const list = (valid: (item: string) => boolean, message: string) =>
  z
    .string()
    .default('')
    .transform((v) => v.split(',').map((i) => i.trim()).filter((i) => i !== ''))
    .refine((items) => items.every(valid), message);

const isOrigin = (v: string) => {
  try {
    const u = new URL(v);
    const bare = u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password && !v.endsWith('?') && !v.endsWith('#');
    return (u.protocol === 'http:' || u.protocol === 'https:') && bare;
  } catch {
    return false;
  }
};

const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${protocols.join(' or ')})`);

const schema = z.object({
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  GATEWAY_HTTP_LISTEN: hostPort.default('0.0.0.0:8080'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:']),
  // A Redis Cluster in place of REDIS_URL's single Redis: redis[s]://[user:password@]host:port[?addr=host:port…].
  REDIS_CLUSTER_URL: url(['redis:', 'rediss:']).optional(),
  GATEWAY_REDIS_PREFIX: z.string().max(100).default('infidraw:gateway:'),
  REALTIME_TARGET: grpcTarget('127.0.0.1:9091'),
  TILE_DELTA_TARGET: grpcTarget('127.0.0.1:9092'),
  SNAPSHOT_TARGET: grpcTarget('127.0.0.1:9093'),
  GATEWAY_GRPC_DEADLINE_MS: positiveInt(5000, 120_000),
  GATEWAY_SIGNING_KEY_DIR: z.string().min(1).optional(),
  GATEWAY_PUBLIC_ORIGIN: url(['http:', 'https:'])
    .refine((v) => new URL(v).origin === v.replace(/\/$/, ''), 'must be an origin (no path)')
    .default('http://localhost:8080'),
  GATEWAY_ALLOWED_ORIGINS: list(isOrigin, 'must be a comma-separated list of origins (http(s)://host[:port], no path)'),
  GATEWAY_REALTIME_PUBLIC_URL: url(['ws:', 'wss:']).default('ws://localhost:8081/ws'),
  GATEWAY_SNAPSHOT_ORIGINS: list(isOrigin, 'must be a comma-separated list of origins (http(s)://host[:port], no path)'),
  WEB_DIST_DIR: z.string().min(1).optional(),
  GATEWAY_ROOM_TOKEN_TTL_SECONDS: positiveInt(120, 300),
  GATEWAY_SESSION_TTL_SECONDS: positiveInt(14 * 24 * 3600, 366 * 24 * 3600),
  GATEWAY_AUTH_RATE_LIMIT: positiveInt(10, 1_000_000),
  GATEWAY_AUTH_RATE_WINDOW_SECONDS: positiveInt(60, 86_400),
  GATEWAY_AUTH_RATE_LIMIT_PER_ADDRESS: positiveInt(50, 1_000_000),
  GATEWAY_GUEST_RATE_LIMIT_PER_ADDRESS: positiveInt(30, 1_000_000),
  GATEWAY_GUEST_RATE_LIMIT_PER_LINK: positiveInt(300, 1_000_000),
  GATEWAY_GUEST_RATE_WINDOW_SECONDS: positiveInt(600, 86_400),
  GATEWAY_GUEST_RETENTION_DAYS: positiveInt(30, 3650),
  GATEWAY_TRUSTED_PROXIES: list(isCidr, 'must be a comma-separated list of IP addresses or CIDRs (10.0.0.0/8, fd00::/8)'),
  // Replaced by GATEWAY_TRUSTED_PROXIES: `true` trusted X-Forwarded-For from any peer, so it is refused.
  GATEWAY_TRUST_PROXY: boolean.refine(
    (trust) => !trust,
    'was replaced by GATEWAY_TRUSTED_PROXIES; list the reverse proxies whose X-Forwarded-For may be believed (CIDRs)',
  ),
  GATEWAY_ARGON2_CONCURRENCY: positiveInt(2, 64),
  GATEWAY_ARGON2_QUEUE: z.coerce.number().int().min(0).max(10_000).default(32),
  GATEWAY_EXPORT_CONCURRENCY: positiveInt(2, 64),
  GATEWAY_BODY_LIMIT_BYTES: positiveInt(64 * 1024, 16 * 1024 * 1024),
  GATEWAY_STROKES_BODY_LIMIT_BYTES: positiveInt(4 * 1024 * 1024, 64 * 1024 * 1024),
  GATEWAY_PURGE_SWEEP_SECONDS: positiveInt(30, 3600),
  GATEWAY_EMBED_MAX_STREAMS: positiveInt(2000, 1_000_000),
  GATEWAY_EMBED_RECHECK_MS: positiveInt(10_000, 3_600_000),
  GATEWAY_EMBED_PINNED_MAX_AGE_SECONDS: positiveInt(300, 31_536_000),
  INTERNAL_TLS_CERT_FILE: z.string().optional(),
  INTERNAL_TLS_KEY_FILE: z.string().optional(),
  INTERNAL_TLS_CA_FILE: z.string().optional(),
});

/** All three INTERNAL_TLS_* files or none; when given they must make a TLS context (key matching the certificate). */
function internalTls(e: z.infer<typeof schema>): InternalTlsFiles | undefined {
  const files = { certFile: e.INTERNAL_TLS_CERT_FILE, keyFile: e.INTERNAL_TLS_KEY_FILE, caFile: e.INTERNAL_TLS_CA_FILE };
  const given = Object.values(files).filter((f) => f !== undefined).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new ConfigError(['INTERNAL_TLS_CERT_FILE, INTERNAL_TLS_KEY_FILE and INTERNAL_TLS_CA_FILE: set all three or none']);
  const complete = files as InternalTlsFiles;
  try {
    createSecureContext({ cert: readFileSync(complete.certFile), key: readFileSync(complete.keyFile), ca: readFileSync(complete.caFile) });
  } catch (err) {
    const named = `INTERNAL_TLS_CERT_FILE=${complete.certFile}, INTERNAL_TLS_KEY_FILE=${complete.keyFile}, INTERNAL_TLS_CA_FILE=${complete.caFile}`;
    throw new ConfigError([`${named}: ${(err as Error).message}`]);
  }
  return complete;
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  // An empty variable means "not set", as in a shell `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const repoRoot = dirname(packageRoot());
  const listen = e.GATEWAY_HTTP_LISTEN;
  const colon = listen.lastIndexOf(':');
  let host = listen.slice(0, colon);
  if (host === '') host = '0.0.0.0';
  if (host.startsWith('[')) host = host.slice(1, -1);
  return {
    logLevel: e.LOG_LEVEL,
    http: { host, port: Number(listen.slice(colon + 1)) },
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisClusterUrl: e.REDIS_CLUSTER_URL,
    redisKeyPrefix: e.GATEWAY_REDIS_PREFIX,
    grpc: {
      realtime: e.REALTIME_TARGET,
      tileDelta: e.TILE_DELTA_TARGET,
      snapshot: e.SNAPSHOT_TARGET,
      deadlineMs: e.GATEWAY_GRPC_DEADLINE_MS,
    },
    internalTls: internalTls(e),
    signingKeyDir: e.GATEWAY_SIGNING_KEY_DIR ? resolve(e.GATEWAY_SIGNING_KEY_DIR) : join(repoRoot, '.data', 'keys'),
    publicOrigin: e.GATEWAY_PUBLIC_ORIGIN.replace(/\/$/, ''),
    allowedOrigins: [...new Set([e.GATEWAY_PUBLIC_ORIGIN, ...e.GATEWAY_ALLOWED_ORIGINS].map((o) => new URL(o).origin))],
    realtimePublicUrl: e.GATEWAY_REALTIME_PUBLIC_URL,
    snapshotOrigins: [...new Set(e.GATEWAY_SNAPSHOT_ORIGINS.map((o) => new URL(o).origin))],
    webDistDir: e.WEB_DIST_DIR ? resolve(e.WEB_DIST_DIR) : join(repoRoot, 'web', 'dist'),
    roomTokenTtlSeconds: e.GATEWAY_ROOM_TOKEN_TTL_SECONDS,
    sessionTtlSeconds: e.GATEWAY_SESSION_TTL_SECONDS,
    authRateLimit: { max: e.GATEWAY_AUTH_RATE_LIMIT, windowSeconds: e.GATEWAY_AUTH_RATE_WINDOW_SECONDS },
    loginAddressRateLimit: { max: e.GATEWAY_AUTH_RATE_LIMIT_PER_ADDRESS, windowSeconds: e.GATEWAY_AUTH_RATE_WINDOW_SECONDS },
    guestRateLimit: {
      perAddress: { max: e.GATEWAY_GUEST_RATE_LIMIT_PER_ADDRESS, windowSeconds: e.GATEWAY_GUEST_RATE_WINDOW_SECONDS },
      perLink: { max: e.GATEWAY_GUEST_RATE_LIMIT_PER_LINK, windowSeconds: e.GATEWAY_GUEST_RATE_WINDOW_SECONDS },
    },
    guestRetentionDays: e.GATEWAY_GUEST_RETENTION_DAYS,
    trustedProxies: e.GATEWAY_TRUSTED_PROXIES,
    argon2: { concurrency: e.GATEWAY_ARGON2_CONCURRENCY, queue: e.GATEWAY_ARGON2_QUEUE },
    exportConcurrency: e.GATEWAY_EXPORT_CONCURRENCY,
    bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
    strokesBodyLimitBytes: e.GATEWAY_STROKES_BODY_LIMIT_BYTES,
    purgeSweepSeconds: e.GATEWAY_PURGE_SWEEP_SECONDS,
    embed: {
      maxStreams: e.GATEWAY_EMBED_MAX_STREAMS,
      recheckMs: e.GATEWAY_EMBED_RECHECK_MS,
      pinnedMaxAgeSeconds: e.GATEWAY_EMBED_PINNED_MAX_AGE_SECONDS,
    },
  };
}

/** Injection token of the GatewayConfig. */
export const CONFIG = Symbol('GatewayConfig');

/**
 * Configuration, parsed and validated once at start-up from the environment.
 * A bad value stops the start with one line naming the variable (`ConfigError`).
 */
import { z } from 'zod';
import { FILTER_LIMITS } from './protocol/filter';
import { TENANT_ID } from './protocol/channel';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(['0', '1', 'true', 'false', 'on', 'off', 'yes', 'no']).transform((v) => ['1', 'true', 'on', 'yes'].includes(v));

/** Every variable, with its default. Variables that default differently in production are resolved below. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),

  PULSE_ALLOWED_ORIGINS: z.string().default(''),
  PULSE_MAX_PAYLOAD: int(1024).default(1024 * 1024),
  PULSE_AUTH_TIMEOUT_MS: int(1).default(10_000),
  PULSE_SNAPSHOT_EVENTS: int(0, 10_000).default(50),
  PULSE_HISTORY_SIZE: int(1).default(1000),
  PULSE_HISTORY_TTL_MS: int(1).default(300_000),
  PULSE_HISTORY_MAX_BYTES: int(1024).default(8 * 1024 * 1024),
  PULSE_SNAPSHOT_EVENTS_MAX_BYTES: int(0).default(256 * 1024),
  PULSE_SERIES_MAX_POINTS: int(0).default(2_000_000),
  PULSE_PRESENCE_GRACE_MS: int(0, 600_000).default(3000),
  PULSE_PRESENCE_MAX_USERS: int(1, 10_000).default(100),
  PULSE_BATCH_MS: int(1, 60_000).default(100),
  PULSE_MAX_SUBSCRIPTIONS: int(1).default(100),
  PULSE_RATE_LIMIT: int(1).default(100),
  PULSE_SLOW_CONSUMER_BYTES: int(1024).default(1024 * 1024),
  PULSE_SLOW_CONSUMER_TIMEOUT_MS: int(1).default(30_000),
  PULSE_MAX_CONNECTIONS: int(1).default(10_000),
  PULSE_MAX_CONNECTIONS_PER_TENANT: int(1).default(1000),
  PULSE_MAX_UNAUTHENTICATED: int(1).optional(),
  PULSE_MAX_UNAUTHENTICATED_PER_ADDRESS: int(1).default(256),
  PULSE_MAX_FILTER_BYTES_PER_CONNECTION: int(FILTER_LIMITS.maxBytes).default(256 * 1024),
  PULSE_HEARTBEAT_MS: int(10).default(25_000),
  PULSE_SHUTDOWN_GRACE_MS: int(0).default(5000),
  PULSE_HTTP_RATE_LIMIT: int(1).default(50),
  PULSE_HTTP_AUTH_FAILURES: int(1).default(20),
  PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS: int(1).default(8),
  PULSE_HTTP_SNAPSHOT_CACHE_BYTES: int(0).default(64 * 1024 * 1024),
  PULSE_HTTP_REQUEST_TIMEOUT_MS: int(100).default(30_000),
  PULSE_HTTP_HEADERS_TIMEOUT_MS: int(100).default(10_000),
  PULSE_HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100).default(5000),
  PULSE_HTTP_MAX_CONNECTIONS: int(1).default(1000),
  PULSE_TRUSTED_PROXIES: int(0, 10).default(0),

  PULSE_JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  PULSE_JWT_AUDIENCE: z.string().max(1024).optional(),
  PULSE_JWT_ISSUER: z.string().max(1024).optional(),
  PULSE_JWT_MAX_LIFETIME_S: int(1).optional(),
  PULSE_API_KEY: z.string().min(8, 'must be at least 8 characters').optional(),
  PULSE_ANONYMOUS: flag.optional(),
  PULSE_DASHBOARD_TENANT: z.string().regex(TENANT_ID, `must match ${TENANT_ID.source}`).default('demo'),
  PULSE_DEV_TOKENS: flag.optional(),
  PULSE_SIMULATOR: flag.optional(),
  PULSE_SOURCES: z.string().min(1).optional(),
  PULSE_CONFIG: z.string().min(1).optional(),
  PULSE_SIMULATOR_RATE: z.coerce.number().positive().max(100_000).default(20),
  PULSE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Scheme in lower case: ioredis uses TLS for "rediss://" only, not for "REDISS://".
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).transform(normalizeRedisUrl).optional(),
  PULSE_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{0,64}$/, 'must be up to 64 of A-Z a-z 0-9 _ . : -').default('pulse:'),
});

type Raw = z.infer<typeof schema>;

/** Variables whose values are credentials (a Redis URL may carry a password). */
const SECRET_VARIABLES = new Set(['PULSE_JWT_SECRET', 'PULSE_API_KEY', 'REDIS_URL']);

export interface Config {
  env: Raw['NODE_ENV'];
  production: boolean;
  port: number;
  host: string;
  allowedOrigins: string[];
  maxPayload: number;
  authTimeoutMs: number;
  snapshotEvents: number;
  historySize: number;
  historyTtlMs: number;
  /** Bytes of events kept in each channel's history; the oldest publishes leave first. */
  historyMaxBytes: number;
  /** Bytes of events one snapshot carries at most: the most recent that fit. */
  snapshotEventsMaxBytes: number;
  /** Series points (a field of a record in a bucket) kept at most: per process, or per Redis with the Redis engine. */
  seriesMaxPoints: number;
  /** A user whose last connection left is listed this long before the leave is announced. */
  presenceGraceMs: number;
  /** Users listed in presence per channel; beyond it, counts only. */
  presenceMaxUsers: number;
  batchMs: number;
  maxSubscriptions: number;
  rateLimit: number;
  slowConsumerBytes: number;
  slowConsumerTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerTenant: number;
  /** Sockets that have not sent `auth` yet, in all; past it the oldest of them gives way to a newcomer. */
  maxUnauthenticated: number;
  /** Sockets that have not sent `auth` yet, per client address (IPv6: per /64); never more than `maxUnauthenticated`. */
  maxUnauthenticatedPerAddress: number;
  /** Bytes of subscription filters (as JSON) one connection may hold, all subscriptions together. */
  maxFilterBytesPerConnection: number;
  heartbeatMs: number;
  shutdownGraceMs: number;
  /** HTTP API requests a second per client address (burst twice that); token, tenant and admin-key buckets are multiples of it. */
  httpRateLimit: number;
  /** Wrong credentials per client address within a minute before its HTTP requests with credentials are refused unchecked. */
  httpAuthFailures: number;
  /** Snapshot reads (engine read, filter, serialization) in progress at once; four times as many may wait. */
  httpMaxConcurrentSnapshots: number;
  /** Bytes of serialized snapshots kept for repeated reads of an unchanged channel (0: none). */
  httpSnapshotCacheBytes: number;
  /** Time a client has to send a whole HTTP request, body included (408 after). */
  httpRequestTimeoutMs: number;
  /** Time a client has to send the request headers; never more than `httpRequestTimeoutMs`. */
  httpHeadersTimeoutMs: number;
  /** Time an idle keep-alive HTTP connection stays open. */
  httpKeepAliveTimeoutMs: number;
  /** TCP connections the server accepts beyond `maxConnections` (plain HTTP requests, refused upgrades). */
  httpMaxConnections: number;
  /** Reverse proxies in front of the server whose `X-Forwarded-For` names the client (0: the socket's peer is the client). */
  trustedProxies: number;
  /** HS256 secret; a random one per run when unset (outside production only). */
  jwtSecret: string;
  /** True when the secret was generated at start-up: tokens last one run. */
  jwtSecretGenerated: boolean;
  /** When set, a token's `aud` must include it. */
  jwtAudience: string | undefined;
  /** When set, a token's `iss` must equal it. */
  jwtIssuer: string | undefined;
  /** When set, tokens valid for longer than this (`exp` minus `iat`, or minus now) are refused. */
  jwtMaxLifetimeS: number | undefined;
  apiKey: string | undefined;
  anonymous: boolean;
  /** The tenant `/` shows to viewers without a session cookie, and so the tenant of anonymous sessions. */
  dashboardTenant: string;
  devTokens: boolean;
  /**
   * The demo simulator: on unless turned off, or unless `PULSE_SOURCES` is set. Sources in the
   * configuration file turn it off too; `loadServerConfiguration` (lib/server/config-file.ts)
   * reads the file and answers for both.
   */
  simulator: boolean;
  /** `PULSE_SIMULATOR` as set; undefined when unset (then declared sources turn the simulator off). */
  simulatorSetting: boolean | undefined;
  /** Path of the declared sources file (docs/sources.md). */
  sourcesPath: string | undefined;
  /** Path of the configuration file (docs/configuration.md). */
  configPath: string | undefined;
  simulatorRate: number;
  logLevel: Raw['PULSE_LOG_LEVEL'];
  redisUrl: string | undefined;
  /** Prefix of every Redis key and pub/sub channel: instances sharing it form one hub. */
  redisPrefix: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment. Empty strings count as unset. Throws `ConfigError` with one readable line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Trimmed before the emptiness test: a blank value is unset too (`PORT=" "` would otherwise
  // coerce to 0 and silently pick a random port).
  const present = Object.fromEntries(
    Object.keys(schema.shape)
      .map((name) => [name, env[name]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    // Secrets must not end up in start-up logs, even when they are the value that is wrong.
    const shown = SECRET_VARIABLES.has(variable) ? '<redacted>' : JSON.stringify(present[variable] ?? '');
    throw new ConfigError(variable, `(${shown}): ${issue.message}`);
  }
  const raw = parsed.data;
  const production = raw.NODE_ENV === 'production';

  if (production && raw.PULSE_ANONYMOUS !== true && (!raw.PULSE_JWT_SECRET || !raw.PULSE_API_KEY)) {
    const missing = [!raw.PULSE_JWT_SECRET && 'PULSE_JWT_SECRET', !raw.PULSE_API_KEY && 'PULSE_API_KEY'].filter(Boolean).join(' and ');
    throw new ConfigError(missing, 'must be set in production (or set PULSE_ANONYMOUS=1 to run an open server on purpose)');
  }
  // HS256 keys shorter than the hash output are weak (RFC 7518 section 3.2). Outside production
  // 16 bytes still start (the hub warns), so existing development setups keep working.
  if (production && raw.PULSE_JWT_SECRET !== undefined && Buffer.byteLength(raw.PULSE_JWT_SECRET) < MIN_SECRET_BYTES) {
    throw new ConfigError('PULSE_JWT_SECRET', `(<redacted>): must be at least ${MIN_SECRET_BYTES} bytes in production (HS256, RFC 7518 section 3.2)`);
  }
  const maxUnauthenticated = raw.PULSE_MAX_UNAUTHENTICATED ?? defaultUnauthenticatedBudget(raw.PULSE_MAX_CONNECTIONS);

  return {
    env: raw.NODE_ENV,
    production,
    port: raw.PORT,
    host: raw.HOST,
    allowedOrigins: raw.PULSE_ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    maxPayload: raw.PULSE_MAX_PAYLOAD,
    authTimeoutMs: raw.PULSE_AUTH_TIMEOUT_MS,
    snapshotEvents: raw.PULSE_SNAPSHOT_EVENTS,
    historySize: raw.PULSE_HISTORY_SIZE,
    historyTtlMs: raw.PULSE_HISTORY_TTL_MS,
    historyMaxBytes: raw.PULSE_HISTORY_MAX_BYTES,
    snapshotEventsMaxBytes: raw.PULSE_SNAPSHOT_EVENTS_MAX_BYTES,
    seriesMaxPoints: raw.PULSE_SERIES_MAX_POINTS,
    presenceGraceMs: raw.PULSE_PRESENCE_GRACE_MS,
    presenceMaxUsers: raw.PULSE_PRESENCE_MAX_USERS,
    batchMs: raw.PULSE_BATCH_MS,
    maxSubscriptions: raw.PULSE_MAX_SUBSCRIPTIONS,
    rateLimit: raw.PULSE_RATE_LIMIT,
    slowConsumerBytes: raw.PULSE_SLOW_CONSUMER_BYTES,
    slowConsumerTimeoutMs: raw.PULSE_SLOW_CONSUMER_TIMEOUT_MS,
    maxConnections: raw.PULSE_MAX_CONNECTIONS,
    maxConnectionsPerTenant: raw.PULSE_MAX_CONNECTIONS_PER_TENANT,
    maxUnauthenticated,
    maxUnauthenticatedPerAddress: Math.min(raw.PULSE_MAX_UNAUTHENTICATED_PER_ADDRESS, maxUnauthenticated),
    maxFilterBytesPerConnection: raw.PULSE_MAX_FILTER_BYTES_PER_CONNECTION,
    heartbeatMs: raw.PULSE_HEARTBEAT_MS,
    shutdownGraceMs: raw.PULSE_SHUTDOWN_GRACE_MS,
    httpRateLimit: raw.PULSE_HTTP_RATE_LIMIT,
    httpAuthFailures: raw.PULSE_HTTP_AUTH_FAILURES,
    httpMaxConcurrentSnapshots: raw.PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS,
    httpSnapshotCacheBytes: raw.PULSE_HTTP_SNAPSHOT_CACHE_BYTES,
    httpRequestTimeoutMs: raw.PULSE_HTTP_REQUEST_TIMEOUT_MS,
    httpHeadersTimeoutMs: Math.min(raw.PULSE_HTTP_HEADERS_TIMEOUT_MS, raw.PULSE_HTTP_REQUEST_TIMEOUT_MS),
    httpKeepAliveTimeoutMs: raw.PULSE_HTTP_KEEP_ALIVE_TIMEOUT_MS,
    httpMaxConnections: raw.PULSE_HTTP_MAX_CONNECTIONS,
    trustedProxies: raw.PULSE_TRUSTED_PROXIES,
    jwtSecret: raw.PULSE_JWT_SECRET ?? randomSecret(),
    jwtSecretGenerated: !raw.PULSE_JWT_SECRET,
    jwtAudience: raw.PULSE_JWT_AUDIENCE,
    jwtIssuer: raw.PULSE_JWT_ISSUER,
    jwtMaxLifetimeS: raw.PULSE_JWT_MAX_LIFETIME_S,
    apiKey: raw.PULSE_API_KEY,
    anonymous: raw.PULSE_ANONYMOUS ?? !production,
    dashboardTenant: raw.PULSE_DASHBOARD_TENANT,
    devTokens: raw.PULSE_DEV_TOKENS ?? !production,
    simulator: raw.PULSE_SIMULATOR ?? raw.PULSE_SOURCES === undefined,
    simulatorSetting: raw.PULSE_SIMULATOR,
    sourcesPath: raw.PULSE_SOURCES,
    configPath: raw.PULSE_CONFIG,
    simulatorRate: raw.PULSE_SIMULATOR_RATE,
    logLevel: raw.PULSE_LOG_LEVEL,
    redisUrl: raw.REDIS_URL,
    redisPrefix: raw.PULSE_REDIS_PREFIX,
  };
}

/** Shortest `PULSE_JWT_SECRET` accepted in production, in bytes: the size of HS256's hash. */
export const MIN_SECRET_BYTES = 32;

/** Unauthenticated sockets by default: a tenth of the connection limit, at least 256 and at most 1000. */
function defaultUnauthenticatedBudget(maxConnections: number): number {
  return Math.min(1000, Math.max(256, Math.ceil(maxConnections / 10)));
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

/**
 * `url` with its scheme in lower case, the rest untouched (credentials included). ioredis
 * turns TLS on only for a URL starting with the lower-case `rediss://`, while URL parsing (and
 * so the check above) takes any case: a `REDISS://` URL would pass and then connect without TLS.
 */
export function normalizeRedisUrl(url: string): string {
  return url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, (scheme) => scheme.toLowerCase());
}

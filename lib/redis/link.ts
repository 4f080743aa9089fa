/**
 * The two Redis connections an instance holds (commands, and pub/sub, which a subscribed
 * connection cannot mix), with one notion of "up": both connected. The engine, the cluster
 * and presence share it; each maps `RedisUnavailableError` to an error of its own.
 *
 * Commands fail at once while Redis is unreachable (no offline queue): a publish is refused
 * with a clear error instead of waiting in memory for a Redis that may not come back, and
 * nothing refused is applied later behind the caller's back. Both connections reconnect on
 * their own with capped backoff.
 */
import { EventEmitter } from 'node:events';
import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import type { Logger } from '../log';
import { normalizeRedisUrl } from '../config';

const RECONNECT_CAP_MS = 2000;
/** How long a health check waits for PING before calling Redis unreachable. */
const PING_TIMEOUT_MS = 1000;
/**
 * Redis refusing the credentials: a missing password (`NOAUTH`), a wrong one (`WRONGPASS`, or
 * `invalid password` before Redis 6). Retrying cannot help until the configuration is fixed.
 */
const AUTH_REFUSED = /\b(NOAUTH|WRONGPASS)\b|invalid password/i;
/** At most one credentials error line per interval: the connections retry every 2 s. */
const AUTH_LOG_INTERVAL_MS = 30_000;

export interface RedisLinkEvents {
  /** Both connections are (again) usable. */
  up: [];
  /** One of them was lost. */
  down: [];
}

export class RedisLink extends EventEmitter<RedisLinkEvents> {
  readonly command: Redis;
  readonly subscriber: Redis;
  /** Times a connection was lost after having been up. */
  outages = 0;
  private wasUp = false;
  private closing = false;
  private authLoggedAt = -Infinity;

  constructor(url: string, private readonly log?: Logger) {
    super();
    const options: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), RECONNECT_CAP_MS),
      // Subscriptions are restored by their owners once both connections are back, in order.
      autoResubscribe: false,
      connectionName: 'pulseboard',
    };
    this.command = new Redis(normalizeRedisUrl(url), options);
    this.subscriber = new Redis(normalizeRedisUrl(url), options);
    for (const [role, client] of [['command', this.command], ['subscriber', this.subscriber]] as const) {
      client.on('ready', () => this.changed());
      client.on('close', () => this.changed());
      client.on('error', (error: Error) => this.failed(role, error));
    }
  }

  get isUp(): boolean {
    return this.command.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Resolves once both connections are up, or after `timeoutMs` (false then). */
  waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.isUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('up', onUp);
        resolve(false);
      }, timeoutMs);
      const onUp = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.once('up', onUp);
    });
  }

  /** True when Redis answers PING in time. */
  async ping(): Promise<boolean> {
    if (!this.isUp) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)));
    try {
      return await Promise.race([this.command.ping().then(() => true as const), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.removeAllListeners();
    await Promise.all([this.command, this.subscriber].map((client) => client.quit().catch(() => client.disconnect())));
  }

  /**
   * Logs a connection error by its message only: ioredis attaches the failed command to the
   * error, and for `AUTH` its arguments are the credentials.
   */
  private failed(role: 'command' | 'subscriber', error: Error): void {
    if (!AUTH_REFUSED.test(error.message)) {
      this.log?.debug({ role, reason: error.message }, 'redis connection error');
      return;
    }
    const now = Date.now();
    if (now - this.authLoggedAt < AUTH_LOG_INTERVAL_MS) return;
    this.authLoggedAt = now;
    this.log?.error({ role, reason: error.message }, 'redis refused the credentials (check the password in REDIS_URL)');
  }

  private changed(): void {
    if (this.closing) return;
    const up = this.isUp;
    if (up === this.wasUp) return;
    this.wasUp = up;
    if (up) {
      this.log?.info('redis connected');
      this.emit('up');
    } else {
      this.outages++;
      this.log?.warn('redis connection lost');
      this.emit('down');
    }
  }
}

/**
 * Redis could not be reached for a call (commands fail at once while a connection is down).
 * The engine, the cluster and presence each turn it into their own error, so a caller learns
 * which part is out of service.
 */
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Runs a Redis call, turning a connection failure into `RedisUnavailableError`. Errors Redis
 * itself answered (a script error) are bugs, not outages, and pass through.
 */
export async function viaRedis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ReplyError) throw error;
    throw new RedisUnavailableError(`Redis is unreachable (${(error as Error).message})`);
  }
}

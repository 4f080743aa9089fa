/**
 * What every declared source reports about itself, for `/api/ws/stats`, `/status` and
 * `/metrics`. A source is `connecting` until its first success, `live` while it works, and
 * `failing` after an error until it works again.
 */
import type { SourceConfig } from './declared';

export type SourceState = 'connecting' | 'live' | 'failing' | 'stopped';

/** At most one "skipped" log line per source in this interval. */
const SKIPPED_LOG_INTERVAL_MS = 10_000;

export class SourceStatus {
  state: SourceState = 'connecting';
  /** When upstream last answered and what it said was published (ms). */
  lastSuccessAt: number | null = null;
  lastError: string | null = null;
  /** Records upserted or deleted through this source's publishes. */
  recordsPublished = 0;
  eventsPublished = 0;
  /** Upstream failures (unreachable, bad status, timeouts, refused publishes). */
  errors = 0;
  /** Rows or messages that could not become records (counted, logged, skipped). */
  invalid = 0;
  /** Upstream data received → its publish accepted, for the last publish (ms). */
  lagMs: number | null = null;
  private skippedLoggedAt = -Infinity;

  constructor(readonly name: string, readonly kind: SourceConfig['kind'], readonly tenant: string, readonly channel: string) {}

  succeeded(now = Date.now()): void {
    this.state = 'live';
    this.lastSuccessAt = now;
  }

  failed(message: string): void {
    this.state = 'failing';
    this.errors++;
    this.lastError = message;
  }

  /**
   * Counts a row or message that could not become a record. True when the caller should log
   * it: at most once per interval, so an upstream sending nothing but bad rows cannot flood the log.
   */
  skipped(now = Date.now()): boolean {
    this.invalid++;
    if (now - this.skippedLoggedAt < SKIPPED_LOG_INTERVAL_MS) return false;
    this.skippedLoggedAt = now;
    return true;
  }

  toJSON() {
    const { name, kind, tenant, channel, state, lastSuccessAt, lastError, recordsPublished, eventsPublished, errors, invalid, lagMs } = this;
    return { name, kind, tenant, channel, state, lastSuccessAt, lastError, recordsPublished, eventsPublished, errors, invalid, lagMs };
  }
}

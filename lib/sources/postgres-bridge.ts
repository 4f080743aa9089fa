/**
 * The Postgres bridge (docs/sources.md), on node-postgres: keeps a channel equal to a table
 * or view. It LISTENs first, then loads every row (so no change falls in between: changes
 * announced during the load are applied after it, in order), then follows the notifications
 * of the shipped trigger (`sql/pulse-notify.sql`). After a lost connection it reconnects with
 * a growing delay, loads the table again and publishes the difference, so the channel ends
 * equal to the table whatever happened meanwhile.
 *
 * A notification is only a hint that the row with that key changed: the bridge reads the row
 * from the table and publishes what it finds there, or deletes the record when the table has
 * no such row. Any role that may connect can send a NOTIFY on the channel, so what the payload
 * claims about the row (or the operation) is never trusted; only the table is.
 *
 * Rows are read as `to_jsonb(row)`, so numbers stay numbers and timestamps are ISO strings.
 */
import pg from 'pg';
import { backoff, type BackoffOptions } from '../protocol/backoff';
import type { Logger } from '../log';
import type { ChannelRecord } from '../protocol';
import type { PostgresSourceConfig, RecordMapping } from './declared';
import { toRecord } from './rows';
import { SourceStatus } from './status';
import { ChannelWriter, type SourceHub } from './writer';

const RECONNECT: Readonly<BackoffOptions> = { min: 500, max: 30_000, floor: 500 };

type NotifiedKey = { ok: true; key: string } | { ok: false; reason: string };

/**
 * The key of the row a notification announces. Only `key` is read: the row the payload may
 * carry is not used (the table's row is read and held to the JSON bounds instead), and
 * PostgreSQL caps a payload at 8000 bytes, so the payload itself needs no other bound.
 */
export function notifiedKey(payload: string): NotifiedKey {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'notification is not valid JSON' };
  }
  const key = typeof value === 'object' && value !== null && Object.hasOwn(value, 'key') ? (value as { key: unknown }).key : undefined;
  if (typeof key === 'string' && key !== '') return { ok: true, key };
  if (typeof key === 'number' && Number.isFinite(key)) return { ok: true, key: String(key) };
  return { ok: false, reason: 'notification has no key (a string or a number)' };
}

function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

export class PostgresBridge {
  readonly status: SourceStatus;
  private readonly writer: ChannelWriter;
  private readonly mapping: RecordMapping;
  private readonly notifyChannel: string;
  private client: pg.Client | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Keys notified while the table loads, read after it. */
  private pending: Array<{ key: string; receivedAt: number }> | undefined;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: PostgresSourceConfig,
    hub: SourceHub,
    private readonly log: Logger,
  ) {
    this.status = new SourceStatus(config.name, 'postgres', config.tenant, config.channel);
    this.writer = new ChannelWriter(hub, this.status);
    // The record id is the key column unless the source names another.
    this.mapping = { ...config, id: config.id === 'id' ? config.key : config.id };
    this.notifyChannel = config.notify ?? `pulse_${config.table.split('.').pop()!.toLowerCase()}`;
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.status.state = 'stopped';
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
    await this.queue.catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.connectionString, application_name: `pulseboard ${this.config.name}` });
    this.client = client;
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    client.on('notification', (message) => {
      if (message.channel !== this.notifyChannel || !message.payload) return;
      const notified = notifiedKey(message.payload);
      if (!notified.ok) return this.skipped(notified.reason);
      const receivedAt = Date.now();
      if (this.pending) this.pending.push({ key: notified.key, receivedAt });
      else this.queue = this.queue.then(() => this.apply(client, notified.key, receivedAt)).catch((error) => this.publishFailed(error));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.notifyChannel)}`);
      this.pending = [];
      const loaded = await client.query<{ row: Record<string, unknown> }>(`SELECT to_jsonb(t) AS row FROM ${quoteIdent(this.config.table)} t`);
      const records = this.records(loaded.rows.map((r) => r.row));
      await this.queue;
      await this.writer.replaceAll(records);
      const pending = this.pending;
      this.pending = undefined;
      for (const { key, receivedAt } of pending) await this.apply(client, key, receivedAt);
      this.attempts = 0;
      this.status.succeeded();
      this.log.info({ source: this.config.name, rows: records.length }, 'source loaded');
    } catch (error) {
      this.pending = undefined;
      this.lost(client, (error as Error).message);
    }
  }

  /** Makes the record of `key` equal to the table's row: published if there is one, deleted if not. */
  private async apply(client: pg.Client, key: string, receivedAt: number): Promise<void> {
    let found: Array<{ row: Record<string, unknown> }>;
    try {
      // Compared in the key column's own type, so its index serves the lookup.
      const result = await client.query<{ row: Record<string, unknown> }>(
        `SELECT to_jsonb(t) AS row FROM ${quoteIdent(this.config.table)} t WHERE ${quoteIdent(this.config.key)} = $1`,
        [key],
      );
      found = result.rows;
    } catch (error) {
      // A key the column's type cannot hold (22xxx, data exceptions) names no row: nothing to do.
      if (String((error as { code?: unknown }).code).startsWith('22')) return this.skipped(`notification key is not a valid ${this.config.key}`);
      throw error;
    }
    // A row that cannot be a record (skipped) leaves the channel, as it would on a reload.
    const records = this.records(found.map((r) => r.row));
    if (records.length) await this.writer.upsert(records, receivedAt);
    else await this.writer.remove([key], receivedAt);
    this.status.succeeded();
  }

  private records(rows: Array<Record<string, unknown>>): ChannelRecord[] {
    const records: ChannelRecord[] = [];
    for (const row of rows) {
      const mapped = toRecord(row, this.mapping);
      if (mapped.ok) records.push(mapped.record);
      else this.skipped(mapped.reason);
    }
    return records;
  }

  private skipped(reason: string): void {
    if (this.status.skipped()) this.log.warn({ source: this.config.name, reason, invalid: this.status.invalid }, 'source rows skipped');
  }

  private publishFailed(error: unknown): void {
    this.status.failed(`publish refused: ${(error as Error).message}`);
    this.log.warn({ source: this.config.name, err: error }, 'source publish refused');
    // The table is the truth: load it again once publishing works.
    if (this.client) this.lost(this.client, 'publish refused');
  }

  /** The connection is gone (or unusable): reconnect after a growing delay, then reload. */
  private lost(client: pg.Client, reason: string): void {
    if (this.stopped || client !== this.client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    this.status.failed(reason);
    const delay = backoff(this.attempts++, RECONNECT);
    this.log.warn({ source: this.config.name, reason, retryInMs: delay }, 'source connection lost');
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }
}

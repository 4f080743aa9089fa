/**
 * The Postgres bridge (docs/sources.md), on node-postgres: keeps a channel equal to a table
 * or view. It LISTENs first, then loads every row (so no change falls in between: changes
 * announced during the load are applied after it, in order), then applies each notification
 * of the shipped trigger (`sql/pulse-notify.sql`). A notification without its row (over the
 * 8000-byte NOTIFY limit) is followed by reading the row. After a lost connection it
 * reconnects with a growing delay, loads the table again and publishes the difference, so
 * the channel ends equal to the table whatever happened meanwhile.
 *
 * Rows are read as `to_jsonb(row)`, the representation the trigger sends, so a row loaded and
 * the same row announced compare equal.
 */
import pg from 'pg';
import { backoff } from '../client/backoff';
import type { Logger } from '../log';
import type { ChannelRecord } from '../protocol';
import type { PostgresSourceConfig, RecordMapping } from './declared';
import { toRecord } from './rows';
import { SourceStatus } from './status';
import { ChannelWriter, type SourceHub } from './writer';

const RECONNECT = { min: 500, max: 30_000 };

interface Notification {
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  key: string | number;
  row?: Record<string, unknown>;
  truncated?: boolean;
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
  /** Notifications received while the table loads, applied after it. */
  private pending: Array<{ notification: Notification; receivedAt: number }> | undefined;
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
      let notification: Notification;
      try {
        notification = JSON.parse(message.payload) as Notification;
      } catch {
        this.status.invalid++;
        return;
      }
      const receivedAt = Date.now();
      if (this.pending) this.pending.push({ notification, receivedAt });
      else this.queue = this.queue.then(() => this.apply(client, notification, receivedAt)).catch((error) => this.publishFailed(error));
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
      for (const { notification, receivedAt } of pending) await this.apply(client, notification, receivedAt);
      this.attempts = 0;
      this.status.succeeded();
      this.log.info({ source: this.config.name, rows: records.length }, 'source loaded');
    } catch (error) {
      this.pending = undefined;
      this.lost(client, (error as Error).message);
    }
  }

  private async apply(client: pg.Client, notification: Notification, receivedAt: number): Promise<void> {
    const id = String(notification.key);
    let row = notification.row;
    if (notification.op !== 'DELETE' && (notification.truncated || !row)) {
      const result = await client.query<{ row: Record<string, unknown> }>(
        `SELECT to_jsonb(t) AS row FROM ${quoteIdent(this.config.table)} t WHERE ${quoteIdent(this.config.key)}::text = $1`,
        [id],
      );
      row = result.rows[0]?.row;
    }
    if (notification.op === 'DELETE' || !row) {
      await this.writer.remove([id], receivedAt);
    } else {
      const records = this.records([row]);
      if (records.length) await this.writer.upsert(records, receivedAt);
    }
    this.status.succeeded();
  }

  private records(rows: Array<Record<string, unknown>>): ChannelRecord[] {
    const records: ChannelRecord[] = [];
    for (const row of rows) {
      const mapped = toRecord(row, this.mapping);
      if (mapped.ok) records.push(mapped.record);
      else this.status.invalid++;
    }
    return records;
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
    const delay = Math.max(RECONNECT.min, backoff(this.attempts++, RECONNECT));
    this.log.warn({ source: this.config.name, reason, retryInMs: delay }, 'source connection lost');
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }
}

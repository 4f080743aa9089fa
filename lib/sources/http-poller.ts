/**
 * The HTTP poller (docs/sources.md): fetches a JSON endpoint every `intervalMs` and keeps a
 * channel equal to the rows it lists, publishing only what changed beyond the thresholds,
 * deleting rows that vanished, and turning large moves into alert events and, for rules that
 * say so, alert records with a lifecycle (`alert-records.ts`).
 *
 * Conditional requests (`If-None-Match`, `If-Modified-Since`) spare unchanged bodies. A
 * failure (unreachable, timeout, a redirect, a status other than 2xx or 304, a body larger
 * than `maxBytes`, not JSON or without a row array, a listing that is suddenly empty)
 * publishes nothing and retries after a jittered backoff. The validators are kept only once a
 * body was published and dropped on every failure, so the first attempt after a failure always
 * gets the whole body.
 *
 * Redirects are not followed: the configured URL is the one upstream, and a redirect would
 * carry the configured headers (credentials, often) to wherever it points.
 */
import { backoff } from '../protocol/backoff';
import type { Logger } from '../log';
import type { ChannelRecord } from '../protocol';
import { alertChannels, alertRecordChanges } from './alert-records';
import type { HttpSourceConfig } from './declared';
import { splitPublish, toRecord } from './rows';
import { SourceStatus } from './status';
import { ChannelWriter, type SourceHub } from './writer';

/** Backoff after failures: from the interval up to a minute (or the interval, if longer). */
const MAX_BACKOFF_MS = 60_000;
/** How much of a redirect's `Location` a failure message quotes. */
const MAX_LOCATION_SHOWN = 200;

class PollFailure extends Error {}

export class HttpPoller {
  readonly status: SourceStatus;
  private readonly writer: ChannelWriter;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private validators: { etag?: string; lastModified?: string } = {};
  private stopped = false;
  private inFlight: AbortController | undefined;

  constructor(
    private readonly config: HttpSourceConfig,
    private readonly hub: SourceHub,
    private readonly log: Logger,
  ) {
    this.status = new SourceStatus(config.name, 'http', config.tenant, config.channel);
    this.writer = new ChannelWriter(hub, this.status);
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.status.state = 'stopped';
    clearTimeout(this.timer);
    this.inFlight?.abort();
  }

  /** One poll, then the next one scheduled: the interval after a success, a backoff after a failure. */
  async poll(): Promise<void> {
    const context = { source: this.config.name };
    try {
      await this.fetchAndPublish();
      if (this.failures > 0) this.log.info(context, 'source recovered');
      this.failures = 0;
      this.status.succeeded();
      this.schedule(this.config.intervalMs);
    } catch (error) {
      if (this.stopped) return;
      this.validators = {};
      const message = error instanceof PollFailure ? error.message : `publish refused: ${(error as Error).message}`;
      this.status.failed(message);
      const { intervalMs } = this.config;
      const delay = backoff(this.failures++, { min: intervalMs, max: Math.max(MAX_BACKOFF_MS, intervalMs), floor: intervalMs });
      this.log.warn({ ...context, reason: message, retryInMs: delay }, 'source poll failed');
      this.schedule(delay);
    }
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delay);
    this.timer.unref();
  }

  private async fetchAndPublish(): Promise<void> {
    const { url, headers, timeoutMs, maxBytes } = this.config;
    const controller = new AbortController();
    this.inFlight = controller;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let text: string;
    let response: Response;
    try {
      const conditional: Record<string, string> = {};
      if (this.validators.etag) conditional['if-none-match'] = this.validators.etag;
      if (this.validators.lastModified) conditional['if-modified-since'] = this.validators.lastModified;
      response = await fetch(url, { headers: { accept: 'application/json', ...headers, ...conditional }, signal: controller.signal, redirect: 'manual' });
      if (response.status === 304) return void discard(response);
      if (response.status >= 300 && response.status < 400) {
        discard(response);
        const location = response.headers.get('location');
        throw new PollFailure(`redirect refused: HTTP ${response.status}${location ? ` to ${location.slice(0, MAX_LOCATION_SHOWN)}` : ''}`);
      }
      if (!response.ok) {
        discard(response);
        throw new PollFailure(`HTTP ${response.status}`);
      }
      text = await readBody(response, maxBytes);
    } catch (error) {
      if (error instanceof PollFailure) throw error;
      const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
      throw new PollFailure(controller.signal.aborted ? `timed out after ${timeoutMs} ms` : `unreachable (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    } finally {
      clearTimeout(timer);
      this.inFlight = undefined;
    }
    const receivedAt = Date.now();
    let body: unknown;
    try {
      // The body as a whole is bounded by `maxBytes`; each row is checked against the JSON
      // bounds on its own (`toRecord`), so one bad row is skipped instead of the listing.
      body = JSON.parse(text);
    } catch {
      throw new PollFailure('body is not JSON');
    }
    const records = await this.records(body);
    // Alert records first: should the listing's publish then fail, the next poll compares with
    // the same held values and finds the same alerts (open already, so not opened twice).
    await this.publishAlertRecords(records, receivedAt);
    await this.writer.replaceAll(records, { thresholds: { threshold: this.config.threshold, perField: this.config.thresholds }, alerts: this.config.alerts }, receivedAt);
    this.validators = { etag: response.headers.get('etag') ?? undefined, lastModified: response.headers.get('last-modified') ?? undefined };
  }

  /**
   * Opens and resolves the alert records of the rules that keep them, reading each alerts
   * channel as it is now, so what operators did since the last poll counts.
   */
  private async publishAlertRecords(rows: readonly ChannelRecord[], now: number): Promise<void> {
    const channels = alertChannels(this.config.alerts);
    if (channels.length === 0) return;
    const { tenant, name, alerts: rules } = this.config;
    const alerts = new Map(
      await Promise.all(channels.map(async (channel) => [channel, new Map((await this.hub.snapshot(tenant, channel)).records.map((r) => [r.id, r]))] as const)),
    );
    const changes = alertRecordChanges({ source: name, rules, held: await this.writer.records(), rows, alerts, now });
    for (const [channel, upsert] of changes) {
      for (const part of splitPublish({ upsert })) {
        await this.hub.publish(tenant, channel, part);
        this.status.recordsPublished += part.upsert?.length ?? 0;
      }
    }
  }

  /** The body's rows as records; refuses a body that would wipe the channel by mistake. */
  private async records(body: unknown): Promise<ChannelRecord[]> {
    const { rowsPath, allowEmpty } = this.config;
    const rows = rowsPath ? rowsPath.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | null)?.[key], body) : body;
    if (!Array.isArray(rows)) throw new PollFailure(rowsPath ? `no array at "${rowsPath}"` : 'body is not an array');
    const records: ChannelRecord[] = [];
    let invalid: string | undefined;
    let logDue = false;
    for (const row of rows) {
      const mapped = toRecord(row, this.config);
      if (mapped.ok) {
        records.push(mapped.record);
        continue;
      }
      invalid ??= mapped.reason;
      if (this.status.skipped()) logDue = true;
    }
    if (logDue) this.log.warn({ source: this.config.name, skipped: rows.length - records.length, reason: invalid, invalid: this.status.invalid }, 'source rows skipped');
    // A listing whose every row is unusable, or that is empty where rows were, is an upstream
    // fault far more often than the truth: publishing it would delete the whole channel.
    if (rows.length > 0 && records.length === 0) throw new PollFailure(`no usable rows (${invalid})`);
    if (rows.length === 0 && !allowEmpty && (await this.writer.count()) > 0) {
      throw new PollFailure('empty listing refused (set allowEmpty to accept one)');
    }
    return records;
  }
}

/**
 * The body as text, refused as soon as it is known to be larger than `maxBytes` (declared
 * length, or bytes read so far: the rest is not read). The count is of decoded bytes, so a
 * compressed body cannot unpack past the cap either.
 */
async function readBody(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new PollFailure(`body larger than ${maxBytes} bytes (maxBytes)`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (!response.headers.has('content-encoding') && declared > maxBytes) {
    discard(response);
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Lets go of a body that will not be read, so its connection is not held. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

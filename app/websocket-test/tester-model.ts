/**
 * The tester page's state, outside React: one Pulseboard client and everything the page shows
 * about it (session, frame log, counters, round trips, subscriptions, token).
 *
 * Frames can arrive hundreds of times a second, so changes are collected and published to the
 * page as an immutable `TesterView` at most every `FLUSH_MS`; the log is a ring of the last
 * `LOG_CAPACITY` frames, so memory stays bounded however long the page runs.
 */
import { defaultHubUrl } from '@/components/PulseProvider';
import { createPulseClient, type PulseClient } from '@/lib/client/client';
import { filterKey } from '@/lib/protocol/filter-key';
import type { ClientState } from '@/lib/client/states';
import type { DisconnectEvent, FrameEvent, GetToken, PresenceState, ReconnectEvent, Unsubscribe } from '@/lib/client/types';
import { isPulseClientError } from '@/lib/client/errors';
import type { Filter } from '@/lib/protocol/filter';
import type { DeltaMessage, PublishInput, SnapshotMessage, StreamPosition, WelcomeMessage } from '@/lib/protocol/messages';
import { byteLength, describeFrame, type Direction, type SentRequest } from './frame-info';
import { fetchDevToken, readClaims, type DevTokenRequest, type TokenClaims } from './tokens';

export const LOG_CAPACITY = 500;
const FLUSH_MS = 100;
const RTT_HISTORY = 60;
const REF_MEMORY = 1000;

export interface LogEntry {
  id: number;
  at: number;
  direction: Direction;
  bytes: number;
  type: string;
  ref?: number | string;
  channel?: string;
  summary: string;
  failure: boolean;
  data: string;
}

export interface Counters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  snapshots: number;
  deltas: number;
  recoveryDeltas: number;
  events: number;
  errors: number;
  sessions: number;
  drops: number;
  gaps: number;
}

export interface RttStats {
  count: number;
  failures: number;
  last: number | null;
  min: number | null;
  max: number | null;
  avg: number | null;
  recent: readonly number[];
  lastError: string | null;
}

export interface ChannelSeq {
  channel: string;
  epoch: string;
  seq: number;
  at: number;
}

export type SubscriptionStatus = 'subscribing' | 'live' | 'error' | 'waiting';

export interface SubscriptionView {
  channel: string;
  filter: Filter | undefined;
  since: StreamPosition | undefined;
  status: SubscriptionStatus;
  recovered: boolean | null;
  records: number;
  events: number;
  position: StreamPosition | undefined;
  error: string | null;
  updatedAt: number | null;
  /** Users watching (subscribed with presence), null otherwise or before the list arrived. */
  watching: number | null;
}

export interface TokenView {
  /** `anonymous`: `auth` without a token. */
  mode: 'anonymous' | 'token';
  token: string;
  source: 'dev' | 'pasted' | null;
  claims: TokenClaims | null;
  /** Development tokens fetched again on refresh or rejection. */
  renewals: number;
}

export interface TesterView {
  state: ClientState;
  session: WelcomeMessage | null;
  sessionSince: number | null;
  lastDisconnect: (DisconnectEvent & { at: number }) | null;
  nextRetry: (ReconnectEvent & { at: number }) | null;
  counters: Counters;
  rtt: RttStats;
  channels: readonly ChannelSeq[];
  subscriptions: readonly SubscriptionView[];
  /** Oldest first. */
  log: readonly LogEntry[];
  /** Frames logged since the page opened (or the log was cleared). */
  logTotal: number;
  token: TokenView;
  autoPing: { enabled: boolean; intervalMs: number };
  url: string;
}

/** The outcome of a request made from the page, for the panel that made it. */
export type ActionResult =
  | { ok: true; at: number; text: string; value?: unknown }
  | { ok: false; at: number; code: string; message: string };

interface SubscriptionRecord {
  channel: string;
  filter: Filter | undefined;
  since: StreamPosition | undefined;
  presence: boolean;
  /** Users watching, once presence was asked for and arrived. */
  watching: number | null;
  dispose: Unsubscribe;
  status: 'subscribing' | 'live' | 'error';
  recovered: boolean | null;
  ids: Set<string>;
  events: number;
  error: string | null;
  updatedAt: number | null;
}

const zeroCounters = (): Counters => ({
  framesIn: 0,
  framesOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  snapshots: 0,
  deltas: 0,
  recoveryDeltas: 0,
  events: 0,
  errors: 0,
  sessions: 0,
  drops: 0,
  gaps: 0,
});

const zeroRtt = (): RttStats => ({ count: 0, failures: 0, last: null, min: null, max: null, avg: null, recent: [], lastError: null });

function failure(error: unknown): ActionResult {
  if (isPulseClientError(error)) return { ok: false, at: Date.now(), code: error.code, message: error.message };
  return { ok: false, at: Date.now(), code: 'ERROR', message: error instanceof Error ? error.message : String(error) };
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class TesterModel {
  readonly client: PulseClient;

  private url: string;
  private token: TokenView = { mode: 'anonymous', token: '', source: null, claims: null, renewals: 0 };
  private devRequest: DevTokenRequest | null = null;

  private log: LogEntry[] = [];
  private logStart = 0;
  private logTotal = 0;
  private nextId = 1;
  private readonly sent = new Map<string, SentRequest>();

  private counters = zeroCounters();
  private rtt = zeroRtt();
  private rttSum = 0;
  private readonly channels = new Map<string, ChannelSeq>();
  private readonly subscriptions = new Map<string, SubscriptionRecord>();

  private sessionSince: number | null = null;
  private lastDisconnect: TesterView['lastDisconnect'] = null;
  private nextRetry: TesterView['nextRetry'] = null;

  private autoPing = { enabled: false, intervalMs: 5000 };
  private autoPingTimer: ReturnType<typeof setInterval> | undefined;
  private pingInFlight = false;

  private view: TesterView;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();
  private detach: Array<() => void> = [];

  /** `url` empty: the page's own host, resolved in the browser. */
  constructor(url = '') {
    this.url = url;
    const getToken: GetToken = ({ reason }) => this.tokenFor(reason);
    this.client = createPulseClient({ url: () => this.url || defaultHubUrl(), getToken });
    this.view = this.buildView();
  }

  // ---- React binding -----------------------------------------------------------------------

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): TesterView => this.view;

  /** Starts listening to the client (on mount). */
  start(): void {
    if (this.detach.length > 0) return;
    const c = this.client;
    this.detach = [
      c.on('frame', (frame) => this.onFrame(frame)),
      c.on('state', ({ newState }) => {
        if (newState !== 'open') this.sessionSince = null;
        this.syncAutoPing();
        this.changed();
      }),
      c.on('welcome', ({ refreshed }) => {
        if (!refreshed) {
          this.counters.sessions++;
          this.sessionSince = Date.now();
          this.nextRetry = null;
        }
        this.changed();
      }),
      c.on('disconnect', (event) => {
        this.lastDisconnect = { ...event, at: Date.now() };
        for (const record of this.subscriptions.values()) if (record.status !== 'error') record.status = 'subscribing';
        this.changed();
      }),
      c.on('reconnect', (event) => {
        this.nextRetry = { ...event, at: Date.now() };
        this.changed();
      }),
      c.on('gap', () => {
        this.counters.gaps++;
        this.changed();
      }),
    ];
  }

  /** Stops everything (on unmount). */
  stop(): void {
    for (const off of this.detach) off();
    this.detach = [];
    this.client.close();
    clearInterval(this.autoPingTimer);
    this.autoPingTimer = undefined;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  // ---- connection --------------------------------------------------------------------------

  setUrl(url: string): void {
    this.url = url;
    this.flushNow();
  }

  connect(): void {
    this.client.connect();
  }

  disconnect(): void {
    this.client.close();
  }

  reconnect(): void {
    this.client.reconnect();
  }

  /** Loses the socket on purpose: the client reconnects with backoff and resumes every channel. */
  drop(): void {
    if (this.client.state !== 'open' && this.client.state !== 'connecting' && this.client.state !== 'reconnecting') return;
    this.counters.drops++;
    this.client.drop();
    this.changed();
  }

  // ---- tokens ------------------------------------------------------------------------------

  chooseAnonymous(): void {
    this.token = { mode: 'anonymous', token: '', source: null, claims: null, renewals: 0 };
    this.devRequest = null;
    this.afterTokenChange();
  }

  choosePastedToken(token: string): void {
    const trimmed = token.trim();
    this.token = { mode: 'token', token: trimmed, source: 'pasted', claims: readClaims(trimmed), renewals: 0 };
    this.devRequest = null;
    this.afterTokenChange();
  }

  /** Fetches a development token and uses it; reconnects when a session is open. */
  async requestDevToken(request: DevTokenRequest): Promise<ActionResult> {
    try {
      const { token, expiresAt } = await fetchDevToken(request);
      this.token = { mode: 'token', token, source: 'dev', claims: readClaims(token), renewals: 0 };
      this.devRequest = request;
      this.afterTokenChange();
      return { ok: true, at: Date.now(), text: `token for ${request.user}@${request.tenant}, expires ${new Date(expiresAt).toLocaleTimeString()}` };
    } catch (error) {
      return failure(error);
    }
  }

  /** A new identity needs a new session: `auth` on an open connection only refreshes the same user. */
  private afterTokenChange(): void {
    if (this.client.state === 'open' || this.client.state === 'connecting' || this.client.state === 'reconnecting') {
      this.client.reconnect();
    }
    this.changed();
  }

  private tokenFor(reason: string): string | null | Promise<string | null> {
    if (this.token.mode === 'anonymous') return null;
    const request = this.devRequest;
    if (request && (reason === 'refresh' || reason === 'rejected')) {
      return fetchDevToken(request).then(
        ({ token }) => {
          this.token = { ...this.token, token, claims: readClaims(token), renewals: this.token.renewals + 1 };
          this.changed();
          return token;
        },
        () => this.token.token,
      );
    }
    return this.token.token;
  }

  // ---- requests ----------------------------------------------------------------------------

  /**
   * Subscribes through the client, so the subscription survives reconnects and resumes. A
   * channel already subscribed with another filter gets one replacing `subscribe`; otherwise
   * (same filter, or a `since` to resume from) it is unsubscribed first.
   */
  async subscribeChannel(channel: string, filter: Filter | undefined, since: StreamPosition | undefined, presence = false): Promise<ActionResult> {
    const existing = this.subscriptions.get(channel);
    if (existing && !since && filterKey(filter) !== filterKey(existing.filter)) {
      try {
        this.attach(channel, filter, undefined, presence);
      } catch (error) {
        return failure(error);
      }
      existing.dispose();
      return { ok: true, at: Date.now(), text: `replacing the subscription to ${channel}` };
    }
    if (existing) {
      existing.dispose();
      this.subscriptions.delete(channel);
      // The client releases a channel at the end of the tick; subscribe after that.
      await nextTask();
    }
    try {
      this.attach(channel, filter, since, presence);
    } catch (error) {
      return failure(error);
    }
    return { ok: true, at: Date.now(), text: `subscribing to ${channel}` };
  }

  private attach(channel: string, filter: Filter | undefined, since: StreamPosition | undefined, presence = false): void {
    const record: SubscriptionRecord = {
      channel,
      filter,
      since,
      presence,
      watching: null,
      dispose: () => {},
      status: 'subscribing',
      recovered: null,
      ids: new Set(),
      events: 0,
      error: null,
      updatedAt: null,
    };
    const mine = () => this.subscriptions.get(channel) === record;
    record.dispose = this.client.subscribe(channel, {
      ...(filter ? { filter } : {}),
      ...(since ? { since } : {}),
      ...(presence
        ? {
            presence: true,
            onPresence: (state: PresenceState) => {
              if (!mine()) return;
              record.watching = state.count;
              this.changed();
            },
          }
        : {}),
      onSubscribed: ({ recovered }) => {
        if (!mine()) return;
        record.status = 'live';
        record.recovered = recovered;
        record.error = null;
        this.changed();
      },
      onError: (error) => {
        if (!mine()) return;
        record.status = 'error';
        record.error = `${error.code}: ${error.message}`;
        this.changed();
      },
      onSnapshot: (snapshot: SnapshotMessage) => {
        if (!mine()) return;
        record.ids = new Set(snapshot.records.map((r) => r.id));
        record.events += snapshot.events.length;
        record.updatedAt = Date.now();
        this.changed();
      },
      onDelta: (delta: DeltaMessage) => {
        if (!mine()) return;
        for (const entry of delta.upsert ?? []) record.ids.add(entry.id);
        for (const id of delta.delete ?? []) record.ids.delete(id);
        record.events += delta.events?.length ?? 0;
        record.updatedAt = Date.now();
        this.changed();
      },
    });
    this.subscriptions.set(channel, record);
    this.changed();
  }

  /** Unsubscribes a channel the page subscribed, or sends a bare `unsubscribe` for any other. */
  async unsubscribeChannel(channel: string): Promise<ActionResult> {
    const record = this.subscriptions.get(channel);
    if (record) {
      record.dispose();
      this.subscriptions.delete(channel);
      this.changed();
      return { ok: true, at: Date.now(), text: `unsubscribed from ${channel}` };
    }
    try {
      const reply = await this.client.request('unsubscribe', { channel });
      return { ok: true, at: Date.now(), text: `unsubscribe ok`, value: reply };
    } catch (error) {
      return failure(error);
    }
  }

  async resync(channel: string): Promise<ActionResult> {
    try {
      const reply = await this.client.request('resync', { channel });
      return { ok: true, at: Date.now(), text: `resync ok: a fresh snapshot of ${channel} follows`, value: reply };
    } catch (error) {
      return failure(error);
    }
  }

  /** Publishes exactly what the page was given, so the server judges it (empty publishes included). */
  async publish(channel: string, input: PublishInput): Promise<ActionResult> {
    try {
      const reply = await this.client.request('publish', { ...input, channel });
      return { ok: true, at: Date.now(), text: `published to ${reply.channel}: epoch ${reply.epoch}, seq ${reply.seq}`, value: reply };
    } catch (error) {
      return failure(error);
    }
  }

  async ping(): Promise<ActionResult> {
    if (this.pingInFlight) return { ok: false, at: Date.now(), code: 'BUSY', message: 'a ping is already waiting for its reply' };
    this.pingInFlight = true;
    try {
      const { rttMs, ts } = await this.client.ping();
      this.recordRtt(rttMs);
      return { ok: true, at: Date.now(), text: `${rttMs} ms`, value: { rttMs, ts } };
    } catch (error) {
      const result = failure(error);
      this.rtt = { ...this.rtt, failures: this.rtt.failures + 1, lastError: result.ok ? null : `${result.code}: ${result.message}` };
      this.changed();
      return result;
    } finally {
      this.pingInFlight = false;
    }
  }

  setAutoPing(enabled: boolean, intervalMs = this.autoPing.intervalMs): void {
    this.autoPing = { enabled, intervalMs };
    clearInterval(this.autoPingTimer);
    this.autoPingTimer = undefined;
    this.syncAutoPing();
    this.flushNow();
  }

  private syncAutoPing(): void {
    const want = this.autoPing.enabled && this.client.state === 'open';
    if (want && this.autoPingTimer === undefined) {
      this.autoPingTimer = setInterval(() => void this.ping(), this.autoPing.intervalMs);
      void this.ping();
    } else if (!want && this.autoPingTimer !== undefined) {
      clearInterval(this.autoPingTimer);
      this.autoPingTimer = undefined;
    }
  }

  private recordRtt(ms: number): void {
    this.rttSum += ms;
    const count = this.rtt.count + 1;
    this.rtt = {
      ...this.rtt,
      count,
      last: ms,
      min: this.rtt.min === null ? ms : Math.min(this.rtt.min, ms),
      max: this.rtt.max === null ? ms : Math.max(this.rtt.max, ms),
      avg: this.rttSum / count,
      recent: [...this.rtt.recent, ms].slice(-RTT_HISTORY),
      lastError: null,
    };
    this.changed();
  }

  clearLog(): void {
    this.log = [];
    this.logStart = 0;
    this.logTotal = 0;
    this.changed();
  }

  resetCounters(): void {
    this.counters = zeroCounters();
    this.rtt = zeroRtt();
    this.rttSum = 0;
    this.channels.clear();
    this.changed();
  }

  // ---- frames ------------------------------------------------------------------------------

  private onFrame({ direction, data, at }: FrameEvent): void {
    const info = describeFrame(direction, data, this.sent);
    const bytes = byteLength(data);
    const c = this.counters;
    if (direction === 'out') {
      c.framesOut++;
      c.bytesOut += bytes;
      if (info.ref !== undefined) this.remember(String(info.ref), { type: info.type, ...(info.channel ? { channel: info.channel } : {}) });
    } else {
      c.framesIn++;
      c.bytesIn += bytes;
      if (info.failure) c.errors++;
      this.countData(info.type, info.body, at);
    }
    const entry: LogEntry = {
      id: this.nextId++,
      at,
      direction,
      bytes,
      type: info.type,
      ...(info.ref !== undefined ? { ref: info.ref } : {}),
      ...(info.channel !== undefined ? { channel: info.channel } : {}),
      summary: info.summary,
      failure: info.failure,
      data,
    };
    this.append(entry);
    this.changed();
  }

  private countData(type: string, body: unknown, at: number): void {
    if (type !== 'snapshot' && type !== 'delta') return;
    const m = body as { channel: string; epoch: string; seq: number; events?: unknown[]; recovery?: boolean };
    if (type === 'snapshot') this.counters.snapshots++;
    else {
      this.counters.deltas++;
      if (m.recovery === true) this.counters.recoveryDeltas++;
    }
    this.counters.events += Array.isArray(m.events) ? m.events.length : 0;
    if (typeof m.channel === 'string') this.channels.set(m.channel, { channel: m.channel, epoch: String(m.epoch), seq: Number(m.seq), at });
  }

  /** Ring buffer: the oldest entry is overwritten once the log is full. */
  private append(entry: LogEntry): void {
    this.logTotal++;
    if (this.log.length < LOG_CAPACITY) {
      this.log.push(entry);
      return;
    }
    this.log[this.logStart] = entry;
    this.logStart = (this.logStart + 1) % LOG_CAPACITY;
  }

  private remember(ref: string, request: SentRequest): void {
    this.sent.set(ref, request);
    if (this.sent.size > REF_MEMORY) this.sent.delete(this.sent.keys().next().value as string);
  }

  // ---- publishing the view -----------------------------------------------------------------

  private changed(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => this.flushNow(), FLUSH_MS);
  }

  /** Publishes the view at once: inputs bound to it must not lag behind typing. */
  private flushNow(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.view = this.buildView();
    for (const listener of [...this.listeners]) listener();
  }

  private buildView(): TesterView {
    const state = this.client.state;
    const log = this.logStart === 0 ? this.log.slice() : [...this.log.slice(this.logStart), ...this.log.slice(0, this.logStart)];
    return {
      state,
      session: this.client.session,
      sessionSince: this.sessionSince,
      lastDisconnect: this.lastDisconnect,
      nextRetry: state === 'open' ? null : this.nextRetry,
      counters: { ...this.counters },
      rtt: this.rtt,
      channels: [...this.channels.values()].sort((a, b) => a.channel.localeCompare(b.channel)),
      subscriptions: [...this.subscriptions.values()].map((r) => ({
        channel: r.channel,
        filter: r.filter,
        since: r.since,
        status: r.status === 'subscribing' && state !== 'open' ? 'waiting' : r.status,
        recovered: r.recovered,
        records: r.ids.size,
        events: r.events,
        position: this.client.position(r.channel),
        error: r.error,
        updatedAt: r.updatedAt,
        watching: r.presence ? r.watching : null,
      })),
      log,
      logTotal: this.logTotal,
      token: this.token,
      autoPing: this.autoPing,
      url: this.url,
    };
  }
}

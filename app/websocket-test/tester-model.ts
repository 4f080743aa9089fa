/**
 * The tester page's state, outside React: one Pulseboard client and everything the page shows
 * about it (session, frame log, counters, round trips, subscriptions, token).
 *
 * Subscriptions go on the wire exactly as the tester writes them: `subscribe`, `unsubscribe` and
 * `resync` requests with the given channel, `view`, filter, `intervalMs` and `since`
 * (docs/protocol.md §6, §7, §12), not through the SDK's listeners, which name views themselves.
 * The model follows each subscription, a (channel, view) pair, from the frames that name it, and
 * does for it what the SDK would: it resyncs on a gap and, after every new session, subscribes
 * again with `since` = the last position seen, so a hub that still holds the history answers
 * `recovered: true` and a recovery delta.
 *
 * Frames can arrive hundreds of times a second, so changes are collected and published to the
 * page as an immutable `TesterView` at most every `FLUSH_MS`; the log is a ring of the last
 * `LOG_CAPACITY` frames, so memory stays bounded however long the page runs.
 */
import { defaultHubUrl } from '@/components/PulseProvider';
import { createPulseClient, type PulseClient } from '@/lib/client/client';
import type { ClientState } from '@/lib/client/states';
import type { DisconnectEvent, FrameEvent, GetToken, PulseClientOptions, ReconnectEvent } from '@/lib/client/types';
import { isPulseClientError } from '@/lib/client/errors';
import { deltaVerdict } from '@/lib/client/subscriptions';
import type { Filter } from '@/lib/protocol/filter';
import type { PublishInput, StreamPosition, SubscribeRequest, WelcomeMessage } from '@/lib/protocol/messages';
import { byteLength, describeFrame, subscriptionKey, type Direction, type SentRequest } from './frame-info';
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
  /** The view a frame names (docs/protocol.md §12); none for a channel's default view. */
  view?: string;
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

/** A subscription as the page lists it: one (channel, view) pair. */
export interface SubscriptionView {
  /** `subscriptionKey(channel, view)`: unique among the page's subscriptions. */
  key: string;
  channel: string;
  /** Its view; undefined for the channel's default view. */
  view: string | undefined;
  /** Its pace, if it asked for one. */
  intervalMs: number | undefined;
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

/** What a subscribe asks for, as the tester typed it (invalid values included, to see the server refuse them). */
export interface SubscribeInput {
  channel: string;
  /** Empty or undefined: the channel's default view. */
  view?: string;
  filter?: Filter;
  intervalMs?: number;
  since?: StreamPosition;
  presence?: boolean;
}

/**
 * What a subscription waits for before it takes deltas again (as the SDK's `Awaiting`):
 * `subscribe`: the reply (deltas that do not continue the position belong to the subscription
 * being replaced); `snapshot`: a snapshot (after `recovered: false` or a `resync`).
 */
type Awaiting = 'none' | 'subscribe' | 'snapshot';

interface SubscriptionRecord {
  key: string;
  channel: string;
  view: string | undefined;
  intervalMs: number | undefined;
  filter: Filter | undefined;
  /** The `since` it was first subscribed with, as typed. */
  since: StreamPosition | undefined;
  presence: boolean;
  /** Users watching, once presence was asked for and arrived. */
  watching: number | null;
  status: 'subscribing' | 'live' | 'error';
  recovered: boolean | null;
  /** The last snapshot or delta taken, which the next delta must continue. */
  position: StreamPosition | undefined;
  awaiting: Awaiting;
  /** Bumped by every subscribe sent, so the answer to an older one is ignored. */
  generation: number;
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

/** The fields of a server message that `follow` reads, all unchecked (it comes straight off the wire). */
interface FollowedMessage {
  channel?: unknown;
  view?: unknown;
  epoch?: unknown;
  seq?: unknown;
  prevSeq?: unknown;
  records?: Array<{ id: string }>;
  upsert?: Array<{ id: string }>;
  delete?: string[];
  events?: unknown[];
  count?: unknown;
  code?: unknown;
  message?: unknown;
}

/** An array off the wire, or none. */
function list<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

/** `kpi`, or `kpi (view chart)`: a subscription in the page's messages. */
export function describeSubscription(channel: string, view: string | undefined): string {
  return view === undefined ? channel : `${channel} (view ${view})`;
}

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

  /**
   * `url` empty: the page's own host, resolved in the browser. `clientOptions` go to the client
   * as they are (a WebSocket implementation outside a browser, say).
   */
  constructor(url = '', clientOptions: Omit<PulseClientOptions, 'url' | 'getToken'> = {}) {
    this.url = url;
    const getToken: GetToken = ({ reason }) => this.tokenFor(reason);
    this.client = createPulseClient({ ...clientOptions, url: () => this.url || defaultHubUrl(), getToken });
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
          // A new session holds no subscription: subscribe each again, resuming where it was.
          for (const record of this.subscriptions.values()) if (record.status !== 'error') this.sendSubscribe(record);
        }
        this.changed();
      }),
      c.on('disconnect', (event) => {
        this.lastDisconnect = { ...event, at: Date.now() };
        for (const record of this.subscriptions.values()) {
          record.generation++;
          record.awaiting = 'none';
          if (record.status !== 'error') record.status = 'subscribing';
        }
        this.changed();
      }),
      c.on('reconnect', (event) => {
        this.nextRetry = { ...event, at: Date.now() };
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
   * Subscribes one (channel, view), exactly as given: a new subscription, or, for a pair already
   * subscribed, the replacing `subscribe` the server answers with a fresh snapshot (or, with
   * `since`, a resume). Sent at once on an open session, otherwise when the next one opens.
   */
  async subscribeChannel(input: SubscribeInput): Promise<ActionResult> {
    const view = input.view === '' ? undefined : input.view;
    const key = subscriptionKey(input.channel, view);
    const existing = this.subscriptions.get(key);
    const record: SubscriptionRecord = {
      key,
      channel: input.channel,
      view,
      intervalMs: input.intervalMs,
      filter: input.filter,
      since: input.since,
      presence: input.presence === true,
      watching: null,
      status: 'subscribing',
      recovered: null,
      // a replacing subscribe starts over unless told where to resume from
      position: input.since ? { ...input.since } : undefined,
      awaiting: 'none',
      generation: (existing?.generation ?? 0) + 1,
      ids: new Set(),
      events: 0,
      error: null,
      updatedAt: null,
    };
    this.subscriptions.set(key, record);
    this.changed();
    const label = describeSubscription(input.channel, view);
    if (this.client.state !== 'open') return { ok: true, at: Date.now(), text: `${label} will be subscribed when the session opens` };
    const answer = await this.sendSubscribe(record);
    return answer ?? { ok: true, at: Date.now(), text: `${existing ? 'replaced' : 'subscribed to'} ${label}` };
  }

  /**
   * Sends the record's `subscribe` (with `since` = its last position) and follows the answer.
   * Resolves to the failure, if the server refused it, or undefined.
   */
  private async sendSubscribe(record: SubscriptionRecord): Promise<ActionResult | undefined> {
    const generation = ++record.generation;
    const since = record.position;
    record.status = 'subscribing';
    record.awaiting = 'subscribe';
    record.error = null;
    const request: Omit<SubscribeRequest, 'type' | 'ref'> = {
      channel: record.channel,
      ...(record.view !== undefined ? { view: record.view } : {}),
      ...(record.filter ? { filter: record.filter } : {}),
      ...(record.intervalMs !== undefined ? { intervalMs: record.intervalMs } : {}),
      ...(since ? { since: { epoch: since.epoch, seq: since.seq } } : {}),
      ...(record.presence ? { presence: true } : {}),
    };
    try {
      const reply = await this.client.request('subscribe', request);
      if (this.subscriptions.get(record.key) !== record || record.generation !== generation) return undefined;
      record.status = 'live';
      record.recovered = reply.recovered;
      // a snapshot follows `recovered: false`; one may already have arrived (it only follows the reply)
      if (record.awaiting === 'subscribe') record.awaiting = reply.recovered ? 'none' : 'snapshot';
      this.changed();
      return undefined;
    } catch (error) {
      const result = failure(error);
      if (this.subscriptions.get(record.key) !== record || record.generation !== generation) return result;
      if (!result.ok && (result.code === 'DISCONNECTED' || result.code === 'CLOSED')) return result; // the next session subscribes again
      record.status = 'error';
      record.awaiting = 'none';
      record.error = result.ok ? null : `${result.code}: ${result.message}`;
      this.changed();
      return result;
    }
  }

  /** Unsubscribes one (channel, view), whether or not the page subscribed it, and forgets it once the server agrees (or knows nothing of it). */
  async unsubscribeChannel(channel: string, view?: string): Promise<ActionResult> {
    const name = view === '' ? undefined : view;
    const key = subscriptionKey(channel, name);
    const record = this.subscriptions.get(key);
    if (record && this.client.state !== 'open') {
      // nothing on the server to undo: the next session simply does not subscribe it
      this.subscriptions.delete(key);
      this.changed();
      return { ok: true, at: Date.now(), text: `forgot ${describeSubscription(channel, name)}` };
    }
    try {
      const reply = await this.client.request('unsubscribe', { channel, ...(name !== undefined ? { view: name } : {}) });
      this.forget(key, record);
      return { ok: true, at: Date.now(), text: `unsubscribed from ${describeSubscription(channel, name)}`, value: reply };
    } catch (error) {
      const result = failure(error);
      if (!result.ok && result.code === 'NOT_SUBSCRIBED') this.forget(key, record);
      return result;
    }
  }

  private forget(key: string, record: SubscriptionRecord | undefined): void {
    if (record && this.subscriptions.get(key) === record) {
      this.subscriptions.delete(key);
      this.changed();
    }
  }

  /** Asks for a fresh snapshot of one (channel, view); its deltas are dropped until it arrives. */
  async resync(channel: string, view?: string): Promise<ActionResult> {
    const name = view === '' ? undefined : view;
    const record = this.subscriptions.get(subscriptionKey(channel, name));
    if (record) record.awaiting = 'snapshot';
    try {
      const reply = await this.client.request('resync', { channel, ...(name !== undefined ? { view: name } : {}) });
      return { ok: true, at: Date.now(), text: `resync ok: a fresh snapshot of ${describeSubscription(channel, name)} follows`, value: reply };
    } catch (error) {
      if (record?.awaiting === 'snapshot') record.awaiting = 'none';
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
      if (info.ref !== undefined) {
        this.remember(String(info.ref), { type: info.type, ...(info.channel ? { channel: info.channel } : {}), ...(info.view !== undefined ? { view: info.view } : {}) });
      }
    } else {
      c.framesIn++;
      c.bytesIn += bytes;
      if (info.failure) c.errors++;
      this.countData(info.type, info.body, at);
      this.follow(info.type, info.body);
    }
    const entry: LogEntry = {
      id: this.nextId++,
      at,
      direction,
      bytes,
      type: info.type,
      ...(info.ref !== undefined ? { ref: info.ref } : {}),
      ...(info.channel !== undefined ? { channel: info.channel } : {}),
      ...(info.view !== undefined ? { view: info.view } : {}),
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
    if (typeof m.channel !== 'string') return;
    // the newest position of the channel, whichever view (a paced one lags) brought it
    const held = this.channels.get(m.channel);
    if (held && held.epoch === String(m.epoch) && held.seq > Number(m.seq)) return;
    this.channels.set(m.channel, { channel: m.channel, epoch: String(m.epoch), seq: Number(m.seq), at });
  }

  /** Applies a server message to the subscription it names, as the SDK would. */
  private follow(type: string, body: unknown): void {
    const m = body as FollowedMessage | undefined;
    if (typeof m?.channel !== 'string') return;
    const record = this.subscriptions.get(subscriptionKey(m.channel, typeof m.view === 'string' ? m.view : undefined));
    if (!record) return;
    switch (type) {
      case 'snapshot':
        record.position = { epoch: String(m.epoch), seq: Number(m.seq) };
        if (record.awaiting === 'snapshot') record.awaiting = 'none';
        record.ids = new Set(list(m.records).map((r) => r.id));
        record.events += list(m.events).length;
        record.updatedAt = Date.now();
        return;
      case 'delta': {
        const verdict = deltaVerdict(record.position, record.awaiting, { epoch: String(m.epoch), prevSeq: Number(m.prevSeq) });
        if (verdict === 'ignore') return;
        if (verdict === 'gap') {
          // docs/protocol.md §5, gap rule: a correct server never causes this
          this.counters.gaps++;
          void this.resync(record.channel, record.view);
          return;
        }
        record.position = { epoch: String(m.epoch), seq: Number(m.seq) };
        for (const entry of list(m.upsert)) record.ids.add(entry.id);
        for (const id of list(m.delete)) record.ids.delete(id);
        record.events += list(m.events).length;
        record.updatedAt = Date.now();
        return;
      }
      case 'presence':
      case 'presence_diff':
        if (typeof m.count === 'number') record.watching = m.count;
        return;
      case 'error':
        // the server ended the subscription (a refreshed token no longer allows it)
        record.generation++;
        record.status = 'error';
        record.awaiting = 'none';
        record.error = `${String(m.code)}: ${String(m.message ?? '')}`;
        return;
    }
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
        key: r.key,
        channel: r.channel,
        view: r.view,
        intervalMs: r.intervalMs,
        filter: r.filter,
        since: r.since,
        status: r.status === 'subscribing' && state !== 'open' ? 'waiting' : r.status,
        recovered: r.recovered,
        records: r.ids.size,
        events: r.events,
        position: r.position ? { ...r.position } : undefined,
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

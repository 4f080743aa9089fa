/**
 * The hub: one per process, and the facade of everything under `lib/hub/`. Server code,
 * route handlers, the sources and the HTTP API publish and read through its methods
 * (`publish`, `snapshot`, `channels`, `presenceOf`, `kick`, `report` for the stats,
 * `counters` for the metrics); the socket server (`socket-server.ts`), tenant slots
 * (`tenant-slots.ts`), the subscription index, the broadcaster and presence are its own
 * parts, reached through it only. It can run without Next.js (tests and benchmarks attach it
 * to a plain HTTP server).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { MIN_SECRET_BYTES, type Config } from '../config';
import type { ChannelInfo, Engine } from '../engine/types';
import type { Cluster, ClusterMember, InstanceInfo } from '../cluster/types';
import { createLogger, type Logger } from '../log';
import {
  CHANNEL_NAME,
  ErrorCode,
  isChannelName,
  checkPublishJson,
  publishBodySchema,
  describeIssue,
  validateFilter,
  type ChannelEvent,
  type ChannelRecord,
  type Filter,
  type PresenceMessage,
  type PublishInput,
  type PublishResult,
  type SeriesAsk,
} from '../protocol';
import type { SeriesResult } from '../engine/series';
import { readSeries, selectSeries } from './series';
import { SERVER_TENANT } from './server-figures';
import { Authenticator, type AuthResult, type TokenClaims } from './auth';
import { Broadcaster } from './broadcaster';
import type { Connection } from './connection';
import { asHubError, HubError } from './errors';
import { compileFilter } from './filter';
import type { HubContext } from './handlers';
import { SocketServer, type ConnectionInfo } from './socket-server';
import { TenantSlots } from './tenant-slots';
import { PresenceBook } from '../presence/presence';
import type { PresenceReplication } from '../presence/types';
import { HubStats, type LatencyHistogram } from './stats';
import { channelKey } from '../protocol/channel';
import { SubscriptionIndex, type Subscription } from './subscription';
import { snapshotView } from './views';

export interface ChannelSnapshot {
  channel: string;
  epoch: string;
  seq: number;
  records: ChannelRecord[];
  events: ChannelEvent[];
}

export interface PublishOptions {
  /** The input came through a bounded parse (`parseClientFrame`, `parseJson`): its JSON is not checked again. */
  bounded?: boolean;
}

/** What the hub is built on: the backend the composition root picked (lib/server/backend.ts). */
export interface HubOptions {
  engine: Engine;
  /** The instances serving together (this one alone in a single process); it names this instance. */
  cluster: Cluster;
  /** How presence reaches the other instances. */
  presence: PresenceReplication;
  log?: Logger;
}

/** This instance's counters and gauges at the moment they are read (`/metrics`, benchmarks). */
export interface HubCounters {
  /** Open sockets, authenticated or not. */
  connections: number;
  subscriptions: number;
  /** Channels with at least one subscriber here. */
  channels: number;
  /** Connections held back as slow consumers right now. */
  slowConsumers: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  publishes: number;
  rateLimited: number;
  slowConsumerEvents: number;
  engineRefusals: number;
  engineOutages: number;
  engineSeqRepairs: number;
  flushes: number;
  flushSeconds: number;
  flushErrors: number;
  /** Errors sent to clients, by code. */
  errors: Partial<Record<ErrorCode, number>>;
  /** Publish accepted → frame written, in ms. */
  latency: LatencyHistogram;
  /** One broadcaster tick, in ms. */
  flushDuration: LatencyHistogram;
}

/** This instance's own figures of the moment, read without asking the engine or the cluster. */
export interface HubFigures {
  instance: string;
  /** Server time (ms) the figures were read. */
  at: number;
  engine: Engine['kind'];
  uptimeS: number;
  connections: { total: number; byTenant: Record<string, number> };
  channels: number;
  subscriptions: number;
  messages: { in: number; out: number; inPerSec: number; outPerSec: number };
  bytes: { in: number; out: number; inPerSec: number; outPerSec: number };
  latencyMs: { p50: number; p95: number; p99: number };
  errors: Partial<Record<ErrorCode, number>>;
  slowConsumers: number;
  flushErrors: number;
}

/** The hub's part of `GET /api/ws/stats` (docs/protocol.md §10); the server adds sources and HTTP figures. */
export interface HubReport extends HubFigures {
  /** Users watching each channel that has subscribers here (across the cluster with Redis). */
  viewers: Array<{ tenant: string; channel: string; users: number }>;
  cluster: {
    instances: Array<Pick<InstanceInfo, 'instance' | 'startedAt' | 'uptimeS' | 'connections' | 'subscriptions'>>;
    connections: number;
    subscriptions: number;
  };
}

export class Hub implements ClusterMember {
  readonly instance: string;
  private readonly engine: Engine;
  readonly log: Logger;
  private readonly auth: Authenticator;
  private readonly stats = new HubStats();
  private readonly index: SubscriptionIndex;
  private readonly broadcaster: Broadcaster;
  private readonly cluster: Cluster;
  private readonly presence: PresenceBook<Subscription>;
  private readonly tenants: TenantSlots;
  private readonly sockets: SocketServer;
  private sampleTimer: NodeJS.Timeout | undefined;
  private readonly engineListeners: Array<() => void>;
  private closing: Promise<void> | undefined;

  constructor(readonly config: Config, options: HubOptions) {
    this.log = options.log ?? createLogger(config.logLevel);
    this.engine = options.engine;
    this.cluster = options.cluster;
    this.instance = options.cluster.instance;
    this.auth = new Authenticator({
      secret: config.jwtSecret,
      anonymous: config.anonymous,
      anonymousTenant: config.dashboardTenant,
      requireExp: config.production,
      audience: config.jwtAudience,
      issuer: config.jwtIssuer,
      maxLifetimeS: config.jwtMaxLifetimeS,
    });
    // Production refuses such a secret at start-up (lib/config.ts); elsewhere it still runs.
    if (!config.jwtSecretGenerated && Buffer.byteLength(config.jwtSecret) < MIN_SECRET_BYTES) {
      this.log.warn({ limit: MIN_SECRET_BYTES }, `PULSE_JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: weak for HS256, and refused in production`);
    }
    // A channel is watched while it has subscribers here (the subscribe watches it first).
    this.index = new SubscriptionIndex((sub, last) => {
      this.presence.leave(sub);
      if (last) this.engine.unwatch(sub.tenant, sub.channel);
    });
    this.presence = new PresenceBook<Subscription>(
      {
        instance: this.instance,
        replication: options.presence,
        watchers: (key) => this.index.of(key),
        canSend: ({ connection }) => connection.isOpen && connection.stalledSince === null && connection.canTakeMore(),
        send: ({ connection }, frame) => connection.sendFrame(frame),
      },
      { graceMs: config.presenceGraceMs, maxUsers: config.presenceMaxUsers },
    );
    this.broadcaster = new Broadcaster(this.engine, this.index, this.stats, config, this.log, () => this.presence.flush());
    this.engineListeners = [
      this.engine.onCommit((commit) => this.broadcaster.ingest(commit)),
      this.engine.onStale((tenant, channel, position) => this.broadcaster.stale(channelKey(tenant, channel), position)),
    ];
    this.tenants = new TenantSlots(this.cluster, config.maxConnectionsPerTenant);
    this.sockets = new SocketServer(config, this.log, this.stats, this.requestContext(), this.tenants);
    this.cluster.join(this);
    this.broadcaster.start();
    this.sampleTimer = setInterval(() => this.stats.sample(), 1000);
    this.sampleTimer.unref();
  }

  get shuttingDown(): boolean {
    return this.closing !== undefined;
  }

  // ---- server-side API: publish, read ---------------------------------------------------

  /**
   * Publishes to a tenant's channel, validating the input like any client's. Throws `HubError`.
   * Input from server code is held to the JSON bounds here; `bounded` says it was decoded by a
   * bounded parse already (a socket frame, an HTTP body), which need not be walked twice.
   */
  async publish(tenant: string, channel: string, input: PublishInput, { bounded = false }: PublishOptions = {}): Promise<PublishResult> {
    assertChannelName(channel);
    const parsed = publishBodySchema.safeParse(input);
    if (!parsed.success) throw new HubError(ErrorCode.INVALID_MESSAGE, `publish: ${describeIssue(parsed.error.issues[0])}`);
    // Nothing that JSON cannot carry, or that would overflow the stack when serialized, may
    // reach the engine: once stored it would break every delta and snapshot of the channel.
    const check = bounded ? undefined : checkPublishJson(parsed.data as PublishInput);
    if (check && !check.ok) throw new HubError(ErrorCode.INVALID_MESSAGE, check.message);
    const write = () => this.engine.publish(tenant, channel, parsed.data as PublishInput);
    // The server's own figures are not traffic: they count neither as publishes nor as refusals.
    if (tenant === SERVER_TENANT) {
      const commit = await write();
      return { channel, epoch: commit.epoch, seq: commit.seq };
    }
    const commit = await this.viaEngine(write);
    this.stats.publishes++;
    return { channel, epoch: commit.epoch, seq: commit.seq };
  }

  /** A channel's state as a view with `filter` sees it (what a `snapshot` message carries). */
  async snapshot(tenant: string, channel: string, filter: Filter | unknown = {}): Promise<ChannelSnapshot> {
    assertChannelName(channel);
    const validated = validateFilter(filter);
    if (!validated.ok) throw new HubError(ErrorCode.BAD_FILTER, `filter ${validated.message}`);
    const state = await this.viaEngine(() => this.engine.snapshot(tenant, channel));
    const view = snapshotView(state, compileFilter(validated.filter), this.config.snapshotEvents, this.config.snapshotEventsMaxBytes);
    return { channel, epoch: state.epoch, seq: state.seq, ...view };
  }

  /**
   * The channel's series (docs/protocol.md §13) as a view with `filter` sees them: its visible
   * records only (or `records`, when the caller knows them), and only fields of its `fields`
   * projection; null when the channel keeps none. Throws `BAD_FILTER` for a bad filter and
   * `INVALID_MESSAGE` for a field that is not kept or a window past the kept one.
   */
  async series(tenant: string, channel: string, filter: Filter | unknown = {}, ask: SeriesAsk = true, records?: ReadonlySet<string>): Promise<SeriesResult | null> {
    assertChannelName(channel);
    const validated = validateFilter(filter);
    if (!validated.ok) throw new HubError(ErrorCode.BAD_FILTER, `filter ${validated.message}`);
    const spec = this.engine.seriesSpec(tenant, channel);
    if (!spec) return null;
    const selected = selectSeries(spec, ask, validated.filter.fields);
    if (!selected.ok) throw new HubError(ErrorCode.INVALID_MESSAGE, selected.message);
    let wanted = records;
    const compiled = compileFilter(validated.filter);
    if (!wanted && compiled.key !== '') {
      const state = await this.viaEngine(() => this.engine.snapshot(tenant, channel));
      const visible = new Set<string>();
      for (const record of state.records) if (compiled.matches(record)) visible.add(record.id);
      wanted = visible;
    }
    return this.viaEngine(() => readSeries(this.engine, tenant, channel, selected.selection, wanted));
  }

  /**
   * The tenant's channels: those the engine holds, and those only subscribed to so far (a
   * channel exists as soon as it is named, at seq 0 with no records).
   */
  async channels(tenant: string): Promise<Array<ChannelInfo & { subscribers: number }>> {
    const channels = [...(await this.viaEngine(() => this.engine.channels(tenant)))];
    // Subscribers across the cluster (this instance's counted live, the others' as of their last heartbeat).
    const subscribers = new Map<string, number>();
    const prefix = channelKey(tenant, '');
    for (const info of await this.cluster.instances()) {
      for (const [key, count] of Object.entries(info.subscribers)) {
        if (key.startsWith(prefix)) subscribers.set(key.slice(prefix.length), (subscribers.get(key.slice(prefix.length)) ?? 0) + count);
      }
    }
    const known = new Set(channels.map((info) => info.channel));
    for (const channel of subscribers.keys()) {
      if (!known.has(channel)) channels.push({ channel, seq: 0, records: 0 });
    }
    return channels.map((info) => ({ ...info, subscribers: subscribers.get(info.channel) ?? 0 }));
  }

  /** Who is watching a tenant's channel, every instance's viewers included (`GET /api/channels/:channel/presence`). */
  async presenceOf(tenant: string, channel: string): Promise<PresenceMessage> {
    assertChannelName(channel);
    return this.presence.read(channelKey(tenant, channel), channel);
  }

  /** This instance's figures, for the cluster's heartbeat and views. */
  describe(): InstanceInfo {
    return {
      instance: this.instance,
      startedAt: this.stats.startedAt,
      uptimeS: Math.round((Date.now() - this.stats.startedAt) / 1000),
      connections: this.sockets.count,
      subscriptions: this.index.size,
      byTenant: this.connectionsByTenant(),
      subscribers: this.index.counts(),
    };
  }

  /** Engine calls made for a caller: an unreachable engine becomes a 503 refusal. */
  private async viaEngine<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const refusal = asHubError(error);
      if (refusal?.status === 503) this.stats.engineRefusals++;
      throw refusal ?? error;
    }
  }

  // ---- sockets ---------------------------------------------------------------------------

  /** Handles an upgrade request for `/api/ws` (the socket server's, `socket-server.ts`). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.sockets.handleUpgrade(request, socket, head);
  }

  /** An open connection of this instance, by id (for tests and tools that look at one). */
  connection(id: string): Connection | undefined {
    return this.sockets.get(id);
  }

  /** Authenticated connections per tenant, on this instance. */
  connectionsByTenant(): Record<string, number> {
    return this.tenants.byTenant();
  }

  /** This instance's open connections, as `GET /api/ws/connections` lists them. */
  listConnections(): ConnectionInfo[] {
    return this.sockets.list();
  }

  /** Closes a connection on any instance with 1008 (an admin's kick). False when none has it. */
  kick(id: string): Promise<boolean> {
    return this.cluster.kick(id);
  }

  /** Closes one connection of this instance with 1008. False when no such connection here. */
  kickLocal(id: string): boolean {
    return this.sockets.kick(id);
  }

  // ---- tokens, health, figures -----------------------------------------------------------

  /** Verifies a token as a socket's `auth` does (the HTTP API's callers, server-rendered pages). */
  authenticate(token: string | undefined): Promise<AuthResult> {
    return this.auth.authenticate(token);
  }

  /** Signs a token with the hub's secret (`POST /api/token`). */
  signToken(claims: Omit<TokenClaims, 'exp' | 'iat'>, ttlSeconds: number): Promise<string> {
    return this.auth.sign(claims, ttlSeconds);
  }

  /** Which engine holds the channels. */
  get engineKind(): Engine['kind'] {
    return this.engine.kind;
  }

  /** Whether the engine can serve requests now. Never rejects. */
  engineHealthy(): Promise<boolean> {
    return this.engine.healthy().catch(() => false);
  }

  uptimeS(): number {
    return Math.round((Date.now() - this.stats.startedAt) / 1000);
  }

  counters(): HubCounters {
    const { stats } = this;
    const engine = this.engine.counters();
    return {
      connections: this.sockets.count,
      subscriptions: this.index.size,
      channels: this.index.channelCount,
      slowConsumers: this.broadcaster.slowConsumers,
      messagesIn: stats.messagesIn,
      messagesOut: stats.messagesOut,
      bytesIn: stats.bytesIn,
      bytesOut: stats.bytesOut,
      publishes: stats.publishes,
      rateLimited: stats.rateLimited,
      slowConsumerEvents: stats.slowConsumerEvents,
      engineRefusals: stats.engineRefusals,
      engineOutages: engine.outages,
      engineSeqRepairs: engine.seqJumps,
      flushes: stats.flushes,
      flushSeconds: stats.flushSeconds,
      flushErrors: stats.flushErrors,
      errors: { ...stats.errors },
      latency: stats.latency,
      flushDuration: stats.flushDuration,
    };
  }

  /**
   * This instance's figures as `GET /api/ws/stats` reports them, without the viewers and the
   * cluster: cheap enough to read every second (the server's figures as series, `server-figures.ts`).
   */
  figures(now = Date.now()): HubFigures {
    const { stats } = this;
    const rates = stats.rates(now);
    return {
      instance: this.instance,
      at: now,
      engine: this.engine.kind,
      uptimeS: this.uptimeS(),
      connections: { total: this.sockets.count, byTenant: this.connectionsByTenant() },
      channels: this.index.channelCount,
      subscriptions: this.index.size,
      messages: { in: stats.messagesIn, out: stats.messagesOut, inPerSec: rates.messagesIn, outPerSec: rates.messagesOut },
      bytes: { in: stats.bytesIn, out: stats.bytesOut, inPerSec: rates.bytesIn, outPerSec: rates.bytesOut },
      latencyMs: { p50: stats.recentLatency(0.5), p95: stats.recentLatency(0.95), p99: stats.recentLatency(0.99) },
      errors: { ...stats.errors },
      slowConsumers: this.broadcaster.slowConsumers,
      flushErrors: stats.flushErrors,
    };
  }

  /** This instance's figures, and the cluster's, as `GET /api/ws/stats` reports them. */
  async report(): Promise<HubReport> {
    const figures = this.figures();
    const instances = await this.cluster.instances();
    const viewers = await Promise.all(
      Object.keys(this.index.counts()).map(async (key) => {
        const [tenant, channel] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
        return { tenant, channel, users: (await this.presence.read(key, channel)).count };
      }),
    );
    return {
      ...figures,
      viewers: viewers.sort((a, b) => b.users - a.users || a.channel.localeCompare(b.channel) || a.tenant.localeCompare(b.tenant)),
      cluster: {
        instances: instances.map(({ instance, startedAt, uptimeS, connections, subscriptions }) => ({ instance, startedAt, uptimeS, connections, subscriptions })),
        connections: instances.reduce((sum, info) => sum + info.connections, 0),
        subscriptions: instances.reduce((sum, info) => sum + info.subscriptions, 0),
      },
    };
  }

  /** What the request handlers work with (`handlers.ts`): the hub's own parts. */
  private requestContext(): HubContext {
    return {
      config: this.config,
      instance: this.instance,
      auth: this.auth,
      index: this.index,
      broadcaster: this.broadcaster,
      stats: this.stats,
      presence: this.presence,
      log: this.log,
      publish: (tenant, channel, input, options) => this.publish(tenant, channel, input, options),
      admit: (connection, session) => this.tenants.admit(connection, session.tenant),
    };
  }

  // ---- shutdown --------------------------------------------------------------------------

  /**
   * Graceful shutdown: refuse new upgrades, flush pending batches, close every socket with
   * 1001, wait up to `shutdownGraceMs`, then terminate the rest.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.sockets.stopAccepting();
    clearInterval(this.sampleTimer);
    this.broadcaster.flushAll();
    this.broadcaster.stop();
    await this.sockets.closeAll();
    for (const dispose of this.engineListeners) dispose();
    await this.cluster.close();
    await this.engine.close();
  }
}

function assertChannelName(channel: string): void {
  if (!isChannelName(channel)) throw new HubError(ErrorCode.INVALID_MESSAGE, `channel must match ${CHANNEL_NAME.source}`);
}

export function createHub(config: Config, options: HubOptions): Hub {
  return new Hub(config, options);
}

/**
 * The hub: one per process. Owns the engine, the connections, the subscription index and
 * the broadcaster, and is what server code, route handlers and the HTTP API publish through.
 * It can run without Next.js (tests and benchmarks attach it to a plain HTTP server).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { MIN_SECRET_BYTES, type Config } from '../config';
import { MemoryEngine } from '../engine/memory';
import type { ChannelInfo, Engine } from '../engine/types';
import { SingleCluster } from '../cluster/single';
import type { SourceStatus } from '../sources/status';
import type { Cluster, ClusterFactory, ClusterMember, InstanceInfo } from '../cluster/types';
import { createLogger, type Logger } from '../log';
import {
  CHANNEL_NAME,
  CloseCode,
  ErrorCode,
  isChannelName,
  checkPublishJson,
  isUsableRef,
  parseClientFrame,
  publishBodySchema,
  describeIssue,
  validateFilter,
  type ChannelEvent,
  type ChannelRecord,
  type Filter,
  type PublishInput,
  type ParseResult,
  type PublishResult,
  type Ref,
} from '../protocol';
import { clientAddress } from '../http/client-address';
import { addressKey, WaitingSockets } from './admission';
import { Authenticator, type Session } from './auth';
import { Broadcaster } from './broadcaster';
import { Connection } from './connection';
import { asHubError, HubError } from './errors';
import { compileFilter } from './filter';
import { authenticate, fail, handleRequest, type HubContext } from './handlers';
import { headerForLog, LogThrottle } from './log-throttle';
import { isOriginAllowed } from './origin';
import { readSessionCookie } from './session-cookie';
import { PresenceBook } from './presence';
import { consume, createRateState } from './rate-limit';
import { HubStats } from './stats';
import { channelKey, SubscriptionIndex } from './subscription';
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

export interface HubOptions {
  engine?: Engine;
  /** How the hub finds the other instances; alone by default. */
  cluster?: ClusterFactory;
  log?: Logger;
}

/** Heartbeat work per interval is spread over this many ticks. */
const HEARTBEAT_SLICES = 10;

export class Hub implements HubContext, ClusterMember {
  readonly instance = `i_${randomBytes(4).toString('hex')}`;
  readonly engine: Engine;
  readonly log: Logger;
  readonly auth: Authenticator;
  readonly stats = new HubStats();
  readonly index: SubscriptionIndex;
  readonly broadcaster: Broadcaster;
  readonly cluster: Cluster;
  readonly presence: PresenceBook;
  readonly connections = new Map<string, Connection>();
  /** Statuses of the declared sources publishing into this hub (`startSources` adds them). */
  readonly sources: SourceStatus[] = [];
  private readonly tenantCounts = new Map<string, number>();
  /** Sockets that have not sent `auth` yet: their own budget, in all and per address. */
  private readonly waiting: WaitingSockets<Connection>;
  /** Log lines a peer can cause at will, each at most once a second. */
  private readonly throttles = { origin: new LogThrottle(), limit: new LogThrottle(), evicted: new LogThrottle() };
  private readonly wss: WebSocketServer;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatTick = 0;
  private accepted = 0;
  private sampleTimer: NodeJS.Timeout | undefined;
  private readonly engineListeners: Array<() => void>;
  private closing: Promise<void> | undefined;

  constructor(readonly config: Config, options: HubOptions = {}) {
    this.log = options.log ?? createLogger(config.logLevel);
    this.engine = options.engine ?? new MemoryEngine({ historySize: config.historySize, historyTtlMs: config.historyTtlMs, historyMaxBytes: config.historyMaxBytes });
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
    this.waiting = new WaitingSockets({ maxWaiting: config.maxUnauthenticated, maxWaitingPerAddress: config.maxUnauthenticatedPerAddress });
    // A channel is watched while it has subscribers here (the subscribe watches it first).
    this.index = new SubscriptionIndex((sub, last) => {
      this.presence.leave(sub);
      if (last) this.engine.unwatch(sub.tenant, sub.channel);
    });
    this.presence = new PresenceBook(this.index, this.instance, { graceMs: config.presenceGraceMs, maxUsers: config.presenceMaxUsers, slowConsumerBytes: config.slowConsumerBytes });
    this.broadcaster = new Broadcaster(this.engine, this.index, this.stats, config, this.log, () => this.presence.flush());
    this.cluster = options.cluster?.(this) ?? new SingleCluster(this);
    this.cluster.sharePresence(this.presence);
    this.engineListeners = [
      this.engine.onCommit((commit) => this.broadcaster.ingest(commit)),
      this.engine.onStale((tenant, channel, position) => this.broadcaster.stale(channelKey(tenant, channel), position)),
    ];
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      // One client message per event-loop turn: a socket delivering thousands of frames in
      // one TCP read cannot hold the loop while the others wait, and the receiver's buffer
      // filling up stops reading that socket (TCP backpressure on a flooder).
      allowSynchronousEvents: false,
    });
    this.broadcaster.start();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), Math.max(1, config.heartbeatMs / HEARTBEAT_SLICES));
    this.heartbeatTimer.unref();
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
    const commit = await this.viaEngine(() => this.engine.publish(tenant, channel, parsed.data as PublishInput));
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

  /** This instance's figures, for the cluster's heartbeat and views. */
  describe(): InstanceInfo {
    return {
      instance: this.instance,
      startedAt: this.stats.startedAt,
      uptimeS: Math.round((Date.now() - this.stats.startedAt) / 1000),
      connections: this.connections.size,
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

  /** Handles an upgrade request for `/api/ws`. Refusals get an HTTP status and no WebSocket. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.shuttingDown) return abortHandshake(socket, 503, 'Server is shutting down');
    if (!isOriginAllowed(request.headers.origin, request.headers.host, this.config.allowedOrigins)) {
      const suppressed = this.throttles.origin.take();
      if (suppressed !== undefined) {
        this.log.warn({ origin: headerForLog(request.headers.origin), remoteAddress: request.socket.remoteAddress, suppressed }, 'upgrade refused: origin');
      }
      return abortHandshake(socket, 403, 'Origin not allowed');
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
  }

  private accept(ws: WebSocket, request: IncomingMessage): void {
    const now = Date.now();
    const connection = new Connection(ws, request.socket.remoteAddress ?? '', createRateState(this.config.rateLimit, now), this.stats);
    connection.sessionCookie = readSessionCookie(request.headers.cookie);
    connection.heartbeatSlot = this.accepted++ % HEARTBEAT_SLICES;
    // First of all: a socket error with no listener would take the process down, and a refused
    // socket can still receive a bad frame before its close completes.
    ws.on('error', (error) => this.socketError(connection, error));
    // Behind PULSE_TRUSTED_PROXIES every socket's peer is a proxy: count the client it forwarded.
    const address = addressKey(clientAddress(connection.remoteAddress, request.headers['x-forwarded-for'], this.config.trustedProxies));
    const admission = this.waiting.admit(address, this.connections.size, this.config.maxConnections);
    if (admission.refused) {
      const suppressed = this.throttles.limit.take(now);
      if (suppressed !== undefined) {
        this.log.warn({ connection: connection.id, remoteAddress: connection.remoteAddress, limit: this.config.maxConnections, suppressed }, 'connection limit reached');
      }
      fail(this, connection, undefined, ErrorCode.CONNECTION_LIMIT, 'server connection limit reached');
      connection.close(CloseCode.TRY_AGAIN_LATER, 'connection limit');
      return;
    }
    for (const waiting of admission.evict) this.evict(waiting, now);
    this.connections.set(connection.id, connection);
    this.waiting.add(connection, address);
    this.log.info({ connection: connection.id, remoteAddress: connection.remoteAddress }, 'connected');
    connection.authTimer = setTimeout(() => {
      if (connection.session) return;
      this.log.info({ connection: connection.id }, 'auth timeout');
      connection.close(CloseCode.AUTH, 'auth timeout');
    }, this.config.authTimeoutMs);

    ws.on('message', (data, isBinary) => this.receive(connection, data as Buffer, isBinary));
    ws.on('pong', () => (connection.lastActivityAt = Date.now()));
    ws.on('close', (code) => this.release(connection, code));
  }

  /** Protocol errors from `ws` (it closes the socket itself: 1009 for a frame over the limit, 1002 and the like). */
  private socketError(connection: Connection, error: Error & { code?: string }): void {
    const context = { ...connection.logContext, reason: error.code ?? error.message };
    // `ws` has closed the socket already; remember with which code, for the disconnect line.
    connection.closeCode ??= WS_ERROR_CLOSE_CODES[error.code ?? ''] ?? 1002;
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.stats.error(ErrorCode.PAYLOAD_TOO_LARGE);
      this.log.warn({ ...context, limit: this.config.maxPayload }, 'frame too large');
    } else {
      this.log.info(context, 'socket error');
    }
  }

  private receive(connection: Connection, data: Buffer, isBinary: boolean): void {
    const now = Date.now();
    connection.lastActivityAt = now;
    this.stats.messagesIn++;
    this.stats.bytesIn += data.length;
    // Frames still arriving after the hub closed the connection (a flooder's backlog) are dropped.
    if (!connection.isOpen) return;

    const verdict = consume(connection.rate, this.config.rateLimit, now);
    if (verdict !== 'ok') return this.refuseFlood(connection, data, verdict === 'abusive', now);

    const parsed: ParseResult = isBinary
      ? { ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'binary frames are not supported' }
      : parseClientFrame(data.toString('utf8'));

    if (!connection.session && !connection.authStarted) {
      // Whatever the first frame is, the socket is no longer an idle one that may give way.
      this.waiting.remove(connection);
      if (parsed.ok && parsed.message.type === 'auth') {
        connection.authStarted = true;
        const request = parsed.message;
        this.enqueue(connection, () => authenticate(this, connection, request));
      } else {
        fail(this, connection, undefined, ErrorCode.AUTH_REQUIRED, 'send auth first');
        connection.close(CloseCode.AUTH, 'auth required');
      }
      return;
    }
    // Frames that follow `auth` wait for it, then run in order.
    this.enqueue(connection, async () => {
      if (!connection.session || !connection.isOpen) return;
      if (!parsed.ok) return fail(this, connection, parsed.ref, parsed.code, parsed.message);
      await handleRequest(this, connection, parsed.message);
    });
  }

  private enqueue(connection: Connection, task: () => Promise<void> | void): void {
    connection.queue = connection.queue.then(() => this.whenWritable(connection)).then(task).catch((error) => {
      this.log.error({ err: error, connection: connection.id }, 'request crashed');
      fail(this, connection, undefined, ErrorCode.INTERNAL_ERROR, 'internal error');
    });
  }

  /**
   * Input backpressure: a request runs only while its socket's unsent buffer is under the
   * slow-consumer limit. Above it, the connection is held back (no deltas, no reading) until
   * the broadcaster sees it drain, so a client that never reads holds the server to the limit
   * plus one answer.
   */
  private whenWritable(connection: Connection): Promise<void> | void {
    if (connection.bufferedBytes <= this.config.slowConsumerBytes || !connection.isOpen) return;
    this.broadcaster.stall(connection);
    return connection.whenDrained();
  }

  /** Over the rate limit: refuse cheaply, and close a connection that keeps at it. */
  private refuseFlood(connection: Connection, data: Buffer, abusive: boolean, now: number): void {
    this.stats.rateLimited++;
    if (now - connection.rateLimitLoggedAt >= RATE_LIMIT_LOG_INTERVAL_MS) {
      connection.rateLimitLoggedAt = now;
      this.log.warn({ ...connection.logContext, limit: this.config.rateLimit }, 'rate limited');
    }
    if (abusive) {
      this.log.warn(connection.logContext, 'closed for flooding');
      connection.close(CloseCode.POLICY_VIOLATION, 'rate limit exceeded');
      return;
    }
    // Never let refusals pile up in the socket's buffer.
    if (connection.bufferedBytes > this.config.slowConsumerBytes) return;
    fail(this, connection, peekRef(data), ErrorCode.RATE_LIMITED, `over ${this.config.rateLimit} messages per second`);
  }

  async admit(connection: Connection, session: Session): Promise<boolean> {
    const { tenant } = session;
    const local = this.tenantCounts.get(tenant) ?? 0;
    // The slot is held while the cluster decides, so concurrent admissions here count it.
    this.tenantCounts.set(tenant, local + 1);
    connection.tenant = tenant;
    if (await this.cluster.admit(tenant, local, this.config.maxConnectionsPerTenant)) return true;
    if (connection.tenant === tenant) {
      connection.tenant = undefined;
      this.untrack(tenant);
    }
    return false;
  }

  private untrack(tenant: string): void {
    const count = (this.tenantCounts.get(tenant) ?? 1) - 1;
    if (count > 0) this.tenantCounts.set(tenant, count);
    else this.tenantCounts.delete(tenant);
  }

  /**
   * Closes a socket that has not authenticated to make room for a newcomer (lib/hub/admission.ts).
   * It stops holding a slot at once, before its close completes.
   */
  private evict(connection: Connection, now: number): void {
    this.waiting.remove(connection);
    this.connections.delete(connection.id);
    connection.clearTimers();
    const suppressed = this.throttles.evicted.take(now);
    if (suppressed !== undefined) {
      this.log.warn(
        { connection: connection.id, remoteAddress: connection.remoteAddress, limit: this.config.maxUnauthenticated, perAddress: this.config.maxUnauthenticatedPerAddress, suppressed },
        'unauthenticated socket closed for a newcomer',
      );
    }
    fail(this, connection, undefined, ErrorCode.CONNECTION_LIMIT, 'closed to make room: too many connections waiting to authenticate');
    connection.close(CloseCode.TRY_AGAIN_LATER, 'connection limit');
  }

  private release(connection: Connection, code: number): void {
    this.waiting.remove(connection);
    connection.clearTimers();
    connection.drained();
    this.index.removeAll(connection);
    this.connections.delete(connection.id);
    if (connection.tenant !== undefined) {
      this.untrack(connection.tenant);
      this.cluster.released(connection.tenant);
      connection.tenant = undefined;
    }
    // The code the server closed with when it closed (the peer may never echo it), else the peer's.
    this.log.info({ ...connection.logContext, code: connection.closeCode ?? code }, 'disconnected');
  }

  /** Connections per tenant (authenticated ones). */
  connectionsByTenant(): Record<string, number> {
    return Object.fromEntries(this.tenantCounts);
  }

  /** Closes a connection on any instance with 1008 (an admin's kick). False when none has it. */
  kick(id: string): Promise<boolean> {
    return this.cluster.kick(id);
  }

  /** Closes one connection of this instance with 1008. False when no such connection here. */
  kickLocal(id: string): boolean {
    const connection = this.connections.get(id);
    if (!connection) return false;
    this.log.info(connection.logContext, 'kicked');
    connection.close(CloseCode.POLICY_VIOLATION, 'kicked');
    return true;
  }

  /**
   * Pings each socket once per `heartbeatMs` and terminates those silent for two intervals
   * (half-open TCP included). The work is spread over `HEARTBEAT_SLICES` ticks per interval,
   * each taking its share of the connections, so thousands of pings never land in one turn
   * of the event loop next to a flush.
   */
  private heartbeat(): void {
    const slice = this.heartbeatTick++ % HEARTBEAT_SLICES;
    const deadline = Date.now() - 2 * this.config.heartbeatMs;
    for (const connection of this.connections.values()) {
      if (connection.heartbeatSlot !== slice) continue;
      // A connection whose input the hub paused (slow consumer) cannot show pongs; the
      // slow-consumer timeout governs it instead.
      if (connection.inputPaused) continue;
      if (connection.lastActivityAt < deadline) {
        this.log.info(connection.logContext, 'heartbeat timeout');
        connection.socket.terminate();
      } else if (connection.isOpen) {
        connection.socket.ping();
      }
    }
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
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sampleTimer);
    this.broadcaster.flushAll();
    this.broadcaster.stop();
    const open = [...this.connections.values()];
    const closed = open.map((c) => new Promise<void>((resolve) => (c.socket.readyState === WebSocket.CLOSED ? resolve() : c.socket.once('close', () => resolve()))));
    for (const connection of open) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, this.config.shutdownGraceMs)))]);
    clearTimeout(timer);
    for (const connection of this.connections.values()) connection.socket.terminate();
    for (const dispose of this.engineListeners) dispose();
    await this.cluster.close();
    await this.engine.close();
  }
}

function assertChannelName(channel: string): void {
  if (!isChannelName(channel)) throw new HubError(ErrorCode.INVALID_MESSAGE, `channel must match ${CHANNEL_NAME.source}`);
}

/** Reads a `ref` from a small frame without validating the rest (for refusals). */
function peekRef(data: Buffer): Ref | undefined {
  // Only something that starts like an object can carry one; skipping the rest spares a
  // flooder's junk the cost of a parse error.
  if (data.length > 4096 || data[0] !== 0x7b) return undefined;
  try {
    const ref = (JSON.parse(data.toString('utf8')) as { ref?: unknown })?.ref;
    return isUsableRef(ref) ? ref : undefined;
  } catch {
    return undefined;
  }
}

function abortHandshake(socket: Duplex, status: 403 | 503, message: string): void {
  const reason = status === 403 ? 'Forbidden' : 'Service Unavailable';
  // Node removes its own error listener from upgrade sockets: without one, a peer resetting
  // the connection while the refusal is written would crash the process.
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

/** Close codes `ws` uses when it fails a connection for a bad frame (anything else: 1002). */
const WS_ERROR_CLOSE_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.MESSAGE_TOO_BIG,
  WS_ERR_INVALID_UTF8: 1007,
};

/** At most one "rate limited" log line per connection in this interval, however hard it floods. */
const RATE_LIMIT_LOG_INTERVAL_MS = 10_000;

export function createHub(config: Config, options?: HubOptions): Hub {
  return new Hub(config, options);
}

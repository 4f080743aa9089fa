/**
 * The socket server: everything between an upgrade request on `/api/ws` and the request
 * handlers. It checks the origin, admits sockets under the connection limits (budgets for
 * sockets that have not authenticated included), reads frames under the rate limit and
 * input backpressure, runs each connection's requests in order, pings and times out silent
 * sockets, and closes them all on shutdown. What a request does is `handlers.ts`'s business.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { Config } from '../config';
import type { Logger } from '../log';
import { CloseCode, ErrorCode, isUsableRef, parseClientFrame, type ParseResult, type Ref } from '../protocol';
import { clientAddress } from './client-address';
import { addressKey, WaitingSockets } from './admission';
import { Connection } from './connection';
import { authenticate, fail, handleRequest, type HubContext } from './handlers';
import { headerForLog, LogThrottle } from './log-throttle';
import { isOriginAllowed } from './origin';
import { consume, createRateState } from './rate-limit';
import { readSessionCookie } from './session-cookie';
import type { HubStats } from './stats';
import type { TenantSlots } from './tenant-slots';
import type { ConnectionInfo } from '../protocol';

export type { ConnectionInfo };


/** Heartbeat work per interval is spread over this many ticks. */
const HEARTBEAT_SLICES = 10;

/** At most one "rate limited" log line per connection in this interval, however hard it floods. */
const RATE_LIMIT_LOG_INTERVAL_MS = 10_000;

export class SocketServer {
  private readonly connections = new Map<string, Connection>();
  /** Sockets that have not sent `auth` yet: their own budget, in all and per address. */
  private readonly waiting: WaitingSockets<Connection>;
  /** Log lines a peer can cause at will, each at most once a second. */
  private readonly throttles = { origin: new LogThrottle(), limit: new LogThrottle(), evicted: new LogThrottle() };
  private readonly wss: WebSocketServer;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatTick = 0;
  private accepted = 0;
  private accepting = true;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly stats: HubStats,
    /** What requests run against. */
    private readonly context: HubContext,
    private readonly tenants: TenantSlots,
  ) {
    this.waiting = new WaitingSockets({ maxWaiting: config.maxUnauthenticated, maxWaitingPerAddress: config.maxUnauthenticatedPerAddress });
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
    this.heartbeatTimer = setInterval(() => this.heartbeat(), Math.max(1, config.heartbeatMs / HEARTBEAT_SLICES));
    this.heartbeatTimer.unref();
  }

  /** Open connections (authenticated or not). */
  get count(): number {
    return this.connections.size;
  }

  /** The open connection with this id, if it is on this instance. */
  get(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  /** Every open connection, as the admin API lists them. */
  list(): ConnectionInfo[] {
    return [...this.connections.values()].map((c) => ({
      id: c.id,
      user: c.session?.user ?? null,
      tenant: c.session?.tenant ?? null,
      // Channels, once each however many views of one the connection holds.
      subscriptions: [...new Set([...c.subscriptions.values()].map((sub) => sub.channel))],
      connectedAt: c.connectedAt,
      lastActivityAt: c.lastActivityAt,
      bufferedBytes: c.bufferedBytes,
      remoteAddress: c.remoteAddress,
    }));
  }

  // ---- upgrade and admission -------------------------------------------------------------

  /** Handles an upgrade request for `/api/ws`. Refusals get an HTTP status and no WebSocket. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.accepting) return abortHandshake(socket, 503, 'Server is shutting down');
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
    const connection = new Connection(ws, request.socket.remoteAddress ?? '', createRateState(this.config.rateLimit, now), this.stats, this.config.slowConsumerBytes);
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
      fail(this.context, connection, undefined, ErrorCode.CONNECTION_LIMIT, 'server connection limit reached');
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
    fail(this.context, connection, undefined, ErrorCode.CONNECTION_LIMIT, 'closed to make room: too many connections waiting to authenticate');
    connection.close(CloseCode.TRY_AGAIN_LATER, 'connection limit');
  }

  private release(connection: Connection, code: number): void {
    this.waiting.remove(connection);
    connection.clearTimers();
    connection.drained();
    this.context.index.removeAll(connection);
    this.connections.delete(connection.id);
    this.tenants.release(connection);
    // The code the server closed with when it closed (the peer may never echo it), else the peer's.
    this.log.info({ ...connection.logContext, code: connection.closeCode ?? code }, 'disconnected');
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

  // ---- frames in -------------------------------------------------------------------------

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
      : parseClientFrame(data.toString('utf8'), { minIntervalMs: this.config.batchMs });

    if (!connection.session && !connection.authStarted) {
      // Whatever the first frame is, the socket is no longer an idle one that may give way.
      this.waiting.remove(connection);
      if (parsed.ok && parsed.message.type === 'auth') {
        connection.authStarted = true;
        const request = parsed.message;
        this.enqueue(connection, () => authenticate(this.context, connection, request));
      } else {
        fail(this.context, connection, undefined, ErrorCode.AUTH_REQUIRED, 'send auth first');
        connection.close(CloseCode.AUTH, 'auth required');
      }
      return;
    }
    // Frames that follow `auth` wait for it, then run in order.
    this.enqueue(connection, async () => {
      if (!connection.session || !connection.isOpen) return;
      if (!parsed.ok) return fail(this.context, connection, parsed.ref, parsed.code, parsed.message);
      await handleRequest(this.context, connection, parsed.message);
    });
  }

  private enqueue(connection: Connection, task: () => Promise<void> | void): void {
    connection.queue = connection.queue.then(() => this.whenWritable(connection)).then(task).catch((error) => {
      this.log.error({ err: error, connection: connection.id }, 'request crashed');
      fail(this.context, connection, undefined, ErrorCode.INTERNAL_ERROR, 'internal error');
    });
  }

  /**
   * Input backpressure: a request runs only while its socket can take more frames. Otherwise
   * the connection is held back (no deltas, no reading) until the broadcaster sees it drain,
   * so a client that never reads holds the server to the slow-consumer limit plus one answer.
   */
  private whenWritable(connection: Connection): Promise<void> | void {
    if (connection.canTakeMore() || !connection.isOpen) return;
    this.context.broadcaster.stall(connection);
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
    if (!connection.canTakeMore()) return;
    fail(this.context, connection, peekRef(data), ErrorCode.RATE_LIMITED, `over ${this.config.rateLimit} messages per second`);
  }

  // ---- liveness, kicks, shutdown -----------------------------------------------------------

  /** Closes one connection with 1008 (an admin's kick). False when no such connection here. */
  kick(id: string): boolean {
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

  /** Refuses new upgrades (503) and stops the heartbeat: the first step of a shutdown. */
  stopAccepting(): void {
    this.accepting = false;
    clearInterval(this.heartbeatTimer);
  }

  /** Closes every socket with 1001, waits up to `shutdownGraceMs` for them, then terminates the rest. */
  async closeAll(): Promise<void> {
    this.stopAccepting();
    const open = [...this.connections.values()];
    const closed = open.map((c) => new Promise<void>((resolve) => (c.socket.readyState === WebSocket.CLOSED ? resolve() : c.socket.once('close', () => resolve()))));
    for (const connection of open) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, this.config.shutdownGraceMs)))]);
    clearTimeout(timer);
    for (const connection of this.connections.values()) connection.socket.terminate();
  }
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

/**
 * The isomorphic Pulseboard client: one WebSocket session to the hub, kept alive across drops.
 *
 * Every attempt runs the same handshake: `getToken()` → open the socket → `auth` → `welcome`.
 * Once open, the client resubscribes every view of every channel from its own position,
 * answers silence with an application `ping`, and refreshes the token before it expires. Every
 * state change goes through `setState`, which emits `state` with `{oldState, newState}`.
 */
import { CHANNEL_NAME, isChannelName } from '../protocol/channel';
import { CloseCode, ErrorCode, PROTOCOL_VERSION } from '../protocol/codes';
import type {
  AuthRequest,
  ClientMessage,
  ErrorMessage,
  PingResult,
  PublishInput,
  PublishResult,
  ReplyMessage,
  StreamPosition,
  WelcomeMessage,
} from '../protocol/messages';
import { backoff, DEFAULT_BACKOFF, type BackoffOptions } from '../protocol/backoff';
import { Emitter, type Listener } from './emitter';
import { ClientErrorCode, PulseClientError, toClientError } from './errors';
import { decodeServerFrame } from './frames';
import { alwaysOnline, defaultNetworkMonitor, type NetworkMonitor } from './network';
import { isActiveState, isStoppedState, type ClientState } from './states';
import { Subscriptions, type RequestCallbacks } from './subscriptions';
import type { ViewOptions } from './views';
import {
  WS_OPEN,
  type ClientEvents,
  type GetToken,
  type PulseClientOptions,
  type RequestFields,
  type RequestOptions,
  type RequestResult,
  type RequestType,
  type SubscribeOptions,
  type TokenReason,
  type Unsubscribe,
  type WebSocketConstructor,
  type WebSocketLike,
  type ViewInfo,
  PresenceState,
} from './types';

/** Close codes the client itself uses when it abandons a socket (seen in `disconnect` events). */
export const ClientCloseCode = {
  /** No answer to an application `ping` within `heartbeatTimeoutMs`. */
  HEARTBEAT_TIMEOUT: 4000,
  /** The token, the socket or `welcome` did not come within `requestTimeoutMs`. */
  HANDSHAKE_TIMEOUT: 4001,
  /** The browser went offline. */
  OFFLINE: 4002,
  /** `reconnect()` was called. */
  RECONNECT: 4003,
  /** `getToken()` failed or the socket could not be created. */
  ATTEMPT_FAILED: 4004,
  /** `drop()` was called. */
  DROPPED: 4005,
} as const;

export const DEFAULT_POLICY_BACKOFF: Readonly<BackoffOptions> = { min: 15_000, max: 60_000 };

const AUTH_ERRORS: ReadonlySet<string> = new Set([ErrorCode.AUTH_FAILED, ErrorCode.TOKEN_EXPIRED, ErrorCode.AUTH_REQUIRED]);

export interface PulseClient {
  /** The connection state (see `ClientState`). */
  readonly state: ClientState;
  /** The current session's `welcome`, while the state is `open`. */
  readonly session: WelcomeMessage | null;

  /** Starts connecting; does nothing unless the state is `idle`, `closed` or `error`. */
  connect(): void;
  /** Closes the connection and stops retrying; subscriptions are kept for a later `connect()`. */
  close(): void;
  /** Drops the current socket and connects again at once (resuming every channel). */
  reconnect(): void;
  /**
   * Abandons the current socket as if the connection had been lost (close code 4005, never
   * 1000): the usual backoff, reconnect and resume follow. For testing recovery by hand; does
   * nothing when no socket exists.
   */
  drop(): void;

  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void;
  once<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void;
  off<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void;

  /**
   * Subscribes to a view of `channel` (its `filter` and `intervalMs`); returns the disposer.
   * Listeners with the same filter and pace share one server subscription, the last one to
   * leave unsubscribes it; listeners with another filter or pace get a view of their own beside
   * it (docs/client.md, "Views"). Throws a `TypeError` for an invalid channel name or pace.
   *
   * @example
   * const stop = client.subscribe('kpi', { filter: { where: { org: 'emea' } }, onSnapshot, onDelta });
   * const slow = client.subscribe('kpi', { intervalMs: 5000, onDelta: redrawChart }); // a second view
   */
  subscribe(channel: string, options?: SubscribeOptions): Unsubscribe;
  /**
   * A view's last applied position, if subscribed: the view `view` names, or without it the
   * channel's default view (its only view when it has one).
   */
  position(channel: string, view?: ViewOptions): StreamPosition | undefined;
  /** Who is watching the channel, once a subscriber asked for presence and the list arrived. */
  presence(channel: string): PresenceState | undefined;
  /** The views the client holds (of `channel`, or all), with their wire names: for logs and test tools. */
  views(channel?: string): ViewInfo[];
  /**
   * Asks the hub for a fresh snapshot of every subscribed view (of `channel`, or of every
   * channel), each with its own `view`; resolves once all are answered.
   */
  resync(channel?: string): Promise<void>;

  /**
   * Sends a request and resolves with its reply's fields, or rejects with a `PulseClientError`
   * carrying the protocol error code (or `TIMEOUT`, `DISCONNECTED`, `NOT_CONNECTED`, `CLOSED`).
   * While the client is connecting the request waits for the session, within its timeout.
   */
  request<T extends RequestType>(type: T, fields: RequestFields<T>, options?: RequestOptions): Promise<RequestResult<T>>;
  /** Publishes to `channel` (needs publish rights in the token). */
  publish(channel: string, input: PublishInput, options?: RequestOptions): Promise<PublishResult>;
  /** Round trip to the hub. */
  ping(options?: RequestOptions): Promise<{ rttMs: number; ts: number }>;
}

interface ResolvedOptions {
  url: string | (() => string);
  getToken: GetToken | undefined;
  WebSocket: WebSocketConstructor | undefined;
  backoff: BackoffOptions;
  policyBackoff: BackoffOptions;
  requestTimeoutMs: number;
  heartbeatTimeoutMs: number;
  fallbackAfter: number;
  refreshBeforeMs: number;
  network: NetworkMonitor;
  random: () => number;
}

interface Pending extends RequestCallbacks {
  readonly message: ClientMessage;
  ref?: number;
  timer?: ReturnType<typeof setTimeout>;
}

type Timer = ReturnType<typeof setTimeout> | undefined;

/**
 * Creates a client; nothing happens until `connect()`, so creating one during a server render
 * is harmless.
 *
 * @example
 * import WebSocket from 'ws';
 * const client = createPulseClient({ url: 'ws://localhost:3000/api/ws', WebSocket, getToken: () => token });
 * client.connect();
 * const stop = client.subscribe('kpi', { onSnapshot: (s) => show(s.records), onDelta: (d) => patch(d) });
 */
export function createPulseClient(options: PulseClientOptions): PulseClient {
  return new Client(options);
}

class Client implements PulseClient {
  private _state: ClientState = 'idle';
  private _session: WelcomeMessage | null = null;
  private readonly events = new Emitter<ClientEvents>();
  private readonly opts: ResolvedOptions;
  private readonly subscriptions: Subscriptions;

  private socket: WebSocketLike | null = null;
  /** Bumped whenever the current attempt or socket is given up, so its late callbacks do nothing. */
  private generation = 0;
  /** Attempts that failed in a row since the last `welcome`. */
  private failures = 0;
  private everOpened = false;
  /** The server refused or expired the last token, so the next `getToken()` must not reuse it. */
  private tokenRejected = false;
  private handshakeRef: number | undefined;
  private pingOutstanding = false;
  private nextRef = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests made while connecting, sent when the session opens. */
  private queue: Pending[] = [];
  private stopNetworkWatch: (() => void) | null = null;

  private reconnectTimer: Timer;
  private handshakeTimer: Timer;
  private idleTimer: Timer;
  private refreshTimer: Timer;

  constructor(options: PulseClientOptions) {
    this.opts = {
      url: options.url,
      getToken: options.getToken,
      WebSocket: options.WebSocket,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      policyBackoff: options.policyBackoff ?? DEFAULT_POLICY_BACKOFF,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
      fallbackAfter: Math.max(1, options.fallbackAfter ?? 3),
      refreshBeforeMs: options.refreshBeforeMs ?? 30_000,
      network: options.network === null ? alwaysOnline : (options.network ?? defaultNetworkMonitor()),
      random: options.random ?? Math.random,
    };
    this.subscriptions = new Subscriptions({
      isOpen: () => this._state === 'open',
      send: (message, callbacks) => this.send(message, this.opts.requestTimeoutMs, callbacks),
      emit: (event, payload) => this.events.emit(event, payload),
    });
  }

  get state(): ClientState {
    return this._state;
  }

  get session(): WelcomeMessage | null {
    return this._session;
  }

  // ---- public API ----------------------------------------------------------------------------

  connect(): void {
    if (!isStoppedState(this._state)) return;
    this.failures = 0;
    this.everOpened = false;
    this.tokenRejected = false;
    this.watchNetwork();
    this.setState('connecting');
    this.attempt();
  }

  close(): void {
    if (this._state === 'idle' || this._state === 'closed') return;
    this.stop('closed', CloseCode.NORMAL, 'client closed');
  }

  reconnect(): void {
    if (isStoppedState(this._state)) {
      this.connect();
      return;
    }
    const hadSocket = this.socket !== null;
    this.teardown(ClientCloseCode.RECONNECT, 'reconnect requested', ClientErrorCode.DISCONNECTED);
    if (hadSocket) this.events.emit('disconnect', { code: ClientCloseCode.RECONNECT, reason: 'reconnect requested', willReconnect: true });
    this.failures = 0;
    if (this._state === 'open') this.setState('reconnecting');
    this.attempt();
  }

  drop(): void {
    if (this.socket === null) return;
    this.fail(ClientCloseCode.DROPPED, 'connection dropped by the client');
  }

  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  once<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.events.once(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void {
    this.events.off(event, listener);
  }

  subscribe(channel: string, options: SubscribeOptions = {}): Unsubscribe {
    if (!isChannelName(channel)) throw new TypeError(`invalid channel name ${JSON.stringify(channel)}: must match ${CHANNEL_NAME.source}`);
    return this.subscriptions.add(channel, options);
  }

  position(channel: string, view?: ViewOptions): StreamPosition | undefined {
    return this.subscriptions.position(channel, view);
  }

  presence(channel: string): PresenceState | undefined {
    return this.subscriptions.presence(channel);
  }

  views(channel?: string): ViewInfo[] {
    return this.subscriptions.views(channel);
  }

  resync(channel?: string): Promise<void> {
    return this.subscriptions.resyncAll(channel);
  }

  request<T extends RequestType>(type: T, fields: RequestFields<T>, options: RequestOptions = {}): Promise<RequestResult<T>> {
    if (isStoppedState(this._state)) {
      return Promise.reject(new PulseClientError(ClientErrorCode.NOT_CONNECTED, `cannot send ${type}: the client is ${this._state}`));
    }
    const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs;
    return new Promise<RequestResult<T>>((resolve, reject) => {
      const message = { ...fields, type } as ClientMessage;
      const callbacks: RequestCallbacks = { resolve: (reply) => resolve(replyFields(reply) as RequestResult<T>), reject };
      if (this._state === 'open') this.send(message, timeoutMs, callbacks);
      else this.queue.push(this.track(message, timeoutMs, callbacks));
    });
  }

  publish(channel: string, input: PublishInput, options?: RequestOptions): Promise<PublishResult> {
    if (!isChannelName(channel)) {
      return Promise.reject(new PulseClientError(ErrorCode.INVALID_MESSAGE, `invalid channel name ${JSON.stringify(channel)}`));
    }
    if (!input.upsert?.length && !input.delete?.length && !input.events?.length) {
      return Promise.reject(new PulseClientError(ErrorCode.INVALID_MESSAGE, 'a publish needs at least one upsert, delete or event'));
    }
    return this.request('publish', { ...input, channel }, options);
  }

  async ping(options?: RequestOptions): Promise<{ rttMs: number; ts: number }> {
    const sentAt = Date.now();
    const reply: PingResult = await this.request('ping', {}, options);
    return { rttMs: Date.now() - sentAt, ts: reply.ts };
  }

  // ---- state ---------------------------------------------------------------------------------

  /** The one place the state changes. */
  private setState(newState: ClientState): void {
    const oldState = this._state;
    if (oldState === newState) return;
    this._state = newState;
    this.events.emit('state', { oldState, newState });
  }

  /** The state to show while retrying, from how many attempts failed. */
  private retryState(): ClientState {
    if (this.failures >= this.opts.fallbackAfter) return 'fallback';
    return this.everOpened || this.failures > 0 ? 'reconnecting' : 'connecting';
  }

  /** Ends everything for good (until `connect()`): `closed` or `error`. */
  private stop(state: 'closed' | 'error', code: number, reason: string): void {
    const hadSocket = this.socket !== null;
    this.unwatchNetwork();
    this.clearTimer('reconnectTimer');
    this.teardown(code, reason, ClientErrorCode.CLOSED);
    this.failQueued(new PulseClientError(ClientErrorCode.CLOSED, `the client is ${state}`));
    this.setState(state);
    if (hadSocket) this.events.emit('disconnect', { code, reason, willReconnect: false });
  }

  // ---- connection attempts -------------------------------------------------------------------

  private attempt(): void {
    this.clearTimer('reconnectTimer');
    const generation = ++this.generation;
    if (!this.opts.network.isOnline()) {
      this.setState('offline');
      return;
    }
    if (this._state === 'offline') this.setState(this.retryState());

    const Impl = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Impl) {
      // Nothing to retry with: the React layer keeps polling snapshots over HTTP.
      this.setState('fallback');
      this.reportError(new PulseClientError(ClientErrorCode.TRANSPORT_UNAVAILABLE, 'no WebSocket implementation available'));
      return;
    }

    // One deadline for the whole handshake: token, socket open and `welcome`.
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      if (generation === this.generation) this.fail(ClientCloseCode.HANDSHAKE_TIMEOUT, 'handshake timed out');
    }, this.opts.requestTimeoutMs);

    const reason: TokenReason = this.tokenRejected ? 'rejected' : this.everOpened || this.failures > 0 ? 'reconnect' : 'connect';
    this.resolveToken(
      reason,
      (token) => {
        if (generation === this.generation) this.open(Impl, token);
      },
      (error) => {
        if (generation !== this.generation) return;
        this.reportError(toClientError(ClientErrorCode.TOKEN_UNAVAILABLE, error, 'getToken() failed'));
        this.fail(ClientCloseCode.ATTEMPT_FAILED, 'no token');
      },
    );
  }

  private open(Impl: WebSocketConstructor, token: string | undefined): void {
    let socket: WebSocketLike;
    try {
      socket = new Impl(typeof this.opts.url === 'function' ? this.opts.url() : this.opts.url);
    } catch (error) {
      this.reportError(toClientError(ClientErrorCode.TRANSPORT_UNAVAILABLE, error, 'could not create the WebSocket'));
      this.fail(ClientCloseCode.ATTEMPT_FAILED, 'socket creation failed');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket === socket) this.authenticate(token);
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.onSocketClosed(event.code, event.reason);
    };
    // A `close` event always follows an `error` event; the close code says more.
    socket.onerror = () => {};
  }

  private authenticate(token: string | undefined): void {
    const message: AuthRequest = token === undefined ? { type: 'auth' } : { type: 'auth', token };
    // No timeout of its own: the handshake deadline covers it.
    this.handshakeRef = this.send(message, undefined, {
      resolve: (welcome) => this.onWelcome(welcome as WelcomeMessage),
      reject: (error) => {
        if (error.code === ClientErrorCode.DISCONNECTED || error.code === ClientErrorCode.CLOSED) return;
        // The server closes the socket next (4401 for auth errors, 1013 for limits).
        if (AUTH_ERRORS.has(error.code)) this.tokenRejected = true;
        this.reportError(error);
      },
    });
  }

  private onWelcome(welcome: WelcomeMessage): void {
    this.clearTimer('handshakeTimer');
    this.handshakeRef = undefined;
    if (welcome.protocol !== PROTOCOL_VERSION) {
      this.reportError(new PulseClientError(ClientErrorCode.PROTOCOL_MISMATCH, `the server speaks protocol ${welcome.protocol}, this client ${PROTOCOL_VERSION}`));
      this.stop('error', CloseCode.NORMAL, 'protocol mismatch');
      return;
    }
    const socket = this.socket;
    this._session = welcome;
    this.failures = 0;
    this.everOpened = true;
    this.tokenRejected = false;
    this.setState('open');
    this.events.emit('welcome', { welcome, refreshed: false });
    // A listener may have closed the client meanwhile.
    if (this.socket !== socket || this._state !== 'open') return;
    this.armIdleTimer();
    this.scheduleRefresh(welcome.expiresAt);
    this.subscriptions.onOpen();
    const queued = this.queue;
    this.queue = [];
    for (const pending of queued) this.transmit(pending);
  }

  private onSocketClosed(code: number, reason: string): void {
    const wasOpen = this.teardown(code, reason, ClientErrorCode.DISCONNECTED);
    if (code === CloseCode.NORMAL) {
      this.stop('closed', code, reason);
      this.events.emit('disconnect', { code, reason, willReconnect: false });
      return;
    }
    if (code === CloseCode.MESSAGE_TOO_BIG) {
      this.reportError(new PulseClientError(ErrorCode.PAYLOAD_TOO_LARGE, reason || 'the server refused a frame as too large'));
      this.stop('error', code, reason);
      this.events.emit('disconnect', { code, reason, willReconnect: false });
      return;
    }
    if (code === CloseCode.AUTH) this.tokenRejected = true;
    if (!wasOpen) this.failures++;
    this.events.emit('disconnect', { code, reason, willReconnect: true });
    this.scheduleReconnect(code);
  }

  /** Gives up the current attempt or session from this side and retries. */
  private fail(code: number, reason: string): void {
    const hadSocket = this.socket !== null;
    const wasOpen = this.teardown(code, reason, ClientErrorCode.DISCONNECTED);
    if (!wasOpen) this.failures++;
    if (hadSocket) this.events.emit('disconnect', { code, reason, willReconnect: true });
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(code?: number): void {
    if (!isActiveState(this._state)) return;
    if (!this.opts.network.isOnline()) {
      this.setState('offline');
      return;
    }
    const delayMs =
      code === CloseCode.POLICY_VIOLATION
        ? backoff(this.failures, { ...this.opts.policyBackoff, floor: this.opts.policyBackoff.floor ?? this.opts.policyBackoff.min }, this.opts.random)
        : backoff(this.failures, this.opts.backoff, this.opts.random);
    this.setState(this.retryState());
    this.events.emit('reconnect', code === undefined ? { attempt: this.failures, delayMs } : { attempt: this.failures, delayMs, code });
    if (!isActiveState(this._state) || this._state === 'offline') return;
    this.clearTimer('reconnectTimer');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.attempt();
    }, delayMs);
  }

  /**
   * Ends the current socket, if any, and everything tied to it: timers, sent requests (rejected
   * with `pendingCode`), what subscriptions were waiting for. Queued requests stay queued.
   * Returns whether a session was open.
   */
  private teardown(code: number, reason: string, pendingCode: ClientErrorCode): boolean {
    const wasOpen = this._state === 'open';
    this.generation++;
    this.clearTimer('handshakeTimer');
    this.clearTimer('idleTimer');
    this.clearTimer('refreshTimer');
    this.handshakeRef = undefined;
    this.pingOutstanding = false;
    this._session = null;

    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      // CONNECTING or OPEN: close it ourselves (a dead socket may never report its close).
      if (socket.readyState <= WS_OPEN) {
        try {
          socket.close(code >= 4000 || code === CloseCode.NORMAL ? code : CloseCode.NORMAL, reason.slice(0, 120));
        } catch {
          // Already closing: nothing more to do.
        }
      }
    }

    const sent = [...this.pending.values()];
    this.pending.clear();
    for (const pending of sent) {
      clearTimeout(pending.timer);
      pending.reject(new PulseClientError(pendingCode, `connection lost before the reply to ${pending.message.type}`));
    }
    this.subscriptions.onClose();
    return wasOpen;
  }

  // ---- network -------------------------------------------------------------------------------

  private watchNetwork(): void {
    this.unwatchNetwork();
    this.stopNetworkWatch = this.opts.network.subscribe((online) => (online ? this.onOnline() : this.onOffline()));
  }

  private unwatchNetwork(): void {
    this.stopNetworkWatch?.();
    this.stopNetworkWatch = null;
  }

  private onOffline(): void {
    if (!isActiveState(this._state) || this._state === 'offline') return;
    const hadSocket = this.socket !== null;
    this.clearTimer('reconnectTimer');
    this.teardown(ClientCloseCode.OFFLINE, 'browser offline', ClientErrorCode.DISCONNECTED);
    if (hadSocket) this.events.emit('disconnect', { code: ClientCloseCode.OFFLINE, reason: 'browser offline', willReconnect: true });
    this.setState('offline');
  }

  private onOnline(): void {
    if (this._state !== 'offline') return;
    this.attempt();
  }

  // ---- tokens --------------------------------------------------------------------------------

  /** Calls `getToken` (synchronously when it answers synchronously). */
  private resolveToken(reason: TokenReason, ok: (token: string | undefined) => void, fail: (error: unknown) => void): void {
    const getToken = this.opts.getToken;
    if (!getToken) {
      ok(undefined);
      return;
    }
    let result: ReturnType<GetToken>;
    try {
      result = getToken({ reason });
    } catch (error) {
      fail(error);
      return;
    }
    if (isPromiseLike(result)) {
      Promise.resolve(result).then((token) => ok(token ?? undefined), fail);
    } else {
      ok(result ?? undefined);
    }
  }

  /** Refreshes the token `refreshBeforeMs` before `expiresAt` (at most half the time left). */
  private scheduleRefresh(expiresAt: number | null): void {
    this.clearTimer('refreshTimer');
    if (expiresAt === null || !this.opts.getToken) return;
    const remaining = expiresAt - Date.now();
    const lead = Math.min(this.opts.refreshBeforeMs, Math.max(0, remaining) / 2);
    this.setRefreshTimer(Math.max(0, remaining - lead));
  }

  private setRefreshTimer(delayMs: number): void {
    const generation = this.generation;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (generation === this.generation) this.refreshSession();
    }, delayMs);
  }

  private refreshSession(): void {
    if (this._state !== 'open') return;
    const generation = this.generation;
    const retry = (error: PulseClientError) => {
      if (generation !== this.generation) return;
      this.reportError(error);
      // Try again while there is time; otherwise the server closes with 4401 at `exp` and the
      // reconnect asks for a fresh token anyway.
      const left = (this._session?.expiresAt ?? 0) - Date.now();
      if (left > 2000) this.setRefreshTimer(Math.max(1000, left / 2));
    };
    this.resolveToken(
      'refresh',
      (token) => {
        if (generation !== this.generation || this._state !== 'open' || token === undefined) return;
        this.send({ type: 'auth', token }, this.opts.requestTimeoutMs, {
          resolve: (value) => {
            if ((value as { type?: unknown }).type !== 'welcome') return;
            const welcome = value as WelcomeMessage;
            this._session = welcome;
            this.events.emit('welcome', { welcome, refreshed: true });
            if (generation !== this.generation) return;
            this.armIdleTimer();
            this.scheduleRefresh(welcome.expiresAt);
          },
          reject: (error) => {
            if (error.code !== ClientErrorCode.DISCONNECTED && error.code !== ClientErrorCode.CLOSED) retry(error);
          },
        });
      },
      (error) => retry(toClientError(ClientErrorCode.TOKEN_UNAVAILABLE, error, 'getToken() failed')),
    );
  }

  // ---- heartbeat -----------------------------------------------------------------------------

  /** After `heartbeatMs` of silence, ping; anything received starts the wait over. */
  private armIdleTimer(): void {
    this.clearTimer('idleTimer');
    const session = this._session;
    if (!session) return;
    const generation = this.generation;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (generation === this.generation) this.heartbeat();
    }, session.heartbeatMs);
  }

  private heartbeat(): void {
    if (this._state !== 'open' || this.pingOutstanding) return;
    this.pingOutstanding = true;
    const sentAt = Date.now();
    this.send({ type: 'ping' }, this.opts.heartbeatTimeoutMs, {
      resolve: (reply) => {
        this.pingOutstanding = false;
        this.events.emit('pong', { rttMs: Date.now() - sentAt, serverTs: Number((reply as ReplyMessage & PingResult).ts) });
      },
      reject: (error) => {
        this.pingOutstanding = false;
        if (error.code === ClientErrorCode.TIMEOUT) this.fail(ClientCloseCode.HEARTBEAT_TIMEOUT, 'no answer to ping');
      },
    });
  }

  // ---- frames in -----------------------------------------------------------------------------

  private receive(data: unknown): void {
    if (typeof data === 'string') this.events.emit('frame', { direction: 'in', data, at: Date.now() });
    const message = decodeServerFrame(data);
    if (!message) {
      this.reportError(new PulseClientError(ClientErrorCode.BAD_FRAME, 'unreadable frame from the server'));
      return;
    }
    if (this._state === 'open') this.armIdleTimer();

    switch (message.type) {
      case 'welcome': {
        const ref = typeof message.ref === 'number' ? message.ref : this.handshakeRef;
        if (ref !== undefined) this.settle(ref, message, undefined);
        return;
      }
      case 'reply':
        if (typeof message.ref === 'number') {
          this.settle(message.ref, message, message.ok ? undefined : new PulseClientError(message.error.code, message.error.message));
        }
        return;
      case 'error':
        this.onServerError(message);
        return;
      case 'snapshot':
        this.subscriptions.handleSnapshot(message);
        return;
      case 'delta':
        this.subscriptions.handleDelta(message);
        return;
      case 'presence':
        this.subscriptions.handlePresence(message);
        return;
      case 'presence_diff':
        this.subscriptions.handlePresenceDiff(message);
        return;
    }
  }

  private onServerError(message: ErrorMessage): void {
    const error = new PulseClientError(message.code, message.message);
    if (AUTH_ERRORS.has(message.code)) this.tokenRejected = true;
    // During the handshake the server answers a refused `auth` this way, then closes.
    if (this.handshakeRef !== undefined && AUTH_ERRORS.has(message.code)) {
      const pending = this.pending.get(this.handshakeRef);
      if (pending) {
        this.settle(this.handshakeRef, undefined, error);
        return;
      }
    }
    if (message.channel !== undefined) this.subscriptions.handleEnded(message.channel, message.view, error);
    this.reportError(error);
  }

  private reportError(error: PulseClientError): void {
    this.events.emit('error', { error });
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A request with its timeout running (from now, even while it waits in the queue). */
  private track(message: ClientMessage, timeoutMs: number | undefined, callbacks: RequestCallbacks): Pending {
    const pending: Pending = { message, resolve: callbacks.resolve, reject: callbacks.reject };
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      pending.timer = setTimeout(() => {
        if (pending.ref !== undefined) this.pending.delete(pending.ref);
        else this.queue = this.queue.filter((queued) => queued !== pending);
        pending.reject(new PulseClientError(ClientErrorCode.TIMEOUT, `no reply to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    return pending;
  }

  /** Sends a request now; returns its `ref`. */
  private send(message: ClientMessage, timeoutMs: number | undefined, callbacks: RequestCallbacks): number {
    return this.transmit(this.track(message, timeoutMs, callbacks));
  }

  private transmit(pending: Pending): number {
    const ref = this.nextRef++;
    pending.ref = ref;
    this.pending.set(ref, pending);
    const error = this.write({ ...pending.message, ref });
    if (error) this.settle(ref, undefined, error);
    return ref;
  }

  private settle(ref: number, value: unknown, error: PulseClientError | undefined): void {
    const pending = this.pending.get(ref);
    if (!pending) return;
    this.pending.delete(ref);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(value);
  }

  private failQueued(error: PulseClientError): void {
    const queued = this.queue;
    this.queue = [];
    for (const pending of queued) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }

  /** Writes one message; returns the error when it could not be sent. */
  private write(message: ClientMessage): PulseClientError | undefined {
    const socket = this.socket;
    if (!socket || socket.readyState !== WS_OPEN) {
      return new PulseClientError(ClientErrorCode.DISCONNECTED, `cannot send ${message.type}: the socket is not open`);
    }
    let data: string;
    try {
      data = JSON.stringify(message);
    } catch (error) {
      return toClientError(ErrorCode.INVALID_MESSAGE, error, `${message.type} is not serializable`);
    }
    try {
      socket.send(data);
    } catch (error) {
      return toClientError(ClientErrorCode.DISCONNECTED, error, `cannot send ${message.type}`);
    }
    this.events.emit('frame', { direction: 'out', data, at: Date.now() });
    return undefined;
  }

  private clearTimer(name: 'reconnectTimer' | 'handshakeTimer' | 'idleTimer' | 'refreshTimer'): void {
    if (this[name] !== undefined) clearTimeout(this[name]);
    this[name] = undefined;
  }
}

/** A successful reply's own fields (without `type`, `ref` and `ok`). */
function replyFields(reply: unknown): unknown {
  if (typeof reply !== 'object' || reply === null) return reply;
  const { type: _type, ref: _ref, ok: _ok, ...fields } = reply as Record<string, unknown>;
  return fields;
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

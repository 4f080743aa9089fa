/**
 * Public types of the client: options, the event map, subscriptions and requests.
 */
import type { Filter } from '../protocol/filter';
import type {
  ClientMessage,
  DeltaMessage,
  PresenceUser,
  PingResult,
  SeriesAsk,
  PublishResult,
  ResyncResult,
  SnapshotMessage,
  StreamPosition,
  SubscribeResult,
  UnsubscribeResult,
  WelcomeMessage,
} from '../protocol/messages';
import type { BackoffOptions } from '../protocol/backoff';
import type { PulseClientError } from './errors';
import type { NetworkMonitor } from './network';
import type { ClientState } from './states';

// ---- transport ----------------------------------------------------------------------------

// Handler properties are declared through a method so that they are checked bivariantly: the
// DOM `WebSocket` and the `ws` package both declare richer event types than the client reads.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the WebSocket API the client uses; the DOM `WebSocket` and `ws` both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** WebSocket `readyState` value of an open socket. */
export const WS_OPEN = 1;

// ---- options ------------------------------------------------------------------------------

/** Why the client asks for a token, so a token cache knows when a cached one will not do. */
export type TokenReason =
  /** First attempt after `connect()`. */
  | 'connect'
  /** A later attempt after a dropped connection or a failed attempt. */
  | 'reconnect'
  /** The server refused or expired the last token (close 4401, `AUTH_FAILED`, `TOKEN_EXPIRED`). */
  | 'rejected'
  /** The session's token is about to expire; the client refreshes it on the open connection. */
  | 'refresh'
  /** A snapshot is read over HTTP while the socket is in fallback. */
  | 'poll';

export interface TokenContext {
  reason: TokenReason;
}

/** Returns the JWT for `auth`; `null`/`undefined` authenticates anonymously. */
export type GetToken = (context: TokenContext) => string | null | undefined | PromiseLike<string | null | undefined>;

export interface PulseClientOptions {
  /** `ws(s)://host/api/ws`, or a function returning it, resolved at every attempt. */
  url: string | (() => string);
  /** Called before every connection attempt and before every token refresh. Default: anonymous. */
  getToken?: GetToken;
  /** WebSocket implementation. Default: `globalThis.WebSocket` (pass `WebSocket` from `ws` in Node 20). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff with full jitter. Default `{min: 500, max: 10_000}`. */
  backoff?: BackoffOptions;
  /**
   * Backoff after close code 1008 (policy violation, kicked by an admin): the delay is
   * `backoff(attempt, policyBackoff)` with `floor` defaulting to `min`: from `min` up to `min`
   * plus the ceiling. Default `{min: 15_000, max: 60_000}`.
   */
  policyBackoff?: BackoffOptions;
  /** Timeout of every request, and of the handshake (socket open + `welcome`). Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** A `ping` unanswered for this long marks the connection dead. Default 10 000 ms. */
  heartbeatTimeoutMs?: number;
  /** Failed attempts in a row before the state becomes `fallback`. Default 3. */
  fallbackAfter?: number;
  /** Refresh the token this long before `expiresAt` (at most half the remaining lifetime). Default 30 000 ms. */
  refreshBeforeMs?: number;
  /**
   * Online/offline source. Default: `navigator.onLine` and the window's `online`/`offline`
   * events when they exist (browsers), otherwise always online (Node). `null` disables it.
   */
  network?: NetworkMonitor | null;
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

// ---- events -------------------------------------------------------------------------------

/** The connection state changed; the only place `state` changes. */
export interface StateChangeEvent {
  oldState: ClientState;
  newState: ClientState;
}

/** The server accepted `auth`: a new session (`refreshed: false`) or a refreshed token (`true`). */
export interface WelcomeEvent {
  welcome: WelcomeMessage;
  refreshed: boolean;
}

/** The socket closed or was abandoned; `code` is the close code (4000–4099: closed by this client). */
export interface DisconnectEvent {
  code: number;
  reason: string;
  /** Whether a reconnect follows (false after `close()`, 1000, 1009). */
  willReconnect: boolean;
}

/** A reconnect attempt is scheduled `delayMs` from now; `attempt` counts failures since the last `welcome`. */
export interface ReconnectEvent {
  attempt: number;
  delayMs: number;
  /** The close code that caused it, when a close did. */
  code?: number;
}

/** A text frame crossed the socket (for logs and the protocol test page). */
export interface FrameEvent {
  direction: 'in' | 'out';
  data: string;
  /** Client time (ms) when it was sent or received. */
  at: number;
}

/** An error no caller was waiting for: an unsolicited `error` frame, a failed token refresh, an unreadable frame. */
export interface ClientErrorEvent {
  error: PulseClientError;
}

/** A `subscribe` was answered; `recovered` says whether the resume from `since` was lossless. */
export interface SubscribedEvent {
  channel: string;
  /** The view's name on the wire; absent for the channel's default view. */
  view?: string;
  recovered: boolean;
  /** The position the subscribe resumed from, if any. */
  since?: StreamPosition;
  /** `false` when the view asked for series and the channel keeps none (docs/protocol.md §13). */
  series?: false;
}

/** A subscribe was refused (`BAD_FILTER`, `FORBIDDEN`, `SUBSCRIPTION_LIMIT`, …) or timed out. */
export interface SubscriptionErrorEvent {
  channel: string;
  /** The view's name on the wire; absent for the channel's default view. */
  view?: string;
  error: PulseClientError;
}

/** A delta did not continue its view's last position; the client sent `resync`. */
export interface GapEvent {
  channel: string;
  /** The view's name on the wire; absent for the channel's default view. */
  view?: string;
  /** The position the client held (undefined when it had none). */
  position?: StreamPosition;
  /** The offending delta's `epoch` and `prevSeq`. */
  epoch: string;
  prevSeq: number;
}

/** An application-level `ping` was answered. */
export interface PongEvent {
  rttMs: number;
  /** Server time from the reply (ms since epoch). */
  serverTs: number;
}

/** Every event of `PulseClient`, by name. */
export interface ClientEvents {
  state: StateChangeEvent;
  welcome: WelcomeEvent;
  disconnect: DisconnectEvent;
  reconnect: ReconnectEvent;
  frame: FrameEvent;
  error: ClientErrorEvent;
  subscribed: SubscribedEvent;
  subscriptionError: SubscriptionErrorEvent;
  /** A snapshot accepted for a subscribed view. */
  snapshot: SnapshotMessage;
  /** A delta accepted for a subscribed view (after gap detection). */
  delta: DeltaMessage;
  gap: GapEvent;
  pong: PongEvent;
}

// ---- subscriptions ------------------------------------------------------------------------

export interface SubscribeOptions {
  /**
   * Server-side filter (docs/protocol.md §6). Listeners with the same filter and pace share a
   * view; another filter or pace is another view of the channel, beside this one.
   */
  filter?: Filter;
  /**
   * Pace: at most one delta per this many ms, changes in between merged (docs/protocol.md §12);
   * from the server's batch interval to 60000. Default: every batch.
   */
  intervalMs?: number;
  /** Resume the view from this position (for example a server-rendered snapshot's). Used when the client holds none for it. */
  since?: StreamPosition;
  /**
   * Also receive the recent past of the channel's kept numeric fields (docs/protocol.md §13):
   * `true` for every kept field over the kept window, or `{fields, windowMs}`. Series do not make
   * another view: the view's subscribe asks for what all its listeners ask together, and a
   * listener that asks more than the view has resubscribes it for a fresh snapshot.
   */
  series?: SeriesAsk;
  /** A snapshot replaced the view's state. */
  onSnapshot?: (message: SnapshotMessage) => void;
  /** A delta continued the view's state (already checked for gaps). */
  onDelta?: (message: DeltaMessage) => void;
  /** The subscribe was answered (after every reconnect too). */
  onSubscribed?: (event: SubscribedEvent) => void;
  /** The subscribe was refused or timed out, or the server ended the subscription. */
  onError?: (error: PulseClientError) => void;
  /**
   * Also follow who is watching the channel. One subscription per channel asks for it, whatever
   * the number of views (presence counts users). A listener with `presence: true` and nothing
   * else to read (no filter, pace, `since`, `onSnapshot` or `onDelta`) makes no view of its own.
   */
  presence?: boolean;
  /** Who is watching changed (a listener with `presence: true`); also called once the list arrives. */
  onPresence?: (state: PresenceState) => void;
}

/** One view the client holds (`client.views()`): a subscription of a channel, as the wire names it. */
export interface ViewInfo {
  channel: string;
  /** Its name on the wire; absent for the channel's default view. */
  view?: string;
  /** Its stable name (`viewName`), what `view` is whenever it is not the default view. */
  name: string;
  filter?: Filter;
  intervalMs?: number;
  /** How many listeners read it; 0 for a presence holder, or a view on its way out. */
  listeners: number;
  /** Its subscription asks for the channel's presence. */
  presence: boolean;
  /** What its subscription asks of series (what its listeners ask together), if anything. */
  series?: SeriesAsk;
  /** A subscribe went out on the current connection (and was not refused or ended). */
  subscribed: boolean;
  /** The last snapshot or delta applied. */
  position?: StreamPosition;
}

/** Who is watching a channel, as the client holds it (kept across reconnects: the server sends the list again). */
export interface PresenceState {
  channel: string;
  /** Users watching, all of them. */
  count: number;
  /** Listed users, earliest joined first (cut at the server's limit when `truncated`). */
  users: readonly PresenceUser[];
  truncated: boolean;
}

/** Removes what it was returned for; calling it twice does nothing. */
export type Unsubscribe = () => void;

// ---- requests -----------------------------------------------------------------------------

/** Requests a caller may send with `request()`; `auth` is the client's own business. */
export type RequestType = Exclude<ClientMessage['type'], 'auth'>;

/** The fields of request `T`, without `type` and `ref`. */
export type RequestFields<T extends RequestType> = Omit<Extract<ClientMessage, { type: T }>, 'type' | 'ref'>;

/** What a successful reply to request `T` carries. */
export interface RequestResults {
  subscribe: SubscribeResult;
  unsubscribe: UnsubscribeResult;
  publish: PublishResult;
  resync: ResyncResult;
  ping: PingResult;
}
export type RequestResult<T extends RequestType> = RequestResults[T];

export interface RequestOptions {
  /** Overrides `requestTimeoutMs` for this request. */
  timeoutMs?: number;
}

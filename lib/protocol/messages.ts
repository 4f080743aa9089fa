/**
 * Every message of protocol v1 (docs/protocol.md §2–§5, §12) as a discriminated union on `type`.
 * Types only: validation lives in `parse.ts`, where bytes become objects.
 */
import type { ErrorCode } from './codes';
import type { Filter } from './filter';

export type Ref = number | string;

/** A JSON value as it travels on the wire. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A record of a channel's keyed state: a JSON object with a string `id`. */
export interface ChannelRecord {
  id: string;
  [field: string]: Json;
}

export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** An event as a publisher sends it. */
export interface EventInput {
  type: string;
  priority?: Priority;
  data?: Json;
}

/** An event as the hub delivers it: stamped with its publish's `seq` and a server time. */
export interface ChannelEvent {
  seq: number;
  ts: number;
  type: string;
  priority: Priority;
  data?: Json;
}

/** A client's position in a channel's history: what it last saw. */
export interface StreamPosition {
  epoch: string;
  seq: number;
}

// ---- client → server ----------------------------------------------------------------------

export interface AuthRequest { type: 'auth'; ref?: Ref; token?: string }
export interface SubscribeRequest {
  type: 'subscribe';
  ref?: Ref;
  channel: string;
  filter?: Filter;
  since?: StreamPosition;
  /** Also receive who is watching the channel (`presence`, then `presence_diff`). */
  presence?: boolean;
  /** Which of the connection's subscriptions to the channel (docs/protocol.md §12); none: the default view. */
  view?: string;
  /** At most one `delta` per this many ms (from the server's batch interval to 60000); none: every batch. */
  intervalMs?: number;
  /** Also receive the recent past of the channel's kept numeric fields (docs/protocol.md §13). */
  series?: SeriesAsk;
}
/** What a `subscribe` asks of series: every kept field over the kept window, or a subset and a shorter window. */
export type SeriesAsk = true | { fields?: string[]; windowMs?: number };
/**
 * The recent past of numeric fields (docs/protocol.md §13): per record, per field, one entry
 * per bucket from `start` (inclusive) to `end` (exclusive); `null` where there was no number.
 */
export interface SeriesPayload {
  resolutionMs: number;
  start: number;
  end: number;
  fields: string[];
  records: Record<string, Record<string, Array<number | null>>>;
}
export interface UnsubscribeRequest { type: 'unsubscribe'; ref?: Ref; channel: string; view?: string }
export interface PublishInput {
  upsert?: ChannelRecord[];
  delete?: string[];
  events?: EventInput[];
}
export interface PublishRequest extends PublishInput { type: 'publish'; ref?: Ref; channel: string }
export interface ResyncRequest { type: 'resync'; ref?: Ref; channel: string; view?: string }
export interface PingRequest { type: 'ping'; ref?: Ref }

export type ClientMessage =
  | AuthRequest
  | SubscribeRequest
  | UnsubscribeRequest
  | PublishRequest
  | ResyncRequest
  | PingRequest;
export type ClientMessageType = ClientMessage['type'];

// ---- server → client ----------------------------------------------------------------------

export interface WelcomeMessage {
  type: 'welcome';
  ref?: Ref;
  protocol: number;
  connectionId: string;
  instance: string;
  user: string;
  tenant: string;
  heartbeatMs: number;
  /** ms since epoch when the token expires, or null for a session without expiry. */
  expiresAt: number | null;
  /**
   * The channels the session may publish to: the token's `channels.publish` patterns, present
   * only when it grants any (docs/protocol.md §2). Lets a page offer actions, such as an alert's
   * acknowledge, only where the hub would accept them; the hub still decides each publish.
   */
  publish?: string[];
}

export interface ErrorBody { code: ErrorCode; message: string }

export interface ReplyOk { type: 'reply'; ref: Ref; ok: true; [field: string]: unknown }
export interface ReplyError { type: 'reply'; ref: Ref; ok: false; error: ErrorBody }
export type ReplyMessage = ReplyOk | ReplyError;

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** Set when the error ended a subscription (a refreshed token that no longer allows it): its channel. */
  channel?: string;
  /** With `channel`, when the subscription it ended is a named view. */
  view?: string;
}

export interface SnapshotMessage {
  type: 'snapshot';
  channel: string;
  /** The subscription's view; absent for the default view. */
  view?: string;
  epoch: string;
  seq: number;
  records: ChannelRecord[];
  events: ChannelEvent[];
  gap: boolean;
  /** For a subscription that asked for series on a channel that keeps them (docs/protocol.md §13). */
  series?: SeriesPayload;
}

export interface DeltaMessage {
  type: 'delta';
  channel: string;
  /** The subscription's view; absent for the default view. */
  view?: string;
  epoch: string;
  prevSeq: number;
  seq: number;
  /** Merge patches, or whole records replacing the client's copy when `recovery` is true. */
  upsert?: Array<Partial<ChannelRecord> & { id: string }>;
  delete?: string[];
  events?: ChannelEvent[];
  recovery?: true;
  /** Server time (ms) of the flush that produced it: on every delta of a subscription with series. */
  ts?: number;
  /** On a recovery delta of a subscription with series: the time since the publish at `since.seq`. */
  series?: SeriesPayload;
}

/** One user watching a channel: all of their connections subscribed to it count as one. */
export interface PresenceUser {
  user: string;
  connections: number;
  /** When the user's first connection joined (ms). */
  joinedAt: number;
  /** The token's `info` claim, when it has one. */
  info?: Json;
}

/** Who is watching a channel, sent after a `subscribe` with `presence: true` and after a gap. */
export interface PresenceMessage {
  type: 'presence';
  channel: string;
  /** The view that asked for presence; absent for the default view. */
  view?: string;
  /** Users watching, all of them. */
  count: number;
  /** Up to the server's list limit, earliest joined first. */
  users: PresenceUser[];
  /** True when `users` is cut at the limit (only `count` then follows changes exactly). */
  truncated: boolean;
}

/** Who joined and left since the last presence message, batched per tick. */
export interface PresenceDiffMessage {
  type: 'presence_diff';
  channel: string;
  /** The view that asked for presence; absent for the default view. */
  view?: string;
  count: number;
  joins: PresenceUser[];
  leaves: string[];
}

export type ServerMessage = WelcomeMessage | ReplyMessage | ErrorMessage | SnapshotMessage | DeltaMessage | PresenceMessage | PresenceDiffMessage;

// ---- successful reply payloads, per request ----------------------------------------------

export interface SubscribeResult {
  channel: string;
  view?: string;
  recovered: boolean;
  /** `false` when series were asked for and the channel keeps none (docs/protocol.md §13). */
  series?: false;
}
export interface UnsubscribeResult { channel: string; view?: string }
export interface PublishResult { channel: string; epoch: string; seq: number }
export interface ResyncResult { channel: string; view?: string }
export interface PingResult { ts: number }

/** One open connection as `GET /api/ws/connections` lists it (docs/protocol.md §10). */
export interface ConnectionInfo {
  id: string;
  /** `null` until the connection has authenticated. */
  user: string | null;
  tenant: string | null;
  /** Channels with at least one subscription (a channel with several views is listed once). */
  subscriptions: string[];
  connectedAt: number;
  lastActivityAt: number;
  bufferedBytes: number;
  remoteAddress: string;
}

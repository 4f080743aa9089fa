/**
 * Requests of an open session (docs/protocol.md §2–§3, §6–§7, §12): one function per message type.
 * Each either answers through `reply`/`fail` or throws a `HubError`, which becomes a failed
 * reply (or an unsolicited `error` when the request had no `ref`).
 */
import {
  CloseCode,
  ErrorCode,
  filterBytes,
  PROTOCOL_VERSION,
  type AuthRequest,
  type ClientMessage,
  type PublishInput,
  type PublishRequest,
  type PublishResult,
  type Ref,
  type SubscribeRequest,
  viewField,
} from '../protocol';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Authenticator, Session } from './auth';
import type { Broadcaster } from './broadcaster';
import type { Connection } from './connection';
import { asHubError, HubError } from './errors';
import { compileFilter } from './filter';
import type { PresenceBook } from '../presence/presence';
import type { HubStats } from './stats';
import { channelKey } from '../protocol/channel';
import { Subscription, subscriptionId, type SubscriptionIndex } from './subscription';
import { selectSeries, type SeriesSelection } from './series';

/** What request handling needs from the hub. */
export interface HubContext {
  readonly config: Config;
  readonly instance: string;
  readonly auth: Authenticator;
  readonly index: SubscriptionIndex;
  readonly broadcaster: Broadcaster;
  readonly stats: HubStats;
  readonly presence: PresenceBook;
  readonly log: Logger;
  /** `bounded`: the input was decoded by a bounded parse already (docs/operations.md, "Limits"). */
  publish(tenant: string, channel: string, input: PublishInput, options?: { bounded?: boolean }): Promise<PublishResult>;
  /** Registers an authenticated connection under its tenant; false when the tenant is full. */
  admit(connection: Connection, session: Session): Promise<boolean>;
}

export function reply(connection: Connection, ref: Ref | undefined, fields: Record<string, unknown>): void {
  if (ref !== undefined) connection.send({ type: 'reply', ref, ok: true, ...fields });
}

export function fail(hub: HubContext, connection: Connection, ref: Ref | undefined, code: ErrorCode, message: string): void {
  hub.stats.error(code);
  if (ref !== undefined) connection.send({ type: 'reply', ref, ok: false, error: { code, message } });
  else connection.send({ type: 'error', code, message });
}

/** The first `auth` of a connection: welcome, or error and close 4401. */
export async function authenticate(hub: HubContext, connection: Connection, request: AuthRequest): Promise<void> {
  // Without `token`, the session cookie the upgrade carried stands in for it (docs/protocol.md §2).
  const result = await hub.auth.authenticate(request.token ?? connection.sessionCookie);
  if (!connection.isOpen) return;
  if (!result.ok) {
    hub.stats.error(result.code);
    hub.log.info({ connection: connection.id, code: result.code, reason: result.message }, 'auth failed');
    connection.send({ type: 'error', code: result.code, message: result.message, ...(request.ref === undefined ? {} : { ref: request.ref }) });
    connection.close(CloseCode.AUTH, result.code);
    return;
  }
  if (!(await hub.admit(connection, result.session))) {
    hub.log.warn(
      { connection: connection.id, user: result.session.user, tenant: result.session.tenant, limit: hub.config.maxConnectionsPerTenant },
      'tenant connection limit reached',
    );
    fail(hub, connection, undefined, ErrorCode.CONNECTION_LIMIT, 'too many connections for this tenant');
    connection.close(CloseCode.TRY_AGAIN_LATER, 'connection limit');
    return;
  }
  startSession(hub, connection, result.session, request.ref);
  hub.log.info(connection.logContext, 'authenticated');
}

function startSession(hub: HubContext, connection: Connection, session: Session, ref: Ref | undefined): void {
  connection.session = session;
  clearTimeout(connection.authTimer);
  scheduleExpiry(hub, connection, session.expiresAt);
  connection.send({
    type: 'welcome',
    ...(ref === undefined ? {} : { ref }),
    protocol: PROTOCOL_VERSION,
    connectionId: connection.id,
    instance: hub.instance,
    user: session.user,
    tenant: session.tenant,
    heartbeatMs: hub.config.heartbeatMs,
    expiresAt: session.expiresAt,
    ...(session.publishPatterns?.length ? { publish: [...session.publishPatterns] } : {}),
  });
}

/** Longest delay a Node timer takes; longer expiries re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function scheduleExpiry(hub: HubContext, connection: Connection, expiresAt: number | null): void {
  clearTimeout(connection.expiryTimer);
  if (expiresAt === null) return;
  const delay = expiresAt - Date.now();
  connection.expiryTimer = setTimeout(() => {
    if (delay > MAX_TIMER_MS) return scheduleExpiry(hub, connection, expiresAt);
    hub.log.info(connection.logContext, 'session expired');
    fail(hub, connection, undefined, ErrorCode.TOKEN_EXPIRED, 'token expired');
    connection.close(CloseCode.AUTH, ErrorCode.TOKEN_EXPIRED);
  }, Math.max(0, Math.min(delay, MAX_TIMER_MS)));
  connection.expiryTimer.unref();
}

/** `auth` on an open session: a refresh for the same user and tenant. */
async function refresh(hub: HubContext, connection: Connection, request: AuthRequest): Promise<void> {
  const current = connection.session!;
  // Only a session that began without a token may re-auth without one; a token session whose
  // user id happens to start with "anon-" still needs a fresh token.
  if (request.token === undefined && current.anonymous) {
    startSession(hub, connection, current, request.ref);
    return;
  }
  const result = await hub.auth.authenticate(request.token ?? connection.sessionCookie);
  if (!result.ok) throw refreshFailed(hub, connection, new HubError(result.code, result.message));
  if (result.session.user !== current.user || result.session.tenant !== current.tenant) {
    throw refreshFailed(hub, connection, new HubError(ErrorCode.AUTH_FAILED, 'a refresh token must be for the same user and tenant'));
  }
  startSession(hub, connection, result.session, request.ref);
  applyRefreshedRights(hub, connection, result.session);
}

/**
 * A refreshed token is the session's rights from now on, for what it already holds too
 * (docs/protocol.md §2): each subscription the new token no longer allows (or whose presence
 * it no longer allows) ends with an unsolicited `FORBIDDEN` naming its channel, and the
 * subscriptions that stay show the new token's `info` in presence.
 */
function applyRefreshedRights(hub: HubContext, connection: Connection, session: Session): void {
  for (const sub of [...connection.subscriptions.values()]) {
    const reason = !session.canSubscribe(sub.channel) ? 'it' : sub.presence && !session.canSeePresence(sub.channel) ? 'presence on it' : undefined;
    if (reason === undefined) {
      hub.presence.updateInfo(sub);
      continue;
    }
    hub.index.remove(sub);
    hub.stats.error(ErrorCode.FORBIDDEN);
    hub.log.info({ ...connection.logContext, channel: sub.channel, view: sub.view }, 'subscription ended by a refreshed token');
    connection.send({
      type: 'error',
      code: ErrorCode.FORBIDDEN,
      message: `subscription to ${describe(sub.channel, sub.view)} ended: the refreshed token does not allow ${reason}`,
      channel: sub.channel,
      ...viewField(sub.view),
    });
  }
}

/** Logs a refused refresh (the session goes on under its old token) and returns the error to throw. */
function refreshFailed(hub: HubContext, connection: Connection, error: HubError): HubError {
  hub.log.info({ ...connection.logContext, code: error.code, reason: error.message }, 'auth refresh failed');
  return error;
}

async function subscribe(hub: HubContext, connection: Connection, request: SubscribeRequest): Promise<void> {
  const session = connection.session!;
  const { channel, view, ref } = request;
  if (!session.canSubscribe(channel)) throw new HubError(ErrorCode.FORBIDDEN, `cannot subscribe to ${channel}`);
  // Every view counts; subscribing again to a held (channel, view) replaces it.
  const id = subscriptionId(channel, view);
  if (!connection.subscriptions.has(id) && connection.subscriptions.size >= hub.config.maxSubscriptions) {
    hub.log.warn({ ...connection.logContext, limit: hub.config.maxSubscriptions }, 'subscription limit reached');
    throw new HubError(ErrorCode.SUBSCRIPTION_LIMIT, `at most ${hub.config.maxSubscriptions} subscriptions per connection`);
  }
  if (request.presence && !session.canSeePresence(channel)) throw new HubError(ErrorCode.FORBIDDEN, `cannot see presence on ${channel}`);
  const filter = request.filter ?? {};
  const bytes = filterBytes(filter);
  checkFilterBudget(hub, connection, id, bytes);
  // Series (docs/protocol.md §13): on a channel that keeps none, the reply says so and nothing else changes.
  let series: SeriesSelection | undefined;
  let noSeries = false;
  if (request.series !== undefined) {
    const spec = hub.broadcaster.seriesSpec(session.tenant, channel);
    if (!spec) noSeries = true;
    else {
      const selected = selectSeries(spec, request.series, filter.fields);
      if (!selected.ok) throw new HubError(ErrorCode.INVALID_MESSAGE, `subscribe: ${selected.message}`);
      series = selected.selection;
    }
  }
  const sub = new Subscription(connection, session.tenant, channel, channelKey(session.tenant, channel), compileFilter(filter), {
    presence: request.presence === true,
    filterBytes: bytes,
    view,
    intervalMs: request.intervalMs,
    series,
  });
  hub.index.add(sub);
  try {
    await hub.broadcaster.initialize(sub, request.since, (recovered) =>
      reply(connection, ref, { channel, ...viewField(view), recovered, ...(noSeries ? { series: false } : {}) }),
    );
  } catch (error) {
    // Not subscribed after all: nothing may arrive for a subscribe that was refused.
    hub.index.remove(sub);
    throw error;
  }
  if (!sub.active) return;
  hub.presence.join(sub);
  if (sub.presence) await hub.presence.start(sub);
}

/**
 * Compiled filters live as long as their subscriptions, so one connection's filters together
 * are bounded too (docs/operations.md, "Limits"): every view's filter counts, except that of the
 * subscription being replaced (`id`).
 */
function checkFilterBudget(hub: HubContext, connection: Connection, id: string, bytes: number): void {
  const limit = hub.config.maxFilterBytesPerConnection;
  let total = bytes;
  for (const held of connection.subscriptions.values()) if (held.id !== id) total += held.filterBytes;
  if (total <= limit) return;
  hub.log.warn({ ...connection.logContext, limit }, 'filter budget reached');
  throw new HubError(ErrorCode.BAD_FILTER, `filters of this connection would hold ${total} bytes, over the limit of ${limit} bytes per connection`);
}

/** The connection's subscription to (channel, view), or `NOT_SUBSCRIBED`. */
function subscription(connection: Connection, channel: string, view: string | undefined): Subscription {
  const sub = connection.subscriptions.get(subscriptionId(channel, view));
  if (!sub) throw new HubError(ErrorCode.NOT_SUBSCRIBED, `not subscribed to ${describe(channel, view)}`);
  return sub;
}

/** A subscription as messages name it: `kpi`, or `kpi (view chart)`. */
function describe(channel: string, view: string | undefined): string {
  return view === undefined ? channel : `${channel} (view ${view})`;
}

async function publish(hub: HubContext, connection: Connection, request: PublishRequest): Promise<void> {
  const session = connection.session!;
  if (!session.canPublish(request.channel)) throw new HubError(ErrorCode.FORBIDDEN, `cannot publish to ${request.channel}`);
  const { upsert, delete: deleted, events } = request;
  // The frame was held to the JSON bounds by `parseClientFrame`.
  const result = await hub.publish(session.tenant, request.channel, { upsert, delete: deleted, events }, { bounded: true });
  reply(connection, request.ref, { ...result });
}

/** Runs one validated request of an authenticated connection. */
export async function handleRequest(hub: HubContext, connection: Connection, message: ClientMessage): Promise<void> {
  try {
    switch (message.type) {
      case 'auth':
        return await refresh(hub, connection, message);
      case 'subscribe':
        return await subscribe(hub, connection, message);
      case 'unsubscribe':
        hub.index.remove(subscription(connection, message.channel, message.view));
        return reply(connection, message.ref, { channel: message.channel, ...viewField(message.view) });
      case 'resync': {
        const sub = subscription(connection, message.channel, message.view);
        return await hub.broadcaster.resync(sub, () => reply(connection, message.ref, { channel: message.channel, ...viewField(message.view) }));
      }
      case 'publish':
        return await publish(hub, connection, message);
      case 'ping':
        return reply(connection, message.ref, { ts: Date.now() });
    }
  } catch (error) {
    const refusal = asHubError(error);
    if (refusal) return fail(hub, connection, message.ref, refusal.code, refusal.message);
    hub.log.error({ err: error, connection: connection.id, type: message.type }, 'request failed');
    fail(hub, connection, message.ref, ErrorCode.INTERNAL_ERROR, 'internal error');
  }
}

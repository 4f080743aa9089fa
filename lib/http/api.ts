/**
 * The HTTP API (docs/protocol.md §10), served by the same process and port as the app. Plain
 * Node handlers over the hub, so it runs with or without Next.js.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Hub } from '../hub/hub';
import { asHubError, HubError } from '../hub/errors';
import type { Session } from '../hub/auth';
import { ErrorCode, JSON_LIMITS, TENANT_ID, describeIssue, parseJson, type PublishInput, type SeriesAsk } from '../protocol';
import { readJsonBody, sendError, sendJson, sendJsonNegotiated } from './respond';
import { renderMetrics, METRICS_CONTENT_TYPE } from './metrics';
import { isLoopback } from '../hub/client-address';
import { devTokenAccess, HttpGuard, RetryLater } from './guard';
import { SnapshotReader } from './snapshot-cache';
import { readPageQuery } from './snapshot-page';
import { sessionRoutes } from './session';
import { readSessionCookie } from '../hub/session-cookie';
import type { HttpStatsBody } from './stats';
import { SERVER_TENANT, STATS_CHANNEL } from '../hub/server-figures';
import type { SourceStatus } from '../sources/status';

/** Who is calling: the operator (API key, or loopback in development), a token holder, or anyone. */
type Caller =
  | { kind: 'admin'; tenant: string }
  | { kind: 'token'; tenant: string; session: Session }
  | { kind: 'anonymous'; tenant: string };

const HEALTH = /^\/api\/health$/;
const DEV_TOKEN_TTL_S = 3600;

const tokenRequest = z.object({
  user: z.string().min(1).max(256),
  tenant: z.string().regex(TENANT_ID, `must match ${TENANT_ID.source}`).default('demo'),
  channels: z
    .object({ subscribe: z.array(z.string().max(256)).max(256).optional(), publish: z.array(z.string().max(256)).max(256).optional() })
    .optional(),
  ttlS: z.number().int().min(1).max(7 * 24 * 3600).default(DEV_TOKEN_TTL_S),
});

export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Reads the statuses of the declared sources the server started (for stats and metrics). */
export type SourceStatuses = () => readonly SourceStatus[];

/**
 * Returns a handler that serves the API routes and answers false for anything else. `guard`
 * holds the limits every request passes (docs/operations.md, "Limits"); `sources` reads the
 * statuses of the sources the server runs.
 */
export function createApiHandler(hub: Hub, guard = new HttpGuard(hub.config, hub.log), sources: SourceStatuses = () => []): ApiHandler {
  const { config } = hub;
  const snapshots = new SnapshotReader(hub, guard.stats);
  const httpStats = (): HttpStatsBody => guard.stats.toJSON({ ...snapshots.inFlight, cacheBytes: snapshots.cache.bytes, cacheEntries: snapshots.cache.size });

  function bearer(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  }

  /** Credentials the request presents: the bearer, or on reads the session cookie. */
  function credentials(req: IncomingMessage): string | undefined {
    return bearer(req) ?? (req.method === 'GET' ? readSessionCookie(req.headers.cookie) : undefined);
  }

  function isApiKey(candidate: string | undefined): boolean {
    if (!config.apiKey || candidate === undefined) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(config.apiKey);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** In development without an API key, loopback callers are the admin. */
  function isLoopbackAdmin(req: IncomingMessage): boolean {
    return !config.apiKey && !config.production && isLoopback(guard.address(req));
  }

  /** Admin check: the key when one is configured; loopback only in development without one. */
  function requireAdmin(req: IncomingMessage): void {
    if (config.apiKey) {
      if (!isApiKey(bearer(req))) throw new HubError(ErrorCode.AUTH_FAILED, 'admin API key required');
      return;
    }
    if (config.production) throw new HubError(ErrorCode.AUTH_FAILED, 'admin API key required');
    if (!isLoopback(guard.address(req))) throw new HubError(ErrorCode.FORBIDDEN, 'admin routes are open to loopback clients only');
  }

  async function caller(req: IncomingMessage): Promise<Caller> {
    const token = bearer(req);
    const tenantHeader = req.headers['x-tenant-id'];
    const tenant = typeof tenantHeader === 'string' && tenantHeader ? tenantHeader : 'demo';
    if (token !== undefined && isApiKey(token)) {
      if (!TENANT_ID.test(tenant)) throw new HubError(ErrorCode.INVALID_MESSAGE, `X-Tenant-ID must match ${TENANT_ID.source}`);
      return { kind: 'admin', tenant };
    }
    // A browser's reads may carry the session cookie instead of a header; writes never do (docs/protocol.md §10).
    const presented = token ?? (req.method === 'GET' ? readSessionCookie(req.headers.cookie) : undefined);
    if (presented !== undefined) {
      const result = await hub.authenticate(presented);
      if (!result.ok) throw new HubError(result.code, result.message);
      guard.admitToken(result.session.tenant, result.session.user, guard.address(req));
      return { kind: 'token', tenant: result.session.tenant, session: result.session };
    }
    if (isLoopbackAdmin(req)) return { kind: 'admin', tenant: 'demo' };
    if (config.anonymous) {
      guard.admitTenant(config.dashboardTenant, guard.address(req));
      return { kind: 'anonymous', tenant: config.dashboardTenant };
    }
    throw new HubError(ErrorCode.AUTH_FAILED, 'a token or the API key is required');
  }

  function canRead(who: Caller, channel: string): boolean {
    return who.kind !== 'token' || who.session.canSubscribe(channel);
  }

  const routes: Array<{ method: string; pattern: RegExp; run: (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void> }> = [
    ...sessionRoutes(hub),
    {
      method: 'POST',
      pattern: /^\/api\/channels\/([^/]+)\/publish$/,
      async run(req, res, [channel]) {
        // Without credentials only the admin publishes, and in development without a key the
        // admin is a loopback caller: anyone else is refused as on every admin route (403).
        if (bearer(req) === undefined && !config.apiKey && !config.production && !isLoopback(guard.address(req))) {
          throw new HubError(ErrorCode.FORBIDDEN, 'admin routes are open to loopback clients only; publish with a token');
        }
        const who = await caller(req);
        if (who.kind === 'anonymous') throw new HubError(ErrorCode.AUTH_FAILED, 'publishing needs the API key or a token');
        if (who.kind === 'token' && !who.session.canPublish(channel)) throw new HubError(ErrorCode.FORBIDDEN, `cannot publish to ${channel}`);
        const body = await readJsonBody(req, config.maxPayload);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HubError(ErrorCode.INVALID_MESSAGE, 'body must be a JSON object');
        // `readJsonBody` held the body to the JSON bounds already.
        sendJson(res, 200, await hub.publish(who.tenant, channel, body as PublishInput, { bounded: true }));
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/channels\/([^/]+)\/snapshot$/,
      async run(req, res, [channel], url) {
        const who = await caller(req);
        if (!canRead(who, channel)) throw new HubError(ErrorCode.FORBIDDEN, `cannot read ${channel}`);
        const filter = readFilterQuery(url);
        // `limit` and `after` page the records (docs/protocol.md §10, "Paginated snapshots").
        const paging = readPageQuery(url.searchParams);
        if (!paging.ok) throw new HubError(ErrorCode.INVALID_MESSAGE, paging.message);
        // `series=1` adds the series of the records returned (docs/protocol.md §13).
        const withSeries = readFlag(url, 'series');
        // Large answers go out compressed as the reader accepts (docs/protocol.md §10, "Compression").
        const { body, compressed } = await snapshots.read(who.tenant, channel, filter, paging.page, withSeries);
        await sendJsonNegotiated(req, res, 200, body, compressed);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/channels\/([^/]+)\/series$/,
      async run(req, res, [channel], url) {
        const who = await caller(req);
        if (!canRead(who, channel)) throw new HubError(ErrorCode.FORBIDDEN, `cannot read ${channel}`);
        const filter = readFilterQuery(url);
        const result = await hub.series(who.tenant, channel, filter, readSeriesQuery(url));
        if (!result) return sendError(res, ErrorCode.INVALID_MESSAGE, `${channel} keeps no series`, 404);
        await sendJsonNegotiated(req, res, 200, Buffer.from(JSON.stringify({ channel, epoch: result.epoch, seq: result.seq, series: result.series })));
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/channels\/([^/]+)\/presence$/,
      async run(req, res, [channel]) {
        const who = await caller(req);
        if (!canRead(who, channel) || (who.kind === 'token' && !who.session.canSeePresence(channel))) {
          throw new HubError(ErrorCode.FORBIDDEN, `cannot see presence on ${channel}`);
        }
        const { count, users, truncated } = await hub.presenceOf(who.tenant, channel);
        sendJson(res, 200, { channel, count, users, truncated });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/channels$/,
      async run(req, res) {
        const who = await caller(req);
        const channels = await hub.channels(who.tenant);
        sendJson(res, 200, { channels: channels.filter((info) => canRead(who, info.channel)) });
      },
    },
    {
      method: 'GET',
      pattern: HEALTH,
      async run(_req, res) {
        const healthy = await hub.engineHealthy();
        const status = hub.shuttingDown ? 'shutting_down' : healthy ? 'ok' : 'engine_unreachable';
        sendJson(res, status === 'ok' ? 200 : 503, { status, instance: hub.instance, uptimeS: hub.uptimeS(), engine: hub.engineKind });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/ws\/stats$/,
      async run(req, res) {
        requireAdmin(req);
        sendJson(res, 200, await statsBody(hub, sources(), httpStats()));
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/ws\/stats\/series$/,
      async run(req, res, _params, url) {
        requireAdmin(req);
        // The server's own figures (docs/operations.md, "The server's figures as series"): every
        // instance's record; `instance` names the one answering, whose figures /api/ws/stats gives.
        const result = await hub.series(SERVER_TENANT, STATS_CHANNEL, {}, readSeriesQuery(url));
        if (!result) return sendError(res, ErrorCode.INVALID_MESSAGE, 'this server keeps no series of its figures', 404);
        const body = { channel: STATS_CHANNEL, instance: hub.instance, epoch: result.epoch, seq: result.seq, series: result.series };
        await sendJsonNegotiated(req, res, 200, Buffer.from(JSON.stringify(body)));
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/ws\/connections$/,
      async run(req, res) {
        requireAdmin(req);
        sendJson(res, 200, { connections: hub.listConnections() });
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/ws\/connections\/([^/]+)$/,
      async run(req, res, [id]) {
        requireAdmin(req);
        if (!(await hub.kick(id))) return sendError(res, ErrorCode.INVALID_MESSAGE, `no connection ${id}`, 404);
        sendJson(res, 200, { id, closed: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      async run(req, res) {
        requireAdmin(req);
        const body = await renderMetrics(hub, { sources, http: httpStats });
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
        res.end(body);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/token$/,
      async run(req, res) {
        const access = devTokenAccess(config.devTokens, guard.address(req));
        if (access === 'disabled') return sendError(res, ErrorCode.FORBIDDEN, 'development tokens are disabled', 404);
        if (access === 'remote') throw new HubError(ErrorCode.FORBIDDEN, 'development tokens are issued to loopback clients only');
        const parsed = tokenRequest.safeParse(await readJsonBody(req, 64 * 1024));
        if (!parsed.success) throw new HubError(ErrorCode.INVALID_MESSAGE, describeIssue(parsed.error.issues[0]));
        const { user, tenant, channels, ttlS } = parsed.data;
        const token = await hub.signToken({ sub: user, tenant, channels }, ttlS);
        sendJson(res, 200, { token, expiresAt: (Math.floor(Date.now() / 1000) + ttlS) * 1000 });
      },
    },
  ];

  return async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/api/') && url.pathname !== '/metrics') return false;
    const matching = routes.filter((route) => route.pattern.test(url.pathname));
    if (matching.length === 0) return false;
    const route = matching.find((r) => r.method === req.method);
    // Health keeps its own body while shutting down (it reports `shutting_down` with 503).
    if (hub.shuttingDown && route?.pattern !== HEALTH) {
      sendError(res, ErrorCode.INTERNAL_ERROR, 'server is shutting down', 503);
      return true;
    }
    if (!route) {
      res.setHeader('allow', matching.map((r) => r.method).join(', '));
      sendError(res, ErrorCode.INVALID_MESSAGE, `method ${req.method} not allowed`, 405);
      return true;
    }
    try {
      guard.admit(req, { health: route.pattern === HEALTH, admin: isApiKey(bearer(req)), credentials: credentials(req) !== undefined });
      const params = route.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      await route.run(req, res, params, url);
    } catch (error) {
      const refusal = asHubError(error);
      if (refusal) {
        if (refusal.code === ErrorCode.PAYLOAD_TOO_LARGE) res.setHeader('connection', 'close');
        if (refusal instanceof RetryLater) res.setHeader('retry-after', String(refusal.retryAfterS));
        // Credentials were presented and refused: counted, and wrong ones back the address off.
        if (refusal.status === undefined && (refusal.code === ErrorCode.AUTH_FAILED || refusal.code === ErrorCode.TOKEN_EXPIRED) && credentials(req) !== undefined) {
          guard.authFailed(guard.address(req), url.pathname, refusal.code);
        }
        sendError(res, refusal.code, refusal.message, refusal.status);
      } else if (error instanceof URIError) {
        sendError(res, ErrorCode.INVALID_MESSAGE, 'malformed path');
      } else {
        hub.log.error({ err: error, path: url.pathname }, 'HTTP request failed');
        if (!res.headersSent) sendError(res, ErrorCode.INTERNAL_ERROR, 'internal error');
      }
    }
    return true;
  };
}

/** The `filter` query parameter (URL-encoded JSON), or no filter. */
function readFilterQuery(url: URL): unknown {
  const raw = url.searchParams.get('filter');
  if (!raw) return {};
  const parsed = parseJson(raw, JSON_LIMITS, 'filter');
  if (!parsed.ok) throw new HubError(ErrorCode.BAD_FILTER, parsed.message);
  return parsed.value;
}

/** A yes/no query parameter: `1` or `true`, `0` or `false`; absent is no. */
function readFlag(url: URL, name: string): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new HubError(ErrorCode.INVALID_MESSAGE, `${name}: must be 1 or 0`);
}

/** `fields=a,b` and `windowMs=n` of the series route, as a `subscribe`'s `series` would ask them. */
function readSeriesQuery(url: URL): SeriesAsk {
  const ask: { fields?: string[]; windowMs?: number } = {};
  const fields = url.searchParams.get('fields');
  if (fields !== null) {
    ask.fields = fields.split(',');
    if (ask.fields.some((field) => field === '')) throw new HubError(ErrorCode.INVALID_MESSAGE, 'fields: must be field names separated by commas');
  }
  const windowMs = url.searchParams.get('windowMs');
  if (windowMs !== null) {
    if (!/^[0-9]{1,15}$/.test(windowMs)) throw new HubError(ErrorCode.INVALID_MESSAGE, 'windowMs: must be a whole number of ms');
    ask.windowMs = Number(windowMs);
  }
  return ask;
}

/**
 * The body of `GET /api/ws/stats` (docs/protocol.md §10): the hub's figures, the statuses of
 * the server's sources and, when given, the HTTP API's own counters.
 */
export async function statsBody(hub: Hub, sources: readonly SourceStatus[], http?: HttpStatsBody) {
  const { viewers, cluster, ...figures } = await hub.report();
  return { ...figures, sources: sources.map((source) => source.toJSON()), viewers, cluster, ...(http ? { http } : {}) };
}

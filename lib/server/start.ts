/**
 * Builds and starts the whole server: one HTTP server carrying the HTTP API, the app (when
 * given a Next.js handler) and the hub's WebSocket endpoint on `/api/ws`. Tests and
 * benchmarks call it without Next.js, on port 0. The declared sources it starts are its own:
 * their statuses are what its stats and metrics report.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config';
import { createBackend } from './backend';
import type { SeriesLookup } from '../engine/series-spec';
import type { Engine } from '../engine/types';
import { createHub, type Hub } from '../hub/hub';
import { createApiHandler } from '../http/api';
import { HttpGuard } from '../http/guard';
import { sendError } from '../http/respond';
import { ErrorCode } from '../protocol';
import { createLogger, type Logger } from '../log';
import { registerHub } from './hub-registry';
import { withServerSeries } from '../hub/server-figures';
import { StatsSampler } from './stats-sampler';
import type { SourceStatus } from '../sources/status';

export const WS_PATH = '/api/ws';

const ENGINE_READY_TIMEOUT_MS = 5000;

export interface AppHandlers {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

export interface StartOptions {
  config: Config;
  app?: AppHandlers;
  log?: Logger;
  /** Overrides config.port / config.host (tests use port 0). */
  port?: number;
  host?: string;
  /**
   * Which channels keep series (docs/configuration.md, "channels"): what
   * `loadServerConfiguration` returns as `series`, or `seriesLookup([...])` in tests. None when absent.
   */
  series?: SeriesLookup;
}

export interface PulseServer {
  hub: Hub;
  /** The engine built for the hub (what tests use to reach around the hub's checks). */
  engine: Engine;
  server: Server;
  port: number;
  url: string;
  /**
   * Statuses of the declared sources this server runs (`startSources` adds them): what
   * `GET /api/ws/stats` and `/metrics` report.
   */
  sources: SourceStatus[];
  /** Graceful shutdown of the hub, then the HTTP server. */
  close(): Promise<void>;
}

export async function startPulseServer(options: StartOptions): Promise<PulseServer> {
  const { config, app } = options;
  const log = options.log ?? createLogger(config.logLevel);
  // The server's own figures keep series too, whatever the configuration declares (server-figures.ts).
  const backend = createBackend(config, log, withServerSeries(options.series));
  const hub = createHub(config, { engine: backend.engine, cluster: backend.cluster, presence: backend.presence, log });
  // A shared engine may take a moment to connect; the server starts anyway and reports 503
  // on /api/health (and refuses publishes) until it can.
  if (!(await backend.engine.ready(ENGINE_READY_TIMEOUT_MS))) log.warn({ engine: backend.engine.kind }, 'engine not reachable yet; serving anyway');
  registerHub(hub);
  const sampler = new StatsSampler(hub);
  sampler.start();
  const guard = new HttpGuard(config, log);
  const sources: SourceStatus[] = [];
  const api = createApiHandler(hub, guard, () => sources);
  if (config.production && config.devTokens) {
    log.warn('PULSE_DEV_TOKENS is on in production: POST /api/token signs tokens with publish rights on every channel for any loopback client (a reverse proxy on this host without PULSE_TRUSTED_PROXIES is one)');
  }

  const server = createServer(serverOptions(config), async (req, res) => {
    try {
      if (await api(req, res)) return;
      if (hub.shuttingDown) return sendError(res, ErrorCode.INTERNAL_ERROR, 'server is shutting down', 503);
      if (app) return await app.handle(req, res);
      sendError(res, ErrorCode.INVALID_MESSAGE, 'not found', 404);
    } catch (error) {
      // The path only: a query string may carry credentials, which never go to the logs.
      hub.log.error({ err: error, path: (req.url ?? '').split('?', 1)[0] }, 'request failed');
      if (!res.headersSent) sendError(res, ErrorCode.INTERNAL_ERROR, 'internal error');
      else res.end();
    }
  });

  // Sockets beyond the WebSocket limit, for plain HTTP and for upgrades refused politely.
  server.maxConnections = config.maxConnections + config.httpMaxConnections;
  server.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') guard.stats.requestTimeouts += 1;
    answerClientError(error, socket);
  });

  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path === WS_PATH) return hub.handleUpgrade(req, socket, head);
    // Every other upgrade belongs to Next.js: its request handler attaches its own 'upgrade'
    // listener to this server on the first request (the dev HMR socket, /_next/hmr), so the
    // socket is left alone here. Without an app nobody else listens: refuse politely.
    if (!app) {
      // Upgrade sockets come without Node's error listener: a reset must not crash the process.
      socket.on('error', () => socket.destroy());
      socket.once('finish', () => socket.destroy());
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.port, options.host ?? config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    hub,
    engine: backend.engine,
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    sources,
    close() {
      closing ??= (async () => {
        await sampler.stop();
        await hub.close();
        await backend.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        registerHub(undefined);
      })();
      return closing;
    },
  };
}

/**
 * A request, body included, must arrive within `PULSE_HTTP_REQUEST_TIMEOUT_MS`, its headers
 * within `PULSE_HTTP_HEADERS_TIMEOUT_MS`; then 408 and the socket is closed. Node looks for
 * late requests every `connectionsCheckingInterval`, 30 s by default, which would stretch a
 * 10 s timeout to 40 s: a quarter of the shortest timeout keeps them to what they say.
 * Upgraded sockets are no longer HTTP requests: the timeouts do not reach them.
 */
function serverOptions(config: Config) {
  const shortest = Math.min(config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs);
  return {
    requestTimeout: config.httpRequestTimeoutMs,
    headersTimeout: config.httpHeadersTimeoutMs,
    connectionsCheckingInterval: Math.min(5000, Math.max(50, Math.floor(shortest / 4))),
  };
}

/** What Node does for a malformed or late request when nobody listens for 'clientError'. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // Only when no answer has begun on this socket: anything else would corrupt it.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy();
}

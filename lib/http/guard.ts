/**
 * What every HTTP API request passes before its route runs (docs/operations.md, "Limits";
 * docs/protocol.md §10): the browser checks (an allowed `Origin`, a JSON body), the token
 * buckets per client address, credential and tenant, and the backoff of an address that sent
 * wrong credentials. Refusals are `HubError`s; those a client should retry carry the wait.
 */
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config';
import { addressKey } from '../hub/admission';
import { HubError } from '../hub/errors';
import { isOriginAllowed } from '../hub/origin';
import { consume, createRateState, type RateState } from '../hub/rate-limit';
import type { Logger } from '../log';
import { ErrorCode } from '../protocol';
import { clientAddress, isLoopback } from '../hub/client-address';
import { AUTH_BACKOFF, AuthBackoff, KeyedBuckets, retryAfterS } from './limits';
import { HttpStats, type RateScope } from './stats';

/**
 * Each bucket's rate as a multiple of `PULSE_HTTP_RATE_LIMIT` (per address). A token may be
 * used from a few devices; a tenant is many users; the admin key is the operator's own
 * backend, which may publish steadily, and is limited by its own bucket only.
 */
export const RATE_MULTIPLES: Readonly<Record<RateScope, number>> = Object.freeze({ address: 1, token: 2, tenant: 20, admin: 20, health: 1 });

/** Log lines a second about refused requests, at most (a flood must not become a log flood). */
const LOG_LINES_PER_S = 5;

/** A refusal the client should retry later: answered with `Retry-After: retryAfterS`. */
export class RetryLater extends HubError {
  constructor(code: ErrorCode, message: string, readonly retryAfterS: number, status?: number) {
    super(code, message, status);
    this.name = 'RetryLater';
  }
}

/** What a request is, as far as the guard needs to know before its route runs. */
export interface Admission {
  /** `GET /api/health`: its own bucket, no other check. */
  health: boolean;
  /** The request carries the configured API key. */
  admin: boolean;
  /** The request carries credentials of any kind (a bearer, the session cookie). */
  credentials: boolean;
}

/**
 * Who may get a development token (`POST /api/token`): loopback clients only, so a server
 * listening on every interface in development does not sign tokens for its whole network.
 */
export function devTokenAccess(devTokens: boolean, address: string): 'ok' | 'disabled' | 'remote' {
  if (!devTokens) return 'disabled';
  return isLoopback(address) ? 'ok' : 'remote';
}

/** True for a media type of `application/json`, parameters (`; charset=utf-8`) allowed. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0].trim().toLowerCase() === 'application/json';
}

export class HttpGuard {
  readonly stats = new HttpStats();
  private readonly buckets: Record<RateScope, KeyedBuckets>;
  private readonly backoff: AuthBackoff;
  private readonly logBudget: RateState;
  private suppressedLogs = 0;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const rate = config.httpRateLimit;
    this.buckets = {
      address: new KeyedBuckets(rate * RATE_MULTIPLES.address),
      token: new KeyedBuckets(rate * RATE_MULTIPLES.token),
      tenant: new KeyedBuckets(rate * RATE_MULTIPLES.tenant),
      admin: new KeyedBuckets(rate * RATE_MULTIPLES.admin),
      health: new KeyedBuckets(rate * RATE_MULTIPLES.health),
    };
    this.backoff = new AuthBackoff({ ...AUTH_BACKOFF, failures: config.httpAuthFailures });
    this.logBudget = createRateState(LOG_LINES_PER_S, now());
  }

  /** The client's address (behind `PULSE_TRUSTED_PROXIES`, the one the proxies saw). */
  address(req: IncomingMessage): string {
    return clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.config.trustedProxies);
  }

  /**
   * Checks a request before its route runs: browser checks, then the buckets that need no
   * credentials verified. Throws the refusal.
   */
  admit(req: IncomingMessage, { health, admin, credentials }: Admission): void {
    const address = this.address(req);
    if (health) return this.take('health', addressKey(address), address);
    this.checkCrossSite(req, address);
    this.checkMediaType(req);
    if (credentials) this.checkBackoff(address);
    // The operator's key is limited by its own bucket, not by where it calls from.
    if (admin) return this.take('admin', 'admin', address);
    this.take('address', addressKey(address), address);
  }

  /** The buckets of a verified token holder: the token's (user and tenant), then the tenant's. */
  admitToken(tenant: string, user: string, address: string): void {
    this.take('token', `${tenant}/${user}`, address);
    this.admitTenant(tenant, address);
  }

  /** The tenant's bucket, shared by its token holders and, for the dashboard's tenant, anonymous readers. */
  admitTenant(tenant: string, address: string): void {
    this.take('tenant', tenant, address);
  }

  /**
   * Counts credentials refused with `code` (401) and, for wrong ones (not merely expired), moves
   * the address towards its backoff. Never logs the credential itself.
   */
  authFailed(address: string, path: string, code: ErrorCode): void {
    this.stats.authFailures += 1;
    if (code !== ErrorCode.AUTH_FAILED) return;
    const { failures, blockedMs } = this.backoff.fail(addressKey(address), this.now());
    if (blockedMs !== undefined) {
      this.warn({ remoteAddress: address, failures, retryAfterS: retryAfterS(blockedMs) }, 'HTTP auth backoff');
    } else {
      this.warn({ remoteAddress: address, path, code, failures }, 'HTTP auth failed');
    }
  }

  private checkCrossSite(req: IncomingMessage, address: string): void {
    const { origin } = req.headers;
    const fetchSite = req.headers['sec-fetch-site'];
    // The same rule as the WebSocket upgrade (docs/protocol.md §1). A browser that names the
    // request cross-site without an Origin (a navigation) has no origin to allow.
    const allowed = origin !== undefined ? isOriginAllowed(origin, req.headers.host, this.config.allowedOrigins) : fetchSite !== 'cross-site';
    if (allowed) return;
    this.stats.crossSiteRefusals += 1;
    this.warn({ origin: origin?.slice(0, 200), fetchSite, remoteAddress: address }, 'HTTP request refused: origin');
    throw new HubError(ErrorCode.FORBIDDEN, 'cross-site request refused: Origin not allowed (same host, or PULSE_ALLOWED_ORIGINS)');
  }

  /**
   * A request with a body must declare it JSON. Browsers send `text/plain`, form and multipart
   * bodies cross-site without asking the server first; `application/json` they do not.
   */
  private checkMediaType(req: IncomingMessage): void {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody || isJsonMediaType(req.headers['content-type'])) return;
    this.stats.mediaTypeRefusals += 1;
    throw new HubError(ErrorCode.INVALID_MESSAGE, 'request body must be sent with Content-Type: application/json', 415);
  }

  private checkBackoff(address: string): void {
    const waitMs = this.backoff.blockedFor(addressKey(address), this.now());
    if (waitMs === 0) return;
    this.stats.authBackoffRefusals += 1;
    const seconds = retryAfterS(waitMs);
    throw new RetryLater(
      ErrorCode.RATE_LIMITED,
      `too many failed authentications from this address (PULSE_HTTP_AUTH_FAILURES=${this.config.httpAuthFailures} a minute); retry after ${seconds} s`,
      seconds,
    );
  }

  private take(scope: RateScope, key: string, address: string): void {
    const bucket = this.buckets[scope];
    const waitMs = bucket.take(key, this.now());
    if (waitMs === 0) return;
    this.stats.rateLimited[scope] += 1;
    const seconds = retryAfterS(waitMs);
    this.warn({ scope, remoteAddress: address, limit: bucket.ratePerSec }, 'HTTP rate limited');
    throw new RetryLater(
      ErrorCode.RATE_LIMITED,
      `too many requests for this ${scope === 'health' ? 'address' : scope} (${bucket.ratePerSec}/s with PULSE_HTTP_RATE_LIMIT=${this.config.httpRateLimit}); retry after ${seconds} s`,
      seconds,
    );
  }

  /** Logs at warn within the log budget; the next line that gets through says how many were skipped. */
  private warn(fields: Record<string, unknown>, msg: string): void {
    if (consume(this.logBudget, LOG_LINES_PER_S, this.now()) !== 'ok') {
      this.suppressedLogs += 1;
      return;
    }
    this.log.warn(this.suppressedLogs ? { ...fields, suppressed: this.suppressedLogs } : fields, msg);
    this.suppressedLogs = 0;
  }
}

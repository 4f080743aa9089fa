/**
 * Counters of the HTTP API's limits, reported under `http` in `GET /api/ws/stats` and as
 * `pulse_http_*` in `/metrics` (docs/operations.md). Plain increments on the request path.
 */

/** The buckets a request may be refused by (docs/operations.md, "Limits"). */
export type RateScope = 'address' | 'token' | 'tenant' | 'admin' | 'health';

export class HttpStats {
  /** Requests refused with 429 by a token bucket, by bucket. */
  readonly rateLimited: Record<RateScope, number> = { address: 0, token: 0, tenant: 0, admin: 0, health: 0 };
  /** Requests whose credentials (a wrong key, a bad or expired token) were refused with 401. */
  authFailures = 0;
  /** Requests with credentials refused unchecked (429) while their address was backing off. */
  authBackoffRefusals = 0;
  /** Browser requests refused (403) for a foreign `Origin` or `Sec-Fetch-Site: cross-site`. */
  crossSiteRefusals = 0;
  /** Request bodies refused (415) for not being declared `application/json`. */
  mediaTypeRefusals = 0;
  /** Requests cut off (408) for not arriving whole within the server's timeouts. */
  requestTimeouts = 0;
  /** Snapshot reads refused (503) with every slot busy and the queue full. */
  snapshotsRefused = 0;
  /** Snapshot reads answered from already serialized bytes, and those serialized anew. */
  snapshotCacheHits = 0;
  snapshotCacheMisses = 0;

  /** Total 429s from the token buckets. */
  get rateLimitedTotal(): number {
    return Object.values(this.rateLimited).reduce((sum, count) => sum + count, 0);
  }

  /** The `http` part of `GET /api/ws/stats`, with the snapshot reader's figures of the moment. */
  toJSON(snapshots: SnapshotFigures): HttpStatsBody {
    return {
      rateLimited: this.rateLimitedTotal,
      rateLimitedBy: { ...this.rateLimited },
      authFailures: this.authFailures,
      authBackoffRefusals: this.authBackoffRefusals,
      crossSiteRefusals: this.crossSiteRefusals,
      mediaTypeRefusals: this.mediaTypeRefusals,
      requestTimeouts: this.requestTimeouts,
      snapshots: { ...snapshots, refused: this.snapshotsRefused, cacheHits: this.snapshotCacheHits, cacheMisses: this.snapshotCacheMisses },
    };
  }
}

/** Snapshot reads of the moment: in progress, waiting, and what the cache holds. */
export interface SnapshotFigures {
  active: number;
  queued: number;
  cacheBytes: number;
  cacheEntries: number;
}

export interface HttpStatsBody {
  rateLimited: number;
  rateLimitedBy: Record<RateScope, number>;
  authFailures: number;
  authBackoffRefusals: number;
  crossSiteRefusals: number;
  mediaTypeRefusals: number;
  requestTimeouts: number;
  snapshots: SnapshotFigures & { refused: number; cacheHits: number; cacheMisses: number };
}

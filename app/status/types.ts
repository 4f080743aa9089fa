/**
 * Bodies of the admin routes the status page reads (docs/protocol.md §10). Written out here rather
 * than imported from the server, because the browser only ever sees them as JSON; the connection
 * entry is the protocol's own type, shared with the hub that lists it.
 */
import type { ConnectionInfo, SeriesPayload } from '@/lib/protocol/messages';

export interface Rates {
  in: number;
  out: number;
  inPerSec: number;
  outPerSec: number;
}

/** `GET /api/ws/stats`. */
export interface ServerStats {
  instance: string;
  /** Server time (ms) the figures were read: the bucket the page writes them into. */
  at: number;
  engine: string;
  uptimeS: number;
  connections: { total: number; byTenant: Record<string, number> };
  channels: number;
  subscriptions: number;
  messages: Rates;
  bytes: Rates;
  /** Upper bounds of the histogram buckets holding each percentile; 0 before any delivery. */
  latencyMs: { p50: number; p95: number; p99: number };
  /** Error code → count since start. */
  errors: Record<string, number>;
  slowConsumers: number;
  /** Users watching each channel that has subscribers on this instance. */
  viewers: Array<{ tenant: string; channel: string; users: number }>;
  /** Declared data sources publishing into this instance (docs/sources.md). */
  sources: SourceSummary[];
  /** Every live instance sharing the engine (just this one without Redis). */
  cluster: {
    instances: InstanceSummary[];
    connections: number;
    subscriptions: number;
  };
}

export interface SourceSummary {
  name: string;
  kind: 'http' | 'mqtt' | 'postgres';
  tenant: string;
  channel: string;
  state: 'connecting' | 'live' | 'failing' | 'stopped';
  lastSuccessAt: number | null;
  lastError: string | null;
  recordsPublished: number;
  eventsPublished: number;
  errors: number;
  invalid: number;
  lagMs: number | null;
}

export interface InstanceSummary {
  instance: string;
  startedAt: number;
  uptimeS: number;
  connections: number;
  subscriptions: number;
}

/**
 * `GET /api/ws/stats/series`: the server's own figures over the last fifteen minutes, one
 * record per instance (docs/operations.md, "The server's figures as series").
 */
export interface StatsSeriesBody {
  channel: string;
  /** The instance that answered: the one whose figures `/api/ws/stats` gives too. */
  instance: string;
  epoch: string;
  seq: number;
  series: SeriesPayload;
}

export type { ConnectionInfo } from '@/lib/protocol/messages';

export interface ConnectionList {
  connections: ConnectionInfo[];
}

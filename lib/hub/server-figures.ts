/**
 * The server's own figures as a channel (docs/operations.md, "The server's figures as
 * series"): once a second every instance publishes what `GET /api/ws/stats` reports of it as
 * one record (id: the instance id) to `_pulse.stats` of a tenant no caller can name, and that
 * channel keeps series of the figures (docs/protocol.md §13), so `/status` draws the last
 * fifteen minutes as soon as it opens.
 *
 * Why a tenant and not a checked channel name: tenants are isolated structurally (every
 * channel lives inside its tenant, docs/protocol.md §2), and `@pulse` is not a tenant id
 * (`TENANT_ID` refuses `@`), so no token claim, `X-Tenant-ID` header or configuration entry
 * can reach it. A client's own `_pulse.stats` is an ordinary channel of its own tenant. Only
 * the admin route `GET /api/ws/stats/series` reads this one.
 */
import type { SeriesLookup, SeriesSpec } from '../engine/series-spec';
import { ErrorCode, type ChannelRecord } from '../protocol';
import { ERROR_FIGURE_PREFIX, ERROR_FIGURES, SERVER_FIGURES } from '../protocol/server-figures';

/** The tenant the server's figures live in: outside `TENANT_ID`, so nobody else can name it. */
export const SERVER_TENANT = '@pulse';

/** The channel of `SERVER_TENANT` that holds one record of figures per instance. */
export const STATS_CHANNEL = '_pulse.stats';

/**
 * The numeric fields of a figures record, all kept as series: the gauges and per-second rates
 * of `GET /api/ws/stats`, and the error counts since start per code (lib/protocol/server-figures.ts).
 */
export const STATS_FIELDS = [...SERVER_FIGURES, ...ERROR_FIGURES] as const;

export type StatsField = (typeof STATS_FIELDS)[number];

/** One bucket a second over the last fifteen minutes: 900 buckets × 23 fields per instance. */
export const STATS_SERIES: SeriesSpec = { fields: STATS_FIELDS, resolutionMs: 1000, windowMs: 15 * 60_000 };

/**
 * `lookup` with the server's own series in front: `_pulse.stats` of `SERVER_TENANT` keeps
 * `STATS_SERIES` whatever the configuration says (its tenant cannot be named there, but a
 * pattern for every tenant could match the channel), and nothing else of that tenant keeps any.
 *
 * @example
 * const series = withServerSeries(loadServerConfiguration().series);
 * series.seriesFor(SERVER_TENANT, STATS_CHANNEL); // → STATS_SERIES
 */
export function withServerSeries(lookup: SeriesLookup | undefined): SeriesLookup {
  return {
    seriesFor(tenant, channel) {
      if (tenant === SERVER_TENANT) return channel === STATS_CHANNEL ? STATS_SERIES : undefined;
      return lookup?.seriesFor(tenant, channel);
    },
  };
}

/** What a figures record is made from: the hub's own figures of the moment (`Hub.figures`). */
export interface FiguresSource {
  instance: string;
  /** Server time (ms) the figures were read. */
  at: number;
  connections: { total: number };
  subscriptions: number;
  channels: number;
  messages: { inPerSec: number; outPerSec: number };
  bytes: { inPerSec: number; outPerSec: number };
  latencyMs: { p50: number; p95: number; p99: number };
  errors: Partial<Record<ErrorCode, number>>;
  slowConsumers: number;
}

/**
 * The record an instance publishes: its figures under the names of `STATS_FIELDS`, every
 * error code present (0 when none), and `at`, the time they were read (not a series: it tells
 * the other instances when this one last sampled).
 *
 * @example
 * statsRecord(hub.figures()) // → { id: 'i_41aa', at: 1767225600500, connections: 12, …, 'errors.FORBIDDEN': 0, … }
 */
export function statsRecord(figures: FiguresSource): ChannelRecord & Record<StatsField, number> & { at: number } {
  const errors = Object.fromEntries(Object.values(ErrorCode).map((code) => [`${ERROR_FIGURE_PREFIX}${code}`, figures.errors[code] ?? 0])) as Record<(typeof ERROR_FIGURES)[number], number>;
  return {
    id: figures.instance,
    at: figures.at,
    connections: figures.connections.total,
    subscriptions: figures.subscriptions,
    channels: figures.channels,
    messagesInPerSec: figures.messages.inPerSec,
    messagesOutPerSec: figures.messages.outPerSec,
    bytesInPerSec: figures.bytes.inPerSec,
    bytesOutPerSec: figures.bytes.outPerSec,
    latencyP50Ms: figures.latencyMs.p50,
    latencyP95Ms: figures.latencyMs.p95,
    latencyP99Ms: figures.latencyMs.p99,
    slowConsumers: figures.slowConsumers,
    ...errors,
  };
}

/**
 * Prometheus exposition for `GET /metrics`: hub gauges and counters read from the hub when
 * scraped (nothing is counted twice on the hot path), the delivery-latency histogram, and
 * the default process metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Hub } from '../hub/hub';
import type { LatencyHistogram } from '../hub/stats';
import type { SourceStatus } from '../sources/status';
import type { HttpStatsBody } from './stats';

/** What the server adds to the hub's figures: its sources' statuses and the HTTP API's counters. */
export interface MetricsSources {
  sources?: () => readonly SourceStatus[];
  http?: () => HttpStatsBody;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const registries = new WeakMap<Hub, Registry>();

/** A counter that mirrors a monotonically increasing value read at scrape time. */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value > last) this.inc(value - last);
      last = value;
    },
  });
}

function createRegistry(hub: Hub, { sources = () => [], http }: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counters = () => hub.counters();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });

  gauge('pulse_connections', 'Open WebSocket connections', () => counters().connections);
  gauge('pulse_subscriptions', 'Active subscriptions', () => counters().subscriptions);
  gauge('pulse_channels', 'Channels with at least one subscriber', () => counters().channels);
  gauge('pulse_slow_consumers', 'Connections currently held back as slow consumers', () => counters().slowConsumers);
  mirroredCounter(registry, 'pulse_messages_in_total', 'Frames received from clients', () => counters().messagesIn);
  mirroredCounter(registry, 'pulse_messages_out_total', 'Frames sent to clients', () => counters().messagesOut);
  mirroredCounter(registry, 'pulse_bytes_in_total', 'Bytes received from clients', () => counters().bytesIn);
  mirroredCounter(registry, 'pulse_bytes_out_total', 'Bytes sent to clients', () => counters().bytesOut);
  mirroredCounter(registry, 'pulse_publishes_total', 'Accepted publishes', () => counters().publishes);
  mirroredCounter(registry, 'pulse_rate_limited_total', 'Messages refused by the rate limit', () => counters().rateLimited);
  mirroredCounter(registry, 'pulse_slow_consumer_events_total', 'Times a socket went over the slow-consumer limit', () => counters().slowConsumerEvents);
  new Gauge({
    name: 'pulse_engine_up',
    help: `1 while the engine (${hub.engineKind}) can serve requests`,
    registers: [registry],
    async collect() {
      this.set((await hub.engineHealthy()) ? 1 : 0);
    },
  });
  mirroredCounter(registry, 'pulse_engine_outages_total', 'Times the engine became unreachable', () => counters().engineOutages);
  mirroredCounter(registry, 'pulse_engine_refusals_total', 'Requests refused because the engine was unreachable', () => counters().engineRefusals);
  mirroredCounter(registry, 'pulse_engine_seq_repairs_total', 'Commits that arrived after a gap in seq and were repaired from the history', () => counters().engineSeqRepairs);
  mirroredCounter(registry, 'pulse_flushes_total', 'Broadcaster ticks', () => counters().flushes);
  mirroredCounter(registry, 'pulse_flush_seconds_total', 'Time spent flushing batches', () => counters().flushSeconds);
  mirroredCounter(registry, 'pulse_flush_errors_total', 'Batch windows and catch-ups that could not be serialized (subscribers resynced)', () => counters().flushErrors);

  const bySource = { labelNames: ['source', 'kind'], registers: [registry] };
  const sourceGauge = (name: string, help: string, read: (source: SourceStatus) => number) =>
    new Gauge({
      name,
      help,
      ...bySource,
      collect() {
        for (const source of sources()) this.set({ source: source.name, kind: source.kind }, read(source));
      },
    });
  const sourceCounter = (name: string, help: string, read: (source: SourceStatus) => number) => {
    const last = new Map<SourceStatus, number>();
    new Counter({
      name,
      help,
      ...bySource,
      collect() {
        for (const source of sources()) {
          const delta = read(source) - (last.get(source) ?? 0);
          if (delta > 0) this.inc({ source: source.name, kind: source.kind }, delta);
          last.set(source, read(source));
        }
      },
    });
  };
  sourceGauge('pulse_source_up', 'Source state: 1 live, 0 connecting or failing', (s) => (s.state === 'live' ? 1 : 0));
  sourceGauge('pulse_source_lag_seconds', 'Upstream data received to its publish accepted, last publish', (s) => (s.lagMs ?? 0) / 1000);
  sourceGauge('pulse_source_last_success_timestamp_seconds', 'When a source last succeeded (Unix time, 0 never)', (s) => (s.lastSuccessAt ?? 0) / 1000);
  sourceCounter('pulse_source_records_published_total', 'Records a source upserted or deleted', (s) => s.recordsPublished);
  sourceCounter('pulse_source_events_published_total', 'Events a source published', (s) => s.eventsPublished);
  sourceCounter('pulse_source_errors_total', 'Upstream failures of a source', (s) => s.errors);
  sourceCounter('pulse_source_invalid_total', 'Rows or messages a source skipped as invalid', (s) => s.invalid);

  const lastErrors: Record<string, number> = {};
  new Counter({
    name: 'pulse_errors_total',
    help: 'Errors sent to clients, by code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      for (const [code, value] of Object.entries(counters().errors)) {
        const delta = value - (lastErrors[code] ?? 0);
        if (delta > 0) this.inc({ code }, delta);
        lastErrors[code] = value;
      }
    },
  });
  if (http) registerHttpMetrics(registry, http);
  return registry;
}

/** The HTTP API's limits (docs/operations.md, "Limits"): refusals by kind, snapshot reads and their cache. */
function registerHttpMetrics(registry: Registry, read: () => HttpStatsBody): void {
  const last: Record<string, number> = {};
  new Counter({
    name: 'pulse_http_rate_limited_total',
    help: 'HTTP requests refused with 429 by a token bucket, by bucket',
    labelNames: ['scope'],
    registers: [registry],
    collect() {
      for (const [scope, value] of Object.entries(read().rateLimitedBy)) {
        const delta = value - (last[scope] ?? 0);
        if (delta > 0) this.inc({ scope }, delta);
        last[scope] = value;
      }
    },
  });
  const counter = (name: string, help: string, pick: (body: HttpStatsBody) => number) => mirroredCounter(registry, name, help, () => pick(read()));
  counter('pulse_http_auth_failures_total', 'HTTP requests whose credentials were refused (401)', (b) => b.authFailures);
  counter('pulse_http_auth_backoff_refusals_total', 'HTTP requests with credentials refused unchecked (429) while their address backed off', (b) => b.authBackoffRefusals);
  counter('pulse_http_cross_site_refusals_total', 'Browser requests refused (403) for a foreign Origin', (b) => b.crossSiteRefusals);
  counter('pulse_http_media_type_refusals_total', 'Request bodies refused (415) for not being application/json', (b) => b.mediaTypeRefusals);
  counter('pulse_http_request_timeouts_total', 'HTTP requests cut off (408) for arriving too slowly', (b) => b.requestTimeouts);
  counter('pulse_http_snapshots_refused_total', 'Snapshot reads refused (503) with every slot busy and the queue full', (b) => b.snapshots.refused);
  counter('pulse_http_snapshot_cache_hits_total', 'Snapshot reads answered with already serialized bytes', (b) => b.snapshots.cacheHits);
  counter('pulse_http_snapshot_cache_misses_total', 'Snapshot reads serialized anew', (b) => b.snapshots.cacheMisses);
  const gauge = (name: string, help: string, pick: (body: HttpStatsBody) => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(pick(read())); } });
  gauge('pulse_http_snapshots_in_flight', 'Snapshot reads in progress', (b) => b.snapshots.active);
  gauge('pulse_http_snapshots_queued', 'Snapshot reads waiting for a slot', (b) => b.snapshots.queued);
  gauge('pulse_http_snapshot_cache_bytes', 'Bytes of serialized snapshots kept for repeated reads', (b) => b.snapshots.cacheBytes);
}

/** Writes a histogram recorded in ms as Prometheus seconds (recorded per group, so not a prom-client metric). */
function histogramText(name: string, help: string, histogram: LatencyHistogram): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  let cumulative = 0;
  histogram.buckets.forEach((bound, i) => {
    cumulative += histogram.counts[i];
    lines.push(`${name}_bucket{le="${bound / 1000}"} ${cumulative}`);
  });
  lines.push(`${name}_bucket{le="+Inf"} ${histogram.total}`, `${name}_sum ${histogram.sum / 1000}`, `${name}_count ${histogram.total}`);
  return lines.join('\n') + '\n';
}

/** The `/metrics` body. The server's readers are taken on the first call for a hub. */
export async function renderMetrics(hub: Hub, server: MetricsSources = {}): Promise<string> {
  let registry = registries.get(hub);
  if (!registry) registries.set(hub, (registry = createRegistry(hub, server)));
  const { latency, flushDuration } = hub.counters();
  return (
    (await registry.metrics()) +
    histogramText('pulse_delivery_latency_seconds', 'Publish accepted to delta written to the socket', latency) +
    histogramText('pulse_flush_duration_seconds', 'Time one broadcaster tick takes', flushDuration)
  );
}

/**
 * Prometheus exposition for `GET /metrics`: hub gauges and counters read from the hub when
 * scraped (nothing is counted twice on the hot path), the delivery-latency histogram, and
 * the default process metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Hub } from '../hub/hub';
import type { LatencyHistogram } from '../hub/stats';
import type { SourceStatus } from '../sources/status';

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

function createRegistry(hub: Hub): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { stats } = hub;
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });

  gauge('pulse_connections', 'Open WebSocket connections', () => hub.connections.size);
  gauge('pulse_subscriptions', 'Active subscriptions', () => hub.index.size);
  gauge('pulse_channels', 'Channels with at least one subscriber', () => hub.index.channelCount);
  gauge('pulse_slow_consumers', 'Connections currently held back as slow consumers', () => hub.broadcaster.slowConsumers);
  mirroredCounter(registry, 'pulse_messages_in_total', 'Frames received from clients', () => stats.messagesIn);
  mirroredCounter(registry, 'pulse_messages_out_total', 'Frames sent to clients', () => stats.messagesOut);
  mirroredCounter(registry, 'pulse_bytes_in_total', 'Bytes received from clients', () => stats.bytesIn);
  mirroredCounter(registry, 'pulse_bytes_out_total', 'Bytes sent to clients', () => stats.bytesOut);
  mirroredCounter(registry, 'pulse_publishes_total', 'Accepted publishes', () => stats.publishes);
  mirroredCounter(registry, 'pulse_rate_limited_total', 'Messages refused by the rate limit', () => stats.rateLimited);
  mirroredCounter(registry, 'pulse_slow_consumer_events_total', 'Times a socket went over the slow-consumer limit', () => stats.slowConsumerEvents);
  new Gauge({
    name: 'pulse_engine_up',
    help: `1 while the engine (${hub.engine.kind}) can serve requests`,
    registers: [registry],
    async collect() {
      this.set((await hub.engine.healthy().catch(() => false)) ? 1 : 0);
    },
  });
  mirroredCounter(registry, 'pulse_engine_outages_total', 'Times the engine became unreachable', () => hub.engine.counters().outages);
  mirroredCounter(registry, 'pulse_engine_refusals_total', 'Requests refused because the engine was unreachable', () => stats.engineRefusals);
  mirroredCounter(registry, 'pulse_engine_seq_repairs_total', 'Commits that arrived after a gap in seq and were repaired from the history', () => hub.engine.counters().seqJumps);
  mirroredCounter(registry, 'pulse_flushes_total', 'Broadcaster ticks', () => stats.flushes);
  mirroredCounter(registry, 'pulse_flush_seconds_total', 'Time spent flushing batches', () => stats.flushSeconds);

  const bySource = { labelNames: ['source', 'kind'], registers: [registry] };
  const sourceGauge = (name: string, help: string, read: (source: SourceStatus) => number) =>
    new Gauge({
      name,
      help,
      ...bySource,
      collect() {
        for (const source of hub.sources) this.set({ source: source.name, kind: source.kind }, read(source));
      },
    });
  const sourceCounter = (name: string, help: string, read: (source: SourceStatus) => number) => {
    const last = new Map<SourceStatus, number>();
    new Counter({
      name,
      help,
      ...bySource,
      collect() {
        for (const source of hub.sources) {
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
      for (const [code, value] of Object.entries(stats.errors)) {
        const delta = value - (lastErrors[code] ?? 0);
        if (delta > 0) this.inc({ code }, delta);
        lastErrors[code] = value;
      }
    },
  });
  return registry;
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

export async function renderMetrics(hub: Hub): Promise<string> {
  let registry = registries.get(hub);
  if (!registry) registries.set(hub, (registry = createRegistry(hub)));
  const { latency, flushDuration } = hub.stats;
  return (
    (await registry.metrics()) +
    histogramText('pulse_delivery_latency_seconds', 'Publish accepted to delta written to the socket', latency) +
    histogramText('pulse_flush_duration_seconds', 'Time one broadcaster tick takes', flushDuration)
  );
}

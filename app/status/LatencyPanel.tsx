/**
 * Delivery latency (publish accepted → frame written) as p50, p95 and p99, coloured against
 * what a 100 ms batching hub should do, and p95 over the last fifteen minutes.
 */
import { formatLatency } from './format';
import { lineOf, type StatsHistory } from './history';
import { TimeChart } from './TimeChart';
import { latencyTone, type Tone } from './tones';
import type { ServerStats } from './types';

const TONE_COLOR: Record<Tone, string> = { ok: '#34d399', warn: '#f59e0b', critical: '#ef4444' };

export function LatencyPanel({ stats, history }: { stats: ServerStats; history: StatsHistory }) {
  const { p50, p95, p99 } = stats.latencyMs;
  const figures = [
    { name: 'p50', ms: p50 },
    { name: 'p95', ms: p95 },
    { name: 'p99', ms: p99 },
  ];
  const p95Tone = latencyTone(p95);

  return (
    <section className="pb-panel pb-span-4" aria-labelledby="pb-status-latency">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-latency">
          Delivery latency
        </h2>
        <span className="pb-panel__actions pb-status-hint">publish → sent</span>
      </div>
      <div className="pb-panel__body pb-status-latency">
        <dl className="pb-status-percentiles">
          {figures.map(({ name, ms }) => {
            const tone = latencyTone(ms);
            return (
              <div key={name} className={`pb-status-percentile${tone ? ` pb-status-percentile--${tone}` : ''}`} data-percentile={name}>
                <dt>{name}</dt>
                <dd className="pb-num">{formatLatency(ms)}</dd>
              </div>
            );
          })}
        </dl>
        <TimeChart
          label="p95 over time"
          value={formatLatency(p95)}
          line={lineOf(history, 'latencyP95Ms')}
          format={formatLatency}
          color={p95Tone ? TONE_COLOR[p95Tone] : 'var(--pb-text-muted)'}
          floor={100}
        />
        <p className="pb-status-footnote">
          {p50 > 0 ? 'Upper bounds of histogram buckets, over the last minute.' : 'No deliveries yet: figures appear once clients receive updates.'}
        </p>
      </div>
    </section>
  );
}

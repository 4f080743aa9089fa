'use client';
/**
 * The contact-centre section: floor-wide utilisation, health, peak SLA risk, people waiting and
 * the longest wait, then the same per organisation. Each card draws the last 15 minutes from
 * the server's series (docs/protocol.md §13), server-rendered with the page, so nothing starts
 * flat on first paint or after a refresh, and its header reads the change over that window.
 */
import { useMemo } from 'react';
import { useChannel, useSeriesAggregate } from '@/hooks';
import { formatWindow, seriesChange } from '@/components/charts/geometry';
import { formatWindowChange, type ChangeFormatOptions } from '@/components/charts/change';
import { KpiCard } from '@/components/KpiCard';
import { LiveBadge } from '@/components/LiveBadge';
import { Sparkline } from '@/components/Sparkline';
import { formatDuration, formatInteger } from '@/components/format';
import { asBacklogRow } from '@/components/records';
import type { SeriesLine } from '@/lib/store/types';
import { CHANNELS, WITH_SERIES } from './config';
import { asQueueKpi, summarizeBacklog, summarizeKpi } from './metrics';
import { OrgCards } from './OrgCards';

const SPARK = { width: 240, height: 40 };

/** `19,885` → `19.9k`, for subtitles that must stay on one line. */
function formatCompact(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : formatInteger(value);
}

/**
 * A card's trend: the sparkline of a series and the change over its window. The window is said
 * once in the section's head; each card says it to screen readers and in a tooltip.
 */
function trendOf(line: SeriesLine | null, label: string, spark: { minSpan: number; min?: number }, change: ChangeFormatOptions = {}) {
  const window = formatWindow(line);
  const delta = seriesChange(line);
  const text = formatWindowChange(delta, null, change);
  return {
    change: delta && text ? { delta: delta.delta, text, window } : null,
    sparkline: <Sparkline line={line} {...spark} width={SPARK.width} height={SPARK.height} label={`${label}, last ${window ?? '15 min'}`} />,
  };
}

export function KpiStrip() {
  const kpi = useChannel(CHANNELS.kpi, WITH_SERIES);
  const backlog = useChannel(CHANNELS.backlog, WITH_SERIES);

  const summary = useMemo(() => summarizeKpi(kpi.records.map(asQueueKpi)), [kpi.records]);
  const queues = useMemo(() => summarizeBacklog(backlog.records.map(asBacklogRow)), [backlog.records]);
  const hasBacklog = backlog.records.length > 0;

  // The series keep no agent counts, so the utilisation trend is the mean across queues; the
  // figure above it is weighted by agents online.
  const utilization = trendOf(useSeriesAggregate(CHANNELS.kpi, 'utilization', 'avg'), 'Utilisation', { minSpan: 0.05 }, { scale: 100, decimals: 1, unit: ' pts' });
  const health = trendOf(useSeriesAggregate(CHANNELS.kpi, 'healthScore', 'avg'), 'Health score', { minSpan: 10 }, { decimals: 1, unit: ' pts' });
  const slaRisk = trendOf(useSeriesAggregate(CHANNELS.kpi, 'slaRisk', 'max'), 'Peak SLA risk', { minSpan: 0.2, min: 0 }, { scale: 100, unit: ' pts' });
  const waiting = trendOf(useSeriesAggregate(CHANNELS.backlog, 'waiting', 'sum'), 'Waiting', { minSpan: 10, min: 0 });
  const oldest = trendOf(useSeriesAggregate(CHANNELS.backlog, 'oldestWaitS', 'max'), 'Longest wait', { minSpan: 30, min: 0 }, { format: formatDuration });

  const updatedAt = Math.max(kpi.lastUpdate ?? 0, backlog.lastUpdate ?? 0) || null;
  const pct = (v: number | null) => (v === null ? null : v * 100);
  const healthValue = summary.health === null ? null : Math.round(summary.health);

  return (
    <section className="pb-dash-kpis" aria-labelledby="kpis-title">
      <header className="pb-dash-section-head">
        <h2 id="kpis-title" className="pb-panel__title">
          Contact centre
        </h2>
        <span className="pb-dash-panel__meta">
          {summary.queues} queues · {summary.orgs} organisations · last 15 minutes
        </span>
        <LiveBadge updatedAt={updatedAt} className="pb-dash-section-head__badge" />
      </header>
      <div className="pb-grid pb-grid--kpis">
        <KpiCard
          title="Utilisation"
          value={pct(summary.utilization)}
          decimals={1}
          unit="%"
          {...utilization}
          thresholds={{ warn: 88, critical: 95 }}
          subtitle={`Across ${formatInteger(summary.agents)} agents`}
        />
        <KpiCard
          title="Health score"
          value={healthValue}
          decimals={0}
          unit="/ 100"
          {...health}
          higherIsBetter
          thresholds={{ warn: 70, critical: 50, direction: 'below' }}
          subtitle={summary.weakest ? `Lowest: ${summary.weakest.queue} (${summary.weakest.healthScore})` : 'No queues'}
        />
        <KpiCard
          title="Peak SLA risk"
          value={pct(summary.slaRisk)}
          decimals={0}
          unit="%"
          {...slaRisk}
          higherIsBetter={false}
          thresholds={{ warn: 50, critical: 80 }}
          subtitle={summary.riskiest ? `${summary.riskiest.queue} · ${summary.riskiest.org}` : 'No queues'}
        />
        <KpiCard
          title="Waiting"
          value={hasBacklog ? queues.waiting : null}
          {...waiting}
          higherIsBetter={false}
          subtitle={`${formatCompact(queues.handled)} handled · ${formatCompact(queues.abandoned)} abandoned`}
        />
        <KpiCard
          title="Longest wait"
          value={hasBacklog ? (queues.oldestWaitS ?? 0) : null}
          format={formatDuration}
          {...oldest}
          higherIsBetter={false}
          subtitle={queues.oldestQueue ? `In ${queues.oldestQueue}` : 'Nobody waiting'}
        />
      </div>
      <OrgCards />
    </section>
  );
}

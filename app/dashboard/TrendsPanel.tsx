'use client';
/**
 * Trends: the last 15 minutes per organisation, people waiting (the sum over its queues) and
 * peak SLA risk (the highest of its queues), drawn from the server's series (docs/protocol.md
 * §13) with the page's first paint and kept live as deltas arrive.
 *
 * The organisations are however many the records name, so their lines are aggregated here from
 * the view's series (one `aggregateSeries` per organisation and bucket) rather than with one
 * hook per line.
 */
import { useMemo } from 'react';
import { useChannel, useChannelData } from '@/hooks';
import { CHART_PALETTE, TimeSeriesChart, type ChartSeries, type ChartThreshold } from '@/components/charts/TimeSeriesChart';
import { formatInteger, formatPercent } from '@/components/format';
import { asBacklogRow } from '@/components/records';
import { aggregateSeries, seriesLines, type SeriesAggregate } from '@/lib/store/series';
import type { ChannelData } from '@/lib/store/types';
import { CHANNELS, WITH_SERIES } from './config';
import { asQueueKpi, recordIdsByOrg } from './metrics';
import { Panel } from './Panel';

const SLA_BANDS: readonly ChartThreshold[] = [
  { from: 0.5, to: 0.8, tone: 'warn', label: 'at risk' },
  { from: 0.8, tone: 'critical', label: 'critical' },
];

/** One line per organisation: `op` over its records' `field`, bucket by bucket. */
function orgLines(data: ChannelData | undefined, field: string, op: SeriesAggregate, orgs: readonly string[], ids: Record<string, string[]>): ChartSeries[] {
  const span = data?.series;
  return orgs.map((org, i) => {
    const lines = seriesLines(data, field, ids[org] ?? []);
    // over the view's whole window, so every organisation's line spans the same time
    return { label: org, line: span && lines.length > 0 ? aggregateSeries(lines, op, span) : null, color: CHART_PALETTE[i % CHART_PALETTE.length] };
  });
}

export function TrendsPanel({ className }: { className?: string }) {
  const kpi = useChannel(CHANNELS.kpi, WITH_SERIES);
  const backlog = useChannel(CHANNELS.backlog, WITH_SERIES);
  const kpiData = useChannelData(CHANNELS.kpi);
  const backlogData = useChannelData(CHANNELS.backlog);

  const kpiIds = useMemo(() => recordIdsByOrg(kpi.records.map(asQueueKpi)), [kpi.records]);
  const backlogIds = useMemo(() => recordIdsByOrg(backlog.records.map(asBacklogRow)), [backlog.records]);
  // the organisations in the order the KPI records name them (the cards' order), then any
  // that only have a backlog
  const orgs = useMemo(() => [...new Set([...Object.keys(kpiIds), ...Object.keys(backlogIds)])], [kpiIds, backlogIds]);

  const waiting = useMemo(() => orgLines(backlogData, 'waiting', 'sum', orgs, backlogIds), [backlogData, orgs, backlogIds]);
  const risk = useMemo(() => orgLines(kpiData, 'slaRisk', 'max', orgs, kpiIds), [kpiData, orgs, kpiIds]);

  const updatedAt = Math.max(kpi.lastUpdate ?? 0, backlog.lastUpdate ?? 0) || null;
  return (
    <Panel id="trends" title="Trends" meta={`${orgs.length} organisations · last 15 minutes`} updatedAt={updatedAt} className={className}>
      <div className="pb-dash-trends">
        <section className="pb-dash-trends__chart" aria-labelledby="trends-waiting">
          <h3 id="trends-waiting" className="pb-dash-trends__title">
            Waiting <span className="pb-dash-trends__hint">people in queue, per organisation</span>
          </h3>
          <TimeSeriesChart title="People waiting per organisation" series={waiting} format={formatInteger} min={0} minSpan={10} height={170} fill={false} />
        </section>
        <section className="pb-dash-trends__chart" aria-labelledby="trends-risk">
          <h3 id="trends-risk" className="pb-dash-trends__title">
            Peak SLA risk <span className="pb-dash-trends__hint">highest of the organisation&apos;s queues</span>
          </h3>
          <TimeSeriesChart
            title="Peak SLA risk per organisation"
            series={risk}
            format={(v) => formatPercent(v)}
            min={0}
            max={1}
            thresholds={SLA_BANDS}
            height={170}
            fill={false}
          />
        </section>
      </div>
    </Panel>
  );
}

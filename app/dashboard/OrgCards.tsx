'use client';
/**
 * One card per organisation: its utilisation, health and SLA risk, each with the last
 * 15 minutes drawn from the server's series over the organisation's queues (docs/protocol.md
 * §13), and how many people wait in its queues with the change over that window.
 */
import { useMemo } from 'react';
import { useChannel, useSeriesAggregate } from '@/hooks';
import { formatWindowChange, type ChangeFormatOptions } from '@/components/charts/change';
import { formatWindow, seriesChange } from '@/components/charts/geometry';
import { Flash } from '@/components/Flash';
import { formatInteger, formatPercent } from '@/components/format';
import { kpiDelta, kpiStatus, type KpiThresholds } from '@/components/KpiCard';
import { asBacklogRow } from '@/components/records';
import { Sparkline } from '@/components/Sparkline';
import type { SeriesAggregate } from '@/lib/store/series';
import { CHANNELS, WITH_SERIES } from './config';
import { asQueueKpi, recordIdsByOrg, summarizeOrgs, type OrgSummary } from './metrics';
import { useStableIds } from './useStableIds';

interface Metric {
  key: 'utilization' | 'health' | 'slaRisk';
  label: string;
  /** The series field, and how the organisation's queues combine per bucket. */
  field: string;
  aggregate: SeriesAggregate;
  /** Smallest y range of the sparkline. */
  minSpan: number;
  format(value: number): string;
  change: ChangeFormatOptions;
  thresholds: KpiThresholds;
  trend: 'higher-is-better' | 'higher-is-worse' | 'none';
}

const METRICS: readonly Metric[] = [
  {
    key: 'utilization',
    label: 'Utilisation',
    field: 'utilization',
    aggregate: 'avg',
    minSpan: 0.05,
    format: (v) => formatPercent(v),
    change: { scale: 100, decimals: 1, unit: ' pts' },
    thresholds: { warn: 0.88, critical: 0.95 },
    trend: 'none',
  },
  {
    key: 'health',
    label: 'Health',
    field: 'healthScore',
    aggregate: 'avg',
    minSpan: 10,
    format: (v) => formatInteger(v),
    change: { decimals: 1, unit: ' pts' },
    thresholds: { warn: 70, critical: 50, direction: 'below' },
    trend: 'higher-is-better',
  },
  {
    key: 'slaRisk',
    label: 'Peak SLA risk',
    field: 'slaRisk',
    aggregate: 'max',
    minSpan: 0.2,
    format: (v) => formatPercent(v),
    change: { scale: 100, unit: ' pts' },
    thresholds: { warn: 0.5, critical: 0.8 },
    trend: 'higher-is-worse',
  },
];

function MetricBlock({ org, metric, queues }: { org: OrgSummary; metric: Metric; queues: readonly string[] }) {
  const line = useSeriesAggregate(CHANNELS.kpi, metric.field, metric.aggregate, { records: queues });
  const value = org[metric.key];
  const status = kpiStatus(value, metric.thresholds);
  const change = seriesChange(line);
  const text = formatWindowChange(change, null, metric.change);
  const sentiment = change ? kpiDelta(change.delta, 0, metric.trend === 'none' ? undefined : metric.trend === 'higher-is-better')?.sentiment : undefined;
  return (
    <div className={`pb-dash-org__metric pb-dash-org__metric--${status}`}>
      <dt>{metric.label}</dt>
      <dd>
        <span className="pb-dash-org__figures">
          <Flash value={value} trend={metric.trend} className="pb-dash-org__value pb-num">
            {value === null ? '—' : metric.format(value)}
          </Flash>
          {text && <span className={`pb-dash-org__change pb-dash-org__change--${sentiment ?? 'neutral'} pb-num`}>{text}</span>}
        </span>
        <Sparkline
          line={line}
          minSpan={metric.minSpan}
          width={120}
          height={26}
          strokeWidth={1.25}
          showLast={false}
          color="var(--pb-dash-metric-color)"
          label={`${org.org} ${metric.label}, last ${formatWindow(line) ?? '15 min'}`}
        />
      </dd>
    </div>
  );
}

function OrgBlock({ org, queues, backlogIds }: { org: OrgSummary; queues: readonly string[]; backlogIds: readonly string[] }) {
  const kpiIds = useStableIds(queues);
  const waitingIds = useStableIds(backlogIds);
  const waiting = useSeriesAggregate(CHANNELS.backlog, 'waiting', 'sum', { records: waitingIds });
  const change = formatWindowChange(seriesChange(waiting), formatWindow(waiting));
  return (
    <li className="pb-card pb-dash-org" data-org={org.org}>
      <div className="pb-dash-org__head">
        <span className="pb-dash-org__name">{org.org}</span>
        <span className="pb-dash-org__meta">
          {org.queues} queues · {formatInteger(org.agents)} agents ·{' '}
          <Flash value={org.waiting} trend="higher-is-worse" className="pb-num">
            {formatInteger(org.waiting)}
          </Flash>{' '}
          waiting
          {change && <span className="pb-dash-org__trend pb-num">{change}</span>}
        </span>
      </div>
      <dl className="pb-dash-org__metrics">
        {METRICS.map((metric) => (
          <MetricBlock key={metric.key} org={org} metric={metric} queues={kpiIds} />
        ))}
      </dl>
    </li>
  );
}

export function OrgCards() {
  const kpi = useChannel(CHANNELS.kpi, WITH_SERIES);
  const backlog = useChannel(CHANNELS.backlog, WITH_SERIES);
  const kpiRows = useMemo(() => kpi.records.map(asQueueKpi), [kpi.records]);
  const backlogRows = useMemo(() => backlog.records.map(asBacklogRow), [backlog.records]);
  const orgs = useMemo(() => summarizeOrgs(kpiRows, backlogRows), [kpiRows, backlogRows]);
  const kpiIds = useMemo(() => recordIdsByOrg(kpiRows), [kpiRows]);
  const backlogIds = useMemo(() => recordIdsByOrg(backlogRows), [backlogRows]);

  if (orgs.length === 0) return null;
  return (
    <ul className="pb-dash-orgs" aria-label="Organisations">
      {orgs.map((org) => (
        <OrgBlock key={org.org} org={org} queues={kpiIds[org.org] ?? []} backlogIds={backlogIds[org.org] ?? []} />
      ))}
    </ul>
  );
}

'use client';
/**
 * One card per organisation: its utilisation, health and SLA risk with a one-minute sparkline
 * each, and how many people wait in its queues.
 */
import { useMemo } from 'react';
import { useChannel } from '@/hooks';
import { Flash } from '@/components/Flash';
import { formatInteger, formatPercent } from '@/components/format';
import { kpiStatus, type KpiThresholds } from '@/components/KpiCard';
import { asBacklogRow } from '@/components/records';
import { Sparkline } from '@/components/Sparkline';
import { CHANNELS } from './config';
import { asQueueKpi, sparkRange, summarizeOrgs, type OrgSummary } from './metrics';
import { useSampledHistory, type Histories } from './useSampledHistory';

interface Metric {
  key: 'utilization' | 'health' | 'slaRisk';
  label: string;
  /** Smallest y range of the sparkline (see `sparkRange`). */
  minSpan: number;
  format(value: number): string;
  thresholds: KpiThresholds;
  trend: 'higher-is-better' | 'higher-is-worse' | 'none';
}

const METRICS: readonly Metric[] = [
  { key: 'utilization', label: 'Utilisation', minSpan: 0.05, format: (v) => formatPercent(v), thresholds: { warn: 0.88, critical: 0.95 }, trend: 'none' },
  { key: 'health', label: 'Health', minSpan: 10, format: (v) => formatInteger(v), thresholds: { warn: 70, critical: 50, direction: 'below' }, trend: 'higher-is-better' },
  { key: 'slaRisk', label: 'Peak SLA risk', minSpan: 0.2, format: (v) => formatPercent(v), thresholds: { warn: 0.5, critical: 0.8 }, trend: 'higher-is-worse' },
];

function OrgBlock({ org, history }: { org: OrgSummary; history: Histories }) {
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
        </span>
      </div>
      <dl className="pb-dash-org__metrics">
        {METRICS.map((metric) => {
          const value = org[metric.key];
          const values = history[`${org.org}.${metric.key}`] ?? [];
          const status = kpiStatus(value, metric.thresholds);
          return (
            <div key={metric.key} className={`pb-dash-org__metric pb-dash-org__metric--${status}`}>
              <dt>{metric.label}</dt>
              <dd>
                <Flash value={value} trend={metric.trend} className="pb-dash-org__value pb-num">
                  {value === null ? '—' : metric.format(value)}
                </Flash>
                <Sparkline
                  values={values}
                  {...sparkRange(values, metric.minSpan)}
                  width={120}
                  height={26}
                  strokeWidth={1.25}
                  showLast={false}
                  color="var(--pb-dash-metric-color)"
                  label={`${org.org} ${metric.label}, last minute`}
                />
              </dd>
            </div>
          );
        })}
      </dl>
    </li>
  );
}

export function OrgCards() {
  const kpi = useChannel(CHANNELS.kpi);
  const backlog = useChannel(CHANNELS.backlog);
  const orgs = useMemo(
    () => summarizeOrgs(kpi.records.map(asQueueKpi), backlog.records.map(asBacklogRow)),
    [kpi.records, backlog.records],
  );

  const current: Record<string, number | null> = {};
  for (const org of orgs) for (const metric of METRICS) current[`${org.org}.${metric.key}`] = org[metric.key];
  const history = useSampledHistory(current);

  if (orgs.length === 0) return null;
  return (
    <ul className="pb-dash-orgs" aria-label="Organisations">
      {orgs.map((org) => (
        <OrgBlock key={org.org} org={org} history={history} />
      ))}
    </ul>
  );
}

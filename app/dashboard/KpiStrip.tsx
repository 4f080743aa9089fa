'use client';
/**
 * The contact-centre section: floor-wide utilisation, health, peak SLA risk, people waiting and
 * agents online, then the same per organisation, each with a one-minute sparkline sampled in
 * the browser.
 */
import { useMemo } from 'react';
import { useChannel } from '@/hooks';
import { KpiCard } from '@/components/KpiCard';
import { LiveBadge } from '@/components/LiveBadge';
import { Sparkline } from '@/components/Sparkline';
import { formatDuration, formatInteger } from '@/components/format';
import { asBacklogRow } from '@/components/records';
import { CHANNELS } from './config';
import { asQueueKpi, sparkRange, summarizeBacklog, summarizeKpi } from './metrics';
import { OrgCards } from './OrgCards';
import { useSampledHistory } from './useSampledHistory';

const SPARK = { width: 240, height: 40 };

/** `19,885` → `19.9k`, for subtitles that must stay on one line. */
function formatCompact(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : formatInteger(value);
}

function Spark({ values = [], minSpan, label }: { values: readonly number[] | undefined; minSpan: number; label: string }) {
  return <Sparkline values={values} {...sparkRange(values, minSpan)} width={SPARK.width} height={SPARK.height} label={`${label}, last minute`} />;
}

/** The oldest sample of a history, scaled like the value shown: what the delta arrow compares with. */
function first(values: readonly number[] | undefined, scale = 1): number | null {
  return values && values.length > 1 ? values[0]! * scale : null;
}

export function KpiStrip() {
  const kpi = useChannel(CHANNELS.kpi);
  const backlog = useChannel(CHANNELS.backlog);

  const summary = useMemo(() => summarizeKpi(kpi.records.map(asQueueKpi)), [kpi.records]);
  const queues = useMemo(() => summarizeBacklog(backlog.records.map(asBacklogRow)), [backlog.records]);
  const hasBacklog = backlog.records.length > 0;

  const health = summary.health === null ? null : Math.round(summary.health);
  const history = useSampledHistory({
    utilization: summary.utilization,
    health,
    slaRisk: summary.slaRisk,
    waiting: hasBacklog ? queues.waiting : null,
    agents: summary.queues > 0 ? summary.agents : null,
  });

  const updatedAt = Math.max(kpi.lastUpdate ?? 0, backlog.lastUpdate ?? 0) || null;
  const pct = (v: number | null) => (v === null ? null : v * 100);

  return (
    <section className="pb-dash-kpis" aria-labelledby="kpis-title">
      <header className="pb-dash-section-head">
        <h2 id="kpis-title" className="pb-panel__title">
          Contact centre
        </h2>
        <span className="pb-dash-panel__meta">
          {summary.queues} queues · {summary.orgs} organisations · sparklines show the last minute
        </span>
        <LiveBadge updatedAt={updatedAt} className="pb-dash-section-head__badge" />
      </header>
      <div className="pb-grid pb-grid--kpis">
        <KpiCard
          title="Utilisation"
          value={pct(summary.utilization)}
          decimals={1}
          unit="%"
          previous={first(history.utilization, 100)}
          thresholds={{ warn: 88, critical: 95 }}
          subtitle={`Across ${formatInteger(summary.agents)} agents`}
          sparkline={<Spark values={history.utilization} minSpan={0.05} label="Utilisation" />}
        />
        <KpiCard
          title="Health score"
          value={health}
          decimals={0}
          unit="/ 100"
          previous={first(history.health)}
          higherIsBetter
          thresholds={{ warn: 70, critical: 50, direction: 'below' }}
          subtitle={summary.weakest ? `Lowest: ${summary.weakest.queue} (${summary.weakest.healthScore})` : 'No queues'}
          sparkline={<Spark values={history.health} minSpan={10} label="Health score" />}
        />
        <KpiCard
          title="Peak SLA risk"
          value={pct(summary.slaRisk)}
          decimals={0}
          unit="%"
          previous={first(history.slaRisk, 100)}
          higherIsBetter={false}
          thresholds={{ warn: 50, critical: 80 }}
          subtitle={summary.riskiest ? `${summary.riskiest.queue} · ${summary.riskiest.org}` : 'No queues'}
          sparkline={<Spark values={history.slaRisk} minSpan={0.2} label="Peak SLA risk" />}
        />
        <KpiCard
          title="Waiting"
          value={hasBacklog ? queues.waiting : null}
          previous={first(history.waiting)}
          higherIsBetter={false}
          subtitle={
            queues.oldestWaitS !== null ? (
              <span title={`Longest wait: ${queues.oldestQueue}`}>Longest wait {formatDuration(queues.oldestWaitS)}</span>
            ) : (
              'Nobody waiting'
            )
          }
          sparkline={<Spark values={history.waiting} minSpan={10} label="Waiting" />}
        />
        <KpiCard
          title="Agents online"
          value={summary.queues > 0 ? summary.agents : null}
          previous={first(history.agents)}
          higherIsBetter
          subtitle={`${formatCompact(queues.handled)} handled · ${formatCompact(queues.abandoned)} abandoned`}
          sparkline={<Spark values={history.agents} minSpan={10} label="Agents online" />}
        />
      </div>
      <OrgCards />
    </section>
  );
}

/**
 * The headline figures, one card each: connections (with their recent trend), channels,
 * subscriptions, slow consumers, recent errors, uptime.
 */
import { KpiCard } from '@/components/KpiCard';
import { Sparkline } from '@/components/Sparkline';
import { formatClock } from '@/components/format';
import { formatUptime } from './format';
import { seenLine, type StatsHistory } from './history';
import type { ServerStats } from './types';

export interface OverviewProps {
  stats: ServerStats;
  history: StatsHistory;
  /** Errors per code within the charts' window. */
  recentErrors: Record<string, number>;
  refreshedAt: number | null;
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function Overview({ stats, history, recentErrors, refreshedAt }: OverviewProps) {
  const tenants = Object.keys(stats.connections.byTenant).length;
  const perConnection = stats.connections.total > 0 ? stats.subscriptions / stats.connections.total : 0;
  const recent = sum(recentErrors);
  const startedAt = refreshedAt !== null ? refreshedAt - stats.uptimeS * 1000 : null;

  return (
    <div className="pb-grid pb-status-overview">
      <KpiCard
        title="Connections"
        value={stats.connections.total}
        subtitle={`across ${plural(tenants, 'tenant')}`}
        sparkline={<Sparkline line={seenLine(history, 'connections')} min={0} minSpan={1} width={220} height={30} color="var(--pb-accent)" />}
      />
      <KpiCard title="Channels" value={stats.channels} subtitle="with subscribers" />
      <KpiCard title="Subscriptions" value={stats.subscriptions} subtitle={stats.connections.total > 0 ? `${perConnection.toFixed(1)} per connection` : 'none open'} />
      <KpiCard
        title="Slow consumers"
        value={stats.slowConsumers}
        subtitle="over the send-buffer limit"
        thresholds={{ warn: 1, critical: 10 }}
        sparkline={<Sparkline line={seenLine(history, 'slowConsumers')} min={0} minSpan={1} width={220} height={30} color="var(--pb-warn)" />}
      />
      <KpiCard
        title="Errors · 15 min"
        value={recent}
        subtitle={`${plural(sum(stats.errors), 'error')} since start`}
        thresholds={{ warn: 1, critical: 100 }}
      />
      <KpiCard
        title="Uptime"
        value={stats.uptimeS}
        format={formatUptime}
        subtitle={startedAt !== null ? `since ${formatClock(startedAt)} UTC` : undefined}
      />
    </div>
  );
}

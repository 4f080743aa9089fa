/** The instances serving this hub together: connections per instance as bars, this one marked. */
import { formatInteger } from '@/components/format';
import { BarList } from './BarList';
import { formatUptime } from './format';
import type { ServerStats } from './types';

export function InstancesPanel({ stats }: { stats: ServerStats }) {
  const { instances, connections } = stats.cluster;
  const rows = [...instances].sort((a, b) => b.connections - a.connections || a.instance.localeCompare(b.instance));

  return (
    <section className="pb-panel pb-span-8" aria-labelledby="pb-status-instances">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-instances">
          Instances
        </h2>
        <span className="pb-panel__actions pb-status-hint">
          {rows.length === 1 ? '1 instance' : `${rows.length} instances`} · {formatInteger(connections)} connections
        </span>
      </div>
      <div className="pb-panel__body">
        <BarList
          rows={rows.map((row) => ({
            key: row.instance,
            name: <span className="pb-mono">{row.instance}</span>,
            value: row.connections,
            detail: ` · ${formatInteger(row.subscriptions)} subscriptions · up ${formatUptime(row.uptimeS)}${row.instance === stats.instance ? ' · this page' : ''}`,
            data: { 'data-instance': row.instance },
          }))}
        />
        {stats.engine === 'memory' && <p className="pb-status-lock__note">One process: set REDIS_URL to run several instances as one hub.</p>}
      </div>
    </section>
  );
}

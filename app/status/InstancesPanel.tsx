/** The instances serving this hub together: connections per instance as bars, this one marked. */
import { formatInteger } from '@/components/format';
import { formatUptime } from './format';
import type { ServerStats } from './types';

export function InstancesPanel({ stats }: { stats: ServerStats }) {
  const { instances, connections } = stats.cluster;
  const rows = [...instances].sort((a, b) => b.connections - a.connections || a.instance.localeCompare(b.instance));
  const largest = rows[0]?.connections ?? 0;

  return (
    <section className="pb-panel pb-span-12" aria-labelledby="pb-status-instances">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-instances">
          Instances
        </h2>
        <span className="pb-panel__actions pb-status-hint">
          {rows.length === 1 ? '1 instance' : `${rows.length} instances`} · {formatInteger(connections)} connections
        </span>
      </div>
      <div className="pb-panel__body">
        <ul className="pb-status-bars">
          {rows.map((row) => (
            <li key={row.instance} className="pb-status-bars__row" data-instance={row.instance}>
              <span className="pb-status-bars__name pb-mono">{row.instance}</span>
              <span className="pb-status-bars__track" aria-hidden="true">
                <span className="pb-status-bars__fill" style={{ width: `${largest ? Math.max(2, (row.connections / largest) * 100) : 0}%` }} />
              </span>
              <span className="pb-status-bars__count pb-num">
                {formatInteger(row.connections)}
                <span className="pb-status-bars__share">
                  {' '}
                  · {formatInteger(row.subscriptions)} subscriptions · up {formatUptime(row.uptimeS)}
                  {row.instance === stats.instance && ' · this page'}
                </span>
              </span>
            </li>
          ))}
        </ul>
        {stats.engine === 'memory' && <p className="pb-status-lock__note">One process: set REDIS_URL to run several instances as one hub.</p>}
      </div>
    </section>
  );
}

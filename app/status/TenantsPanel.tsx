/** Connections per tenant as bars, the busiest first. */
import { formatInteger } from '@/components/format';

const SHOWN = 8;

export function TenantsPanel({ byTenant, total }: { byTenant: Record<string, number>; total: number }) {
  const rows = Object.entries(byTenant).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = rows.slice(0, SHOWN);
  const rest = rows.slice(SHOWN);
  const largest = top[0]?.[1] ?? 0;

  return (
    <section className="pb-panel pb-span-4" aria-labelledby="pb-status-tenants">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-tenants">
          Connections by tenant
        </h2>
        <span className="pb-panel__actions pb-status-hint">{rows.length === 1 ? '1 tenant' : `${rows.length} tenants`}</span>
      </div>
      <div className="pb-panel__body">
        {rows.length === 0 ? (
          <p className="pb-empty">No authenticated connections.</p>
        ) : (
          <ul className="pb-status-bars">
            {top.map(([tenant, count]) => (
              <li key={tenant} className="pb-status-bars__row">
                <span className="pb-status-bars__name" title={tenant}>
                  {tenant}
                </span>
                <span className="pb-status-bars__track" aria-hidden="true">
                  <span className="pb-status-bars__fill" style={{ width: `${largest ? Math.max(2, (count / largest) * 100) : 0}%` }} />
                </span>
                <span className="pb-status-bars__count pb-num">
                  {formatInteger(count)}
                  <span className="pb-status-bars__share">{total ? ` · ${Math.round((count / total) * 100)}%` : ''}</span>
                </span>
              </li>
            ))}
            {rest.length > 0 && (
              <li className="pb-status-bars__more">
                and {rest.length} more {rest.length === 1 ? 'tenant' : 'tenants'} with {formatInteger(rest.reduce((a, [, n]) => a + n, 0))} connections
              </li>
            )}
          </ul>
        )}
      </div>
    </section>
  );
}

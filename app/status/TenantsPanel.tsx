/** Connections per tenant as bars, the busiest first. */
import { formatInteger } from '@/components/format';
import { BarList } from './BarList';

const SHOWN = 8;

export function TenantsPanel({ byTenant, total }: { byTenant: Record<string, number>; total: number }) {
  const rows = Object.entries(byTenant).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rest = rows.slice(SHOWN);

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
          <BarList
            rows={rows.slice(0, SHOWN).map(([tenant, count]) => ({
              key: tenant,
              name: tenant,
              title: tenant,
              value: count,
              detail: total ? ` · ${Math.round((count / total) * 100)}%` : '',
            }))}
            more={
              rest.length > 0 &&
              `and ${rest.length} more ${rest.length === 1 ? 'tenant' : 'tenants'} with ${formatInteger(rest.reduce((a, [, n]) => a + n, 0))} connections`
            }
          />
        )}
      </div>
    </section>
  );
}

/**
 * `/d`: the declared dashboards (docs/dashboards.md) the viewer may see, those of its tenant,
 * each with its title, description and panel count. Access as `/` decides it (`dashboardAccess`).
 */
import type { Metadata } from 'next';
import Link from 'next/link';
import type { PanelKind, PanelSpec } from '@/lib/dashboards/types';
import { HubUnavailable } from '../dashboard/HubUnavailable';
import { DashboardBar } from '../dashboard/DashboardHeader';
import { dashboardAccess } from './access';
import { DashboardsSignIn } from './DashboardsSignIn';
import './dashboards.css';

// the list depends on the viewer (and, in development, on the file as it is now)
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Dashboards' };

export default async function DashboardsIndex() {
  const access = await dashboardAccess();
  if (access.phase === 'no-hub') return <HubUnavailable />;
  if (access.phase === 'signed-out') return <DashboardsSignIn reason={access.reason} detail={access.detail} />;
  const { dashboards, session } = access;
  return (
    <div className="pb-app pb-dash">
      <DashboardBar current="/d" />
      <main className="pb-main">
        <div className="pb-dd-intro">
          <h1 className="pb-dd-intro__title">Dashboards</h1>
          <p className="pb-dd-intro__text">
            Declared in the configuration file&apos;s <code>dashboards</code> section; each is live over the channels of tenant{' '}
            <code>{session.tenant}</code>.
          </p>
        </div>
        {dashboards.length === 0 ? (
          <section className="pb-panel pb-dd-empty" aria-labelledby="pb-dd-empty-title">
            <h2 id="pb-dd-empty-title">No dashboards for this tenant</h2>
            <p>
              Declare one in the file <code>PULSE_CONFIG</code> names, under <code>dashboards</code> (see <code>docs/dashboards.md</code>), and it
              appears here.
            </p>
          </section>
        ) : (
          <ul className="pb-dd-list" aria-label="Dashboards">
            {dashboards.map((dashboard) => (
              <li key={dashboard.slug}>
                <Link href={`/d/${dashboard.slug}`} className="pb-panel pb-dd-card" data-testid="dashboard-card">
                  <span className="pb-dd-card__title">{dashboard.title}</span>
                  {dashboard.description && <span className="pb-dd-card__text">{dashboard.description}</span>}
                  <span className="pb-dd-card__kinds">
                    {kindCounts(dashboard.panels).map(({ kind, label }) => (
                      <span key={kind} className="pb-dd-card__kind">
                        {label}
                      </span>
                    ))}
                  </span>
                  <span className="pb-dd-card__meta">
                    <span>{dashboard.panels.length === 1 ? '1 panel' : `${dashboard.panels.length} panels`}</span>
                    <span className="pb-mono">/d/{dashboard.slug}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}

const KIND_NAMES: Record<PanelKind, [string, string]> = {
  stat: ['stat', 'stats'],
  table: ['table', 'tables'],
  timeseries: ['time series', 'time series'],
  map: ['map', 'maps'],
  barlist: ['bar list', 'bar lists'],
  events: ['event feed', 'event feeds'],
  alerts: ['alerts panel', 'alerts panels'],
};

/** "4 stats", "1 map": what a dashboard is made of, in the order its kinds first appear. */
function kindCounts(panels: readonly PanelSpec[]): Array<{ kind: PanelKind; label: string }> {
  const counts = new Map<PanelKind, number>();
  for (const { kind } of panels) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => ({ kind, label: `${count} ${KIND_NAMES[kind][count === 1 ? 0 : 1]}` }));
}

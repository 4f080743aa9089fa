/**
 * `/d/<slug>`: a dashboard declared in the configuration file (docs/dashboards.md). Rendered on
 * the server with each panel's data (and the series its sparklines and charts draw) in the HTML,
 * then live in the browser. Access as `/` decides it (`dashboardAccess`); a dashboard of
 * another tenant is "not found", exactly as one that does not exist, so nothing of it shows.
 */
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HubUnavailable } from '../../dashboard/HubUnavailable';
import { dashboardAccess, readDashboard, type DashboardData } from '../access';
import { DashboardsSignIn } from '../DashboardsSignIn';
import { DeclaredDashboard } from '../DeclaredDashboard';

// live data: render on every request, never at build time
export const dynamic = 'force-dynamic';

interface PageProps {
  params: Promise<{ slug: string }>;
}

export async function generateMetadata({ params }: PageProps): Promise<Metadata> {
  const { slug } = await params;
  const access = await dashboardAccess();
  const dashboard = access.phase === 'signed-in' ? access.dashboards.find((d) => d.slug === slug) : undefined;
  return { title: dashboard?.title ?? 'Dashboard' };
}

export default async function DeclaredDashboardPage({ params }: PageProps) {
  const { slug } = await params;
  const access = await dashboardAccess();
  if (access.phase === 'no-hub') return <HubUnavailable />;
  if (access.phase === 'signed-out') return <DashboardsSignIn reason={access.reason} detail={access.detail} />;
  const dashboard = access.dashboards.find((d) => d.slug === slug);
  if (!dashboard) notFound();

  // eslint-disable-next-line react-hooks/purity -- a server component renders once per request: when its snapshots are read
  const at = Date.now();
  let data: DashboardData;
  try {
    data = await readDashboard(access.hub, access.session, dashboard, at);
  } catch (error) {
    // e.g. an engine that cannot be reached: say so instead of an error page
    console.error('[dashboards] reading the snapshots failed', error);
    const message = error instanceof Error ? error.message : String(error);
    return <HubUnavailable title="Live data is unavailable" reason={`The hub could not read the channels (${message}).`} />;
  }
  return (
    <DeclaredDashboard
      dashboard={dashboard}
      initial={data.initial}
      panelInitial={data.panelInitial}
      dashboards={access.dashboards.map(({ slug: s, title }) => ({ slug: s, title }))}
      viewer={access.viewer}
    />
  );
}

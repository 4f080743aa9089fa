'use client';
/**
 * A declared dashboard in the browser (docs/dashboards.md): one provider (one socket, one store)
 * seeded with the server-rendered snapshots, so the first paint is the server's data and each
 * panel's view resumes from the `seq` it was rendered at; the panels on a twelve-column grid.
 * A panel whose channel the viewer may not subscribe to is a card saying so, with no data.
 */
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, type CSSProperties } from 'react';
import { useStore } from 'zustand';
import { ConnectionIndicator } from '@/components/ConnectionIndicator';
import { LiveBadge } from '@/components/LiveBadge';
import { PanelCard, PanelGrid, PanelView, panelSpan } from '@/components/panels';
import { PulseProvider } from '@/components/PulseProvider';
import { useConnectionStatus, usePulse } from '@/hooks';
import type { DashboardSpec, PanelSpec } from '@/lib/dashboards/types';
import { ErrorCode } from '@/lib/protocol/codes';
import { newestUpdate } from '@/lib/store/selectors';
import type { InitialSnapshot } from '@/lib/store/types';
import { DashboardBar, ViewerBadge } from '../dashboard/DashboardHeader';
import type { Viewer } from '../dashboard/session';
import './dashboards.css';

/** A dashboard as the navigation lists it. */
export interface DashboardLink {
  slug: string;
  title: string;
}

export interface DeclaredDashboardProps {
  dashboard: DashboardSpec;
  /** One snapshot per view the viewer may see. */
  initial: readonly InitialSnapshot[];
  /** Per panel, its snapshot's index in `initial`; -1 for a panel the viewer may not see. */
  panelInitial: readonly number[];
  /** The viewer's dashboards, for the tabs. */
  dashboards: readonly DashboardLink[];
  /** Null for an anonymous viewer. */
  viewer: Viewer | null;
}

export function DeclaredDashboard({ dashboard, initial, panelInitial, dashboards, viewer }: DeclaredDashboardProps) {
  return (
    <PulseProvider initial={initial}>
      {viewer && <SessionWatch />}
      <div className="pb-app pb-dash">
        <DashboardBar current="/d">
          <DashboardMeta viewer={viewer} />
        </DashboardBar>
        <main className="pb-main">
          <DashboardTabs dashboards={dashboards} current={dashboard.slug} />
          <div className="pb-dd-intro">
            <h1 className="pb-dd-intro__title">{dashboard.title}</h1>
            {dashboard.description && <p className="pb-dd-intro__text">{dashboard.description}</p>}
          </div>
          <PanelGrid className="pb-dd-grid">
            {dashboard.panels.map((panel, index) => {
              const at = panelInitial[index] ?? -1;
              return at < 0 ? <NotPermitted key={index} panel={panel} index={index} /> : <PanelView key={index} panel={panel} initial={initial[at]} />;
            })}
          </PanelGrid>
        </main>
      </div>
    </PulseProvider>
  );
}

/** The viewer's dashboards, this one marked; nothing when it is the only one. */
export function DashboardTabs({ dashboards, current }: { dashboards: readonly DashboardLink[]; current?: string }) {
  if (dashboards.length < 2) return null;
  return (
    <nav className="pb-dd-tabs" aria-label="Dashboards">
      {dashboards.map(({ slug, title }) => (
        <Link key={slug} href={`/d/${slug}`} className="pb-dd-tabs__tab" aria-current={slug === current ? 'page' : undefined}>
          {title}
        </Link>
      ))}
    </nav>
  );
}

/** How fresh the page's data is overall, the connection, and who is signed in. */
function DashboardMeta({ viewer }: { viewer: Viewer | null }) {
  const { store } = usePulse();
  const { state, paused } = useConnectionStatus();
  // the newest data of any view on the page
  const updatedAt = useStore(store, newestUpdate);
  return (
    <div className="pb-header__meta">
      <span className="pb-dash-header__fresh">
        <span className="pb-dash-header__label">Data</span>
        <LiveBadge updatedAt={updatedAt} />
      </span>
      <ConnectionIndicator state={state} paused={paused} />
      {viewer && <ViewerBadge viewer={viewer} />}
    </div>
  );
}

/** A panel over a channel the viewer may not subscribe to: its place on the grid, no data. */
function NotPermitted({ panel, index }: { panel: PanelSpec; index: number }) {
  return (
    <PanelCard
      id={`panel-${index}`}
      title={panel.title}
      className="pb-pf pb-dd-denied"
      style={{ '--pb-panel-span': panelSpan(panel.width) } as CSSProperties}
      updatedAt={null}
      error={{ code: ErrorCode.FORBIDDEN, message: `Not permitted: your session may not subscribe to “${panel.channel}”.` }}
    >
      {null}
    </PanelCard>
  );
}

/**
 * Renders the page again on the server once the hub refuses the session (expired, revoked):
 * the server then asks to sign in, as it does for a first visit.
 */
function SessionWatch() {
  const { client } = usePulse();
  const router = useRouter();
  useEffect(
    () =>
      client.on('error', ({ error }) => {
        if (error.code === ErrorCode.TOKEN_EXPIRED || error.code === ErrorCode.AUTH_FAILED || error.code === ErrorCode.AUTH_REQUIRED) router.refresh();
      }),
    [client, router],
  );
  return null;
}

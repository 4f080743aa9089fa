'use client';
/**
 * The dashboard's header: product name and navigation, how fresh the data is overall, a manual
 * refresh, and the connection state.
 */
import Link from 'next/link';
import type { ReactNode } from 'react';
import { useStore } from 'zustand';
import { usePulse, useConnectionStatus } from '@/hooks';
import { ConnectionIndicator } from '@/components/ConnectionIndicator';
import { LiveBadge } from '@/components/LiveBadge';
import { Watchers } from '@/components/Watchers';
import { newestUpdate } from '@/lib/store/selectors';
import { CHANNELS } from './config';
import { signOut, type Viewer } from './session';
import { useRefresh } from './useRefresh';

function Logo() {
  return (
    <svg className="pb-dash-logo" width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
      <rect x="1" y="1" width="22" height="22" rx="6" fill="currentColor" fillOpacity="0.14" stroke="currentColor" strokeOpacity="0.5" />
      <path d="M4 13h4l2-5 3 9 2.5-6 1.5 2H20" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** The pages, the one shown (`current`, a path) marked as such. */
function DashboardNav({ current }: { current: string }) {
  const here = (path: string) => (current === path ? ('page' as const) : undefined);
  return (
    <nav className="pb-header__nav" aria-label="Pages">
      <Link href="/" aria-current={here('/')}>
        Operations
      </Link>
      <Link href="/d" prefetch={false} aria-current={here('/d')}>
        Dashboards
      </Link>
      <Link href="/status" prefetch={false}>
        Status
      </Link>
      <Link href="/websocket-test" prefetch={false}>
        WebSocket test
      </Link>
    </nav>
  );
}

/** The header's frame: product name and navigation (`current` marks a page, default `/`), then `children` (the header's meta). */
export function DashboardBar({ children, current = '/' }: { children?: ReactNode; current?: string }) {
  return (
    <header className="pb-header pb-dash-header">
      <div className="pb-header__title">
        <Logo />
        Pulseboard
      </div>
      <DashboardNav current={current} />
      {children}
    </header>
  );
}

/** The signed-in viewer and the way out. */
export function ViewerBadge({ viewer }: { viewer: Viewer }) {
  return (
    <span className="pb-dash-header__viewer" data-testid="viewer">
      <span title={`Signed in as ${viewer.user} (tenant ${viewer.tenant})`}>{viewer.user}</span>
      <button type="button" className="pb-dash-signin__link" onClick={() => void signOut()}>
        Sign out
      </button>
    </span>
  );
}

export function DashboardHeader({ viewer = null }: { viewer?: Viewer | null }) {
  const { store } = usePulse();
  const { state, paused } = useConnectionStatus();
  const refresh = useRefresh();
  // the newest data of any view on the page (the store holds this page's views only)
  const updatedAt = useStore(store, newestUpdate);

  return (
    <DashboardBar>
      <div className="pb-header__meta">
        <Watchers channel={CHANNELS.kpi} />
        <span className="pb-dash-header__fresh">
          <span className="pb-dash-header__label">Data</span>
          <LiveBadge updatedAt={updatedAt} />
        </span>
        <button
          type="button"
          className="pb-button pb-dash-refresh"
          onClick={refresh.run}
          disabled={refresh.busy}
          aria-busy={refresh.busy}
          title="Fetch a fresh copy of every panel"
        >
          <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" className={refresh.busy ? 'pb-dash-refresh__icon pb-dash-refresh__icon--busy' : 'pb-dash-refresh__icon'}>
            <path d="M13.5 8a5.5 5.5 0 1 1-1.6-3.9M13.5 2.5v3h-3" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          {refresh.busy ? 'Refreshing…' : 'Refresh'}
        </button>
        <ConnectionIndicator state={state} paused={paused} />
        {viewer && <ViewerBadge viewer={viewer} />}
      </div>
    </DashboardBar>
  );
}

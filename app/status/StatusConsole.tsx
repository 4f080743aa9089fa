'use client';

/**
 * The status page: admin access (key prompt when the server wants one), the live figures, the
 * connection list, and the page's own freshness in the header.
 */
import { useMemo } from 'react';
import { ConnectionIndicator } from '@/components/ConnectionIndicator';
import { LiveBadge } from '@/components/LiveBadge';
import { ConnectionsTable } from './ConnectionsTable';
import { ErrorsPanel } from './ErrorsPanel';
import { historyFromStats, REFRESH_MS, recentErrors } from './history';
import { InstancesPanel } from './InstancesPanel';
import { KeyPrompt } from './KeyPrompt';
import { LatencyPanel } from './LatencyPanel';
import { Overview } from './Overview';
import { ServerPanel } from './ServerPanel';
import { SourcesPanel } from './SourcesPanel';
import { StatusBanner } from './StatusBanner';
import { StatusHeader } from './StatusHeader';
import { TenantsPanel } from './TenantsPanel';
import { TrafficPanel } from './TrafficPanel';
import { ViewersPanel } from './ViewersPanel';
import { useAdminAccess } from './useAdminAccess';
import { useStatusFeed } from './useStatusFeed';

export function StatusConsole() {
  const { access, unlock, report, forget, retry } = useAdminAccess();
  const adminKey = access.phase === 'open' ? access.key : undefined;
  const feed = useStatusFeed(adminKey, report);
  const recent = useMemo(() => recentErrors(feed.history), [feed.history]);
  const { stats, refreshedAt } = feed;
  // Until the first lines arrive, the charts draw this poll's figures alone.
  const history = useMemo(() => feed.history ?? (stats ? historyFromStats(stats) : null), [feed.history, stats]);
  // 401 and 403 change the access state; any other failure is an outage worth a banner.
  const outage = feed.statsError && !feed.statsError.unauthorized && !feed.statsError.forbidden ? feed.statsError : undefined;

  return (
    <div className="pb-app">
      <StatusHeader>
        {access.phase === 'open' && (
          <>
            <ConnectionIndicator
              state={outage ? 'error' : refreshedAt !== null ? 'open' : 'connecting'}
              label={outage ? 'Server unreachable' : refreshedAt !== null ? 'Server reachable' : 'Connecting…'}
            />
            <span className="pb-status-fresh">
              Refreshed <LiveBadge updatedAt={refreshedAt} />
            </span>
            {access.key !== null && (
              <button type="button" className="pb-button pb-button--chip" onClick={forget} title="Remove the admin key from this tab">
                Forget key
              </button>
            )}
          </>
        )}
      </StatusHeader>

      <main className="pb-main pb-status">
        <div className="pb-status-title">
          <h1>Server status</h1>
          {stats && access.phase === 'open' && (
            <p className="pb-status-subtitle">
              <span className="pb-mono">{stats.instance}</span> · {stats.engine} engine · refreshing every {REFRESH_MS / 1000} s
            </p>
          )}
        </div>

        {access.phase === 'starting' && <p className="pb-empty">Loading…</p>}

        {access.phase === 'locked' && <KeyPrompt reason={access.reason} unlock={unlock} />}

        {access.phase === 'forbidden' && (
          <section className="pb-panel pb-status-lock" role="alert">
            <div className="pb-panel__head">
              <h2 className="pb-panel__title">Admin routes closed to this address</h2>
            </div>
            <div className="pb-panel__body pb-status-lock__form">
              <p>{access.message}.</p>
              <p className="pb-status-lock__note">
                Without PULSE_API_KEY the server answers its admin routes only on loopback. Open this page from the server itself
                (http://localhost), or start the server with PULSE_API_KEY and enter that key here.
              </p>
              <div>
                <button type="button" className="pb-button" onClick={retry}>
                  Try again
                </button>
              </div>
            </div>
          </section>
        )}

        {access.phase === 'open' && (
          <>
            {outage && <StatusBanner error={outage} refreshedAt={refreshedAt} />}
            {!stats && !outage && <p className="pb-empty">Reading the server&apos;s figures…</p>}
            {stats && history && (
              <div className={`pb-status-body${outage ? ' pb-status-body--stale' : ''}`}>
                <Overview stats={stats} history={history} recentErrors={recent} refreshedAt={refreshedAt} />
                <div className="pb-grid">
                  <TrafficPanel stats={stats} history={history} />
                  <LatencyPanel stats={stats} history={history} />
                  <TenantsPanel byTenant={stats.connections.byTenant} total={stats.connections.total} />
                  <ViewersPanel viewers={stats.viewers} />
                  <ErrorsPanel total={stats.errors} recent={recent} />
                  <ServerPanel stats={stats} />
                  <InstancesPanel stats={stats} />
                  {/* eslint-disable-next-line react-hooks/purity -- only cached figures shown before the first refresh count their ages from this render */}
                  <SourcesPanel stats={stats} now={refreshedAt ?? Date.now()} />
                </div>
              </div>
            )}
            {(stats || feed.connections) && (
              <ConnectionsTable
                connections={feed.connections}
                error={feed.connectionsError && !outage && !feed.connectionsError.unauthorized ? feed.connectionsError.message : undefined}
                kick={feed.kick}
                kicking={feed.kicking}
                kickError={feed.kickError}
              />
            )}
          </>
        )}
      </main>
    </div>
  );
}

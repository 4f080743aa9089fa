'use client';
/**
 * The live operations dashboard below its server component: one provider (one socket, one
 * store) seeded with the server-rendered snapshots, so the first paint is the server's data and
 * the browser resumes each view from the `seq` it was rendered at. `fleet` is shown twice, the
 * map's region and the nodes needing attention: two views of one channel on the one socket.
 */
import { useEffect, useRef } from 'react';
import { PulseProvider } from '@/components/PulseProvider';
import { usePulse } from '@/hooks';
import { ErrorCode } from '@/lib/protocol/codes';
import type { InitialSnapshot } from '@/lib/store/types';
import { AlertsPanel } from './AlertsPanel';
import { AttentionPanel } from './AttentionPanel';
import { BacklogPanel } from './BacklogPanel';
import { DashboardHeader } from './DashboardHeader';
import { FleetPanel } from './FleetPanel';
import { FleetViewProvider } from './fleetView';
import { KpiStrip } from './KpiStrip';
import { MetroPanel } from './MetroPanel';
import { TrendsPanel } from './TrendsPanel';
import type { SignInReason, Viewer } from './session';

export interface DashboardProps {
  /** Snapshots of every channel, each read with the filter the page starts with (see `INITIAL_VIEWS`). */
  initial: readonly InitialSnapshot[];
  /** Who is signed in with the session cookie; null or absent for an anonymous viewer. */
  viewer?: Viewer | null;
  /** Called when the hub refuses the session (expired, or no longer valid). */
  onSessionEnded?: (reason: SignInReason, detail: string) => void;
  /** How long the page stays hidden before its views pause, ms (the provider's default: 30 s). */
  pauseHiddenAfterMs?: number;
}

export function Dashboard({ initial, viewer = null, onSessionEnded, pauseHiddenAfterMs }: DashboardProps) {
  return (
    <PulseProvider initial={initial} {...(pauseHiddenAfterMs !== undefined ? { pauseHiddenAfterMs } : {})}>
      {onSessionEnded && <SessionWatch onEnded={onSessionEnded} />}
      <div className="pb-app pb-dash">
        <DashboardHeader viewer={viewer} />
        <main className="pb-main">
          <KpiStrip />
          <TrendsPanel />
          <div className="pb-dash-grid">
            <BacklogPanel className="pb-dash-area--backlog" />
            <AlertsPanel className="pb-dash-area--alerts pb-dash-alerts" />
            <FleetViewProvider>
              <AttentionPanel className="pb-dash-area--attention" />
              <FleetPanel className="pb-dash-area--fleet" />
              <MetroPanel className="pb-dash-area--metros" />
            </FleetViewProvider>
          </div>
        </main>
      </div>
    </PulseProvider>
  );
}

/**
 * Ends the page's session when the hub refuses it: the socket authenticates with the session
 * cookie, and once that is expired or invalid every retry would be refused the same way.
 */
function SessionWatch({ onEnded }: { onEnded: (reason: SignInReason, detail: string) => void }) {
  const { client } = usePulse();
  const latest = useRef(onEnded);
  useEffect(() => {
    latest.current = onEnded;
  });
  useEffect(
    () =>
      client.on('error', ({ error }) => {
        if (error.code === ErrorCode.TOKEN_EXPIRED) latest.current('expired', error.message);
        else if (error.code === ErrorCode.AUTH_FAILED || error.code === ErrorCode.AUTH_REQUIRED) latest.current('rejected', error.message);
      }),
    [client],
  );
  return null;
}

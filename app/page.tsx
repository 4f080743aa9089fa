/**
 * `/`: the live operations dashboard. This server component renders data only for a viewer who
 * may read it, decided as the hub decides a socket's session (docs/protocol.md §2): the token in
 * the session cookie, or an anonymous session in anonymous mode (tenant `PULSE_DASHBOARD_TENANT`).
 * For such a viewer it reads each view the page starts with (a channel the session may subscribe
 * to, with the view's filter: `fleet` twice, the map's region and the nodes needing attention),
 * and renders it, so the HTML carries the data (no spinners) and the browser resumes every view
 * from its rendered `seq`. Views that ask for series (`kpi`, `backlog`) embed them, so the cards'
 * charts are drawn in the HTML (docs/protocol.md §13). Anyone else gets the sign-in shell, with no data in the HTML or the
 * RSC payload.
 */
import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { ErrorCode } from '@/lib/protocol/codes';
import { findHub } from '@/lib/server/hub-registry';
import { SESSION_COOKIE } from '@/lib/hub/session-cookie';
import { readInitialSnapshot } from '@/lib/server/initial-snapshot';
import type { InitialSnapshot } from '@/lib/store/types';
import { INITIAL_VIEWS, PAUSE_HIDDEN_PARAM, pauseHiddenAfterMs } from './dashboard/config';
import { DashboardGate } from './dashboard/DashboardGate';
import { HubUnavailable } from './dashboard/HubUnavailable';

// live data: render on every request, never at build time
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Live operations' };

export default async function OperationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const hub = findHub();
  if (!hub) return <HubUnavailable />;

  const pauseAfter = pauseHiddenAfterMs((await searchParams)[PAUSE_HIDDEN_PARAM]);
  const token = (await cookies()).get(SESSION_COOKIE)?.value || undefined;
  const verdict = await hub.authenticate(token);
  if (!verdict.ok) {
    // Without a cookie the shell only asks to sign in; a refused cookie says why.
    const start = token === undefined
      ? ({ phase: 'signed-out', reason: 'required' } as const)
      : ({ phase: 'signed-out', reason: verdict.code === ErrorCode.TOKEN_EXPIRED ? 'expired' : 'rejected', detail: verdict.message } as const);
    return <DashboardGate start={start} pauseHiddenAfterMs={pauseAfter} />;
  }
  const { session } = verdict;

  // eslint-disable-next-line react-hooks/purity -- a server component renders once per request: when its snapshots are read
  const at = Date.now();
  let initial: InitialSnapshot[];
  try {
    initial = await Promise.all(
      // A channel the session may not subscribe to is not rendered (its socket subscribe is refused too).
      INITIAL_VIEWS.filter(({ channel }) => session.canSubscribe(channel)).map((view) => readInitialSnapshot(hub, session.tenant, view, at)),
    );
  } catch (error) {
    // e.g. an engine that cannot be reached: say so instead of an error page
    console.error('[dashboard] reading the snapshots failed', error);
    const message = error instanceof Error ? error.message : String(error);
    return <HubUnavailable title="Live data is unavailable" reason={`The hub could not read the channels (${message}).`} />;
  }
  const viewer = session.anonymous ? null : { user: session.user, tenant: session.tenant };
  return <DashboardGate start={{ phase: 'signed-in', viewer, initial }} pauseHiddenAfterMs={pauseAfter} />;
}

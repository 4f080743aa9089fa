/**
 * Who may see which declared dashboard (docs/dashboards.md, "Access"), decided on the server
 * as `/` decides it: the token in the session cookie, verified by the hub, or an anonymous
 * session in anonymous mode (tenant `PULSE_DASHBOARD_TENANT`). A viewer sees the dashboards of
 * its own tenant only; within one, a panel whose channel the session may not subscribe to is
 * rendered as "not permitted", with no data.
 *
 * Server only: it reads the cookie and the hub.
 */
import { cookies } from 'next/headers';
import { cache } from 'react';
import { mergeSeriesAsks } from '@/lib/client/series-ask';
import { dashboardViews, panelSeriesAsk } from '@/lib/dashboards/views';
import type { DashboardSpec } from '@/lib/dashboards/types';
import type { Session } from '@/lib/hub/auth';
import { HubError } from '@/lib/hub/errors';
import type { Hub } from '@/lib/hub/hub';
import { SESSION_COOKIE } from '@/lib/hub/session-cookie';
import { ErrorCode } from '@/lib/protocol/codes';
import { findDashboards, findHub } from '@/lib/server/hub-registry';
import { readInitialSnapshot, type InitialView } from '@/lib/server/initial-snapshot';
import type { InitialSnapshot } from '@/lib/store/types';
import type { SignInReason, Viewer } from '../dashboard/session';

export type DashboardAccess =
  /** No hub in this process (a plain `next start`, or `next build`). */
  | { phase: 'no-hub' }
  | { phase: 'signed-out'; reason: SignInReason; detail?: string }
  /** `viewer` is null for an anonymous session. */
  | { phase: 'signed-in'; hub: Hub; session: Session; viewer: Viewer | null; dashboards: readonly DashboardSpec[] };

/**
 * This request's viewer and the dashboards it may see, in the file's order. Read once per
 * request, however many components ask (the page and its metadata).
 */
export const dashboardAccess = cache(async (): Promise<DashboardAccess> => {
  const hub = findHub();
  if (!hub) return { phase: 'no-hub' };
  const token = (await cookies()).get(SESSION_COOKIE)?.value || undefined;
  const verdict = await hub.authenticate(token);
  if (!verdict.ok) {
    if (token === undefined) return { phase: 'signed-out', reason: 'required' };
    return { phase: 'signed-out', reason: verdict.code === ErrorCode.TOKEN_EXPIRED ? 'expired' : 'rejected', detail: verdict.message };
  }
  const { session } = verdict;
  return {
    phase: 'signed-in',
    hub,
    session,
    viewer: session.anonymous ? null : { user: session.user, tenant: session.tenant },
    dashboards: findDashboards().filter((dashboard) => dashboard.tenant === session.tenant),
  };
});

/** What a dashboard's page starts with: one snapshot per view, and which snapshot each panel shows. */
export interface DashboardData {
  initial: InitialSnapshot[];
  /** Per panel, the index of its view's snapshot in `initial`; -1 for a panel not permitted. */
  panelInitial: number[];
}

/**
 * Reads each view of `dashboard` the session may subscribe to (`readInitialSnapshot`: its
 * snapshot, then the series its panels draw) at `at`. Two panels of one view share one read.
 * Engine failures are thrown, as `/` lets them be.
 *
 * @example
 * const { initial, panelInitial } = await readDashboard(hub, session, dashboard, Date.now());
 */
export async function readDashboard(hub: Hub, session: Session, dashboard: DashboardSpec, at: number): Promise<DashboardData> {
  const panelInitial = dashboard.panels.map(() => -1);
  const views = dashboardViews(dashboard.panels).filter(({ channel }) => session.canSubscribe(channel));
  const initial = await Promise.all(
    views.map(async ({ channel, filter, intervalMs, panels }, index) => {
      panels.forEach((panel) => (panelInitial[panel] = index));
      const series = mergeSeriesAsks(panels.map((panel) => panelSeriesAsk(dashboard.panels[panel])));
      const view: InitialView = { channel, ...(filter ? { filter } : {}), ...(intervalMs !== undefined ? { intervalMs } : {}) };
      if (series === undefined) return readInitialSnapshot(hub, session.tenant, view, at);
      try {
        return await readInitialSnapshot(hub, session.tenant, { ...view, series }, at);
      } catch (error) {
        // A field the channel does not keep (a stat whose sparkline has nothing to draw): that
        // view renders without series; the rest of the page is unaffected.
        if (error instanceof HubError && error.code === ErrorCode.INVALID_MESSAGE) return readInitialSnapshot(hub, session.tenant, view, at);
        throw error;
      }
    }),
  );
  return { initial, panelInitial };
}

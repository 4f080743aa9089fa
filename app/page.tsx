/**
 * `/`: the live operations dashboard. This server component reads each channel's snapshot from
 * the hub, with the filter the page starts with, and renders it, so the HTML carries the data
 * (no spinners); the browser then resumes every channel from the rendered `seq`.
 */
import type { Metadata } from 'next';
import { findHub } from '@/lib/server/hub-registry';
import type { InitialSnapshot } from '@/lib/store/types';
import { DASHBOARD_TENANT, INITIAL_VIEWS } from './dashboard/config';
import { Dashboard } from './dashboard/Dashboard';
import { HubUnavailable } from './dashboard/HubUnavailable';

// live data: render on every request, never at build time
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Live operations' };

export default async function OperationsPage() {
  const hub = findHub();
  if (!hub) return <HubUnavailable />;

  const at = Date.now();
  let initial: InitialSnapshot[];
  try {
    initial = await Promise.all(
      INITIAL_VIEWS.map(async ({ channel, filter }) => {
        const snapshot = await hub.snapshot(DASHBOARD_TENANT, channel, filter ?? {});
        // plain JSON across the server/client boundary, whatever objects the engine holds
        return { ...(JSON.parse(JSON.stringify(snapshot)) as InitialSnapshot), at };
      }),
    );
  } catch (error) {
    // e.g. an engine that cannot be reached: say so instead of an error page
    console.error('[dashboard] reading the snapshots failed', error);
    const message = error instanceof Error ? error.message : String(error);
    return <HubUnavailable title="Live data is unavailable" reason={`The hub could not read the channels (${message}).`} />;
  }
  return <Dashboard initial={initial} />;
}

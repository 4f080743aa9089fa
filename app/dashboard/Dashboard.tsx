/**
 * The live operations dashboard below its server component: one provider (one socket, one
 * store) seeded with the server-rendered snapshots, so the first paint is the server's data and
 * the browser resumes each channel from the `seq` it was rendered at.
 */
import { PulseProvider } from '@/components/PulseProvider';
import type { InitialSnapshot } from '@/lib/store/types';
import { AlertsPanel } from './AlertsPanel';
import { BacklogPanel } from './BacklogPanel';
import { DashboardHeader } from './DashboardHeader';
import { FleetPanel } from './FleetPanel';
import { FleetViewProvider } from './fleetView';
import { KpiStrip } from './KpiStrip';
import { MetroPanel } from './MetroPanel';

export interface DashboardProps {
  /** Snapshots of every channel, each read with the filter the page starts with (see `INITIAL_VIEWS`). */
  initial: readonly InitialSnapshot[];
}

export function Dashboard({ initial }: DashboardProps) {
  return (
    <PulseProvider initial={initial}>
      <div className="pb-app pb-dash">
        <DashboardHeader />
        <main className="pb-main">
          <KpiStrip />
          <div className="pb-dash-grid">
            <BacklogPanel className="pb-dash-area--backlog" />
            <AlertsPanel className="pb-dash-area--alerts pb-dash-alerts" />
            <FleetViewProvider>
              <FleetPanel className="pb-dash-area--fleet" />
              <MetroPanel className="pb-dash-area--metros" />
            </FleetViewProvider>
          </div>
        </main>
      </div>
    </PulseProvider>
  );
}

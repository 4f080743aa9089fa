/**
 * `/d/<slug>` for a dashboard this viewer cannot see: one that does not exist and one of another
 * tenant look the same, so the page tells nothing about the other.
 */
import Link from 'next/link';
import { DashboardBar } from '../../dashboard/DashboardHeader';
import '../dashboards.css';

export default function DashboardNotFound() {
  return (
    <div className="pb-app pb-dash">
      <DashboardBar current="/d" />
      <main className="pb-main">
        <section className="pb-panel pb-dash-unavailable" aria-labelledby="pb-dd-missing-title" data-testid="dashboard-not-found">
          <h1 id="pb-dd-missing-title">Dashboard not found</h1>
          <p>There is no dashboard at this address that you may see.</p>
          <p>
            <Link href="/d">See the dashboards you may open</Link>
          </p>
        </section>
      </main>
    </div>
  );
}

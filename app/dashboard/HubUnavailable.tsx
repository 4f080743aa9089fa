/**
 * What `/` shows when no hub runs in this process (a plain `next start`, or a prerender during
 * `next build`), or when the hub cannot read its channels: why, and how to start the app so
 * the dashboard has data.
 */
import { DashboardBar } from './DashboardHeader';

export interface HubUnavailableProps {
  title?: string;
  /** What went wrong, when something did (instead of "started without it"). */
  reason?: string;
}

export function HubUnavailable({ title = 'The live hub is not running', reason }: HubUnavailableProps) {
  return (
    <div className="pb-app pb-dash">
      <DashboardBar />
      <main className="pb-main">
        <section className="pb-panel pb-dash-unavailable" aria-labelledby="unavailable-title">
          <h1 id="unavailable-title">{title}</h1>
          <p>
            This page reads its data from the Pulseboard hub, which runs inside <code>server.ts</code> next to Next.js.
            {reason ? ` ${reason}` : ' This process was started without it.'}
          </p>
          <p>
            Start the app with <code>npm run dev:socket</code> (development, with the demo data) or{' '}
            <code>npm run build &amp;&amp; npm run start:socket</code> (production), then reload.
          </p>
        </section>
      </main>
    </div>
  );
}

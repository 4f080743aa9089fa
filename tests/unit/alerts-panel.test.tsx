/**
 * The alerts panel rendered on the server from a snapshot (what a dashboard's HTML carries
 * before scripts), and the order and limit of what it shows.
 */
import { createElement as h, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { PulseProvider } from '@/components/PulseProvider';
import { AlertsPanel, visibleAlerts } from '@/components/panels/AlertsPanel';
import { sessionCanPublish } from '@/hooks/useSession';
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { InitialSnapshot } from '@/lib/store/types';

const now = Date.now();
const alerts: ChannelRecord[] = [
  { id: 'a1', status: 'acknowledged', title: 'Disk full on db-1', priority: 'high', openedAt: now - 120_000, acknowledgedBy: 'ada', acknowledgedAt: now - 60_000 },
  { id: 'a2', status: 'open', title: 'SLA at risk on Billing', priority: 'critical', openedAt: now - 30_000 },
  { id: 'a3', status: 'resolved', title: 'Queue drained', priority: 'normal', openedAt: now - 600_000, resolvedBy: 'simulator', resolvedAt: now - 10_000 },
  { id: 'a4', status: 'escalated', title: 'Node offline', priority: 'normal', openedAt: now - 400_000, escalatedBy: 'simulator', escalatedAt: now - 5000 },
  { id: 'not-an-alert', title: 'no status' },
];

describe('visibleAlerts', () => {
  it('puts what needs attention first, hides resolved ones unless asked, and counts the rest', () => {
    expect(visibleAlerts(alerts, false, 50).alerts.map((a) => a.id)).toEqual(['a4', 'a2', 'a1']);
    expect(visibleAlerts(alerts, true, 50).alerts.map((a) => a.id)).toEqual(['a4', 'a2', 'a1', 'a3']);
    expect(visibleAlerts(alerts, true, 2)).toMatchObject({ alerts: [{ id: 'a4' }, { id: 'a2' }], more: 2 });
  });
});

describe('sessionCanPublish', () => {
  it('reads the welcome’s publish patterns', () => {
    expect(sessionCanPublish(null, 'incidents')).toBe(false);
    expect(sessionCanPublish({}, 'incidents')).toBe(false);
    expect(sessionCanPublish({ publish: ['inc*'] }, 'incidents')).toBe(true);
    expect(sessionCanPublish({ publish: ['kpi'] }, 'incidents')).toBe(false);
  });
});

describe('AlertsPanel on the server', () => {
  const snapshot: InitialSnapshot = { channel: 'incidents', epoch: 'e1', seq: 3, records: alerts, at: now };
  const render = (node: ReactNode) => renderToString(h(PulseProvider, { autoConnect: false, children: node }));

  it('shows each alert’s status, title, priority and who acted, without actions before a session', () => {
    const html = render(<AlertsPanel title="Incidents" channel="incidents" initial={snapshot} />);
    expect(html).toContain('Incidents');
    expect(html).toContain('SLA at risk on Billing');
    expect(html).toContain('data-status="acknowledged"');
    expect(html).toContain('Acknowledged');
    expect(html).toContain('<strong>ada</strong>');
    expect(html).toContain('pb-chip--critical');
    expect(html).not.toContain('Queue drained');
    expect(html).toContain('2 need attention');
    // no buttons in the HTML: whether the viewer may act is known once the socket is open
    expect(html).not.toContain('<button');
  });

  it('says "and N more" past its limit, and shows resolved alerts when asked', () => {
    const html = render(<AlertsPanel title="Incidents" channel="incidents" showResolved limit={3} initial={snapshot} />);
    expect(html).toContain('and 1 more');
    expect(html).not.toContain('Queue drained');
    expect(render(<AlertsPanel title="All" channel="incidents" showResolved initial={snapshot} />)).toContain('Queue drained');
  });
});

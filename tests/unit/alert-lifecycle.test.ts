import { actionsFor, alertPatch, canTransition, compareAlerts, lastAction, readAlert, ALERT_STATUSES } from '@/lib/dashboards/alerts';
import type { AlertStatus } from '@/lib/dashboards/types';

describe('alert transitions', () => {
  it('allow exactly the documented moves', () => {
    const legal = new Set(['open>acknowledged', 'open>escalated', 'open>resolved', 'acknowledged>escalated', 'acknowledged>resolved', 'escalated>acknowledged', 'escalated>resolved']);
    for (const from of ALERT_STATUSES) for (const to of ALERT_STATUSES) expect([`${from}>${to}`, canTransition(from, to)]).toEqual([`${from}>${to}`, legal.has(`${from}>${to}`)]);
  });

  it('offer the actions a status allows, and none once resolved', () => {
    expect(actionsFor('open')).toEqual(['acknowledge', 'escalate', 'resolve']);
    expect(actionsFor('acknowledged')).toEqual(['escalate', 'resolve']);
    expect(actionsFor('escalated')).toEqual(['acknowledge', 'resolve']);
    expect(actionsFor('resolved')).toEqual([]);
  });

  it('write the new status with who acted and when, or refuse an illegal move', () => {
    expect(alertPatch({ id: 'a1', status: 'open' }, 'acknowledge', 'ada', 1000)).toEqual({ id: 'a1', status: 'acknowledged', acknowledgedBy: 'ada', acknowledgedAt: 1000 });
    expect(alertPatch({ id: 'a1', status: 'acknowledged' }, 'escalate', 'bob', 2000)).toEqual({ id: 'a1', status: 'escalated', escalatedBy: 'bob', escalatedAt: 2000 });
    expect(alertPatch({ id: 'a1', status: 'escalated' }, 'resolve', 'cy', 3000)).toEqual({ id: 'a1', status: 'resolved', resolvedBy: 'cy', resolvedAt: 3000 });
    expect(alertPatch({ id: 'a1', status: 'acknowledged' }, 'acknowledge', 'ada', 1000)).toBeNull();
    expect(alertPatch({ id: 'a1', status: 'resolved' }, 'escalate', 'ada', 1000)).toBeNull();
  });
});

describe('reading alert records', () => {
  it('reads known fields, drops mistyped ones, and refuses a record without a known status', () => {
    expect(readAlert({ id: 'x', status: 'open', title: 'Disk full', priority: 'high', openedAt: 5, acknowledgedBy: 7, extra: 'kept out' })).toEqual({ id: 'x', status: 'open', title: 'Disk full', priority: 'high', openedAt: 5 });
    expect(readAlert({ id: 'x', status: 'open', priority: 'urgent' })).toEqual({ id: 'x', status: 'open', title: 'x' });
    expect(readAlert({ id: 'x', status: 'closed', title: 'y' })).toBeNull();
    expect(readAlert({ id: 'x', title: 'y' })).toBeNull();
  });

  it('tells who acted last', () => {
    expect(lastAction({ status: 'open', title: 't' })).toBeNull();
    expect(lastAction({ status: 'resolved', title: 't', acknowledgedBy: 'ada', acknowledgedAt: 10, resolvedBy: 'bob', resolvedAt: 20 })).toEqual({ status: 'resolved', by: 'bob', at: 20 });
    expect(lastAction({ status: 'acknowledged', title: 't', escalatedBy: 'auto', escalatedAt: 10, acknowledgedBy: 'ada', acknowledgedAt: 30 })).toEqual({ status: 'acknowledged', by: 'ada', at: 30 });
  });

  it('orders unresolved before resolved, then by urgency, then newest first', () => {
    const make = (status: AlertStatus, priority: 'low' | 'normal' | 'high' | 'critical', openedAt: number) => ({ status, title: `${status}-${priority}-${openedAt}`, priority, openedAt });
    const list = [make('resolved', 'critical', 9), make('acknowledged', 'critical', 1), make('open', 'low', 5), make('open', 'high', 2), make('escalated', 'normal', 1), make('open', 'high', 4)];
    expect(list.sort(compareAlerts).map((a) => a.title)).toEqual(['escalated-normal-1', 'open-high-4', 'open-high-2', 'open-low-5', 'acknowledged-critical-1', 'resolved-critical-9']);
  });
});

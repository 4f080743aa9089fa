/**
 * The lifecycle of alert records (docs/dashboards.md, "Alerts") as pure functions: which
 * actions a status allows, the merge patch an action publishes, and how a loose channel record
 * reads as an alert. The alerts panel offers only what `actionsFor` allows; the demo simulator
 * and the HTTP poller write the same fields. Browser-safe.
 */
import { PRIORITIES, type ChannelRecord, type Priority } from '../protocol/messages';
import type { AlertRecordFields, AlertStatus } from './types';

export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'escalated', 'resolved'];

/** What an operator does to an alert; each leads to the status of the same name. */
export type AlertAction = 'acknowledge' | 'escalate' | 'resolve';

const TARGET: Readonly<Record<AlertAction, AlertStatus>> = { acknowledge: 'acknowledged', escalate: 'escalated', resolve: 'resolved' };

/**
 * The legal moves: open → acknowledged, escalated or resolved; acknowledged → escalated or
 * resolved; escalated → acknowledged (someone took it on) or resolved. Resolved is final: a
 * condition that comes back opens a new alert.
 */
const TRANSITIONS: Readonly<Record<AlertStatus, readonly AlertStatus[]>> = {
  open: ['acknowledged', 'escalated', 'resolved'],
  acknowledged: ['escalated', 'resolved'],
  escalated: ['acknowledged', 'resolved'],
  resolved: [],
};

/** Whether an alert may move from `from` to `to`. */
export function canTransition(from: AlertStatus, to: AlertStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * The actions a status offers, in the order the panel shows them.
 *
 * @example
 * actionsFor('open')     // → ['acknowledge', 'escalate', 'resolve']
 * actionsFor('resolved') // → []
 */
export function actionsFor(status: AlertStatus): AlertAction[] {
  return (['acknowledge', 'escalate', 'resolve'] as const).filter((action) => canTransition(status, TARGET[action]));
}

/** The status an action leads to. */
export function statusAfter(action: AlertAction): AlertStatus {
  return TARGET[action];
}

/**
 * The merge patch that applies `action` to alert `id`, by `user` at `now` (ms): the new status
 * and who acted and when. Returns null when the status does not allow it.
 *
 * @example
 * alertPatch({ id: 'a1', status: 'open' }, 'acknowledge', 'ada', Date.now())
 * // → { id: 'a1', status: 'acknowledged', acknowledgedBy: 'ada', acknowledgedAt: 1767225600000 }
 */
export function alertPatch(alert: { id: string; status: AlertStatus }, action: AlertAction, user: string, now: number): ChannelRecord | null {
  const to = TARGET[action];
  if (!canTransition(alert.status, to)) return null;
  return { id: alert.id, status: to, [`${to}By`]: user, [`${to}At`]: now };
}

export function isAlertStatus(value: unknown): value is AlertStatus {
  return typeof value === 'string' && (ALERT_STATUSES as readonly string[]).includes(value);
}

/** A channel record read as an alert; null when it has no known `status`. Fields of the wrong type are left out. */
export function readAlert(record: ChannelRecord): (AlertRecordFields & { id: string }) | null {
  if (!isAlertStatus(record.status)) return null;
  const text = (field: string) => (typeof record[field] === 'string' ? (record[field] as string) : undefined);
  const time = (field: string) => (typeof record[field] === 'number' && Number.isFinite(record[field]) ? (record[field] as number) : undefined);
  const priority = (PRIORITIES as readonly string[]).includes(record.priority as string) ? (record.priority as Priority) : undefined;
  const alert: AlertRecordFields & { id: string } = { id: record.id, status: record.status, title: text('title') ?? record.id };
  if (priority) alert.priority = priority;
  for (const field of ['openedAt', 'acknowledgedAt', 'resolvedAt', 'escalatedAt'] as const) {
    const value = time(field);
    if (value !== undefined) alert[field] = value;
  }
  for (const field of ['acknowledgedBy', 'resolvedBy', 'escalatedBy'] as const) {
    const value = text(field);
    if (value !== undefined) alert[field] = value;
  }
  return alert;
}

/** Who acted last on an alert and when, or null for one nobody touched. */
export function lastAction(alert: AlertRecordFields): { status: AlertStatus; by: string; at: number } | null {
  let last: { status: AlertStatus; by: string; at: number } | null = null;
  for (const status of ['acknowledged', 'escalated', 'resolved'] as const) {
    const by = alert[`${status}By`];
    const at = alert[`${status}At`];
    if (by === undefined || at === undefined) continue;
    if (!last || at >= last.at) last = { status, by, at };
  }
  return last;
}

const PRIORITY_RANK: Readonly<Record<Priority, number>> = { critical: 0, high: 1, normal: 2, low: 3 };
const STATUS_RANK: Readonly<Record<AlertStatus, number>> = { escalated: 0, open: 1, acknowledged: 2, resolved: 3 };

/**
 * The order of an alerts list: unresolved before resolved, escalated and open before
 * acknowledged, then the most urgent, then the newest.
 */
export function compareAlerts(a: AlertRecordFields, b: AlertRecordFields): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    PRIORITY_RANK[a.priority ?? 'normal'] - PRIORITY_RANK[b.priority ?? 'normal'] ||
    (b.openedAt ?? 0) - (a.openedAt ?? 0)
  );
}

'use client';
/**
 * An alerts panel (docs/dashboards.md, "Alerts"): a channel whose records are alerts, each with
 * its status, title, priority, age and who acted last, and the actions its status allows
 * (acknowledge, escalate, resolve). An action is a merge patch published over the socket, so
 * every viewer of the channel sees it in the next batch. The hub's permissions decide: the
 * buttons show only when the session's token may publish to the channel (`welcome.publish`),
 * and a refused publish shows its error on the row.
 */
import { memo, useCallback, useMemo, useState } from 'react';
import { useChannel } from '@/hooks/useChannel';
import { usePulse } from '@/hooks/usePulse';
import { sessionCanPublish, useSession } from '@/hooks/useSession';
import { actionsFor, alertPatch, compareAlerts, lastAction, readAlert, type AlertAction } from '@/lib/dashboards/alerts';
import type { AlertRecordFields, AlertsPanelSpec, AlertStatus, Tone } from '@/lib/dashboards/types';
import type { InitialSnapshot } from '@/lib/store/types';
import { useNow } from '@/components/clock';
import { formatAge, formatClock } from '@/components/format';
import { PanelFrame } from './PanelFrame';
import './alerts.css';

export type AlertsPanelProps = Omit<AlertsPanelSpec, 'kind'> & {
  /** Server-rendered snapshot of this panel's view (read with the same filter). */
  initial?: InitialSnapshot;
};

type Alert = AlertRecordFields & { id: string };

/**
 * Where an action on one row stands: under way, or refused with the hub's error (shown while
 * the alert keeps the status it was refused in).
 */
type RowState = { pending: AlertAction } | { error: string; status: AlertStatus };

const STATUS_TONE: Readonly<Record<AlertStatus, Tone | 'muted'>> = { open: 'bad', escalated: 'bad', acknowledged: 'warn', resolved: 'ok' };
const STATUS_LABEL: Readonly<Record<AlertStatus, string>> = { open: 'Open', escalated: 'Escalated', acknowledged: 'Acknowledged', resolved: 'Resolved' };
const ACTION_LABEL: Readonly<Record<AlertAction, string>> = { acknowledge: 'Acknowledge', escalate: 'Escalate', resolve: 'Resolve' };
const ACTION_BUSY: Readonly<Record<AlertAction, string>> = { acknowledge: 'Acknowledging…', escalate: 'Escalating…', resolve: 'Resolving…' };

/** The alerts a panel shows, in order, and how many more there are. */
export function visibleAlerts(records: readonly { id: string; [field: string]: unknown }[], showResolved: boolean, limit: number): { alerts: Alert[]; more: number } {
  const all = records
    .map((record) => readAlert(record as Parameters<typeof readAlert>[0]))
    .filter((alert): alert is Alert => alert !== null && (showResolved || alert.status !== 'resolved'))
    .sort(compareAlerts);
  const shown = Math.max(0, limit);
  return { alerts: all.slice(0, shown), more: Math.max(0, all.length - shown) };
}

const AlertRow = memo(function AlertRow({ alert, now, canAct, state, onAction }: { alert: Alert; now: number; canAct: boolean; state: RowState | undefined; onAction: (alert: Alert, action: AlertAction) => void }) {
  const last = lastAction(alert);
  const pending = state && 'pending' in state ? state.pending : undefined;
  const actions = canAct ? actionsFor(alert.status) : [];
  const priority = alert.priority ?? 'normal';
  return (
    <li className={`pb-arow pb-arow--${alert.status} pb-arow--${priority}`} data-alert-id={alert.id} data-status={alert.status}>
      <div className="pb-arow__head">
        <span className={`pb-pbadge pb-pbadge--${STATUS_TONE[alert.status]}`}>{STATUS_LABEL[alert.status]}</span>
        <span className={`pb-chip pb-chip--${priority}`}>{priority}</span>
        {alert.openedAt !== undefined && (
          <time className="pb-arow__age" dateTime={new Date(alert.openedAt).toISOString()} title={`Opened ${formatClock(alert.openedAt)} UTC`} suppressHydrationWarning>
            {formatAge(Math.max(0, now - alert.openedAt))}
          </time>
        )}
      </div>
      <p className="pb-arow__title">{alert.title}</p>
      {last && (
        <p className="pb-arow__who" suppressHydrationWarning>
          {STATUS_LABEL[last.status]} by <strong>{last.by}</strong> · {formatAge(Math.max(0, now - last.at))}
        </p>
      )}
      {actions.length > 0 && (
        <div className="pb-arow__actions">
          {actions.map((action) => (
            <button
              key={action}
              type="button"
              className={`pb-button pb-arow__button${action === 'resolve' ? ' pb-arow__button--resolve' : action === 'escalate' ? ' pb-arow__button--escalate' : ''}`}
              disabled={pending !== undefined}
              onClick={() => onAction(alert, action)}
            >
              {pending === action ? ACTION_BUSY[action] : ACTION_LABEL[action]}
            </button>
          ))}
        </div>
      )}
      {state && 'error' in state && state.status === alert.status && (
        <p className="pb-arow__error" role="alert">
          {state.error}
        </p>
      )}
    </li>
  );
});

/**
 * @example
 * <AlertsPanel title="Incidents" channel="incidents" limit={20} width={6} />
 * <AlertsPanel title="Everything" channel="incidents" showResolved filter={{ where: { org: 'acme' } }} />
 */
export function AlertsPanel({ title, channel, filter, intervalMs, width, showResolved = false, limit = 50, initial }: AlertsPanelProps) {
  const view = useChannel(channel, { filter, intervalMs, initial });
  const { client } = usePulse();
  const session = useSession();
  const canAct = sessionCanPublish(session, channel);
  const [rows, setRows] = useState<Record<string, RowState>>({});
  const { alerts, more } = useMemo(() => visibleAlerts(view.records, showResolved, limit), [view.records, showResolved, limit]);
  const now = useNow(1000, alerts.length > 0);

  const onAction = useCallback(
    (alert: Alert, action: AlertAction) => {
      const user = client.session?.user;
      const patch = user === undefined ? null : alertPatch(alert, action, user, Date.now());
      if (!patch) return;
      setRows((state) => ({ ...state, [alert.id]: { pending: action } }));
      client.publish(channel, { upsert: [patch] }).then(
        () =>
          setRows((state) => {
            const { [alert.id]: _done, ...rest } = state;
            return rest;
          }),
        (error: unknown) => {
          const { code, message } = error as { code?: string; message?: string };
          const text = `${ACTION_LABEL[action]} refused${code ? ` (${code})` : ''}: ${message ?? 'unknown error'}`;
          setRows((state) => ({ ...state, [alert.id]: { error: text, status: alert.status } }));
        },
      );
    },
    [client, channel],
  );

  const open = alerts.filter((a) => a.status === 'open' || a.status === 'escalated').length;
  return (
    <PanelFrame title={title} view={view} width={width} flush className="pb-alerts-panel" meta={open > 0 ? `${open} need attention` : undefined}>
      {alerts.length === 0 ? (
        <p className="pb-pf__empty">{view.lastUpdate === null ? 'Waiting for data' : 'No alerts'}</p>
      ) : (
        <ol className="pb-alerts-panel__list" aria-label={`${title}: most urgent first`}>
          {alerts.map((alert) => (
            <AlertRow key={alert.id} alert={alert} now={now} canAct={canAct} state={rows[alert.id]} onAction={onAction} />
          ))}
        </ol>
      )}
      {more > 0 && <p className="pb-panel-more">{`and ${more} more`}</p>}
      {session !== null && !canAct && alerts.length > 0 && (
        <p className="pb-panel-more">{`Read only: acting on alerts needs a session that may publish to ${channel}.`}</p>
      )}
    </PanelFrame>
  );
}

export default AlertsPanel;

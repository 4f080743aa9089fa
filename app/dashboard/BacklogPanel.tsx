'use client';
/**
 * Backlog per queue, with the queue's staffing and SLA risk from the `kpi` channel beside it.
 *
 * The same table as `BacklogTable`, bound to the store per row: the table renders from the
 * record ids (which change only when queues come or go) and each row selects its own `backlog`
 * and `kpi` records, so an update to one queue re-renders and flashes that row alone. Rows keep
 * the channel's order (grouped by organisation) instead of re-sorting on every change, so the
 * eye can stay on a queue while its numbers move.
 */
import { memo } from 'react';
import { useChannel, useRecord, useRecordIds } from '@/hooks';
import { backlogLevel } from '@/components/BacklogTable';
import { Flash } from '@/components/Flash';
import { formatDuration, formatInteger, formatPercent } from '@/components/format';
import { kpiStatus } from '@/components/KpiCard';
import { LiveBadge } from '@/components/LiveBadge';
import { asBacklogRow, numberField } from '@/components/records';
import { CHANNELS } from './config';
import { Panel } from './Panel';

const THRESHOLDS = { warnWaitS: 60, criticalWaitS: 180 };
const RISK = { warn: 0.5, critical: 0.8 };

const QueueRow = memo(function QueueRow({ id }: { id: string }) {
  const { record, changed } = useRecord(CHANNELS.backlog, id);
  const { record: kpi } = useRecord(CHANNELS.kpi, id);
  if (!record) return null;

  const row = asBacklogRow(record);
  const level = backlogLevel(row.oldestWaitS, THRESHOLDS);
  const finished = row.handled + row.abandoned;
  const agents = numberField(kpi, 'agentsOnline');
  const utilization = numberField(kpi, 'utilization');
  const risk = numberField(kpi, 'slaRisk');
  const riskLevel = kpiStatus(risk, RISK);
  // the row flashes when anything visible in it changes, not when only its timestamp does
  const version = `${row.waiting}|${row.oldestWaitS}|${row.handled}|${row.abandoned}`;

  return (
    <Flash
      as="tr"
      flashKey={version}
      className={`pb-table__row pb-backlog__row--${level}${changed ? ' pb-dash-row--changed' : ''}`}
      data-id={row.id}
      data-changed={changed ? changed.fields.join(' ') : undefined}
    >
      <th scope="row" className="pb-backlog__queue">
        <span className="pb-backlog__name">{row.queue}</span>
        <span className="pb-backlog__scope">
          {row.org} · {row.department}
        </span>
      </th>
      <td className="pb-num" data-field="waiting">
        <Flash value={row.waiting} trend="higher-is-worse" className="pb-backlog__waiting">
          {formatInteger(row.waiting)}
        </Flash>
      </td>
      <td className={`pb-num pb-backlog__oldest pb-backlog__oldest--${level}`} data-field="oldestWaitS">
        {row.waiting > 0 ? formatDuration(row.oldestWaitS) : '—'}
      </td>
      <td className="pb-num" data-field="handled">
        {formatInteger(row.handled)}
      </td>
      <td className="pb-num" data-field="abandoned">
        {formatInteger(row.abandoned)}{' '}
        <span className="pb-backlog__rate">({formatPercent(finished > 0 ? row.abandoned / finished : 0, 1)})</span>
      </td>
      <td className="pb-num pb-dash-backlog__kpi" data-field="agentsOnline">
        {agents === null ? '—' : formatInteger(agents)}
        {utilization !== null && <span className="pb-backlog__rate"> · {formatPercent(utilization)}</span>}
      </td>
      <td className="pb-num" data-field="slaRisk">
        {risk === null ? (
          '—'
        ) : (
          <span className={`pb-dash-risk pb-dash-risk--${riskLevel}`}>
            <span className="pb-dash-risk__bar" aria-hidden="true">
              <span style={{ width: `${Math.round(Math.min(1, Math.max(0, risk)) * 100)}%` }} />
            </span>
            {formatPercent(risk)}
          </span>
        )}
      </td>
    </Flash>
  );
});

/**
 * Holds the `backlog` subscription (and its polling in fallback) and shows how fresh it is: the
 * only part of the panel besides the changed row that renders on every update.
 */
function BacklogFreshness() {
  const { lastUpdate } = useChannel(CHANNELS.backlog);
  return <LiveBadge updatedAt={lastUpdate} />;
}

export function BacklogPanel({ className }: { className?: string }) {
  const ids = useRecordIds(CHANNELS.backlog);

  return (
    <Panel id="backlog" title="Backlog by queue" meta={`${ids.length} queues`} actions={<BacklogFreshness />} flush className={className}>
      <div className="pb-table-wrap">
        <table className="pb-table pb-backlog pb-dash-backlog">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col" className="pb-num">
                Waiting
              </th>
              <th scope="col" className="pb-num">
                Oldest
              </th>
              <th scope="col" className="pb-num">
                Handled
              </th>
              <th scope="col" className="pb-num">
                Abandoned
              </th>
              <th scope="col" className="pb-num">
                Agents · util.
              </th>
              <th scope="col" className="pb-num">
                SLA risk
              </th>
            </tr>
          </thead>
          <tbody>
            {ids.length === 0 ? (
              <tr>
                <td colSpan={7} className="pb-empty">
                  No queues are publishing to <code>backlog</code> yet
                </td>
              </tr>
            ) : (
              ids.map((id) => <QueueRow key={id} id={id} />)
            )}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}

'use client';
/**
 * Backlog per queue, with the queue's staffing and SLA risk from the `kpi` channel beside it.
 *
 * `BacklogTable` bound to the store per row: the table renders from the record ids (which change
 * only when queues come or go) and each row selects its own `backlog` and `kpi` records, so an
 * update to one queue re-renders and flashes that row alone. Rows keep the channel's order
 * (grouped by organisation) instead of re-sorting on every change, so the eye can stay on a
 * queue while its numbers move.
 */
import { memo } from 'react';
import { useChannel, useRecord, useRecordIds } from '@/hooks';
import { BacklogTable, BacklogTableRow } from '@/components/BacklogTable';
import { formatInteger, formatPercent } from '@/components/format';
import { kpiStatus } from '@/components/KpiCard';
import { LiveBadge } from '@/components/LiveBadge';
import { asBacklogRow, numberField } from '@/components/records';
import { CHANNELS } from './config';
import { Panel } from './Panel';

const KPI_COLUMNS = ['Agents · util.', 'SLA risk'];
const RISK = { warn: 0.5, critical: 0.8 };

const QueueRow = memo(function QueueRow({ id }: { id: string }) {
  const { record, changed } = useRecord(CHANNELS.backlog, id);
  const { record: kpi } = useRecord(CHANNELS.kpi, id);
  if (!record) return null;

  const agents = numberField(kpi, 'agentsOnline');
  const utilization = numberField(kpi, 'utilization');
  const risk = numberField(kpi, 'slaRisk');
  const riskLevel = kpiStatus(risk, RISK);

  return (
    <BacklogTableRow
      row={asBacklogRow(record)}
      className={changed ? 'pb-dash-row--changed' : undefined}
      data-changed={changed ? changed.fields.join(' ') : undefined}
    >
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
    </BacklogTableRow>
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
      <BacklogTable
        items={ids}
        extraColumns={KPI_COLUMNS}
        className="pb-dash-backlog"
        emptyText={
          <>
            No queues are publishing to <code>backlog</code> yet
          </>
        }
      >
        {(id) => <QueueRow key={id} id={id} />}
      </BacklogTable>
    </Panel>
  );
}

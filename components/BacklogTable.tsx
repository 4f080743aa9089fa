'use client';

/**
 * Backlog per queue, busiest first. Each row is its own memoised component taking one record,
 * so an update to one queue re-renders (and flashes) one row, not the table.
 */
import { memo, useMemo } from 'react';
import { Flash } from './Flash';
import { formatDuration, formatInteger, formatPercent } from './format';

export interface BacklogRow {
  id: string;
  queue: string;
  org: string;
  department: string;
  waiting: number;
  oldestWaitS: number;
  handled: number;
  abandoned: number;
}

export interface BacklogThresholds {
  /** Oldest wait (s) from which a row is amber (default 60). */
  warnWaitS: number;
  /** Oldest wait (s) from which a row is red (default 180). */
  criticalWaitS: number;
}

export interface BacklogTableProps {
  rows: readonly BacklogRow[];
  thresholds?: Partial<BacklogThresholds>;
  caption?: string;
  /** Shown when there are no rows. */
  emptyText?: string;
  className?: string;
}

const DEFAULT_THRESHOLDS: BacklogThresholds = { warnWaitS: 60, criticalWaitS: 180 };

/** Busiest first: most waiting, then the longest wait, then by name. Does not mutate its input. */
export function sortBacklog<T extends Pick<BacklogRow, 'waiting' | 'oldestWaitS' | 'queue' | 'id'>>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) =>
      (b.waiting ?? 0) - (a.waiting ?? 0) ||
      (b.oldestWaitS ?? 0) - (a.oldestWaitS ?? 0) ||
      String(a.queue).localeCompare(String(b.queue)) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export function backlogLevel(oldestWaitS: number, t: BacklogThresholds): 'ok' | 'warn' | 'critical' {
  if (oldestWaitS >= t.criticalWaitS) return 'critical';
  if (oldestWaitS >= t.warnWaitS) return 'warn';
  return 'ok';
}

interface RowProps {
  row: BacklogRow;
  warnWaitS: number;
  criticalWaitS: number;
}

const BacklogTableRow = memo(function BacklogTableRow({ row, warnWaitS, criticalWaitS }: RowProps) {
  const level = backlogLevel(row.oldestWaitS, { warnWaitS, criticalWaitS });
  const finished = row.handled + row.abandoned;
  const abandonRate = finished > 0 ? row.abandoned / finished : 0;
  // the row flashes when anything visible in it changes, not when only its timestamp does
  const version = `${row.waiting}|${row.oldestWaitS}|${row.handled}|${row.abandoned}`;
  return (
    <Flash as="tr" flashKey={version} className={`pb-table__row pb-backlog__row--${level}`} data-id={row.id}>
      <th scope="row" className="pb-backlog__queue">
        <span className="pb-backlog__name">{row.queue}</span>
        <span className="pb-backlog__scope">
          {row.org} · {row.department}
        </span>
      </th>
      <td className="pb-num">
        <Flash value={row.waiting} trend="higher-is-worse" className="pb-backlog__waiting">
          {formatInteger(row.waiting)}
        </Flash>
      </td>
      <td className={`pb-num pb-backlog__oldest pb-backlog__oldest--${level}`}>{row.waiting > 0 ? formatDuration(row.oldestWaitS) : '—'}</td>
      <td className="pb-num">{formatInteger(row.handled)}</td>
      <td className="pb-num">
        {formatInteger(row.abandoned)} <span className="pb-backlog__rate">({formatPercent(abandonRate, 1)})</span>
      </td>
    </Flash>
  );
});

export function BacklogTable({ rows, thresholds, caption, emptyText = 'No queues', className }: BacklogTableProps) {
  const sorted = useMemo(() => sortBacklog(rows), [rows]);
  const { warnWaitS, criticalWaitS } = { ...DEFAULT_THRESHOLDS, ...thresholds };

  return (
    <div className={className ? `pb-table-wrap ${className}` : 'pb-table-wrap'}>
      <table className="pb-table pb-backlog">
        {caption && <caption>{caption}</caption>}
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
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? (
            <tr>
              <td colSpan={5} className="pb-empty">
                {emptyText}
              </td>
            </tr>
          ) : (
            sorted.map((row) => <BacklogTableRow key={row.id} row={row} warnWaitS={warnWaitS} criticalWaitS={criticalWaitS} />)
          )}
        </tbody>
      </table>
    </div>
  );
}

export default BacklogTable;

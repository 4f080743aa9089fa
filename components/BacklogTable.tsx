'use client';

/**
 * Backlog per queue. The table frame takes one item per row and a function that renders it, so
 * rows can be `BacklogTableRow`s given their record, or components that select their own record
 * from the store and render a `BacklogTableRow` with cells of their own after the five standard
 * ones. Rows are memoised on their record, so an update to one queue re-renders (and flashes)
 * one row, not the table.
 *
 * @example
 * <BacklogTable items={sortBacklog(rows)} caption="Backlog">
 *   {(row) => <BacklogTableRow key={row.id} row={row} />}
 * </BacklogTable>
 */
import { memo, type HTMLAttributes, type ReactNode } from 'react';
import type { BacklogRecord } from '@/lib/demo/records';
import { Flash } from './Flash';
import { formatDuration, formatInteger, formatPercent } from './format';

/** A row of the table: a record of the `backlog` channel (`BacklogRecord`), under the table's name. */
export type BacklogRow = BacklogRecord;

export interface BacklogThresholds {
  /** Oldest wait (s) from which a row is amber (default 60). */
  warnWaitS: number;
  /** Oldest wait (s) from which a row is red (default 180). */
  criticalWaitS: number;
}

const DEFAULT_THRESHOLDS: BacklogThresholds = { warnWaitS: 60, criticalWaitS: 180 };

/** The standard figure columns, after the queue's. */
const COLUMNS = ['Waiting', 'Oldest', 'Handled', 'Abandoned'] as const;

/** Busiest first: most waiting, then the longest wait, then by name. Does not mutate its input. */
export function sortBacklog<T extends Pick<BacklogRecord, 'waiting' | 'oldestWaitS' | 'queue' | 'id'>>(rows: readonly T[]): T[] {
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

export interface BacklogTableRowProps extends Omit<HTMLAttributes<HTMLElement>, 'children'> {
  row: BacklogRecord;
  /** Keep it a stable object (a module constant), or the row re-renders with its parent. */
  thresholds?: BacklogThresholds;
  /** Cells after the standard ones, one per entry of the table's `extraColumns`. */
  children?: ReactNode;
}

/** One queue: a `<tr>` that flashes when a figure in it changes, each cell marked with `data-field`. */
export const BacklogTableRow = memo(function BacklogTableRow({ row, thresholds = DEFAULT_THRESHOLDS, className, children, ...rest }: BacklogTableRowProps) {
  const level = backlogLevel(row.oldestWaitS, thresholds);
  const finished = row.handled + row.abandoned;
  const abandonRate = finished > 0 ? row.abandoned / finished : 0;
  // the row flashes when anything visible in it changes, not when only its timestamp does
  const version = `${row.waiting}|${row.oldestWaitS}|${row.handled}|${row.abandoned}`;
  return (
    <Flash
      as="tr"
      flashKey={version}
      className={`pb-table__row pb-backlog__row--${level}${className ? ` ${className}` : ''}`}
      data-id={row.id}
      {...rest}
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
        {formatInteger(row.abandoned)} <span className="pb-backlog__rate">({formatPercent(abandonRate, 1)})</span>
      </td>
      {children}
    </Flash>
  );
});

export interface BacklogTableProps<T> {
  /** One per row, in display order: rows, or ids for rows that read their own record. */
  items: readonly T[];
  /** Renders the (keyed) row of one item. */
  children: (item: T) => ReactNode;
  /** Headings of the numeric columns the rows add after the standard ones. */
  extraColumns?: readonly string[];
  caption?: string;
  /** Shown when there are no items. */
  emptyText?: ReactNode;
  /** Added to the wrapper's class. */
  className?: string;
}

export function BacklogTable<T>({ items, children, extraColumns = [], caption, emptyText = 'No queues', className }: BacklogTableProps<T>) {
  return (
    <div className={className ? `pb-table-wrap ${className}` : 'pb-table-wrap'}>
      <table className="pb-table pb-backlog">
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            <th scope="col">Queue</th>
            {[...COLUMNS, ...extraColumns].map((heading) => (
              <th key={heading} scope="col" className="pb-num">
                {heading}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.length === 0 ? (
            <tr>
              <td colSpan={1 + COLUMNS.length + extraColumns.length} className="pb-empty">
                {emptyText}
              </td>
            </tr>
          ) : (
            items.map((item) => children(item))
          )}
        </tbody>
      </table>
    </div>
  );
}

export default BacklogTable;

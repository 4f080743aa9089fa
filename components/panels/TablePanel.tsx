'use client';
/**
 * A table panel: the records in view as rows, the chosen columns formatted, sortable by
 * clicking a header, a row flashing when one of its shown values changes, and a row limit with
 * "and N more" (docs/dashboards.md, "Table").
 */
import { memo, useMemo, useState } from 'react';
import { useChannel } from '@/hooks/useChannel';
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { TableColumn, TablePanelSpec } from '@/lib/dashboards/types';
import { fieldMax, sortRecords, type SortDirection } from '@/lib/dashboards/compute';
import type { InitialSnapshot } from '@/lib/store/types';
import { Flash } from '@/components/Flash';
import { useNow } from '@/components/clock';
import { formatInteger } from '@/components/format';
import { PanelFrame } from './PanelFrame';
import { barFraction, cellTone, columnLabel, formatCell } from './cells';

export type TablePanelProps = Omit<TablePanelSpec, 'kind'> & {
  /** Server-rendered snapshot of this panel's view. */
  initial?: InitialSnapshot;
};

interface Sort {
  field: string;
  direction: SortDirection;
}

/** The sort after clicking `field`'s header: a new column starts ascending; the same one flips. */
export function nextSort(current: Sort | null, field: string): Sort {
  if (current?.field !== field) return { field, direction: 'asc' };
  return { field, direction: current.direction === 'asc' ? 'desc' : 'asc' };
}

/** What the row shows, as one string: a change of it flashes the row (other fields do not). */
function shownKey(record: ChannelRecord, columns: readonly TableColumn[]): string {
  return columns.map((c) => JSON.stringify(record[c.field] ?? null)).join('\u0000');
}

const Cell = memo(function Cell({ record, column, max, now }: { record: ChannelRecord; column: TableColumn; max: number | null; now: number }) {
  const value = record[column.field];
  const format = column.format ?? 'text';
  const text = formatCell(value, format, now);
  const tone = cellTone(value, column);
  const numeric = format !== 'text' && format !== 'status' && format !== 'timeAgo';
  const className = ['pb-ptable__cell', numeric && 'pb-num', tone && `pb-tone--${tone}`].filter(Boolean).join(' ');

  if (format === 'status') {
    return (
      <td className={className}>
        <span className={`pb-pbadge pb-pbadge--${tone ?? 'muted'}`}>{text}</span>
      </td>
    );
  }
  if (format === 'bar') {
    const fraction = barFraction(value, column.max ?? max);
    return (
      <td className={className}>
        <span className="pb-ptable__bar">
          <span className="pb-ptable__barfill" style={{ width: `${(fraction * 100).toFixed(2)}%` }} aria-hidden="true" />
          <span className="pb-ptable__bartext">{text}</span>
        </span>
      </td>
    );
  }
  return (
    <td className={className} suppressHydrationWarning={format === 'timeAgo'}>
      {text}
    </td>
  );
});

const Row = memo(function Row({ record, columns, maxes, now }: { record: ChannelRecord; columns: readonly TableColumn[]; maxes: readonly (number | null)[]; now: number }) {
  return (
    <Flash as="tr" flashKey={shownKey(record, columns)} className="pb-ptable__row" data-id={record.id}>
      {columns.map((column, i) => (
        <Cell key={column.field + i} record={record} column={column} max={maxes[i]} now={now} />
      ))}
    </Flash>
  );
});

/**
 * @example
 * <TablePanel title="Queues" channel="backlog" limit={10} sort={{ field: 'waiting', direction: 'desc' }}
 *   columns={[{ field: 'queue' }, { field: 'waiting', format: 'bar' }, { field: 'oldestWaitS', label: 'Oldest', format: 'duration' }]} />
 */
export function TablePanel({ title, channel, filter, intervalMs, width, columns, sort: initialSort, limit = 50, initial }: TablePanelProps) {
  const view = useChannel(channel, { filter, intervalMs, initial });
  const [sort, setSort] = useState<Sort | null>(initialSort ? { field: initialSort.field, direction: initialSort.direction ?? 'asc' } : null);
  const ticking = columns.some((c) => c.format === 'timeAgo');
  const now = useNow(1000, ticking);

  const rows = useMemo(() => (sort ? sortRecords(view.records, sort.field, sort.direction) : view.records), [view.records, sort]);
  const maxes = useMemo(() => columns.map((c) => (c.format === 'bar' && c.max === undefined ? fieldMax(view.records, c.field) : null)), [columns, view.records]);
  const shown = rows.slice(0, Math.max(0, limit));
  const hidden = rows.length - shown.length;

  return (
    <PanelFrame title={title} view={view} width={width} flush meta={`${formatInteger(view.records.length)} ${view.records.length === 1 ? 'row' : 'rows'}`} className="pb-ptable">
      <div className="pb-table-wrap pb-ptable__scroll">
        <table className="pb-table pb-ptable__table">
          <thead>
            <tr>
              {columns.map((column, i) => {
                const active = sort?.field === column.field;
                const numeric = column.format !== undefined && column.format !== 'text' && column.format !== 'status' && column.format !== 'timeAgo';
                return (
                  <th
                    key={column.field + i}
                    scope="col"
                    aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
                    className={numeric ? 'pb-ptable__th pb-num' : 'pb-ptable__th'}
                  >
                    <button type="button" className="pb-ptable__sort" onClick={() => setSort((s) => nextSort(s, column.field))}>
                      {columnLabel(column)}
                      <span className="pb-ptable__arrow" aria-hidden="true">
                        {active ? (sort.direction === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {shown.map((record) => (
              <Row key={record.id} record={record} columns={columns} maxes={maxes} now={ticking ? now : 0} />
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p className="pb-pf__empty">No records</p>}
      </div>
      {hidden > 0 && <p className="pb-panel-more">{`and ${formatInteger(hidden)} more`}</p>}
    </PanelFrame>
  );
}

export default TablePanel;

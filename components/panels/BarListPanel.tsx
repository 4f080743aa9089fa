'use client';
/**
 * A bar list: the records in view grouped by a field, each group's count or sum as a bar,
 * largest first (docs/dashboards.md, "Bar list").
 */
import { memo, useMemo } from 'react';
import { useChannel } from '@/hooks/useChannel';
import type { BarListPanelSpec, ValueFormat } from '@/lib/dashboards/types';
import { groupRecords, type Group } from '@/lib/dashboards/compute';
import type { InitialSnapshot } from '@/lib/store/types';
import { Flash } from '@/components/Flash';
import { formatValue } from '@/components/format';
import { PanelFrame } from './PanelFrame';

export type BarListPanelProps = Omit<BarListPanelSpec, 'kind'> & {
  /** Server-rendered snapshot of this panel's view. */
  initial?: InitialSnapshot;
};

const BarRow = memo(function BarRow({ group, max, format }: { group: Group; max: number; format: ValueFormat }) {
  const fraction = max > 0 ? Math.max(0, group.value / max) : 0;
  return (
    <li className="pb-barlist__row">
      <span className="pb-barlist__fill" style={{ width: `${(fraction * 100).toFixed(2)}%` }} aria-hidden="true" />
      <span className="pb-barlist__label" title={group.key}>
        {group.key}
      </span>
      <Flash value={group.value} className="pb-barlist__value">
        {formatValue(group.value, format)}
      </Flash>
    </li>
  );
});

/**
 * @example
 * <BarListPanel title="Nodes by status" channel="fleet" groupBy="status" />
 * <BarListPanel title="Waiting by org" channel="backlog" groupBy="org" aggregate="sum" field="waiting" limit={5} />
 */
export function BarListPanel({ title, channel, filter, intervalMs, width, groupBy, aggregate = 'count', field, limit = 10, format = 'number', initial }: BarListPanelProps) {
  const view = useChannel(channel, { filter, intervalMs, initial });
  const groups = useMemo(() => groupRecords(view.records, groupBy, aggregate, field), [view.records, groupBy, aggregate, field]);
  const shown = groups.slice(0, Math.max(0, limit));
  const max = shown.reduce((m, g) => Math.max(m, g.value), 0);
  const hidden = groups.length - shown.length;
  const what = aggregate === 'sum' && field ? `sum of ${field}` : 'records';

  return (
    <PanelFrame title={title} view={view} width={width} meta={`${what} by ${groupBy}`} className="pb-barlist">
      {shown.length === 0 ? (
        <p className="pb-pf__empty">No records</p>
      ) : (
        <ol className="pb-barlist__list" aria-label={`${title}: ${what} by ${groupBy}, largest first`}>
          {shown.map((group) => (
            <BarRow key={group.key} group={group} max={max} format={format} />
          ))}
        </ol>
      )}
      {hidden > 0 && <p className="pb-panel-more">{`and ${hidden} more`}</p>}
    </PanelFrame>
  );
}

export default BarListPanel;

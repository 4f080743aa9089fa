'use client';
/**
 * A time series panel: lines over time from the channel's series (docs/protocol.md §13), one
 * per record and field, or one per field aggregating the records in view per bucket, with
 * thresholds drawn as rules (docs/dashboards.md, "Time series").
 */
import { useMemo } from 'react';
import { useChannel, useChannelData } from '@/hooks/useChannel';
import type { TimeSeriesPanelSpec } from '@/lib/dashboards/types';
import { panelSeriesAsk } from '@/lib/dashboards/views';
import type { InitialSnapshot } from '@/lib/store/types';
import { PanelFrame } from './PanelFrame';
import { SeriesLines } from './SeriesLines';

export type TimeSeriesPanelProps = Omit<TimeSeriesPanelSpec, 'kind'> & {
  /** Server-rendered snapshot of this panel's view. */
  initial?: InitialSnapshot;
};

/** Most lines drawn per record-and-field panel: a chart of hundreds of lines says nothing. */
export const MAX_LINES = 12;

/** The lines a panel draws: `{record, field}` pairs, or one per field when aggregating. */
export function seriesLineKeys(
  spec: Pick<TimeSeriesPanelSpec, 'fields' | 'aggregate' | 'records'>,
  recordIds: readonly string[],
): Array<{ record: string | null; field: string }> {
  if (spec.aggregate) return spec.fields.map((field) => ({ record: null, field }));
  const ids = spec.records ?? recordIds;
  const out: Array<{ record: string | null; field: string }> = [];
  for (const record of ids) {
    for (const field of spec.fields) out.push({ record, field });
  }
  return out.slice(0, MAX_LINES);
}

/**
 * @example
 * <TimeSeriesPanel title="Waiting" channel="backlog" fields={['waiting']} aggregate="sum" width={8}
 *   thresholds={[{ value: 100, tone: 'bad' }]} />
 */
export function TimeSeriesPanel({
  title,
  channel,
  filter,
  intervalMs,
  width,
  fields,
  aggregate,
  records,
  windowMs,
  format = 'number',
  unit,
  thresholds,
  initial,
}: TimeSeriesPanelProps) {
  // the series the page's server render read for this panel: its fields over its window
  const series = useMemo(() => panelSeriesAsk({ kind: 'timeseries', title, channel, fields, ...(windowMs !== undefined ? { windowMs } : {}) }), [title, channel, fields, windowMs]);
  const view = useChannel(channel, { filter, intervalMs, initial, series });
  const data = useChannelData(channel, { filter, intervalMs });
  const ids = useMemo(() => view.records.map((r) => r.id), [view.records]);
  const idsKey = ids.join('\u0000');
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the ids' content, not the array
  const lines = useMemo(() => seriesLineKeys({ fields, aggregate, records }, ids), [fields, aggregate, records, idsKey]);
  const meta = aggregate ? `${aggregate} of ${view.records.length} records` : records ? undefined : `${Math.min(lines.length, MAX_LINES)} lines`;

  return (
    <PanelFrame title={title} view={view} width={width} meta={meta} className="pb-tseries">
      <SeriesLines
        data={data}
        lines={lines}
        aggregate={aggregate}
        records={records}
        windowMs={windowMs}
        format={format}
        unit={unit}
        thresholds={thresholds}
        title={title}
        noSeries={view.noSeries}
      />
    </PanelFrame>
  );
}

export default TimeSeriesPanel;

'use client';
/**
 * The stat panel's sparkline and change over the window, from the channel's series
 * (docs/protocol.md §13): one record's field, or the field combined over the records in view
 * as the stat combines them. Nothing is drawn while the view holds no series of the field (the
 * channel keeps none, or they have not arrived).
 */
import { useMemo } from 'react';
import { formatWindow, formatWindowChange, seriesChange } from '@/components/charts';
import { Sparkline } from '@/components/Sparkline';
import { useSeries, useSeriesAggregate } from '@/hooks/useSeries';
import type { Filter } from '@/lib/protocol/filter';
import type { Aggregate, ValueFormat } from '@/lib/dashboards/types';
import type { SeriesLine } from '@/lib/store/types';
import { changeFormat, fromFirstValue } from './lines';

export interface StatTrendProps {
  channel: string;
  filter?: Filter;
  intervalMs?: number;
  field: string;
  record?: string;
  aggregate?: Aggregate;
  format: ValueFormat;
}

function Trend({ line: whole, format, label }: { line: SeriesLine | null; format: ValueFormat; label: string }) {
  const line = useMemo(() => (whole ? fromFirstValue(whole) : null), [whole]);
  const change = seriesChange(line);
  if (!line || !change) return null;
  const text = formatWindowChange(change, formatWindow(line), changeFormat(format));
  const direction = change.delta > 0 ? 'up' : change.delta < 0 ? 'down' : 'flat';
  return (
    <div className="pb-stat__trend">
      <Sparkline line={line} height={36} width={240} color="currentColor" label={`${label}${text ? `: ${text}` : ''}`} />
      {text && (
        <span className={`pb-stat__change pb-stat__change--${direction}`} data-testid="stat-change">
          {text}
        </span>
      )}
    </div>
  );
}

function RecordTrend({ channel, filter, intervalMs, field, record, format }: StatTrendProps & { record: string }) {
  const line = useSeries(channel, record, field, { filter, intervalMs });
  return <Trend line={line} format={format} label={`${record} ${field} over time`} />;
}

function AggregateTrend({ channel, filter, intervalMs, field, aggregate, format }: StatTrendProps & { aggregate: Exclude<Aggregate, 'count'> }) {
  const line = useSeriesAggregate(channel, field, aggregate, { filter, intervalMs });
  return <Trend line={line} format={format} label={`${aggregate} of ${field} over time`} />;
}

/** The trend of what the stat shows; a count of records has no series to draw. */
export function StatTrend(props: StatTrendProps) {
  if (props.record !== undefined) return <RecordTrend {...props} record={props.record} />;
  const aggregate = props.aggregate ?? 'sum';
  if (aggregate === 'count') return null;
  return <AggregateTrend {...props} aggregate={aggregate} />;
}

'use client';
/**
 * The chart of a time series panel: each line's series read from the view's data in one pass
 * (a record's field, or a field combined over the records per bucket), drawn together by
 * `TimeSeriesChart`, with a legend.
 */
import { useMemo } from 'react';
import { TimeSeriesChart, type ChartSeries } from '@/components/charts';
import { formatValue } from '@/components/format';
import { lastWindow } from '@/hooks/useSeries';
import type { Threshold, TimeSeriesPanelSpec, ValueFormat } from '@/lib/dashboards/types';
import { createAggregateSelector, seriesLine } from '@/lib/store/series';
import type { ChannelData, SeriesLine } from '@/lib/store/types';
import { chartThresholds, lineLabel } from './lines';

export interface SeriesLinesProps {
  /** The view's data (`useChannelData`), holding its series. */
  data: ChannelData | undefined;
  lines: ReadonlyArray<{ record: string | null; field: string }>;
  aggregate?: TimeSeriesPanelSpec['aggregate'];
  /** Only the records combined (default: every record the series hold). */
  records?: readonly string[];
  windowMs?: number;
  format: ValueFormat;
  unit?: string;
  thresholds?: Threshold[];
  title: string;
  /** The channel keeps no series: say so instead of an empty chart. */
  noSeries: boolean;
}

type Aggregator = ReturnType<typeof createAggregateSelector>;

export function SeriesLines({ data, lines, aggregate, records, windowMs, format, unit, thresholds, title, noSeries }: SeriesLinesProps) {
  const fields = [...new Set(lines.map((l) => l.field))];
  const fieldsKey = fields.join('\u0000');
  const fieldCount = fields.length;
  // one memoized aggregate per field, so a line stays the same object while its inputs do
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the fields' content; a new question starts new memos
  const aggregators = useMemo(() => new Map<string, Aggregator>(fields.map((field) => [field, createAggregateSelector()])), [fieldsKey, aggregate, records]);

  const series: ChartSeries[] = useMemo(() => {
    const read = (record: string | null, field: string): SeriesLine | null => {
      if (record !== null) return seriesLine(data, record, field);
      const aggregateOf = aggregators.get(field);
      if (!aggregateOf) return null;
      return aggregateOf(data, field, aggregate ?? 'sum', records);
    };
    return lines.map(({ record, field }) => {
      const line = read(record, field);
      return { label: lineLabel({ record, field }, fieldCount, aggregate), line: windowMs === undefined ? line : lastWindow(line, windowMs) };
    });
  }, [data, lines, aggregate, records, windowMs, fieldCount, aggregators]);

  const bands = useMemo(() => chartThresholds(thresholds, format), [thresholds, format]);
  const fmt = useMemo(() => (v: number) => `${formatValue(v, format)}${unit ? ` ${unit}` : ''}`, [format, unit]);

  if (noSeries) return <p className="pb-pf__placeholder">This channel keeps no series.</p>;
  if (lines.length === 0) return <p className="pb-pf__placeholder">No records</p>;
  return <TimeSeriesChart title={title} series={series} format={fmt} thresholds={bands} height={200} />;
}

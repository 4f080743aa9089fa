/**
 * What the series panels draw, decided without React: a panel's thresholds as a chart's bands,
 * a line's label, and how its values and changes read. Pure.
 */
import type { ChartThreshold } from '@/components/charts';
import type { ChangeFormatOptions } from '@/components/charts';
import { formatValue } from '@/components/format';
import type { Threshold, Tone, ValueFormat } from '@/lib/dashboards/types';
import type { SeriesLine } from '@/lib/store/types';

const CHART_TONE: Record<Tone, NonNullable<ChartThreshold['tone']>> = { ok: 'ok', info: 'info', warn: 'warn', bad: 'critical' };

/**
 * Thresholds as bands: each from its value up to the next threshold's (the last to the top of
 * the plot), in its tone, labelled with where it starts.
 *
 * @example
 * chartThresholds([{ value: 150, tone: 'warn' }, { value: 300, tone: 'bad' }], 'number');
 * // [{ from: 150, to: 300, tone: 'warn', label: '≥ 150' }, { from: 300, tone: 'critical', label: '≥ 300' }]
 */
export function chartThresholds(thresholds: readonly Threshold[] | undefined, format: ValueFormat = 'number'): ChartThreshold[] {
  if (!thresholds?.length) return [];
  const sorted = [...thresholds].sort((a, b) => a.value - b.value);
  return sorted.map((t, i) => {
    const next = sorted[i + 1];
    return {
      from: t.value,
      ...(next ? { to: next.value } : {}),
      tone: CHART_TONE[t.tone],
      label: `≥ ${formatValue(t.value, format)}`,
    };
  });
}

/** How an aggregate line is named: "Total waiting", "Average utilization". */
const AGGREGATE_WORDS: Readonly<Record<string, string>> = { sum: 'Total', avg: 'Average', min: 'Lowest', max: 'Highest', count: 'Count of' };

/**
 * A line's name in the legend: the record (and the field when the panel draws several), or
 * the aggregate of the field.
 *
 * @example
 * lineLabel({ record: 'q1', field: 'waiting' }, 1);             // "q1"
 * lineLabel({ record: null, field: 'waiting' }, 1, 'sum');      // "Total waiting"
 */
export function lineLabel(line: { record: string | null; field: string }, fieldCount: number, aggregate?: string): string {
  if (line.record === null) return `${AGGREGATE_WORDS[aggregate ?? 'sum'] ?? aggregate} ${line.field}`;
  return fieldCount > 1 ? `${line.record} · ${line.field}` : line.record;
}

/** How "the change over the window" reads for a value format: points for percents, else the value's format. */
export function changeFormat(format: ValueFormat): ChangeFormatOptions {
  if (format === 'percent') return { scale: 100, decimals: 1, unit: ' pts' };
  return { format: (magnitude) => formatValue(magnitude, format) };
}

/**
 * The line from its first bucket with a value: a sparkline of a series that began within the
 * window (a channel kept since a minute ago) spans its width instead of a sliver at the end.
 * The same object when nothing is cut.
 *
 * @example
 * fromFirstValue({ start: 0, resolutionMs: 10, values: [null, null, 3, 4] }); // { start: 20, resolutionMs: 10, values: [3, 4] }
 */
export function fromFirstValue(line: SeriesLine): SeriesLine {
  const first = line.values.findIndex((v) => v !== null && v !== undefined);
  if (first <= 0) return line;
  return { start: line.start + first * line.resolutionMs, resolutionMs: line.resolutionMs, values: line.values.slice(first) };
}

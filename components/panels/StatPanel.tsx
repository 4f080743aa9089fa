'use client';
/**
 * A stat panel: one number, from one record's field or an aggregate over the records in view,
 * coloured by thresholds, with the field's series as a sparkline and the change over its window
 * when the channel keeps one (docs/dashboards.md, "Stat").
 */
import { useMemo } from 'react';
import { useChannel } from '@/hooks/useChannel';
import type { StatPanelSpec } from '@/lib/dashboards/types';
import { statValue, thresholdTone } from '@/lib/dashboards/compute';
import type { InitialSnapshot } from '@/lib/store/types';
import { Flash } from '@/components/Flash';
import { formatValue } from '@/components/format';
import { PanelFrame } from './PanelFrame';
import { StatTrend } from './StatTrend';

export type StatPanelProps = Omit<StatPanelSpec, 'kind'> & {
  /** Server-rendered snapshot of this panel's view. */
  initial?: InitialSnapshot;
};

/** What the number is, in words: "avg latencyMs · 12 records", "node-7 · load". */
export function statCaption(spec: Pick<StatPanelSpec, 'record' | 'field' | 'aggregate'>, recordCount: number): string {
  const records = `${recordCount} ${recordCount === 1 ? 'record' : 'records'}`;
  if (spec.record !== undefined) return [spec.record, spec.field].filter(Boolean).join(' · ');
  const aggregate = spec.aggregate ?? 'sum';
  if (aggregate === 'count') return spec.field ? `count of ${spec.field} · ${records}` : records;
  return `${aggregate} ${spec.field ?? ''} · ${records}`.replace('  ', ' ');
}

/**
 * @example
 * <StatPanel title="Waiting" channel="backlog" field="waiting" aggregate="sum" unit="calls"
 *   thresholds={[{ value: 50, tone: 'warn' }, { value: 100, tone: 'bad' }]} />
 */
export function StatPanel({
  title,
  channel,
  filter,
  intervalMs,
  width,
  field,
  record,
  aggregate,
  format = 'number',
  unit,
  decimals,
  thresholds,
  sparkline = true,
  initial,
}: StatPanelProps) {
  const view = useChannel(channel, { filter, intervalMs, initial });
  const value = useMemo(() => statValue(view.records, { record, field, aggregate }), [view.records, record, field, aggregate]);
  const tone = thresholdTone(value, thresholds);
  const text = formatValue(value, format, decimals);

  return (
    <PanelFrame title={title} view={view} width={width} className={`pb-stat pb-stat--${tone ?? 'plain'}`}>
      <div className="pb-stat__main">
        <p className="pb-stat__value" data-testid="stat-value">
          <Flash value={value} className="pb-stat__number">
            {text}
          </Flash>
          {unit && value !== null && <span className="pb-stat__unit">{unit}</span>}
        </p>
        <p className="pb-stat__caption">{statCaption({ record, field, aggregate }, view.records.length)}</p>
      </div>
      {sparkline && field !== undefined && (
        <StatTrend channel={channel} filter={filter} intervalMs={intervalMs} field={field} record={record} aggregate={aggregate} format={format} />
      )}
    </PanelFrame>
  );
}

export default StatPanel;

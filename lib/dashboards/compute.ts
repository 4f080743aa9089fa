/**
 * What the panels compute from the records in view (docs/dashboards.md, "Panels"): aggregates,
 * groups for bar lists, row order for tables, and the tone thresholds give a value. Pure and
 * browser-safe, so the server render and the browser agree.
 */
import type { ChannelRecord, Json } from '../protocol/messages';
import type { Aggregate, Threshold, Tone } from './types';

/** A field's value when it is a finite number, else `null`. */
export function numericField(record: ChannelRecord | undefined, field: string): number | null {
  const v = record?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * `aggregate` of `field` over `records`: `count` counts the records (with `field`, those where
 * it is a number); the others read the numeric values only and are `null` when there are none.
 *
 * @example
 * aggregateRecords([{ id: 'a', n: 2 }, { id: 'b', n: 4 }], 'avg', 'n'); // 3
 * aggregateRecords(records, 'count');                                    // records.length
 */
export function aggregateRecords(records: readonly ChannelRecord[], aggregate: Aggregate, field?: string): number | null {
  if (aggregate === 'count' && field === undefined) return records.length;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const record of records) {
    const v = field === undefined ? null : numericField(record, field);
    if (v === null) continue;
    count += 1;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  switch (aggregate) {
    case 'count':
      return count;
    case 'sum':
      return count ? sum : null;
    case 'avg':
      return count ? sum / count : null;
    case 'min':
      return count ? min : null;
    case 'max':
      return count ? max : null;
  }
}

/**
 * The number a stat panel shows: one record's field when `record` is set (`null` when that
 * record is not in view or the field is not a number), else the aggregate (default `sum`).
 */
export function statValue(
  records: readonly ChannelRecord[],
  spec: { record?: string; field?: string; aggregate?: Aggregate },
): number | null {
  if (spec.record !== undefined) {
    if (spec.field === undefined) return null;
    return numericField(
      records.find((r) => r.id === spec.record),
      spec.field,
    );
  }
  return aggregateRecords(records, spec.aggregate ?? 'sum', spec.field);
}

/**
 * The tone of the highest threshold `value` reaches (thresholds in any order), or `null` below
 * all of them or for no value.
 *
 * @example
 * thresholdTone(75, [{ value: 50, tone: 'warn' }, { value: 90, tone: 'bad' }]); // 'warn'
 */
export function thresholdTone(value: number | null, thresholds: readonly Threshold[] | undefined): Tone | null {
  if (value === null || !Number.isFinite(value) || !thresholds?.length) return null;
  let best: Threshold | null = null;
  for (const t of thresholds) {
    if (value >= t.value && (best === null || t.value >= best.value)) best = t;
  }
  return best?.tone ?? null;
}

export interface Group {
  /** The field's value as text; `—` for records without it. */
  key: string;
  value: number;
  /** Records in the group. */
  count: number;
}

/** A grouping key: strings as they are, numbers and booleans as text, anything else `—`. */
function groupKey(v: Json | undefined): string {
  if (typeof v === 'string') return v === '' ? '—' : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '—';
}

/**
 * Records grouped by `groupBy`, each group's record count or sum of `field`, largest first
 * (ties by key, so the order is stable).
 *
 * @example
 * groupRecords(fleet, 'status');               // [{ key: 'online', value: 280, count: 280 }, …]
 * groupRecords(queues, 'org', 'sum', 'waiting');
 */
export function groupRecords(records: readonly ChannelRecord[], groupBy: string, aggregate: 'count' | 'sum' = 'count', field?: string): Group[] {
  const groups = new Map<string, Group>();
  for (const record of records) {
    const key = groupKey(record[groupBy]);
    let group = groups.get(key);
    if (!group) {
      group = { key, value: 0, count: 0 };
      groups.set(key, group);
    }
    group.count += 1;
    if (aggregate === 'count') group.value += 1;
    else group.value += (field === undefined ? null : numericField(record, field)) ?? 0;
  }
  return [...groups.values()].sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export type SortDirection = 'asc' | 'desc';

/** Orders two field values: numbers before strings before booleans before missing values. */
export function compareValues(a: Json | undefined, b: Json | undefined): number {
  const rank = (v: Json | undefined) => (typeof v === 'number' && Number.isFinite(v) ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 1) return (a as string).localeCompare(b as string, 'en', { numeric: true, sensitivity: 'base' });
  if (ra === 2) return Number(a) - Number(b);
  return 0;
}

/**
 * `records` sorted by `field` (a new array; stable, so equal values keep the view's order).
 * Missing values go last in either direction.
 *
 * @example
 * sortRecords(rows, 'waiting', 'desc');
 */
export function sortRecords(records: readonly ChannelRecord[], field: string, direction: SortDirection = 'asc'): ChannelRecord[] {
  const sign = direction === 'asc' ? 1 : -1;
  const missing = (v: Json | undefined) => v === undefined || v === null;
  return records
    .map((record, index) => ({ record, index }))
    .sort((x, y) => {
      const a = x.record[field];
      const b = y.record[field];
      if (missing(a) !== missing(b)) return missing(a) ? 1 : -1;
      return sign * compareValues(a, b) || x.index - y.index;
    })
    .map((x) => x.record);
}

/** The largest numeric value of `field` in view (for bars drawn against it), or `null`. */
export function fieldMax(records: readonly ChannelRecord[], field: string): number | null {
  return aggregateRecords(records, 'max', field);
}

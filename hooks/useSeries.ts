'use client';
/**
 * Series hooks (docs/protocol.md §13): the line of one record's field, and a line combining a
 * field over the records of a view, bucket by bucket. Each holds its view with series asked
 * (sharing it with `useChannel` calls of the same filter and pace), reads from the store or,
 * before the store has the view, from a server-rendered snapshot, and returns the same object
 * until the line changes, so a chart re-renders only when what it draws does.
 */
import { useCallback, useMemo } from 'react';
import { useStore } from 'zustand';
import type { ViewOptions } from '@/lib/client/views';
import type { SeriesAsk } from '@/lib/protocol/messages';
import { own } from '@/lib/store/dict';
import { createAggregateSelector, seriesLine, type SeriesAggregate } from '@/lib/store/series';
import type { PulseStoreState } from '@/lib/store/store';
import type { SeriesLine } from '@/lib/store/types';
import { usePulse } from './usePulse';
import { useView, useViewHolding } from './useView';

export interface UseSeriesOptions extends ViewOptions {
  /** Only the last this many ms (whole buckets); default: the window the view keeps. */
  windowMs?: number;
}

export interface UseSeriesAggregateOptions extends ViewOptions {
  /**
   * The records to combine; default: every record the view's series hold, those that left the
   * view within the window included (a total over time counts what was there then).
   */
  records?: readonly string[];
}

/**
 * One record's field over the recent past, oldest bucket first and the current bucket last;
 * null while the view holds no series (loading, or the channel keeps none) or does not keep
 * `field`.
 *
 * @example
 * const line = useSeries('backlog', 'q1', 'waiting');
 * return <Sparkline line={line} />;
 */
export function useSeries(channel: string, recordId: string, field: string, options: UseSeriesOptions = {}): SeriesLine | null {
  const { store, seeds } = usePulse();
  const { view, key } = useView(channel, options);
  const windowMs = options.windowMs;
  useViewHolding(channel, view, false, askFor(windowMs));
  const select = useCallback(
    (state: PulseStoreState) => {
      const line = seriesLine(own(state.channels, key) ?? seeds.get(key), recordId, field);
      return windowMs === undefined ? line : lastWindow(line, windowMs);
    },
    [key, seeds, recordId, field, windowMs],
  );
  return useStore(store, select);
}

/**
 * A field combined over the view's records per bucket: `sum`, `avg`, `min`, `max`, or `count`
 * of records with a value; null in a bucket where none has one, and null as a whole while the
 * view holds no series or does not keep `field`.
 *
 * @example
 * const total = useSeriesAggregate('backlog', 'waiting', 'sum'); // people waiting, all queues
 * const risk = useSeriesAggregate('kpi', 'slaRisk', 'max', { records: emeaQueues });
 */
export function useSeriesAggregate(
  channel: string,
  field: string,
  aggregate: SeriesAggregate,
  options: UseSeriesAggregateOptions = {},
): SeriesLine | null {
  const { store, seeds } = usePulse();
  const { view, key } = useView(channel, options);
  useViewHolding(channel, view, false, true);
  const idsText = options.records === undefined ? '' : JSON.stringify(options.records);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the text is the list's content
  const ids = useMemo(() => options.records, [idsText]);
  // One memo per hook and per question, so its answer stays the same object while its lines do.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- a new question starts a new memo
  const aggregateOf = useMemo(() => createAggregateSelector(), [key, field, aggregate, ids]);
  const select = useCallback(
    (state: PulseStoreState) => aggregateOf(own(state.channels, key) ?? seeds.get(key), field, aggregate, ids),
    [aggregateOf, key, seeds, field, aggregate, ids],
  );
  return useStore(store, select);
}

/** `true` (the whole kept window) unless a shorter one is wanted. */
function askFor(windowMs: number | undefined): SeriesAsk {
  return windowMs === undefined ? true : { windowMs };
}

const windows = new WeakMap<SeriesLine, { windowMs: number; line: SeriesLine }>();

/** The line's last `windowMs` (whole buckets); the same object for the same line and window. */
export function lastWindow(line: SeriesLine | null, windowMs: number): SeriesLine | null {
  if (!line) return null;
  const buckets = Math.max(1, Math.ceil(windowMs / line.resolutionMs));
  if (line.values.length <= buckets) return line;
  const cached = windows.get(line);
  if (cached?.windowMs === windowMs) return cached.line;
  const cut = line.values.length - buckets;
  const trimmed: SeriesLine = { start: line.start + cut * line.resolutionMs, resolutionMs: line.resolutionMs, values: line.values.slice(cut) };
  windows.set(line, { windowMs, line: trimmed });
  return trimmed;
}

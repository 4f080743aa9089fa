'use client';
/**
 * `useChannel`: a view of a channel (its filter and pace), kept live by the socket, resumed from
 * server-rendered data, polled over HTTP while the socket is in fallback, and paused while
 * nobody sees it.
 */
import { useEffect, useMemo, type RefObject } from 'react';
import useSWR from 'swr';
import { filterKey } from '@/lib/protocol/filter-key';
import type { Filter } from '@/lib/protocol/filter';
import type { ChannelRecord, SeriesAsk } from '@/lib/protocol/messages';
import type { ViewOptions } from '@/lib/client/views';
import { fromInitial } from '@/lib/store/reducers';
import { channelStatus, recordList, type ChannelStatus } from '@/lib/store/selectors';
import type { ChannelData, ChannelError, InitialSnapshot } from '@/lib/store/types';
import { useConnectionState } from './useConnectionStatus';
import { usePulse } from './usePulse';
import { useView, useViewData, useViewHolding } from './useView';
import { useOffscreen } from './visibility';

export interface UseChannelOptions extends ViewOptions {
  /**
   * Server-rendered snapshot of this view (read with the same filter): first paint, then resume
   * from its `seq`.
   */
  initial?: InitialSnapshot;
  /**
   * Also keep the view's series (docs/protocol.md §13): `true` for every kept field over the kept
   * window, or `{fields, windowMs}`. Read them with `useSeries` and `useSeriesAggregate`. Series
   * do not make another view: the view asks for what all its holders ask, and a server render
   * of it must ask the same (`readInitialSnapshot`).
   */
  series?: SeriesAsk;
  /**
   * Pause the view while this element is out of the viewport (for the provider's
   * `pauseOffscreenAfterMs`): it is unsubscribed, its data stays on screen, and it catches up in
   * one recovery delta when scrolled back. The element must be mounted with the component.
   */
  pauseWhenOffscreen?: RefObject<Element | null>;
}

export interface ChannelView {
  /** Records in display order; the same array until a record or the order changes. */
  records: readonly ChannelRecord[];
  status: ChannelStatus;
  /** The view is paused (nobody sees it): the data is the last received, and catches up when seen. */
  paused: boolean;
  /** Client time (ms) data last arrived, or the server render's time; `null` before any. */
  lastUpdate: number | null;
  /** Whether the last (re)subscribe resumed without loss; `null` before the first answer. */
  recovered: boolean | null;
  epoch: string | null;
  seq: number;
  /** Why the subscription was refused, if it was. */
  error: ChannelError | null;
  /** The view asked for series and the server said the channel keeps none. */
  noSeries: boolean;
}

const EMPTY: readonly ChannelRecord[] = Object.freeze([]);

/** The filter object, kept identical while its content is the same (so effects do not re-run on every render). */
export function useStableFilter(filter: Filter | undefined): { filter: Filter | undefined; key: string } {
  const key = filterKey(filter);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the key is the filter's content
  return useMemo(() => ({ filter: key ? filter : undefined, key }), [key]);
}

/**
 * The state of the view `options` name (default: the channel read whole) as the store holds
 * it, or, before the store has it, the state seeded from a server-rendered snapshot.
 */
export function useChannelData(channel: string, options?: ViewOptions): ChannelData | undefined {
  return useViewData(useView(channel, options).key);
}

/**
 * Keeps a view of `channel` subscribed while the component is mounted and returns its records.
 * Components that pass equal options share the view; others get views of their own.
 *
 * @example
 * const { records, status, lastUpdate } = useChannel('backlog', { initial });
 * const offline = useChannel('fleet', { filter: { where: { status: 'offline' } }, pauseWhenOffscreen: panelRef });
 * const chart = useChannel('kpi', { intervalMs: 5000 }); // at most one delta per 5 s
 * const kpi = useChannel('kpi', { series: true, initial }); // and the recent past, for useSeries
 */
export function useChannel(channel: string, options: UseChannelOptions = {}): ChannelView {
  const { store, seeds, fetchSnapshot, pollIntervalMs } = usePulse();
  const { view, key } = useView(channel, options);
  const given = options.initial?.channel === channel ? options.initial : undefined;
  // The snapshot is this view's, whatever it says of itself.
  const initial = useMemo(() => (given ? { ...given, filter: view.filter, intervalMs: view.intervalMs } : undefined), [given, view]);

  // Seed during render, before any hook reads the store: a plain map, no subscriber notified.
  const seed = useMemo(() => (initial ? fromInitial(initial) : undefined), [initial]);
  if (seed && seeds.get(key) !== seed) seeds.set(key, seed);

  // Hydrate first, so the subscription below resumes from the snapshot's position.
  useEffect(() => {
    if (initial) store.getState().hydrate(initial);
  }, [store, initial]);

  const offscreen = useOffscreen(options.pauseWhenOffscreen);
  useViewHolding(channel, view, offscreen, options.series);

  const connection = useConnectionState();
  const data = useViewData(key);
  const paused = data?.paused === true;

  // While the socket is in fallback, poll the snapshot route into the same store (not while paused).
  useSWR(
    connection === 'fallback' && !paused ? ['pulse:snapshot', key] : null,
    () => fetchSnapshot(channel, view.filter),
    {
      refreshInterval: pollIntervalMs,
      dedupingInterval: Math.min(1000, pollIntervalMs / 2),
      revalidateOnFocus: false,
      onSuccess: (snapshot) => store.getState().ingestSnapshot(snapshot, 'poll', key),
    },
  );

  const records = data ? recordList(data) : EMPTY;
  const status = channelStatus(connection, data);
  const noSeries = data?.noSeries === true;
  return useMemo(
    () => ({
      records,
      status,
      paused,
      lastUpdate: data?.updatedAt ?? null,
      recovered: data?.recovered ?? null,
      epoch: data?.epoch ?? null,
      seq: data?.seq ?? 0,
      error: data?.error ?? null,
      noSeries,
    }),
    [records, status, paused, data?.updatedAt, data?.recovered, data?.epoch, data?.seq, data?.error, noSeries],
  );
}

'use client';
/**
 * `useChannel`: a channel's records, kept live by the socket, resumed from server-rendered data,
 * and polled over HTTP while the socket is in fallback.
 */
import { useCallback, useEffect, useMemo } from 'react';
import useSWR from 'swr';
import { useStore } from 'zustand';
import { filterKey } from '@/lib/protocol/filter-key';
import type { Filter } from '@/lib/protocol/filter';
import type { ChannelRecord } from '@/lib/protocol/messages';
import { fromInitial } from '@/lib/store/reducers';
import { channelStatus, recordList, selectChannel, type ChannelStatus } from '@/lib/store/selectors';
import type { PulseStoreState } from '@/lib/store/store';
import type { ChannelData, ChannelError, InitialSnapshot } from '@/lib/store/types';
import { useConnectionState } from './useConnectionStatus';
import { usePulse } from './usePulse';

export interface UseChannelOptions {
  /** Server-side filter; one filter per channel per provider (the newest mounted wins). */
  filter?: Filter;
  /** Server-rendered snapshot of this channel (read with the same filter): first paint, then resume from its `seq`. */
  initial?: InitialSnapshot;
}

export interface ChannelView {
  /** Records in display order; the same array until a record or the order changes. */
  records: readonly ChannelRecord[];
  status: ChannelStatus;
  /** Client time (ms) data last arrived, or the server render's time; `null` before any. */
  lastUpdate: number | null;
  /** Whether the last (re)subscribe resumed without loss; `null` before the first answer. */
  recovered: boolean | null;
  epoch: string | null;
  seq: number;
  /** Why the subscription was refused, if it was. */
  error: ChannelError | null;
}

const EMPTY: readonly ChannelRecord[] = Object.freeze([]);

/** The filter object, kept identical while its content is the same (so effects do not re-run on every render). */
export function useStableFilter(filter: Filter | undefined): { filter: Filter | undefined; key: string } {
  const key = filterKey(filter);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the key is the filter's content
  return useMemo(() => ({ filter: key ? filter : undefined, key }), [key]);
}

/**
 * The channel's state as the store holds it, or, before the store has it, the state seeded from
 * a server-rendered snapshot (so rows selecting single records paint on the first render too).
 */
export function useChannelData(channel: string): ChannelData | undefined {
  const { store, seeds } = usePulse();
  const select = useCallback((state: PulseStoreState) => selectChannel(state, channel) ?? seeds.get(channel), [channel, seeds]);
  return useStore(store, select);
}

/**
 * Keeps `channel` subscribed while the component is mounted and returns its records.
 *
 * @example
 * const { records, status, lastUpdate } = useChannel('backlog', { initial });
 * return <Table rows={records} live={status === 'live'} />;
 */
export function useChannel(channel: string, options: UseChannelOptions = {}): ChannelView {
  const { store, binder, seeds, fetchSnapshot, pollIntervalMs } = usePulse();
  const { filter, key } = useStableFilter(options.filter);
  const initial = options.initial?.channel === channel ? options.initial : undefined;

  // Seed during render, before any hook reads the store: a plain map, no subscriber notified.
  const seed = useMemo(() => (initial ? fromInitial(initial) : undefined), [initial]);
  if (seed && seeds.get(channel) !== seed) seeds.set(channel, seed);

  // Hydrate first, so the subscription below resumes from the snapshot's position.
  useEffect(() => {
    if (initial) store.getState().hydrate(initial);
  }, [store, initial]);

  useEffect(() => binder.acquire(channel, filter), [binder, channel, filter]);

  const connection = useConnectionState();
  const data = useChannelData(channel);

  // While the socket is in fallback, poll the snapshot route into the same store.
  useSWR(
    connection === 'fallback' ? ['pulse:snapshot', channel, key] : null,
    () => fetchSnapshot(channel, filter),
    {
      refreshInterval: pollIntervalMs,
      dedupingInterval: Math.min(1000, pollIntervalMs / 2),
      revalidateOnFocus: false,
      onSuccess: (snapshot) => store.getState().ingestSnapshot(snapshot, 'poll'),
    },
  );

  const records = data ? recordList(data) : EMPTY;
  const status = channelStatus(connection, data);
  return useMemo(
    () => ({
      records,
      status,
      lastUpdate: data?.updatedAt ?? null,
      recovered: data?.recovered ?? null,
      epoch: data?.epoch ?? null,
      seq: data?.seq ?? 0,
      error: data?.error ?? null,
    }),
    [records, status, data?.updatedAt, data?.recovered, data?.epoch, data?.seq, data?.error],
  );
}

'use client';
/**
 * Per-record selectors: a row that selects its own record re-renders when that record (or its
 * change mark) changes, not when any other record of the channel does. Render the table from
 * `useRecordIds` and each row from `useRecord`.
 */
import { useCallback } from 'react';
import { useStore } from 'zustand';
import type { ChannelRecord } from '@/lib/protocol/messages';
import { own } from '@/lib/store/dict';
import type { PulseStoreState } from '@/lib/store/store';
import type { ChangeMark } from '@/lib/store/types';
import { usePulse } from './usePulse';

export interface RecordView {
  record: ChannelRecord | undefined;
  /** Set while the record is freshly changed (for flashing); cleared after the provider's `flashMs`. */
  changed: ChangeMark | undefined;
}

const EMPTY_IDS: readonly string[] = Object.freeze([]);

/**
 * @example
 * function Row({ id }: { id: string }) {
 *   const { record, changed } = useRecord('backlog', id);
 *   return <tr className={changed ? 'flash' : undefined}><td>{String(record?.waiting)}</td></tr>;
 * }
 */
export function useRecord(channel: string, id: string): RecordView {
  const { store, seeds } = usePulse();
  const data = useCallback((state: PulseStoreState) => own(state.channels, channel) ?? seeds.get(channel), [channel, seeds]);
  const record = useStore(store, useCallback((state: PulseStoreState) => {
    const channelData = data(state);
    return channelData ? own(channelData.records, id) : undefined;
  }, [data, id]));
  const changed = useStore(store, useCallback((state: PulseStoreState) => {
    const channelData = data(state);
    return channelData ? own(channelData.changed, id) : undefined;
  }, [data, id]));
  return { record, changed };
}

/** The channel's record ids in display order; changes only when records come, go or move. */
export function useRecordIds(channel: string): readonly string[] {
  const { store, seeds } = usePulse();
  return useStore(store, useCallback((state: PulseStoreState) => (own(state.channels, channel) ?? seeds.get(channel))?.order ?? EMPTY_IDS, [channel, seeds]));
}

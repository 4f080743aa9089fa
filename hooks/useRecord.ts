'use client';
/**
 * Per-record selectors: a row that selects its own record re-renders when that record (or its
 * change mark) changes, not when any other record of the view does. Render the table from
 * `useRecordIds` and each row from `useRecord`, with the same view options as the `useChannel`
 * that holds the view (these hooks read the store; they subscribe nothing).
 */
import { useCallback } from 'react';
import { useStore } from 'zustand';
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { ViewOptions } from '@/lib/client/views';
import { own } from '@/lib/store/dict';
import type { PulseStoreState } from '@/lib/store/store';
import type { ChangeMark } from '@/lib/store/types';
import { usePulse } from './usePulse';
import { useView } from './useView';

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
 * useRecord('fleet', id, { filter: OFFLINE }); // a row of the `fleet` view filtered by OFFLINE
 */
export function useRecord(channel: string, id: string, options?: ViewOptions): RecordView {
  const { store, seeds } = usePulse();
  const { key } = useView(channel, options);
  const data = useCallback((state: PulseStoreState) => own(state.channels, key) ?? seeds.get(key), [key, seeds]);
  const record = useStore(store, useCallback((state: PulseStoreState) => {
    const viewData = data(state);
    return viewData ? own(viewData.records, id) : undefined;
  }, [data, id]));
  const changed = useStore(store, useCallback((state: PulseStoreState) => {
    const viewData = data(state);
    return viewData ? own(viewData.changed, id) : undefined;
  }, [data, id]));
  return { record, changed };
}

/** The view's record ids in display order; changes only when records come, go or move. */
export function useRecordIds(channel: string, options?: ViewOptions): readonly string[] {
  const { store, seeds } = usePulse();
  const { key } = useView(channel, options);
  return useStore(store, useCallback((state: PulseStoreState) => (own(state.channels, key) ?? seeds.get(key))?.order ?? EMPTY_IDS, [key, seeds]));
}

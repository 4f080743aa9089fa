/**
 * Derived views of the store, pure and memoized so React selectors return stable values.
 */
import type { ClientState } from '../client/states';
import type { ChannelRecord } from '../protocol/messages';
import { own } from './dict';
import type { PulseStoreState } from './store';
import type { ChangeMark, ChannelData } from './types';

const EMPTY_RECORDS: readonly ChannelRecord[] = Object.freeze([]);

// Keyed by the order array: the list changes identity only when the order or a record does.
const lists = new WeakMap<readonly string[], { records: ChannelData['records']; list: readonly ChannelRecord[] }>();

/** The channel's records as an array in display order; the same array while nothing changed. */
export function recordList(data: ChannelData | undefined): readonly ChannelRecord[] {
  if (!data || data.order.length === 0) return EMPTY_RECORDS;
  const cached = lists.get(data.order);
  if (cached && cached.records === data.records) return cached.list;
  const list: ChannelRecord[] = [];
  for (const id of data.order) {
    const record = own(data.records, id);
    if (record !== undefined) list.push(record);
  }
  lists.set(data.order, { records: data.records, list });
  return list;
}

/**
 * A view's data by its key (`viewStoreKey`; a channel name is the key of the channel read
 * whole). Selectors take the key rather than the filter: a hook computes it once, and a row's
 * selector stays a pair of lookups however often the store changes.
 */
export function selectChannel(state: PulseStoreState, key: string): ChannelData | undefined {
  return own(state.channels, key);
}

export function selectRecord(state: PulseStoreState, key: string, id: string): ChannelRecord | undefined {
  const data = own(state.channels, key);
  return data ? own(data.records, id) : undefined;
}

export function selectChange(state: PulseStoreState, key: string, id: string): ChangeMark | undefined {
  const data = own(state.channels, key);
  return data ? own(data.changed, id) : undefined;
}

/**
 * What a view of one channel shows:
 * - `idle`: not connecting (server render, before the provider starts);
 * - `loading`: connecting, or connected and waiting for the channel's first data;
 * - `live`: the socket is delivering this channel;
 * - `reconnecting`: the connection dropped; the data shown is the last received;
 * - `polling`: the socket is in fallback; the data comes from HTTP snapshots;
 * - `paused`: nobody shows the view (a hidden page, a panel scrolled away), so it is
 *   unsubscribed; the data shown is the last received, and it catches up when shown again;
 * - `offline`, `closed`, `error`: as the connection state.
 */
export type ChannelStatus = 'idle' | 'loading' | 'live' | 'reconnecting' | 'polling' | 'paused' | 'offline' | 'closed' | 'error';

export function channelStatus(connection: ClientState, data: ChannelData | undefined): ChannelStatus {
  // A paused view says so while the connection is trying; a stopped connection says why instead.
  if (data?.paused && connection !== 'idle' && connection !== 'closed' && connection !== 'error') return 'paused';
  switch (connection) {
    case 'open':
      return data?.live ? 'live' : 'loading';
    case 'connecting':
      return 'loading';
    case 'fallback':
      return 'polling';
    case 'reconnecting':
    case 'offline':
    case 'closed':
    case 'error':
    case 'idle':
      return connection;
  }
}

/**
 * The newest data of any view the store holds (client time, ms), or null before any: what a
 * page's "Data: 5s ago" reads. One number, so a component selecting it re-renders only when it moves.
 */
export function newestUpdate(state: Pick<PulseStoreState, 'channels'>): number | null {
  let newest = 0;
  for (const data of Object.values(state.channels)) newest = Math.max(newest, data.updatedAt ?? 0);
  return newest > 0 ? newest : null;
}

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

export function selectChannel(state: PulseStoreState, channel: string): ChannelData | undefined {
  return own(state.channels, channel);
}

export function selectRecord(state: PulseStoreState, channel: string, id: string): ChannelRecord | undefined {
  const data = own(state.channels, channel);
  return data ? own(data.records, id) : undefined;
}

export function selectChange(state: PulseStoreState, channel: string, id: string): ChangeMark | undefined {
  const data = own(state.channels, channel);
  return data ? own(data.changed, id) : undefined;
}

/**
 * What a view of one channel shows:
 * - `idle`: not connecting (server render, before the provider starts);
 * - `loading`: connecting, or connected and waiting for the channel's first data;
 * - `live`: the socket is delivering this channel;
 * - `reconnecting`: the connection dropped; the data shown is the last received;
 * - `polling`: the socket is in fallback; the data comes from HTTP snapshots;
 * - `offline`, `closed`, `error`: as the connection state.
 */
export type ChannelStatus = 'idle' | 'loading' | 'live' | 'reconnecting' | 'polling' | 'offline' | 'closed' | 'error';

export function channelStatus(connection: ClientState, data: ChannelData | undefined): ChannelStatus {
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

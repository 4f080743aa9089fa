'use client';
/**
 * `useChannelEvents`: a channel's recent events, and a callback for each new one (toasts for
 * `critical` alerts). The handler is kept in a ref, so the store listener is bound once per
 * channel however often the component re-renders with a new handler.
 */
import { useEffect, useRef } from 'react';
import type { Filter } from '@/lib/protocol/filter';
import type { ChannelEvent } from '@/lib/protocol/messages';
import { own } from '@/lib/store/dict';
import { channelStatus, type ChannelStatus } from '@/lib/store/selectors';
import { useChannelData, useStableFilter } from './useChannel';
import { useConnectionState } from './useConnectionStatus';
import { usePulse } from './usePulse';

export interface UseChannelEventsOptions {
  /** Subscription filter (`eventTypes`, `minPriority`, …); shares the channel's one filter with `useChannel`. */
  filter?: Filter;
  /**
   * Called for every event that arrives while mounted, oldest first. Events already present on
   * mount (history from a snapshot) are not replayed.
   */
  onEvent?: (event: ChannelEvent, channel: string) => void;
}

export interface ChannelEventsView {
  /** Recent events, oldest first, newest last (at most the store's `maxEvents`, default 100). */
  events: readonly ChannelEvent[];
  status: ChannelStatus;
}

const EMPTY: readonly ChannelEvent[] = Object.freeze([]);

/**
 * @example
 * useChannelEvents('alerts', { filter: { minPriority: 'critical' }, onEvent: (e) => toast(e.type) });
 */
export function useChannelEvents(channel: string, options: UseChannelEventsOptions = {}): ChannelEventsView {
  const { store, binder } = usePulse();
  const { filter } = useStableFilter(options.filter);

  const onEvent = useRef(options.onEvent);
  useEffect(() => {
    onEvent.current = options.onEvent;
  });

  useEffect(() => binder.acquire(channel, filter), [binder, channel, filter]);

  useEffect(() => {
    let seen = own(store.getState().channels, channel)?.eventsReceived ?? 0;
    return store.subscribe((state) => {
      const data = own(state.channels, channel);
      if (!data) return;
      const count = data.eventsReceived - seen;
      seen = data.eventsReceived;
      if (count <= 0 || data.events.length === 0) return;
      for (const event of data.events.slice(-Math.min(count, data.events.length))) {
        onEvent.current?.(event, channel);
      }
    });
  }, [store, channel]);

  const data = useChannelData(channel);
  const connection = useConnectionState();
  return { events: data?.events ?? EMPTY, status: channelStatus(connection, data) };
}

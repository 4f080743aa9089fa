'use client';
/**
 * `useChannelEvents`: a view's recent events, and a callback for each new one (toasts for
 * `critical` alerts). The handler is kept in a ref, so the store listener is bound once per
 * view however often the component re-renders with a new handler.
 */
import { useEffect, useRef, type RefObject } from 'react';
import type { ChannelEvent } from '@/lib/protocol/messages';
import type { ViewOptions } from '@/lib/client/views';
import { own } from '@/lib/store/dict';
import { channelStatus, type ChannelStatus } from '@/lib/store/selectors';
import { useConnectionState } from './useConnectionStatus';
import { usePulse } from './usePulse';
import { useView, useViewData, useViewHolding } from './useView';
import { useOffscreen } from './visibility';

export interface UseChannelEventsOptions extends ViewOptions {
  /**
   * Called for every event that arrives while mounted, oldest first. Events already present on
   * mount (history from a snapshot) are not replayed. Events a paused view missed arrive with
   * its recovery delta when it resumes, and are called then.
   */
  onEvent?: (event: ChannelEvent, channel: string) => void;
  /** Pause the view while this element is out of the viewport, as `useChannel`'s option does. */
  pauseWhenOffscreen?: RefObject<Element | null>;
}

export interface ChannelEventsView {
  /** Recent events, oldest first, newest last (at most the store's `maxEvents`, default 100). */
  events: readonly ChannelEvent[];
  status: ChannelStatus;
  /** The view is paused (nobody sees it). */
  paused: boolean;
}

const EMPTY: readonly ChannelEvent[] = Object.freeze([]);

/**
 * Subscribes to the view `filter` and `intervalMs` name (shared with `useChannel` calls that
 * pass the same options) and returns its events.
 *
 * @example
 * useChannelEvents('alerts', { filter: { minPriority: 'critical' }, onEvent: (e) => toast(e.type) });
 */
export function useChannelEvents(channel: string, options: UseChannelEventsOptions = {}): ChannelEventsView {
  const { store } = usePulse();
  const { view, key } = useView(channel, options);

  const onEvent = useRef(options.onEvent);
  useEffect(() => {
    onEvent.current = options.onEvent;
  });

  const offscreen = useOffscreen(options.pauseWhenOffscreen);
  useViewHolding(channel, view, offscreen);

  useEffect(() => {
    let seen = own(store.getState().channels, key)?.eventsReceived ?? 0;
    return store.subscribe((state) => {
      const data = own(state.channels, key);
      if (!data) return;
      const count = data.eventsReceived - seen;
      seen = data.eventsReceived;
      if (count <= 0 || data.events.length === 0) return;
      for (const event of data.events.slice(-Math.min(count, data.events.length))) {
        onEvent.current?.(event, channel);
      }
    });
  }, [store, channel, key]);

  const data = useViewData(key);
  const connection = useConnectionState();
  return { events: data?.events ?? EMPTY, status: channelStatus(connection, data), paused: data?.paused === true };
}

'use client';
/**
 * The pieces every data hook shares: which view its options name (and where the store keeps it),
 * reading that view's data, and holding the view while mounted (paused while unseen).
 */
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useStore } from 'zustand';
import { filterKey } from '@/lib/protocol/filter-key';
import { viewKey, viewStoreKey, type ViewOptions } from '@/lib/client/views';
import type { SeriesAsk } from '@/lib/protocol/messages';
import type { Holding } from '@/lib/store/binding';
import { selectChannel } from '@/lib/store/selectors';
import type { PulseStoreState } from '@/lib/store/store';
import type { ChannelData } from '@/lib/store/types';
import { usePulse } from './usePulse';

export interface ResolvedView {
  /** The view's options, the same object while their content is the same (so effects do not re-run). */
  view: ViewOptions;
  /** Where the store keeps the view (`viewStoreKey`). */
  key: string;
}

/**
 * The view `options` name on `channel`: listeners with equal options (however the filter is
 * spelled) get the same view and the same store key.
 */
export function useView(channel: string, options: ViewOptions = {}): ResolvedView {
  const text = viewKey(options);
  return useMemo(() => {
    const view: ViewOptions = {};
    if (filterKey(options.filter)) view.filter = options.filter;
    if (options.intervalMs !== undefined) view.intervalMs = options.intervalMs;
    return { view, key: viewStoreKey(channel, view) };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the text is the options' content
  }, [channel, text]);
}

/**
 * The view's state as the store holds it, or, before the store has it, the state seeded from a
 * server-rendered snapshot (so rows selecting single records paint on the first render too).
 */
export function useViewData(key: string): ChannelData | undefined {
  const { store, seeds } = usePulse();
  const select = useCallback((state: PulseStoreState) => selectChannel(state, key) ?? seeds.get(key), [key, seeds]);
  return useStore(store, select);
}

/**
 * Keeps the view subscribed while the component is mounted, paused while `paused` (the view
 * itself pauses once every holder of it is paused, or the page is hidden), asking for `series`
 * when given (docs/protocol.md §13; the view asks what all its holders ask together).
 */
export function useViewHolding(channel: string, view: ViewOptions, paused: boolean, series?: SeriesAsk): void {
  const { binder } = usePulse();
  const holding = useRef<Holding | null>(null);
  const pausedNow = useRef(paused);
  const ask = useStableSeriesAsk(series);

  useEffect(() => {
    pausedNow.current = paused;
    holding.current?.setPaused(paused);
  }, [paused]);

  useEffect(() => {
    const hold = binder.acquire(channel, view, { paused: pausedNow.current, ...(ask !== undefined ? { series: ask } : {}) });
    holding.current = hold;
    return () => {
      hold();
      if (holding.current === hold) holding.current = null;
    };
  }, [binder, channel, view, ask]);
}

/** The series ask, kept identical while its content is the same (so the holding is not renewed on every render). */
export function useStableSeriesAsk(series: SeriesAsk | undefined): SeriesAsk | undefined {
  const text = series === undefined ? '' : JSON.stringify(series);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the text is the ask's content
  return useMemo(() => series, [text]);
}

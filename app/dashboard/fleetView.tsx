'use client';
/**
 * The region the fleet panels look at, shared by the map and the metro list. Both read `fleet`
 * through `useChannel` with the same filter, so they share one subscription; changing the
 * region subscribes again with the new `bounds` and the hub sends what is inside.
 */
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { useChannel, type ChannelView } from '@/hooks';
import type { Bounds } from '@/components/geo';
import { CHANNELS, DEFAULT_FLEET_BOUNDS, fleetFilter } from './config';

interface FleetViewState {
  bounds: Bounds;
  setBounds(bounds: Bounds): void;
}

const FleetViewContext = createContext<FleetViewState | null>(null);

export function FleetViewProvider({ children }: { children: ReactNode }) {
  const [bounds, setBounds] = useState<Bounds>(DEFAULT_FLEET_BOUNDS);
  const value = useMemo(() => ({ bounds, setBounds }), [bounds]);
  return <FleetViewContext.Provider value={value}>{children}</FleetViewContext.Provider>;
}

/** The region in force and the `fleet` records the hub sends for it. */
export function useFleetView(): FleetViewState & { fleet: ChannelView } {
  const view = useContext(FleetViewContext);
  if (!view) throw new Error('useFleetView needs a <FleetViewProvider> above it');
  const filter = useMemo(() => fleetFilter(view.bounds), [view.bounds]);
  const fleet = useChannel(CHANNELS.fleet, { filter });
  return { ...view, fleet };
}

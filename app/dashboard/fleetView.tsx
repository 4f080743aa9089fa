'use client';
/**
 * The region the fleet panels look at, shared by the map, the metro list and the attention
 * table's "show on map". The map and the metro list read `fleet` through `useChannel` with the
 * same filter, so they share one view; changing the region subscribes that view again with the
 * new `bounds` and the hub sends what is inside. Other views of `fleet` on the page are left
 * alone.
 */
import { createContext, useContext, useMemo, useState, type ReactNode, type RefObject } from 'react';
import { useChannel, type ChannelView } from '@/hooks';
import type { Bounds } from '@/components/geo';
import { CHANNELS, DEFAULT_FLEET_BOUNDS, fleetFilter } from './config';

interface FleetRegion {
  bounds: Bounds;
  setBounds(bounds: Bounds): void;
}

const FleetViewContext = createContext<FleetRegion | null>(null);

export function FleetViewProvider({ children }: { children: ReactNode }) {
  const [bounds, setBounds] = useState<Bounds>(DEFAULT_FLEET_BOUNDS);
  const value = useMemo(() => ({ bounds, setBounds }), [bounds]);
  return <FleetViewContext.Provider value={value}>{children}</FleetViewContext.Provider>;
}

/** The region in force, without subscribing to anything. */
export function useFleetRegion(): FleetRegion {
  const region = useContext(FleetViewContext);
  if (!region) throw new Error('useFleetRegion needs a <FleetViewProvider> above it');
  return region;
}

/**
 * The region in force and the `fleet` records the hub sends for it. `panel` is the caller's
 * section: the view pauses once every panel showing it has been out of sight for a while.
 */
export function useFleetView(panel?: RefObject<Element | null>): FleetRegion & { fleet: ChannelView } {
  const region = useFleetRegion();
  const filter = useMemo(() => fleetFilter(region.bounds), [region.bounds]);
  const fleet = useChannel(CHANNELS.fleet, { filter, ...(panel ? { pauseWhenOffscreen: panel } : {}) });
  return { ...region, fleet };
}

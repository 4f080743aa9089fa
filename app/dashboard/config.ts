/**
 * What the operations dashboard shows: its channels and the filter each one is read with. The
 * tenant is the viewer's (the session cookie's, or `PULSE_DASHBOARD_TENANT` for anonymous
 * viewers). Shared by the server component (which reads the snapshots) and the browser (which
 * subscribes), because a `since` only resumes the view it was read from (docs/protocol.md §7).
 */
import type { Bounds, Filter } from '@/lib/protocol/filter';
import type { Priority } from '@/lib/protocol/messages';
import { normalizeLon, REGION_PRESETS, type RegionPreset } from '@/components/geo';

export const CHANNELS = { kpi: 'kpi', backlog: 'backlog', fleet: 'fleet', alerts: 'alerts' } as const;

/** The whole world as a bounds box: the map always subscribes with a real `bounds` filter. */
export const WORLD_BOUNDS: Bounds = { north: 90, south: -90, west: -180, east: 180 };

/** Region buttons above the map; "World" is an explicit box rather than no filter. */
export const MAP_PRESETS: readonly RegionPreset[] = REGION_PRESETS.map((preset) =>
  preset.bounds === null ? { ...preset, bounds: WORLD_BOUNDS } : preset,
);

/** The map's bounds on first paint. */
export const DEFAULT_FLEET_BOUNDS: Bounds = WORLD_BOUNDS;

/** Only what the map and its counts draw: the hub leaves speed and timestamps out of every frame. */
export const FLEET_FIELDS = ['name', 'metro', 'lat', 'lon', 'status', 'moving', 'battery'] as const;

export function fleetFilter(bounds: Bounds): Filter {
  return { bounds, fields: [...FLEET_FIELDS] };
}

/** Alert feed levels, as server-side `minPriority` filters; `null` is everything. */
export const ALERT_LEVELS: ReadonlyArray<{ id: string; label: string; minPriority: Priority | null }> = [
  { id: 'all', label: 'All', minPriority: null },
  { id: 'high', label: 'High+', minPriority: 'high' },
  { id: 'critical', label: 'Critical', minPriority: 'critical' },
];

export function alertsFilter(minPriority: Priority | null): Filter | undefined {
  return minPriority ? { minPriority } : undefined;
}

/** Each channel with the filter it starts with: what the server renders and the browser resumes. */
export const INITIAL_VIEWS: ReadonlyArray<{ channel: string; filter: Filter | undefined }> = [
  { channel: CHANNELS.kpi, filter: undefined },
  { channel: CHANNELS.backlog, filter: undefined },
  { channel: CHANNELS.fleet, filter: fleetFilter(DEFAULT_FLEET_BOUNDS) },
  { channel: CHANNELS.alerts, filter: alertsFilter(null) },
];

/** Samples kept per sparkline, one a second: the last minute. */
export const HISTORY_SIZE = 60;
export const HISTORY_INTERVAL_MS = 1000;

/** Battery level (%) under which a node counts as low. */
export const LOW_BATTERY = 20;

/** A box around a metro area, a little wider than where its nodes roam; may cross 180°. */
export function metroBounds(metro: { lat: number; lon: number; radiusKm: number }, margin = 1.6): Bounds {
  const dLat = (metro.radiusKm * margin) / 111;
  const dLon = Math.min(179, (metro.radiusKm * margin) / (111 * Math.max(0.2, Math.cos((metro.lat * Math.PI) / 180))));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    north: round(Math.min(90, metro.lat + dLat)),
    south: round(Math.max(-90, metro.lat - dLat)),
    west: round(normalizeLon(metro.lon - dLon)),
    east: round(normalizeLon(metro.lon + dLon)),
  };
}

/**
 * What the operations dashboard shows: its channels and the filter each one is read with. The
 * tenant is the viewer's (the session cookie's, or `PULSE_DASHBOARD_TENANT` for anonymous
 * viewers). Shared by the server component (which reads the snapshots) and the browser (which
 * subscribes), because a `since` only resumes the view it was read from (docs/protocol.md §7).
 */
import type { ViewOptions } from '@/lib/client/views';
import type { Bounds, Filter } from '@/lib/protocol/filter';
import type { Priority, SeriesAsk } from '@/lib/protocol/messages';
import { normalizeLon, REGION_PRESETS, WORLD_BOUNDS, type RegionPreset } from '@/components/geo';

export const CHANNELS = { kpi: 'kpi', backlog: 'backlog', fleet: 'fleet', alerts: 'alerts' } as const;

/** The whole world as a bounds box: the map always subscribes with a real `bounds` filter. */
export { WORLD_BOUNDS };

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

/** Battery level (%) under which a node counts as low. */
export const LOW_BATTERY = 20;

/** What the "Needs attention" table shows of a node; battery and status are what change. */
export const ATTENTION_FIELDS = ['name', 'metro', 'status', 'battery'] as const;

/**
 * The second view of `fleet`: every node that is offline or low on battery, the world over,
 * whatever region the map shows. The hub evaluates the `or` (docs/protocol.md §6), so only those
 * nodes reach the page, entering and leaving as their status and charge change.
 *
 * Paced: people read this table, and a second's delay on a node that went offline matters to
 * nobody (the alerts feed is the urgent channel), so the hub sends it at most one delta a
 * second, merged (docs/protocol.md §12). The panels that share the map's view or the plain
 * `kpi` and `backlog` views keep every batch: their data arrives at full pace anyway, and a
 * paced copy on the same connection would add frames rather than save any.
 */
export const ATTENTION_VIEW: Readonly<Required<ViewOptions>> = {
  filter: { or: [{ status: 'offline' }, { battery: { lt: LOW_BATTERY } }], fields: [...ATTENTION_FIELDS] },
  intervalMs: 1000,
};

/**
 * Each view the page starts with (a channel, its filter, pace and series): what the server
 * renders and the browser resumes. `fleet` is there twice, the map's region and the attention
 * table. `kpi` and `backlog` ask for series as their cards do (`WITH_SERIES`), so the page
 * embeds them and the browser's subscription resumes them rather than asking afresh.
 */
export const INITIAL_VIEWS: ReadonlyArray<{ channel: string; filter: Filter | undefined; intervalMs?: number; series?: SeriesAsk }> = [
  { channel: CHANNELS.kpi, filter: undefined, series: true },
  { channel: CHANNELS.backlog, filter: undefined, series: true },
  { channel: CHANNELS.fleet, filter: fleetFilter(DEFAULT_FLEET_BOUNDS) },
  { channel: CHANNELS.fleet, ...ATTENTION_VIEW },
  { channel: CHANNELS.alerts, filter: alertsFilter(null) },
];

/**
 * What the cards and the trends ask of `kpi` and `backlog`: the series of every field the server
 * keeps, over the window it keeps (docs/protocol.md §13; the demo keeps 15 minutes at 1 s). One
 * ask for every listener of a view, so none of them makes the view subscribe again for more.
 */
export const WITH_SERIES = { series: true } as const;

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

/** The query parameter that sets how long `/` stays hidden before its views pause (`?pauseHiddenAfterMs=2000`). */
export const PAUSE_HIDDEN_PARAM = 'pauseHiddenAfterMs';

/**
 * The page's hidden-pause delay from its query parameter: whole ms from 0 to 10 minutes, or
 * `undefined` (the provider's default, 30 s) for anything else. A short delay shows pausing
 * without waiting half a minute; it changes nothing but this page's own subscriptions.
 */
export function pauseHiddenAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d{1,6}$/.test(text)) return undefined;
  const ms = Number(text);
  return ms <= 600_000 ? ms : undefined;
}

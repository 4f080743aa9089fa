'use client';
/**
 * A map panel: the records in view with a position on a world map, coloured by a field,
 * clustered where they overlap (docs/dashboards.md, "Map"). With `followBounds` (the default)
 * the viewer picks a region, a preset or a box drawn on the map, and it becomes the view's
 * `bounds` filter: the hub then sends only the records inside, and adds and removes them as they
 * cross its edges (docs/protocol.md §6). Nothing is hidden in the browser.
 */
import { useMemo, useRef, useState } from 'react';
import { useChannel } from '@/hooks/useChannel';
import { numericField } from '@/lib/dashboards/compute';
import type { MapPanelSpec, Tone } from '@/lib/dashboards/types';
import type { Filter } from '@/lib/protocol/filter';
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { InitialSnapshot } from '@/lib/store/types';
import { formatInteger } from '@/components/format';
import { isWholeWorld, sameBounds, type Bounds } from '@/components/geo';
import { TONE_ORDER, type MapPoint, type MapTone } from '@/components/map/clusters';
import { WorldMap, type MapLegendItem } from '@/components/map/WorldMap';
import { PanelFrame } from './PanelFrame';
import { statusTone } from './cells';

export type MapPanelProps = Omit<MapPanelSpec, 'kind'> & {
  /** Server-rendered snapshot of this panel's view (read with its declared filter). */
  initial?: InitialSnapshot;
};

/** How a panel reads its records onto the map. */
export interface MapFields {
  latField?: string;
  lonField?: string;
  labelField?: string;
  colorBy?: string;
  colors?: Record<string, Tone>;
}

/** Legend entries shown before the rest are summed up as "other". */
const LEGEND_ENTRIES = 6;

/** A record's value of `colorBy` as text ("online"), or `null` when it has none to show. */
function colorValue(record: ChannelRecord, colorBy: string | undefined): string | null {
  if (!colorBy) return null;
  const v = record[colorBy];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

/**
 * A record as a point on the map, or `null` without a position. Its tone is the panel's colour
 * for its `colorBy` value, else the status word's (`online` is ok), else muted; without
 * `colorBy`, every point is `info`.
 *
 * @example
 * recordPoint({ id: 'n7', lat: 52.37, lon: 4.89, status: 'online' }, { colorBy: 'status' });
 * // → { id: 'n7', lat: 52.37, lon: 4.89, tone: 'ok', label: 'n7', detail: 'online' }
 */
export function recordPoint(record: ChannelRecord, fields: MapFields): MapPoint | null {
  const lat = numericField(record, fields.latField ?? 'lat');
  const lon = numericField(record, fields.lonField ?? 'lon');
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  const label = fields.labelField ? record[fields.labelField] : undefined;
  const value = colorValue(record, fields.colorBy);
  const tone: MapTone = fields.colorBy ? (statusTone(record[fields.colorBy], fields.colors) ?? 'muted') : 'info';
  return {
    id: record.id,
    lat,
    lon,
    tone,
    label: typeof label === 'string' || typeof label === 'number' ? String(label) : record.id,
    ...(value !== null ? { detail: value } : {}),
  };
}

/**
 * The legend: one entry per value of `colorBy` (worst tone first, then the most common), the
 * rest as "other"; or a single entry counting every point.
 */
export function mapLegend(records: readonly ChannelRecord[], points: readonly MapPoint[], colorBy: string | undefined): MapLegendItem[] {
  if (!colorBy) return [{ label: 'in view', tone: 'info', count: points.length }];
  const byValue = new Map<string, MapLegendItem>();
  const placed = new Set(points.map((p) => p.id));
  const toneOf = new Map(points.map((p) => [p.id, p.tone]));
  for (const record of records) {
    if (!placed.has(record.id)) continue;
    const label = colorValue(record, colorBy) ?? 'none';
    const entry = byValue.get(label) ?? { label, tone: toneOf.get(record.id) ?? 'muted', count: 0 };
    entry.count++;
    byValue.set(label, entry);
  }
  const entries = [...byValue.values()].sort((a, b) => TONE_ORDER.indexOf(a.tone) - TONE_ORDER.indexOf(b.tone) || b.count - a.count || a.label.localeCompare(b.label));
  if (entries.length <= LEGEND_ENTRIES) return entries;
  const rest = entries.slice(LEGEND_ENTRIES - 1).reduce((sum, e) => sum + e.count, 0);
  return [...entries.slice(0, LEGEND_ENTRIES - 1), { label: 'other', tone: 'muted', count: rest }];
}

/** Words for each tone in a cluster's description: the values that take it ("online"). */
function toneWords(legend: readonly MapLegendItem[]): Partial<Record<MapTone, string>> {
  const words: Partial<Record<MapTone, string>> = {};
  for (const item of legend) words[item.tone] = words[item.tone] ? `${words[item.tone]}/${item.label}` : item.label;
  return words;
}

/** The declared filter with the viewer's region as its `bounds` (none for the whole world). */
export function mapFilter(filter: Filter | undefined, bounds: Bounds | null): Filter | undefined {
  const { bounds: _declared, ...rest } = filter ?? {};
  const next: Filter = bounds && !isWholeWorld(bounds) ? { ...rest, bounds } : rest;
  return Object.keys(next).length > 0 ? next : undefined;
}

/**
 * @example
 * <MapPanel title="Devices" channel="nodes" colorBy="status"
 *   colors={{ online: 'ok', sleeping: 'info', 'low-battery': 'warn', offline: 'bad' }} labelField="name" width={8} />
 */
export function MapPanel({
  title,
  channel,
  filter,
  intervalMs,
  width,
  latField,
  lonField,
  labelField,
  colorBy,
  colors,
  followBounds = true,
  initial,
}: MapPanelProps) {
  const panel = useRef<HTMLElement>(null);
  const declared = filter?.bounds ?? null;
  const [bounds, setBounds] = useState<Bounds | null>(declared);
  const viewFilter = useMemo(() => mapFilter(filter, bounds), [filter, bounds]);
  // The snapshot was read with the declared filter: it seeds that view only, not a region picked since.
  const seeded = sameBounds(bounds, declared) ? initial : undefined;
  const view = useChannel(channel, { filter: viewFilter, intervalMs, initial: seeded, pauseWhenOffscreen: panel });

  const fields = useMemo(() => ({ latField, lonField, labelField, colorBy, colors }), [latField, lonField, labelField, colorBy, colors]);
  const points = useMemo(() => view.records.map((r) => recordPoint(r, fields)).filter((p): p is MapPoint => p !== null), [view.records, fields]);
  const legend = useMemo(() => mapLegend(view.records, points, colorBy), [view.records, points, colorBy]);
  const words = useMemo(() => toneWords(legend), [legend]);

  const unplaced = view.records.length - points.length;
  const meta = `${formatInteger(points.length)} on the map${unplaced > 0 ? ` · ${formatInteger(unplaced)} without a position` : ''}`;

  return (
    <PanelFrame title={title} view={view} width={width} meta={meta} className="pb-mappanel" ref={panel}>
      <WorldMap
        points={points}
        bounds={bounds}
        onBoundsChange={followBounds ? setBounds : undefined}
        legend={legend}
        toneLabels={words}
        label={title}
      />
    </PanelFrame>
  );
}

export default MapPanel;

'use client';

/**
 * The fleet on a world map: nodes coloured by status (online, degraded, offline), clustered where
 * they overlap, and the current bounds box. The user picks a region preset, drags a box or
 * clicks a cluster; the map reports the new bounds through `onBoundsChange` and, by default,
 * zooms to them. Drawing, projection and clustering are `components/map`'s.
 */
import { useMemo } from 'react';
import type { Bounds, RegionPreset } from './geo';
import type { MapPoint, MapTone } from './map/clusters';
import { WorldMap, type MapLegendItem } from './map/WorldMap';

export interface FleetMapNode {
  id: string;
  lat: number;
  lon: number;
  /** `online`, `degraded` or `offline`; anything else is drawn as unknown. */
  status: string;
  moving?: boolean;
  name?: string;
}

export interface FleetMapProps {
  nodes: readonly FleetMapNode[];
  /** The bounds filter in force, or `null` for the whole world. */
  bounds: Bounds | null;
  onBoundsChange(bounds: Bounds | null): void;
  /** Region buttons (default: World, Americas, Europe, Asia-Pacific, Antimeridian). */
  presets?: readonly RegionPreset[];
  /** Frame the view on the bounds (default true); otherwise always show the whole world. */
  zoomToBounds?: boolean;
  /** Accessible name of the map. */
  label?: string;
  className?: string;
}

const STATUS_TONES: Record<string, MapTone> = { online: 'ok', degraded: 'warn', offline: 'bad' };
const STATUSES = ['online', 'degraded', 'offline'] as const;
const TONE_LABELS: Partial<Record<MapTone, string>> = { ok: 'online', warn: 'degraded', bad: 'offline', muted: 'unknown' };

/** Node records as map points, each the same object while its node is. */
const pointCache = new WeakMap<FleetMapNode, MapPoint>();
function asPoint(node: FleetMapNode): MapPoint {
  let point = pointCache.get(node);
  if (!point) {
    const known = Object.hasOwn(STATUS_TONES, node.status);
    point = {
      id: node.id,
      lat: node.lat,
      lon: node.lon,
      tone: known ? STATUS_TONES[node.status] : 'muted',
      label: node.name ?? node.id,
      detail: known ? node.status : node.status || 'unknown',
      moving: node.moving === true,
    };
    pointCache.set(node, point);
  }
  return point;
}

/**
 * @example
 * <FleetMap nodes={records.map(asFleetNode)} bounds={bounds} onBoundsChange={setBounds} />
 */
export function FleetMap({ nodes, bounds, onBoundsChange, presets, zoomToBounds = true, label = 'Fleet map', className }: FleetMapProps) {
  const points = useMemo(() => nodes.map(asPoint), [nodes]);
  const legend = useMemo((): MapLegendItem[] => {
    const counts: Record<string, number> = { online: 0, degraded: 0, offline: 0 };
    for (const n of nodes) if (Object.hasOwn(counts, n.status)) counts[n.status]++;
    return STATUSES.map((s) => ({ label: s, tone: STATUS_TONES[s], count: counts[s] }));
  }, [nodes]);
  return (
    <WorldMap
      points={points}
      bounds={bounds}
      onBoundsChange={onBoundsChange}
      presets={presets}
      zoomToBounds={zoomToBounds}
      legend={legend}
      toneLabels={TONE_LABELS}
      noun="nodes"
      label={label}
      className={className}
    />
  );
}

export default FleetMap;

/**
 * Land from Natural Earth (1:110m, from `world-atlas`), bundled with the app so the map needs
 * no tiles and no network; and its SVG path per frame, computed once and kept, since land never
 * changes and a page draws the same few frames again and again (the world, each preset).
 */
import { geoPath, type GeoSphere } from 'd3-geo';
import type { FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import landTopology from 'world-atlas/land-110m.json';
import type { MapFrame } from './projection';

const topology = landTopology as unknown as Topology<{ land: GeometryCollection }>;

/** Every landmass, as GeoJSON. */
export const LAND: FeatureCollection<Polygon | MultiPolygon> = feature(topology, topology.objects.land) as FeatureCollection<Polygon | MultiPolygon>;

const SPHERE: GeoSphere = { type: 'Sphere' };

/** Frames kept; a page rarely shows more than the world, its presets and a few drawn boxes. */
const CACHE_SIZE = 48;
const landCache = new Map<string, string>();

/** Path data with one decimal: a tenth of a drawing unit is below what a screen shows. */
function pathOf(frame: MapFrame) {
  return geoPath(frame.projection).digits(1);
}

/**
 * The SVG path of all land in a frame, from a cache keyed by `frame.key`.
 *
 * @example
 * <path className="pb-map__land" d={landPath(mapFrame(null, { width: 960, height: 480 }))} />
 */
export function landPath(frame: MapFrame): string {
  const hit = landCache.get(frame.key);
  if (hit !== undefined) {
    // most recently used last
    landCache.delete(frame.key);
    landCache.set(frame.key, hit);
    return hit;
  }
  const d = pathOf(frame)(LAND) ?? '';
  landCache.set(frame.key, d);
  if (landCache.size > CACHE_SIZE) landCache.delete(landCache.keys().next().value!);
  return d;
}

/** The globe's outline in a world frame (the sea), or `null` for a region, which is all sea behind. */
export function spherePath(frame: MapFrame): string | null {
  return frame.kind === 'world' ? pathOf(frame)(SPHERE) : null;
}

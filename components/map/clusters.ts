/**
 * Clustering of map points with `supercluster`: points that would overlap at the map's zoom
 * become one cluster with a count and the mix of its points' tones. Pure functions over an
 * index built once per set of points.
 */
import Supercluster, { type ClusterProperties } from 'supercluster';
import type { Tone } from '@/lib/dashboards/types';
import { normalizeLon } from '../geo';

/** A point's colour: a status tone, or `muted` for a value nobody gave a tone. */
export type MapTone = Tone | 'muted';

/** Tones from the worst to the most quiet: a cluster takes the first one any of its points has. */
export const TONE_ORDER: readonly MapTone[] = ['bad', 'warn', 'info', 'ok', 'muted'];

export type ToneCounts = Record<MapTone, number>;

/** A record placed on the map. */
export interface MapPoint {
  id: string;
  lat: number;
  lon: number;
  tone: MapTone;
  /** Its name, shown on hover. */
  label: string;
  /** What its tone stands for ("online"), shown on hover. */
  detail?: string;
  /** Drawn with a ring (a vehicle on the move, say). */
  moving?: boolean;
}

/** Points that overlap at this zoom, drawn as one. */
export interface MapCluster {
  kind: 'cluster';
  /** Stable while the index is. */
  key: string;
  lat: number;
  lon: number;
  count: number;
  tones: ToneCounts;
  /** The worst tone among its points. */
  worst: MapTone;
  members: MapPoint[];
}

export type MapMark = { kind: 'point'; point: MapPoint } | MapCluster;

export interface ClusterOptions {
  /** Radius within which points merge, in drawing units at the matching zoom. Default 26. */
  radius?: number;
  /** Past this zoom (about a street's scale) every point stands alone. Default 16. */
  maxZoom?: number;
  /**
   * The meridian at the map's centre (default 0). Supercluster's world ends at ±180°, so points
   * either side of that seam never merge; indexing longitudes relative to the centre moves the
   * seam to the far side of the globe, out of sight (a map centred on 180° clusters Fiji whole).
   */
  centerLon?: number;
}

type Props = { point: MapPoint };
type Aggregated = { tones: ToneCounts };

export interface ClusterIndex {
  /** The points indexed: those with a finite position. */
  readonly points: readonly MapPoint[];
  readonly index: Supercluster<Props, Aggregated>;
  readonly centerLon: number;
}

export function emptyToneCounts(): ToneCounts {
  return { bad: 0, warn: 0, info: 0, ok: 0, muted: 0 };
}

/** The worst tone with a count, `muted` when none. */
export function worstTone(tones: ToneCounts): MapTone {
  return TONE_ORDER.find((t) => tones[t] > 0) ?? 'muted';
}

/** Counts of each tone among points. */
export function countTones(points: readonly MapPoint[]): ToneCounts {
  const tones = emptyToneCounts();
  for (const p of points) tones[p.tone]++;
  return tones;
}

/**
 * Indexes points for clustering. Points without a finite position are left out.
 *
 * @example
 * const index = clusterIndex(points);
 * const marks = clusterMarks(index, 3); // clusters and lone points at zoom 3
 */
export function clusterIndex(points: readonly MapPoint[], options: ClusterOptions = {}): ClusterIndex {
  const centerLon = options.centerLon ?? 0;
  const placed = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90);
  const index = new Supercluster<Props, Aggregated>({
    radius: options.radius ?? 26,
    maxZoom: options.maxZoom ?? 16,
    extent: 512,
    map: (props) => {
      const tones = emptyToneCounts();
      tones[props.point.tone] = 1;
      return { tones };
    },
    reduce: (acc, props) => {
      for (const t of TONE_ORDER) acc.tones[t] += props.tones[t];
    },
  });
  index.load(
    placed.map((point) => ({
      type: 'Feature' as const,
      properties: { point },
      geometry: { type: 'Point' as const, coordinates: [normalizeLon(point.lon - centerLon), point.lat] },
    })),
  );
  return { points: placed, index, centerLon };
}

/**
 * Clusters and lone points at `zoom` (supercluster's, see `clusterZoom`), over the whole globe;
 * a map leaves out what falls outside its drawing.
 */
export function clusterMarks({ index, points, centerLon }: ClusterIndex, zoom: number): MapMark[] {
  if (points.length === 0) return [];
  // supercluster takes whole zooms; rounding keeps the radius within √2 of the one asked for
  const features = index.getClusters([-180, -90, 180, 90], Math.round(zoom));
  return features.map((f): MapMark => {
    const [rel, lat] = f.geometry.coordinates;
    const lon = normalizeLon(rel + centerLon);
    const props = f.properties as Partial<Props & Aggregated & ClusterProperties>;
    if (!props.cluster) return { kind: 'point', point: props.point! };
    const id = props.cluster_id!;
    const members = index.getLeaves(id, Infinity).map((leaf) => leaf.properties.point);
    const tones = props.tones!;
    return { kind: 'cluster', key: `c${id}`, lat, lon, count: props.point_count!, tones, worst: worstTone(tones), members };
  });
}

/** Records shown by marks in all: a cluster's count, or one per point. */
export function markCount(marks: readonly MapMark[]): number {
  return marks.reduce((sum, m) => sum + (m.kind === 'cluster' ? m.count : 1), 0);
}

/**
 * How a map frames the world or a bounds box, with d3-geo: the projection for a view, the box a
 * user drew turned back into bounds, and the outline of a bounds box. Pure functions.
 *
 * The whole world is an Equal Earth map; a region is the same map turned so the box's middle
 * meridian is at the centre (a box across 180° is then one piece), or a Mercator map once the
 * region is small enough that shapes should stay true (a metro area, a country).
 */
import { geoEqualEarth, geoGraticule, geoMercator, type GeoProjection } from 'd3-geo';
import type { LineString, MultiLineString, MultiPoint, Polygon } from 'geojson';
import { lonSpan, normalizeLon, type Bounds } from '../geo';

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** A projection fitted to a view of the map, and what it was made from. */
export interface MapFrame {
  /** `world` for the whole globe, `region` for a box. */
  kind: 'world' | 'region';
  projection: GeoProjection;
  size: Size;
  /** The meridian at the centre of the drawing. */
  centerLon: number;
  /** Identifies the frame (equal keys draw identically), e.g. for caching the land path. */
  key: string;
}

/** Regions at most this tall (degrees of latitude), away from the poles, use Mercator. */
const MERCATOR_MAX_LAT_EXTENT = 70;
const MERCATOR_MAX_LAT = 80;

/** A box this wide or wider is shown as the whole world. */
const WORLD_LON_SPAN = 300;

/** Points along the edges of a bounds box, for fitting and drawing it. */
function perimeter(b: Bounds, clampLat = 90): Array<[number, number]> {
  const span = lonSpan(b.west, b.east);
  const north = Math.min(b.north, clampLat);
  const south = Math.max(b.south, -clampLat);
  const steps = Math.max(2, Math.ceil(span / 2));
  const coords: Array<[number, number]> = [];
  // Longitudes run continuously east of `west` (past 180 if the box crosses it); d3 takes them modulo 360.
  for (let i = 0; i <= steps; i++) coords.push([b.west + (span * i) / steps, north]);
  for (let i = steps; i >= 0; i--) coords.push([b.west + (span * i) / steps, south]);
  return coords;
}

function isWorld(bounds: Bounds | null): boolean {
  return !bounds || lonSpan(bounds.west, bounds.east) >= WORLD_LON_SPAN;
}

/**
 * The frame that shows `bounds` (or the whole world for `null` or a box nearly as wide) in a
 * drawing of `size`, with `padding` (a share of the smaller side) around the box.
 *
 * @example
 * const frame = mapFrame({ north: -5, south: -45, west: 165, east: -170 }, { width: 960, height: 480 });
 * frame.projection([180, -17]); // → a point near the middle of the drawing
 */
export function mapFrame(bounds: Bounds | null, size: Size, padding = 0.06): MapFrame {
  const pad = Math.round(Math.min(size.width, size.height) * padding);
  const extent: [[number, number], [number, number]] = [
    [pad, pad],
    [size.width - pad, size.height - pad],
  ];
  const clip: [[number, number], [number, number]] = [
    [0, 0],
    [size.width, size.height],
  ];
  if (isWorld(bounds)) {
    const projection = geoEqualEarth().fitExtent(
      [
        [4, 4],
        [size.width - 4, size.height - 4],
      ],
      { type: 'Sphere' },
    );
    return { kind: 'world', projection, size, centerLon: 0, key: `world@${size.width}x${size.height}` };
  }
  const b = bounds!;
  const span = lonSpan(b.west, b.east);
  const centerLon = normalizeLon(b.west + span / 2);
  const mercator = b.north - b.south <= MERCATOR_MAX_LAT_EXTENT && b.north <= MERCATOR_MAX_LAT && b.south >= -MERCATOR_MAX_LAT;
  const box: MultiPoint = { type: 'MultiPoint', coordinates: perimeter(b, mercator ? MERCATOR_MAX_LAT : 90) };
  const projection = (mercator ? geoMercator() : geoEqualEarth())
    .rotate([-centerLon, 0])
    .fitExtent(extent, box)
    .clipExtent(clip);
  const key = `${mercator ? 'm' : 'e'}:${b.west},${b.south},${b.east},${b.north}@${size.width}x${size.height}`;
  return { kind: 'region', projection, size, centerLon, key };
}

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return r === 0 ? 0 : r;
}

/** Grid of samples per side when inverting a rectangle (the edges alone miss a pole inside it). */
const SAMPLES = 24;

/**
 * The bounds of the part of the globe inside the rectangle between two points of the drawing
 * (clamped to it), or `null` for a degenerate box or one that misses the globe. A box drawn
 * across 180° comes back with `west > east`, which is how the protocol says "crosses the
 * antimeridian" (docs/protocol.md §6).
 */
export function boundsFromRect(a: Point, b: Point, frame: MapFrame): Bounds | null {
  const { width, height } = frame.size;
  const clampX = (x: number) => Math.min(Math.max(x, 0), width);
  const clampY = (y: number) => Math.min(Math.max(y, 0), height);
  const x0 = clampX(Math.min(a.x, b.x));
  const x1 = clampX(Math.max(a.x, b.x));
  const y0 = clampY(Math.min(a.y, b.y));
  const y1 = clampY(Math.max(a.y, b.y));
  if (x1 - x0 <= 0 || y1 - y0 <= 0) return null;

  const { projection, centerLon } = frame;
  let north = -Infinity;
  let south = Infinity;
  let minRel = Infinity;
  let maxRel = -Infinity;
  for (let i = 0; i <= SAMPLES; i++) {
    for (let j = 0; j <= SAMPLES; j++) {
      const x = x0 + ((x1 - x0) * i) / SAMPLES;
      const y = y0 + ((y1 - y0) * j) / SAMPLES;
      const at = projection.invert?.([x, y]);
      if (!at || !Number.isFinite(at[0]) || !Number.isFinite(at[1])) continue;
      // Off the globe (the corners of a world map), inverting gives a point that projects elsewhere.
      const back = projection(at);
      if (!back || Math.hypot(back[0] - x, back[1] - y) > 0.5) continue;
      const rel = normalizeLon(at[0] - centerLon);
      north = Math.max(north, at[1]);
      south = Math.min(south, at[1]);
      minRel = Math.min(minRel, rel);
      maxRel = Math.max(maxRel, rel);
    }
  }
  if (!Number.isFinite(north) || north - south <= 0) return null;
  // A pole inside the box is its north (or south) edge, wherever the samples fell.
  const inside = (p: [number, number] | null) => p !== null && p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1;
  if (inside(projection([centerLon, 90]))) north = 90;
  if (inside(projection([centerLon, -90]))) south = -90;
  // Likewise the map's east and west edges: the box holds every longitude.
  if (inside(projection([centerLon - 179.9999, 0])) && inside(projection([centerLon + 179.9999, 0]))) [minRel, maxRel] = [-180, 180];
  north = roundTo(Math.min(north, 90), 4);
  south = roundTo(Math.max(south, -90), 4);
  if (maxRel - minRel >= 359) return { north, south, west: -180, east: 180 };
  const west = roundTo(normalizeLon(centerLon + minRel), 4);
  let east = roundTo(normalizeLon(centerLon + maxRel), 4);
  // an east edge landing exactly on the line is 180, not -180
  if (east === -180) east = 180;
  return { north, south, west, east };
}

/** The part of the globe the whole drawing shows. */
export function visibleBounds(frame: MapFrame): Bounds {
  if (frame.kind === 'world') return { north: 90, south: -90, west: -180, east: 180 };
  return boundsFromRect({ x: 0, y: 0 }, { x: frame.size.width, y: frame.size.height }, frame) ?? { north: 90, south: -90, west: -180, east: 180 };
}

/**
 * A bounds box as a polygon for d3-geo (clockwise on the map, so its inside is the box and not
 * the rest of the globe), its parallels sampled so they draw as the straight lines they are.
 */
export function boundsPolygon(b: Bounds): Polygon {
  const ring = perimeter(b);
  return { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
}

/** The outline of a bounds box, as lines (nothing to fill, whatever the projection does to it). */
export function boundsOutline(b: Bounds): LineString {
  const ring = perimeter(b);
  return { type: 'LineString', coordinates: [...ring, ring[0]] };
}

const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];

/** Graticule spacing (degrees) giving at most about a dozen lines across `spanDeg`. */
export function graticuleStep(spanDeg: number, maxLines = 12): number {
  for (const step of STEPS) if (spanDeg / step <= maxLines) return step;
  return 30;
}

/** Meridians and parallels over what a frame shows, spaced for its zoom. */
export function graticuleFor(frame: MapFrame): MultiLineString {
  if (frame.kind === 'world') return geoGraticule().step([30, 30])();
  const v = visibleBounds(frame);
  const span = lonSpan(v.west, v.east);
  const step = graticuleStep(Math.max(span, (v.north - v.south) * 2));
  const west = Math.floor(v.west / step) * step;
  return geoGraticule()
    .extent([
      [west, Math.max(-90, Math.floor(v.south / step) * step)],
      [west + Math.ceil(span / step + 1) * step, Math.min(90, Math.ceil(v.north / step) * step)],
    ])
    .step([step, step])();
}

/**
 * Supercluster's zoom for a frame: the tile zoom whose scale is closest to the frame's at its
 * centre, so a cluster radius of so many drawing units means about that on screen.
 */
export function clusterZoom(frame: MapFrame, extent = 512): number {
  const v = visibleBounds(frame);
  const midLat = frame.kind === 'world' ? 0 : (v.north + v.south) / 2;
  const a = frame.projection([frame.centerLon - 0.5, midLat]);
  const b = frame.projection([frame.centerLon + 0.5, midLat]);
  if (!a || !b) return 0;
  // Web Mercator draws every degree of longitude alike: `extent * 2^z / 360` pixels.
  const unitsPerDegree = Math.hypot(b[0] - a[0], b[1] - a[1]);
  return Math.max(0, Math.log2((unitsPerDegree * 360) / extent));
}

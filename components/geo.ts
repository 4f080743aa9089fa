/**
 * Map geometry for FleetMap: an equirectangular projection of a movable view, bounds boxes
 * that may cross the antimeridian, region presets and graticule spacing. Pure functions only.
 *
 * Longitudes: positions live in [-180, 180); a view or a box is described by its west edge
 * and an eastward extent, so "west 170, 20° wide" simply runs across 180° to -170.
 */
import type { Bounds } from '@/lib/protocol/filter';

export type { Bounds };

export interface LatLon {
  lat: number;
  lon: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** The part of the world a map shows: `span` degrees of longitude east of `west`, `south`..`north`. */
export interface MapView {
  west: number;
  span: number;
  north: number;
  south: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const WORLD_VIEW: MapView = { west: -180, span: 360, north: 90, south: -90 };

export interface RegionPreset {
  id: string;
  label: string;
  /** `null` means no bounds filter at all. */
  bounds: Bounds | null;
}

export const REGION_PRESETS: readonly RegionPreset[] = [
  { id: 'world', label: 'World', bounds: null },
  { id: 'americas', label: 'Americas', bounds: { north: 72, south: -56, west: -170, east: -30 } },
  { id: 'europe', label: 'Europe', bounds: { north: 71, south: 34, west: -25, east: 45 } },
  { id: 'apac', label: 'Asia-Pacific', bounds: { north: 55, south: -48, west: 65, east: -165 } },
  { id: 'antimeridian', label: 'Antimeridian', bounds: { north: -5, south: -45, west: 165, east: -170 } },
];

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return r === 0 ? 0 : r;
}

/** Wraps a longitude into [-180, 180). */
export function normalizeLon(lon: number): number {
  return mod(lon + 180, 360) - 180;
}

/** Eastward extent from `west` to `east` in degrees, 0–360; more than 180 is fine. */
export function lonSpan(west: number, east: number): number {
  return west <= east ? east - west : east - west + 360;
}

export function crossesAntimeridian(b: Bounds): boolean {
  return b.west > b.east;
}

/** Same rule as the hub's filter: `west > east` wraps through 180°. */
export function containsPoint(b: Bounds, lat: number, lon: number): boolean {
  if (lat < b.south || lat > b.north) return false;
  return b.west <= b.east ? lon >= b.west && lon <= b.east : lon >= b.west || lon <= b.east;
}

export function sameBounds(a: Bounds | null, b: Bounds | null, tolerance = 1e-6): boolean {
  if (!a || !b) return a === b;
  return (
    Math.abs(a.north - b.north) <= tolerance &&
    Math.abs(a.south - b.south) <= tolerance &&
    Math.abs(a.east - b.east) <= tolerance &&
    Math.abs(a.west - b.west) <= tolerance
  );
}

/** Projects a position into a view drawn at `size` (x grows east, y grows south). */
export function project({ lat, lon }: LatLon, view: MapView, size: Size): Point {
  return {
    x: (mod(lon - view.west, 360) / view.span) * size.width,
    y: ((view.north - lat) / (view.north - view.south)) * size.height,
  };
}

/** The inverse of `project`; the longitude comes back wrapped into [-180, 180). */
export function unproject({ x, y }: Point, view: MapView, size: Size): LatLon {
  return {
    lat: view.north - (y / size.height) * (view.north - view.south),
    lon: normalizeLon(view.west + (x / size.width) * view.span),
  };
}

/**
 * The view that frames `bounds` with some margin, shaped to the drawing's aspect ratio.
 * Zoomed views are scaled by the cosine of their middle latitude so shapes stay true; the
 * world view (no bounds) is the classic 2:1 plate carrée.
 */
export function viewForBounds(bounds: Bounds | null, aspect = 2, padding = 0.12): MapView {
  if (!bounds) return WORLD_VIEW;
  const lonExtent = Math.max(lonSpan(bounds.west, bounds.east), 0.01);
  const latExtent = Math.max(bounds.north - bounds.south, 0.01);
  const midLat = (bounds.north + bounds.south) / 2;
  const midLon = bounds.west + lonExtent / 2;
  const cos = Math.max(Math.cos((midLat * Math.PI) / 180), 0.2);

  let span = lonExtent * (1 + 2 * padding);
  let latSpan = latExtent * (1 + 2 * padding);
  // width/height in "ground" degrees must equal the drawing's aspect
  if ((span * cos) / latSpan > aspect) latSpan = (span * cos) / aspect;
  else span = (latSpan * aspect) / cos;

  if (span >= 360 || latSpan >= 180) return WORLD_VIEW;

  let north = midLat + latSpan / 2;
  let south = midLat - latSpan / 2;
  if (north > 90) [north, south] = [90, 90 - latSpan];
  if (south < -90) [north, south] = [-90 + latSpan, -90];
  return { west: normalizeLon(midLon - span / 2), span, north, south };
}

/**
 * The bounds a user drew as a rectangle between two points of the drawing (clamped to it).
 * Returns `null` for a degenerate box. A box drawn across the view's 180° line comes back with
 * `west > east`, which is how the protocol says "crosses the antimeridian".
 */
export function boundsFromRect(a: Point, b: Point, view: MapView, size: Size): Bounds | null {
  const clampX = (x: number) => Math.min(Math.max(x, 0), size.width);
  const clampY = (y: number) => Math.min(Math.max(y, 0), size.height);
  const x0 = clampX(Math.min(a.x, b.x));
  const x1 = clampX(Math.max(a.x, b.x));
  const y0 = clampY(Math.min(a.y, b.y));
  const y1 = clampY(Math.max(a.y, b.y));
  if (x1 - x0 <= 0 || y1 - y0 <= 0) return null;

  const north = roundTo(Math.min(90, view.north - (y0 / size.height) * (view.north - view.south)), 4);
  const south = roundTo(Math.max(-90, view.north - (y1 / size.height) * (view.north - view.south)), 4);
  const westRaw = view.west + (x0 / size.width) * view.span;
  const extent = ((x1 - x0) / size.width) * view.span;
  if (extent >= 360 - 1e-9) return { north, south, west: -180, east: 180 };

  const west = roundTo(normalizeLon(westRaw), 4);
  let east = roundTo(normalizeLon(westRaw + extent), 4);
  // an east edge landing exactly on the line is 180, not -180
  if (east === -180) east = 180;
  return { north, south, west: west === 180 ? -180 : west, east };
}

/**
 * Rectangles to draw a bounds box in a view. One normally; two when the box runs off the
 * view's east edge and re-enters on the west (the world view and a box across 180°).
 */
export function boundsToRects(b: Bounds, view: MapView, size: Size): Rect[] {
  const scale = size.width / view.span;
  const x = mod(b.west - view.west, 360) * scale;
  const width = lonSpan(b.west, b.east) * scale;
  const y = ((view.north - b.north) / (view.north - view.south)) * size.height;
  const height = ((b.north - b.south) / (view.north - view.south)) * size.height;
  const rects: Rect[] = [{ x, y, width, height }];
  if (x + width > size.width + 1e-9) rects.push({ x: x - 360 * scale, y, width, height });
  return rects;
}

const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];

/** Graticule spacing (degrees) giving at most about a dozen lines across `spanDeg`. */
export function graticuleStep(spanDeg: number, maxLines = 12): number {
  for (const step of STEPS) if (spanDeg / step <= maxLines) return step;
  return 30;
}

/** Values on the graticule between `from` and `to` (inclusive), multiples of `step`. */
export function gridValues(from: number, to: number, step: number): number[] {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const out: number[] = [];
  for (let k = Math.ceil(from / step - 1e-9); k * step <= to + 1e-9; k++) out.push(roundTo(k * step, decimals));
  return out;
}

/** `40.71°N`, `73.99°W`; decimals follow the precision needed. */
export function formatLat(lat: number, decimals = 2): string {
  if (lat === 0) return `${(0).toFixed(decimals)}°`;
  return `${Math.abs(lat).toFixed(decimals)}°${lat >= 0 ? 'N' : 'S'}`;
}

export function formatLon(lon: number, decimals = 2): string {
  const l = lon === 180 ? 180 : normalizeLon(lon);
  if (l === 0 || l === 180 || l === -180) return `${Math.abs(l).toFixed(decimals)}°`;
  return `${Math.abs(l).toFixed(decimals)}°${l > 0 ? 'E' : 'W'}`;
}

/** A readable one-liner for a bounds box. */
export function describeBounds(b: Bounds | null): string {
  if (!b) return 'Whole world';
  const text = `${formatLat(b.south)} – ${formatLat(b.north)}, ${formatLon(b.west)} → ${formatLon(b.east)}`;
  return crossesAntimeridian(b) ? `${text} (across 180°)` : text;
}

/**
 * SVG path data for land outlines (`[lon, lat]` rings with continuous longitudes) in a view,
 * shifted by `shiftDeg` (±360 draws the copies that wrap around). Rings entirely outside the
 * view are left out.
 */
export function ringsPath(
  rings: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  view: MapView,
  size: Size,
  shiftDeg = 0,
): string {
  const sx = size.width / view.span;
  const sy = size.height / (view.north - view.south);
  const viewEast = view.west + view.span;
  let d = '';
  for (const ring of rings) {
    let minLon = Infinity;
    let maxLon = -Infinity;
    let minLat = Infinity;
    let maxLat = -Infinity;
    for (const [lon, lat] of ring) {
      minLon = Math.min(minLon, lon + shiftDeg);
      maxLon = Math.max(maxLon, lon + shiftDeg);
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
    }
    if (maxLon < view.west || minLon > viewEast || maxLat < view.south || minLat > view.north) continue;
    d += ring
      .map(([lon, lat], i) => `${i === 0 ? 'M' : 'L'}${((lon + shiftDeg - view.west) * sx).toFixed(1)} ${((view.north - lat) * sy).toFixed(1)}`)
      .join('');
    d += 'Z';
  }
  return d;
}

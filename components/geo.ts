/**
 * Bounds boxes as the protocol's `bounds` filter has them (docs/protocol.md §6), which may cross
 * the antimeridian, region presets, and how they read to people. Pure functions only; drawing
 * them on a map is `components/map`'s job (d3-geo).
 *
 * Longitudes: positions live in [-180, 180); a box is described by its west edge and its east
 * edge, and `west > east` runs east across 180°, so "west 170, east -170" is 20° wide.
 */
import type { Bounds } from '@/lib/protocol/filter';

export type { Bounds };

/** The whole world as a bounds box. */
export const WORLD_BOUNDS: Bounds = Object.freeze({ north: 90, south: -90, west: -180, east: 180 });

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

/** Wraps a longitude into [-180, 180). */
export function normalizeLon(lon: number): number {
  return mod(lon + 180, 360) - 180;
}

/** Eastward extent from `west` to `east` in degrees, 0–360; more than 180 is fine. */
export function lonSpan(west: number, east: number): number {
  return west <= east ? east - west : east - west + 360;
}

/** A box that covers every longitude and latitude: no filter at all, in effect. */
export function isWholeWorld(b: Bounds): boolean {
  return b.north >= 90 && b.south <= -90 && lonSpan(b.west, b.east) >= 360;
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
  if (!b || isWholeWorld(b)) return 'Whole world';
  const text = `${formatLat(b.south)} – ${formatLat(b.north)}, ${formatLon(b.west)} → ${formatLon(b.east)}`;
  return crossesAntimeridian(b) ? `${text} (across 180°)` : text;
}

/**
 * The views of a channel indexed by their `bounds` box (docs/protocol.md §6), so that a flush
 * looks at a change only for the views that can see it. A record outside a view's box both
 * before and after a window is invisible to it either way, so it adds nothing to that view's
 * delta; a view whose box holds no changed record's position sees nothing change (events
 * aside, which the broadcaster checks apart).
 *
 * The grid has cells of `CELL_DEGREES`; a box is registered in every cell it touches, edges
 * included, and a point is looked up in its own cell. Both go through the same monotone cell
 * function, so a point inside a box (edges included, as `inBounds` compares) always falls in one
 * of the box's cells, whatever the rounding. A box crossing the antimeridian (`west > east`)
 * registers both of its parts; longitudes 180 and -180 name one meridian, so a point on it is
 * looked up in the first and last columns. Views without a box, and boxes too large to be worth
 * registering cell by cell, are candidates for every window. The index only ever answers a
 * superset of the views that can see a record: the broadcaster still computes each delta exactly.
 */
import type { Bounds } from '../protocol/filter';
import type { ChannelRecord } from '../protocol/messages';

/** Size of a grid cell, in degrees of latitude and of longitude. */
export const CELL_DEGREES = 10;
const ROWS = 180 / CELL_DEGREES;
const COLUMNS = 360 / CELL_DEGREES;
/** Boxes over more cells than this (a quarter of the globe, about) are candidates for every window. */
export const MAX_CELLS_PER_BOX = 256;

export class BoundsIndex {
  /** Cell (row * COLUMNS + column) → keys of the views whose box touches it. */
  private readonly cells = new Map<number, string[]>();
  /** Views that are candidates for every window: no box, or a box too large to register. */
  private readonly everywhere = new Set<string>();
  private readonly keys = new Set<string>();

  /** Number of views indexed. */
  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Indexes a view by its box; `undefined` (no box) makes it a candidate for every window. Idempotent per key. */
  add(key: string, bounds: Bounds | undefined): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    const cells = bounds === undefined ? null : boxCells(bounds);
    if (cells === null) {
      this.everywhere.add(key);
      return;
    }
    for (const cell of cells) {
      const list = this.cells.get(cell);
      if (list) list.push(key);
      else this.cells.set(cell, [key]);
    }
  }

  /** Whether the view is found by its box (`visit`), rather than a candidate for every window. */
  routes(key: string): boolean {
    return this.keys.has(key) && !this.everywhere.has(key);
  }

  /**
   * Calls `found` with the key of every view whose box may hold the record's position (a key
   * may come more than once); nothing for `undefined` (a record that did not exist) or a record
   * without numeric coordinates, which is outside every box. False when the record cannot be
   * placed on the grid (a coordinate beyond its range): then any box may hold it.
   */
  visit(record: ChannelRecord | undefined, found: (key: string) => void): boolean {
    if (record === undefined) return true;
    const { lat, lon } = record;
    if (typeof lat !== 'number' || typeof lon !== 'number' || Number.isNaN(lat) || Number.isNaN(lon)) return true;
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return false;
    const row = rowOf(lat) * COLUMNS;
    this.collect(row + columnOf(lon), found);
    // One meridian, two names: a box may hold it under either.
    if (lon === 180 || lon === -180) {
      this.collect(row, found);
      this.collect(row + COLUMNS - 1, found);
    }
    return true;
  }

  private collect(cell: number, found: (key: string) => void): void {
    const list = this.cells.get(cell);
    if (list) for (let i = 0; i < list.length; i++) found(list[i]);
  }
}

/**
 * The `bounds` of the filter a canonical filter key (`filterKey`) stands for, or undefined
 * when it has none (or none that is a box of four numbers: then the view is simply never skipped).
 */
export function boundsOfFilterKey(key: string): Bounds | undefined {
  if (!key.includes('"bounds"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !Object.hasOwn(parsed, 'bounds')) return undefined;
  const bounds = (parsed as { bounds: unknown }).bounds;
  if (typeof bounds !== 'object' || bounds === null) return undefined;
  const { north, south, east, west } = bounds as Record<string, unknown>;
  if (typeof north !== 'number' || typeof south !== 'number' || typeof east !== 'number' || typeof west !== 'number') return undefined;
  return { north, south, east, west };
}

/** The cells a box touches, edges included; null when it is not a valid box or covers too many. */
function boxCells(b: Bounds): number[] | null {
  const { north, south, east, west } = b;
  if (!(south >= -90 && north <= 90 && south <= north && west >= -180 && west <= 180 && east >= -180 && east <= 180)) return null;
  const rows = [rowOf(south), rowOf(north)];
  const columns: [number, number][] = west <= east ? [[columnOf(west), columnOf(east)]] : [[columnOf(west), COLUMNS - 1], [0, columnOf(east)]];
  let count = 0;
  for (const [from, to] of columns) count += (to - from + 1) * (rows[1] - rows[0] + 1);
  if (count > MAX_CELLS_PER_BOX) return null;
  const cells: number[] = [];
  for (let row = rows[0]; row <= rows[1]; row++) {
    for (const [from, to] of columns) for (let column = from; column <= to; column++) cells.push(row * COLUMNS + column);
  }
  return cells;
}

/** Row of a latitude in [-90, 90]; the north pole shares the last row. */
function rowOf(lat: number): number {
  return Math.min(ROWS - 1, Math.floor((lat + 90) / CELL_DEGREES));
}

/** Column of a longitude in [-180, 180]; 180 shares the last column. */
function columnOf(lon: number): number {
  return Math.min(COLUMNS - 1, Math.floor((lon + 180) / CELL_DEGREES));
}

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

export class BoundsIndex<T = string> {
  /** Cell (row * COLUMNS + column) → the views whose box touches it. */
  private readonly cells = new Map<number, T[]>();
  /** Views that are candidates for every window: no box, or a box too large to register. */
  private readonly everywhere = new Set<T>();
  private readonly keys = new Set<T>();

  /** Number of views indexed. */
  get size(): number {
    return this.keys.size;
  }

  has(key: T): boolean {
    return this.keys.has(key);
  }

  /** Indexes a view by its box; `undefined` (no box) makes it a candidate for every window. Idempotent per key. */
  add(key: T, bounds: Bounds | undefined): void {
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
  routes(key: T): boolean {
    return this.keys.has(key) && !this.everywhere.has(key);
  }

  /**
   * Calls `found` with every view whose box may hold the record's position (a view may come
   * more than once); nothing for `undefined` (a record that did not exist) or a record without
   * numeric coordinates, which is outside every box. False when the record cannot be placed on
   * the grid (a coordinate beyond its range): then any box may hold it.
   */
  visit(record: ChannelRecord | undefined, found: (key: T) => void): boolean {
    const cell = cellOf(record);
    if (cell === OFF_GRID) return false;
    if (cell !== NOWHERE) this.collect(cell, found);
    return true;
  }

  /**
   * `visit` for a record's two states around a window (`before` and `after`), looking at a cell
   * once when both lie in it: a record that moved within its cell, or did not move at all (most
   * changes of a map's records move nothing).
   */
  visitChange(before: ChannelRecord | undefined, after: ChannelRecord | undefined, found: (key: T) => void): boolean {
    const from = cellOf(before);
    const to = cellOf(after);
    if (from === OFF_GRID || to === OFF_GRID) return false;
    if (from !== NOWHERE) this.collect(from, found);
    if (to !== NOWHERE && to !== from) this.collect(to, found);
    return true;
  }

  /** `cell` ≥ 0 is one cell; the meridian ±180 is looked up in the first and last columns of its row. */
  private collect(cell: number, found: (key: T) => void): void {
    if (cell >= MERIDIAN) {
      const row = cell - MERIDIAN;
      this.collectCell(row, found);
      this.collectCell(row + COLUMNS - 1, found);
      return;
    }
    this.collectCell(cell, found);
  }

  private collectCell(cell: number, found: (key: T) => void): void {
    const list = this.cells.get(cell);
    if (list) for (let i = 0; i < list.length; i++) found(list[i]);
  }
}

/** `cellOf`: a record in no box (it does not exist, or has no numeric coordinates). */
const NOWHERE = -1;
/** `cellOf`: a record whose coordinates are beyond the grid, which any box may hold. */
const OFF_GRID = -2;
/** `cellOf` answers `MERIDIAN + row × COLUMNS` for a point on the meridian ±180 (two names, two cells). */
const MERIDIAN = ROWS * COLUMNS;

/** The cell a record's position is looked up in, or one of `NOWHERE`, `OFF_GRID`, `MERIDIAN + row`. */
function cellOf(record: ChannelRecord | undefined): number {
  if (record === undefined) return NOWHERE;
  const { lat, lon } = record;
  if (typeof lat !== 'number' || typeof lon !== 'number' || Number.isNaN(lat) || Number.isNaN(lon)) return NOWHERE;
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return OFF_GRID;
  const row = rowOf(lat) * COLUMNS;
  // One meridian, two names: a box may hold it under either.
  if (lon === 180 || lon === -180) return MERIDIAN + row;
  return row + columnOf(lon);
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

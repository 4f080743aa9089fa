import { BoundsIndex, boundsOfFilterKey, MAX_CELLS_PER_BOX } from '@/lib/hub/bounds-index';
import { compileFilter, inBounds } from '@/lib/hub/filter';
import type { Bounds } from '@/lib/protocol/filter';
import type { ChannelRecord } from '@/lib/protocol/messages';

const at = (lat: unknown, lon: unknown) => ({ id: 'r', lat, lon }) as ChannelRecord;

function indexOf(boxes: Record<string, Bounds | undefined>): BoundsIndex {
  const index = new BoundsIndex();
  for (const [key, bounds] of Object.entries(boxes)) index.add(key, bounds);
  keysOf.set(index, Object.keys(boxes));
  return index;
}

/** The views that may see any of the records: those routed by their box, and the others, which see everything. */
function candidates(index: BoundsIndex, keys: Iterable<string>, records: (ChannelRecord | undefined)[]): Set<string> | null {
  const found = new Set<string>();
  for (const key of keys) if (!index.routes(key)) found.add(key);
  for (const record of records) if (!index.visit(record, (key) => found.add(key))) return null;
  return found;
}

const keysOf = new WeakMap<BoundsIndex, string[]>();
const seen = (index: BoundsIndex, ...records: (ChannelRecord | undefined)[]) => [...(candidates(index, keysOf.get(index)!, records) ?? ['*'])].sort();

describe('BoundsIndex', () => {
  const europe: Bounds = { south: 35, north: 60, west: -10, east: 30 };
  const pacific: Bounds = { south: -20, north: 20, west: 170, east: -170 };

  it('finds the boxes holding a point, and views without a box always', () => {
    const index = indexOf({ europe, pacific, all: undefined });
    expect(seen(index, at(48.8, 2.3))).toEqual(['all', 'europe']);
    expect(seen(index, at(0, 0))).toEqual(['all']);
    expect(seen(index)).toEqual(['all']);
    expect(index.size).toBe(3);
  });

  it('registers a box crossing the antimeridian in both parts', () => {
    const index = indexOf({ pacific });
    expect(seen(index, at(0, 175))).toEqual(['pacific']);
    expect(seen(index, at(0, -175))).toEqual(['pacific']);
    expect(seen(index, at(0, 180))).toEqual(['pacific']);
    expect(seen(index, at(0, -180))).toEqual(['pacific']);
    expect(seen(index, at(0, 0))).toEqual([]);
  });

  it('treats longitudes 180 and -180 as one meridian', () => {
    const east = indexOf({ east: { south: 0, north: 5, west: 175, east: 180 } });
    const west = indexOf({ west: { south: 0, north: 5, west: -180, east: -175 } });
    expect(seen(east, at(1, -180))).toEqual(['east']);
    expect(seen(west, at(1, 180))).toEqual(['west']);
  });

  it('covers the poles', () => {
    const index = indexOf({ arctic: { south: 80, north: 90, west: 0, east: 20 }, antarctic: { south: -90, north: -80, west: 0, east: 20 } });
    expect(seen(index, at(90, 10))).toEqual(['arctic']);
    expect(seen(index, at(-90, 10))).toEqual(['antarctic']);
  });

  it('includes points exactly on a box edge, and boxes whose edges lie on cell edges', () => {
    const index = indexOf({ cell: { south: 10, north: 20, west: 10, east: 20 } });
    for (const [lat, lon] of [[10, 10], [20, 20], [10, 20], [20, 10], [15, 10], [15, 20]]) {
      expect(seen(index, at(lat, lon))).toEqual(['cell']);
      expect(inBounds(lat, lon, { south: 10, north: 20, west: 10, east: 20 })).toBe(true);
    }
  });

  it('puts records without numeric coordinates outside every box', () => {
    const index = indexOf({ europe });
    expect(seen(index, at('48.8', 2.3), at(48.8, undefined), at(null, null), at(Number.NaN, 2), { id: 'x' } as ChannelRecord, undefined)).toEqual([]);
  });

  it('gives up (every view a candidate) for a coordinate beyond the grid', () => {
    const index = indexOf({ europe });
    expect(seen(index, at(0, 200))).toEqual(['*']);
    expect(seen(index, at(95, 0))).toEqual(['*']);
    expect(seen(index, at(0, Number.POSITIVE_INFINITY))).toEqual(['*']);
  });

  it('keeps very large boxes among the views always computed', () => {
    const index = indexOf({ world: { south: -90, north: 90, west: -180, east: 180 }, europe });
    expect(index.routes('world')).toBe(false);
    expect(index.routes('europe')).toBe(true);
    expect(index.routes('unknown')).toBe(false);
    expect(seen(index, at(0, 0))).toEqual(['world']);
    expect(seen(index)).toEqual(['world']);
    expect(MAX_CELLS_PER_BOX).toBeLessThan(18 * 36);
  });

  it('is idempotent per key', () => {
    const index = indexOf({ europe });
    index.add('europe', europe);
    expect(index.size).toBe(1);
    expect(seen(index, at(48, 2))).toEqual(['europe']);
  });

  it('visits a change in both of its cells, and in one cell once', () => {
    const index = indexOf({ europe, pacific, paris: { south: 48, north: 49, west: 2, east: 3 } });
    const visits = (before: ChannelRecord | undefined, after: ChannelRecord | undefined) => {
      const found: string[] = [];
      return index.visitChange(before, after, (key) => found.push(key)) ? found.sort() : null;
    };
    // Still in its cell (a value changed, or it moved a little): each view once.
    expect(visits(at(48.5, 2.5), at(48.6, 2.4))).toEqual(['europe', 'paris']);
    // From Paris to the Pacific: the views of both cells.
    expect(visits(at(48.5, 2.5), at(0, 175))).toEqual(['europe', 'pacific', 'paris']);
    // Created, deleted, or without coordinates on one side.
    expect(visits(undefined, at(0, -175))).toEqual(['pacific']);
    expect(visits(at(0, -175), undefined)).toEqual(['pacific']);
    expect(visits(at('48', 2), at(48.5, 2.5))).toEqual(['europe', 'paris']);
    // On the meridian ±180 under either name: its two cells (the first and last columns, both
    // in the Pacific box) looked at once each.
    expect(visits(at(0, 180), at(0, -180))).toEqual(['pacific', 'pacific']);
    // Off the grid on either side: no answer.
    expect(visits(at(48.5, 2.5), at(0, 181))).toBeNull();
    expect(visits(at(91, 0), at(48.5, 2.5))).toBeNull();
  });

  it('never misses a box that holds the point (random boxes and points, edges favoured)', () => {
    let state = 42;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const coordinate = (limit: number) => {
      const pick = random();
      if (pick < 0.3) return Math.round((random() * 2 - 1) * (limit / 10)) * 10; // cell edges
      if (pick < 0.4) return (random() < 0.5 ? -1 : 1) * limit;
      return (random() * 2 - 1) * limit;
    };
    const boxes: Record<string, Bounds> = {};
    for (let i = 0; i < 300; i++) {
      const [a, b] = [coordinate(90), coordinate(90)].sort((x, y) => x - y);
      const west = coordinate(180);
      const east = random() < 0.7 ? Math.max(-180, Math.min(180, west + random() * 30)) : coordinate(180);
      boxes[`b${i}`] = { south: a, north: Math.min(90, b, a + (random() < 0.8 ? 25 : 180)), west, east };
    }
    const index = indexOf(boxes);
    const missed: string[] = [];
    let hits = 0;
    for (let i = 0; i < 3000; i++) {
      const lat = coordinate(90);
      const lon = coordinate(180);
      const found = candidates(index, Object.keys(boxes), [at(lat, lon)])!;
      for (const [key, box] of Object.entries(boxes)) {
        if (!inBounds(lat, lon, box)) continue;
        hits++;
        if (!found.has(key)) missed.push(`${key} ${JSON.stringify(box)} (${lat}, ${lon})`);
      }
    }
    expect(missed).toEqual([]);
    expect(hits).toBeGreaterThan(1000);
  });
});

describe('boundsOfFilterKey', () => {
  it('reads the box of a canonical filter key', () => {
    const bounds = { north: 60, south: 35.5, east: 30, west: -10 };
    expect(boundsOfFilterKey(compileFilter({ bounds, where: { status: 'online' } }).key)).toEqual(bounds);
  });

  it('finds none in keys without a box, even ones mentioning "bounds"', () => {
    expect(boundsOfFilterKey('')).toBeUndefined();
    expect(boundsOfFilterKey(compileFilter({ where: { bounds: 'x' } }).key)).toBeUndefined();
    expect(boundsOfFilterKey(compileFilter({ where: { status: '"bounds"' } }).key)).toBeUndefined();
    expect(boundsOfFilterKey('{"bounds"')).toBeUndefined();
  });
});

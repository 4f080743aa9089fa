import type { Bounds, Filter } from '@/lib/protocol/filter';
import type { ChannelEvent, ChannelRecord, Priority } from '@/lib/protocol/messages';
import { compileFilter, getPath, inBounds, MATCH_ALL } from '@/lib/hub/filter';
import { FILTER_LIMITS, validateFilter } from '@/lib/protocol/filter';

const rec = (fields: Omit<ChannelRecord, 'id'> & { id?: string }): ChannelRecord => ({ id: 'r1', ...fields }) as ChannelRecord;
const matches = (filter: Filter, record: ChannelRecord) => compileFilter(filter).matches(record);
const where = (condition: Filter['where'], record: ChannelRecord) => matches({ where: condition }, record);
const event = (type: string, priority: Priority = 'normal'): ChannelEvent => ({ seq: 1, ts: 0, type, priority });

describe('getPath', () => {
  const value = { a: { b: { c: 3, z: null }, list: [{ x: 1 }] }, top: 'x', 'dot.ted': 1 };

  it('follows dotted paths through plain objects', () => {
    expect(getPath(value, 'top')).toBe('x');
    expect(getPath(value, 'a.b.c')).toBe(3);
    expect(getPath(value, 'a.b')).toEqual({ c: 3, z: null });
    expect(getPath(value, 'a.b.z')).toBeNull();
  });

  it('gives undefined for anything missing on the way', () => {
    expect(getPath(value, 'nope')).toBeUndefined();
    expect(getPath(value, 'a.nope.c')).toBeUndefined();
    expect(getPath(value, 'top.length')).toBeUndefined();
    expect(getPath(value, 'a.b.c.d')).toBeUndefined();
    expect(getPath(null, 'a')).toBeUndefined();
    expect(getPath(undefined, 'a')).toBeUndefined();
    expect(getPath(42, 'a')).toBeUndefined();
  });

  it('does not index into arrays or read inherited properties', () => {
    expect(getPath(value, 'a.list.0')).toBeUndefined();
    expect(getPath(value, 'a.list.length')).toBeUndefined();
    expect(getPath(value, 'constructor')).toBeUndefined();
    expect(getPath(value, 'a.toString')).toBeUndefined();
  });

  it('splits every dot, so a key that contains one is not reachable', () => {
    expect(getPath(value, 'dot.ted')).toBeUndefined();
  });
});

describe('where: equality', () => {
  it('matches strictly equal scalars', () => {
    expect(where({ status: 'online' }, rec({ status: 'online' }))).toBe(true);
    expect(where({ status: 'online' }, rec({ status: 'offline' }))).toBe(false);
    expect(where({ n: 1 }, rec({ n: 1 }))).toBe(true);
    expect(where({ n: 1 }, rec({ n: '1' }))).toBe(false);
    expect(where({ n: '1' }, rec({ n: 1 }))).toBe(false);
    expect(where({ ok: true }, rec({ ok: true }))).toBe(true);
    expect(where({ ok: true }, rec({ ok: 1 }))).toBe(false);
    expect(where({ ok: false }, rec({ ok: 0 }))).toBe(false);
  });

  it('never matches a missing field against a non-null scalar', () => {
    expect(where({ status: 'online' }, rec({}))).toBe(false);
    expect(where({ ok: false }, rec({}))).toBe(false);
  });

  it('never matches an object or array value against a scalar', () => {
    expect(where({ status: 'online' }, rec({ status: ['online'] }))).toBe(false);
    expect(where({ status: 'online' }, rec({ status: { v: 'online' } }))).toBe(false);
  });

  it('matches null against a missing field', () => {
    expect(where({ owner: null }, rec({}))).toBe(true);
    expect(where({ owner: null }, rec({ owner: 'ann' }))).toBe(false);
    expect(where({ 'meta.owner': null }, rec({ meta: {} }))).toBe(true);
    expect(where({ 'meta.owner': null }, rec({}))).toBe(true);
    expect(where({ 'meta.owner': null }, rec({ meta: { owner: 'x' } }))).toBe(false);
  });

  it('follows dotted paths', () => {
    expect(where({ 'org.dept.queue': 'q1' }, rec({ org: { dept: { queue: 'q1' } } }))).toBe(true);
    expect(where({ 'org.dept.queue': 'q1' }, rec({ org: { dept: { queue: 'q2' } } }))).toBe(false);
    expect(where({ 'org.dept.queue': 'q1' }, rec({ org: 'flat' }))).toBe(false);
  });

  it('does not see inherited properties as fields', () => {
    expect(where({ constructor: null }, rec({}))).toBe(true);
    expect(where({ toString: { ne: 'x' } }, rec({}))).toBe(true);
  });

  it('matches on id like any other field', () => {
    expect(where({ id: 'r1' }, rec({}))).toBe(true);
    expect(where({ id: 'r2' }, rec({}))).toBe(false);
  });
});

describe('where: in', () => {
  it('matches when the value is listed, strictly', () => {
    expect(where({ s: { in: ['a', 'b'] } }, rec({ s: 'b' }))).toBe(true);
    expect(where({ s: { in: ['a', 'b'] } }, rec({ s: 'c' }))).toBe(false);
    expect(where({ n: { in: [1, 2] } }, rec({ n: '1' }))).toBe(false);
    expect(where({ n: { in: [1, 'x', true] } }, rec({ n: true }))).toBe(true);
  });

  it('counts a missing field as null', () => {
    expect(where({ s: { in: ['a', null] } }, rec({}))).toBe(true);
    expect(where({ s: { in: ['a'] } }, rec({}))).toBe(false);
    expect(where({ 'x.y': { in: [null] } }, rec({ x: 3 }))).toBe(true);
  });

  it('with an empty list matches nothing', () => {
    expect(where({ s: { in: [] } }, rec({ s: 'a' }))).toBe(false);
    expect(where({ s: { in: [] } }, rec({}))).toBe(false);
  });
});

describe('where: ne', () => {
  it('matches values that differ, strictly', () => {
    expect(where({ s: { ne: 'a' } }, rec({ s: 'b' }))).toBe(true);
    expect(where({ s: { ne: 'a' } }, rec({ s: 'a' }))).toBe(false);
    expect(where({ n: { ne: 1 } }, rec({ n: '1' }))).toBe(true);
  });

  it('matches a missing field', () => {
    expect(where({ s: { ne: 'a' } }, rec({}))).toBe(true);
    expect(where({ 'a.b': { ne: 0 } }, rec({ a: {} }))).toBe(true);
  });

  it('with null requires the field to be present (the negation of equality with null)', () => {
    expect(where({ s: { ne: null } }, rec({ s: 'x' }))).toBe(true);
    expect(where({ s: { ne: null } }, rec({}))).toBe(false);
  });
});

describe('where: gt, gte, lt, lte', () => {
  it('compares numbers', () => {
    expect(where({ n: { gt: 5 } }, rec({ n: 6 }))).toBe(true);
    expect(where({ n: { gt: 5 } }, rec({ n: 5 }))).toBe(false);
    expect(where({ n: { gte: 5 } }, rec({ n: 5 }))).toBe(true);
    expect(where({ n: { gte: 5 } }, rec({ n: 4.999 }))).toBe(false);
    expect(where({ n: { lt: 5 } }, rec({ n: 4 }))).toBe(true);
    expect(where({ n: { lt: 5 } }, rec({ n: 5 }))).toBe(false);
    expect(where({ n: { lte: 5 } }, rec({ n: 5 }))).toBe(true);
    expect(where({ n: { lte: 5 } }, rec({ n: 6 }))).toBe(false);
    expect(where({ n: { gt: -1 } }, rec({ n: 0 }))).toBe(true);
  });

  it('compares strings lexicographically, so ISO timestamps work', () => {
    expect(where({ at: { gte: '2026-01-01T00:00:00Z' } }, rec({ at: '2026-03-04T10:00:00Z' }))).toBe(true);
    expect(where({ at: { gte: '2026-01-01T00:00:00Z' } }, rec({ at: '2025-12-31T23:59:59Z' }))).toBe(false);
    expect(where({ s: { lt: 'b' } }, rec({ s: 'abc' }))).toBe(true);
    expect(where({ s: { gt: 'b' } }, rec({ s: 'abc' }))).toBe(false);
    // Lexicographic, not numeric.
    expect(where({ s: { gt: '9' } }, rec({ s: '10' }))).toBe(false);
  });

  it('never matches across types', () => {
    expect(where({ n: { gt: 5 } }, rec({ n: '6' }))).toBe(false);
    expect(where({ n: { lt: '5' } }, rec({ n: 4 }))).toBe(false);
    expect(where({ n: { gte: 0 } }, rec({ n: true }))).toBe(false);
    expect(where({ n: { lte: 0 } }, rec({ n: false }))).toBe(false);
    expect(where({ n: { gte: 0 } }, rec({ n: [1] }))).toBe(false);
    expect(where({ n: { gte: 0 } }, rec({ n: { v: 1 } }))).toBe(false);
  });

  it('never matches a missing field', () => {
    expect(where({ n: { gt: 0 } }, rec({}))).toBe(false);
    expect(where({ n: { lte: 0 } }, rec({}))).toBe(false);
    expect(where({ s: { lt: 'z' } }, rec({}))).toBe(false);
  });
});

describe('where: combinations', () => {
  it('ANDs several operators in one condition', () => {
    const range = { n: { gte: 10, lt: 20 } };
    expect(where(range, rec({ n: 10 }))).toBe(true);
    expect(where(range, rec({ n: 19.5 }))).toBe(true);
    expect(where(range, rec({ n: 20 }))).toBe(false);
    expect(where(range, rec({ n: 9 }))).toBe(false);
    expect(where({ s: { in: ['a', 'b', 'c'], ne: 'b' } }, rec({ s: 'b' }))).toBe(false);
    expect(where({ s: { in: ['a', 'b', 'c'], ne: 'b' } }, rec({ s: 'c' }))).toBe(true);
  });

  it('ANDs several conditions', () => {
    const w = { status: 'online', load: { gte: 0.5 } };
    expect(where(w, rec({ status: 'online', load: 0.7 }))).toBe(true);
    expect(where(w, rec({ status: 'online', load: 0.2 }))).toBe(false);
    expect(where(w, rec({ status: 'offline', load: 0.7 }))).toBe(false);
  });

  it('ANDs ids, where and bounds', () => {
    const f: Filter = { ids: ['a', 'b'], where: { ok: true }, bounds: { north: 10, south: 0, east: 10, west: 0 } };
    expect(matches(f, { id: 'a', ok: true, lat: 5, lon: 5 })).toBe(true);
    expect(matches(f, { id: 'c', ok: true, lat: 5, lon: 5 })).toBe(false);
    expect(matches(f, { id: 'a', ok: false, lat: 5, lon: 5 })).toBe(false);
    expect(matches(f, { id: 'a', ok: true, lat: 50, lon: 5 })).toBe(false);
  });
});

describe('where: nin', () => {
  it('matches when the value is none of the listed ones, strictly', () => {
    expect(where({ s: { nin: ['a', 'b'] } }, rec({ s: 'c' }))).toBe(true);
    expect(where({ s: { nin: ['a', 'b'] } }, rec({ s: 'b' }))).toBe(false);
    expect(where({ n: { nin: [1, 2] } }, rec({ n: '1' }))).toBe(true);
    expect(where({ n: { nin: [1, 'x', true] } }, rec({ n: true }))).toBe(false);
    expect(where({ n: { nin: [1] } }, rec({ n: [1] }))).toBe(true);
  });

  it('matches a missing field', () => {
    expect(where({ s: { nin: ['a', 'b'] } }, rec({}))).toBe(true);
    expect(where({ 'x.y': { nin: [0] } }, rec({ x: 3 }))).toBe(true);
  });

  it('is the exact negation of in: a list holding null refuses a missing field', () => {
    expect(where({ s: { nin: ['a', null] } }, rec({}))).toBe(false);
    expect(where({ s: { nin: [null] } }, rec({ s: 'x' }))).toBe(true);
    for (const record of [rec({}), rec({ s: 'a' }), rec({ s: 'b' }), rec({ s: 1 })]) {
      for (const list of [[], ['a'], ['a', null], [1, 'b']]) {
        expect(where({ s: { nin: list } }, record)).toBe(!where({ s: { in: list } }, record));
      }
    }
  });

  it('with an empty list matches everything', () => {
    expect(where({ s: { nin: [] } }, rec({ s: 'a' }))).toBe(true);
    expect(where({ s: { nin: [] } }, rec({}))).toBe(true);
  });

  it('combines with other operators by AND', () => {
    const range = { n: { gte: 0, lt: 10, nin: [3, 5] } };
    expect(where(range, rec({ n: 4 }))).toBe(true);
    expect(where(range, rec({ n: 5 }))).toBe(false);
    expect(where(range, rec({ n: 10 }))).toBe(false);
  });
});

describe('or', () => {
  const lowOrBusy: Filter = { where: { status: 'online' }, or: [{ battery: { lt: 20 } }, { load: { gte: 0.9 } }] };

  it('needs at least one alternative to hold, and everything else too', () => {
    expect(matches(lowOrBusy, rec({ status: 'online', battery: 10, load: 0.1 }))).toBe(true);
    expect(matches(lowOrBusy, rec({ status: 'online', battery: 90, load: 0.95 }))).toBe(true);
    expect(matches(lowOrBusy, rec({ status: 'online', battery: 10, load: 0.95 }))).toBe(true);
    expect(matches(lowOrBusy, rec({ status: 'online', battery: 90, load: 0.1 }))).toBe(false);
    expect(matches(lowOrBusy, rec({ status: 'offline', battery: 10, load: 0.95 }))).toBe(false);
    expect(matches(lowOrBusy, rec({ status: 'online' }))).toBe(false);
  });

  it('ANDs the conditions inside one alternative', () => {
    const f: Filter = { or: [{ status: 'offline', region: 'eu' }, { battery: { lt: 20 } }] };
    expect(matches(f, rec({ status: 'offline', region: 'eu' }))).toBe(true);
    expect(matches(f, rec({ status: 'offline', region: 'us' }))).toBe(false);
    expect(matches(f, rec({ status: 'offline', region: 'us', battery: 5 }))).toBe(true);
  });

  it('takes every kind of condition, with the same rules as where', () => {
    const f: Filter = { or: [{ 'meta.owner': null }, { tag: { nin: ['a', 'b'] } }, { s: { in: ['x'] } }, { at: { gte: '2026' } }] };
    expect(matches(f, rec({ tag: 'a' }))).toBe(true);
    expect(matches(f, rec({ meta: { owner: 'ann' }, tag: 'a' }))).toBe(false);
    expect(matches(f, rec({ meta: { owner: 'ann' } }))).toBe(true);
    expect(matches(f, rec({ meta: { owner: 'ann' }, tag: 'c' }))).toBe(true);
    expect(matches(f, rec({ meta: { owner: 'ann' }, tag: 'a', s: 'x' }))).toBe(true);
    expect(matches(f, rec({ meta: { owner: 'ann' }, tag: 'b', at: '2026-01-01' }))).toBe(true);
    expect(matches(f, rec({ meta: { owner: 'ann' }, tag: 'b', at: '2025-12-31', s: 'y' }))).toBe(false);
  });

  it('ANDs with ids and bounds', () => {
    const f: Filter = { ids: ['a', 'b'], bounds: { north: 10, south: 0, east: 10, west: 0 }, or: [{ ok: true }, { n: { gt: 5 } }] };
    expect(matches(f, { id: 'a', ok: true, lat: 5, lon: 5 })).toBe(true);
    expect(matches(f, { id: 'b', n: 6, lat: 5, lon: 5 })).toBe(true);
    expect(matches(f, { id: 'c', ok: true, lat: 5, lon: 5 })).toBe(false);
    expect(matches(f, { id: 'a', ok: true, lat: 50, lon: 5 })).toBe(false);
    expect(matches(f, { id: 'a', ok: false, n: 1, lat: 5, lon: 5 })).toBe(false);
  });

  it('with one alternative is that alternative; an empty alternative holds for every record', () => {
    expect(matches({ or: [{ s: 'a' }] }, rec({ s: 'a' }))).toBe(true);
    expect(matches({ or: [{ s: 'a' }] }, rec({ s: 'b' }))).toBe(false);
    expect(matches({ or: [{ s: 'a' }, {}] }, rec({ s: 'b' }))).toBe(true);
    expect(matches({ or: [{}] }, rec({}))).toBe(true);
  });

  it('leaves events alone', () => {
    expect(compileFilter({ or: [{ a: 1 }] }).matchesEvent(event('x'))).toBe(true);
  });
});

describe('validateFilter: or and nin', () => {
  const alternatives = (count: number) => Array.from({ length: count }, (_, i) => ({ n: i }));

  it('accepts 1 to 16 where-shaped alternatives and nin lists of up to 1000 values', () => {
    for (const filter of [
      { or: alternatives(1) },
      { or: alternatives(16) },
      { or: [{}] },
      { where: { status: 'online' }, or: [{ battery: { lt: 20 } }, { load: { gte: 0.9 }, 'org.dept': { nin: ['ops', null, 3, true] } }] },
      { where: { s: { nin: [] } } },
      { where: { s: { nin: Array.from({ length: 1000 }, (_, i) => i) } } },
      { where: { s: { in: ['a'], nin: ['b'], ne: 'c' } } },
      { or: [Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`f${i}`, i]))] },
    ]) {
      const result = validateFilter(filter);
      expect([filter, result.ok]).toEqual([filter, true]);
      if (result.ok) expect(result.filter).toEqual(filter);
    }
  });

  it('refuses every malformed form, naming where', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ or: [] }, /^or: needs at least one alternative$/],
      [{ or: alternatives(17) }, /^or: at most 16 alternatives$/],
      [{ or: { a: 1 } }, /^or: /],
      [{ or: 'a' }, /^or: /],
      [{ or: null }, /^or: /],
      [{ or: [1] }, /^or\.0: /],
      [{ or: ['status'] }, /^or\.0: /],
      [{ or: [null] }, /^or\.0: /],
      [{ or: [[{ a: 1 }]] }, /^or\.0: /],
      [{ or: [{ a: 1 }, { load: { between: [1, 2] } }] }, /^or\.1\.load/],
      [{ or: [{ load: {} }] }, /^or\.0\.load/],
      [{ or: [{ load: ['x'] }] }, /^or\.0\.load/],
      [{ or: [{ load: { gt: true } }] }, /^or\.0\.load/],
      [{ or: [{ '': 1 }] }, /^or\.0/],
      [{ or: [Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, i]))] }, /^or\.0: at most 64 where conditions$/],
      [{ or: [{ a: 1 }], colour: 'red' }, /colour/],
      [{ where: { s: { nin: 'a' } } }, /^where\.s/],
      [{ where: { s: { nin: [{}] } } }, /^where\.s/],
      [{ where: { s: { nin: [[1]] } } }, /^where\.s/],
      [{ where: { s: { nin: null } } }, /^where\.s/],
      [{ where: { s: { nin: Array.from({ length: 1001 }, (_, i) => i) } } }, /^where\.s/],
      [{ where: { s: { nin: ['a'], other: 1 } } }, /^where\.s/],
      [{ or: [{ s: { nin: 'a' } }] }, /^or\.0\.s/],
      [JSON.parse('{"or":[{"__proto__":{"nin":["a"]}}]}'), /^or\.0\.__proto__: key not allowed$/],
    ];
    for (const [filter, message] of bad) {
      const result = validateFilter(filter);
      expect([filter, result.ok]).toEqual([filter, false]);
      if (!result.ok) expect([filter, result.message]).toEqual([filter, expect.stringMatching(message)]);
    }
  });

  it('holds or and nin to the size limit of a whole filter', () => {
    const long = (n: number) => 'x'.repeat(n);
    // 16 alternatives of 1000 values of 8 characters: about 180 KB, past the 64 KiB limit.
    const big = { or: Array.from({ length: 16 }, () => ({ s: { nin: Array.from({ length: 1000 }, (_, i) => `${i}`.padStart(8, 'v')) } })) };
    expect(validateFilter(big)).toEqual({ ok: false, message: expect.stringContaining(`limit of ${FILTER_LIMITS.maxBytes} bytes per subscription`) });
    expect(validateFilter({ or: [{ s: { nin: [long(FILTER_LIMITS.maxBytes)] } }] }).ok).toBe(false);
  });
});

describe('ids', () => {
  it('matches only listed ids', () => {
    const f = compileFilter({ ids: ['q1', 'q3'] });
    expect(f.matches({ id: 'q1' })).toBe(true);
    expect(f.matches({ id: 'q3' })).toBe(true);
    expect(f.matches({ id: 'q2' })).toBe(false);
  });

  it('with an empty list matches nothing', () => {
    expect(matches({ ids: [] }, { id: 'q1' })).toBe(false);
  });
});

describe('no conditions', () => {
  it('matches every record and passes every event', () => {
    for (const f of [compileFilter({}), compileFilter({ where: {} }), compileFilter({ fields: undefined })]) {
      expect(f.matches({ id: 'x' })).toBe(true);
      expect(f.matchesEvent(event('anything', 'low'))).toBe(true);
    }
  });

  it('shares one compiled filter for "no filter"', () => {
    expect(compileFilter({})).toBe(MATCH_ALL);
  });
});

describe('bounds', () => {
  const box: Bounds = { north: 41, south: 40, east: -73, west: -75 };

  it('includes points inside and on every edge and corner', () => {
    expect(inBounds(40.5, -74, box)).toBe(true);
    expect(inBounds(41, -74, box)).toBe(true);
    expect(inBounds(40, -74, box)).toBe(true);
    expect(inBounds(40.5, -73, box)).toBe(true);
    expect(inBounds(40.5, -75, box)).toBe(true);
    expect(inBounds(41, -75, box)).toBe(true);
    expect(inBounds(40, -73, box)).toBe(true);
  });

  it('excludes points just outside', () => {
    expect(inBounds(41.0001, -74, box)).toBe(false);
    expect(inBounds(39.9999, -74, box)).toBe(false);
    expect(inBounds(40.5, -72.9999, box)).toBe(false);
    expect(inBounds(40.5, -75.0001, box)).toBe(false);
    // Same longitude band on the other side of the world.
    expect(inBounds(40.5, 106, box)).toBe(false);
  });

  it('crosses the antimeridian when west > east', () => {
    const pacific: Bounds = { north: 10, south: -10, east: -170, west: 170 };
    expect(inBounds(0, 175, pacific)).toBe(true);
    expect(inBounds(0, -175, pacific)).toBe(true);
    expect(inBounds(0, 180, pacific)).toBe(true);
    expect(inBounds(0, -180, pacific)).toBe(true);
    expect(inBounds(0, 170, pacific)).toBe(true);
    expect(inBounds(0, -170, pacific)).toBe(true);
    expect(inBounds(0, 0, pacific)).toBe(false);
    expect(inBounds(0, 169.9, pacific)).toBe(false);
    expect(inBounds(0, -169.9, pacific)).toBe(false);
    expect(inBounds(11, 175, pacific)).toBe(false);
  });

  it('treats longitudes 180 and -180 as the same meridian', () => {
    expect(inBounds(0, -180, { north: 1, south: -1, east: 180, west: 170 })).toBe(true);
    expect(inBounds(0, 180, { north: 1, south: -1, east: -170, west: -180 })).toBe(true);
    expect(inBounds(0, -179, { north: 1, south: -1, east: 180, west: 170 })).toBe(false);
  });

  it('covers the whole world and degenerate boxes', () => {
    const world: Bounds = { north: 90, south: -90, east: 180, west: -180 };
    expect(inBounds(90, 180, world)).toBe(true);
    expect(inBounds(-90, -180, world)).toBe(true);
    const point: Bounds = { north: 1, south: 1, east: 2, west: 2 };
    expect(inBounds(1, 2, point)).toBe(true);
    expect(inBounds(1, 2.0001, point)).toBe(false);
  });

  it('puts records without numeric lat and lon outside every box', () => {
    const world: Filter = { bounds: { north: 90, south: -90, east: 180, west: -180 } };
    expect(matches(world, rec({ lat: 0, lon: 0 }))).toBe(true);
    expect(matches(world, rec({}))).toBe(false);
    expect(matches(world, rec({ lat: 0 }))).toBe(false);
    expect(matches(world, rec({ lon: 0 }))).toBe(false);
    expect(matches(world, rec({ lat: '0', lon: 0 }))).toBe(false);
    expect(matches(world, rec({ lat: 0, lon: '0' }))).toBe(false);
    expect(matches(world, rec({ lat: null as unknown as number, lon: 0 }))).toBe(false);
    expect(matches(world, rec({ lat: [0], lon: 0 }))).toBe(false);
    expect(matches(world, rec({ pos: { lat: 0, lon: 0 } }))).toBe(false);
  });

  it('uses the record lat and lon through compileFilter', () => {
    const f = compileFilter({ bounds: box });
    expect(f.matches(rec({ lat: 40.7, lon: -74 }))).toBe(true);
    expect(f.matches(rec({ lat: 51.5, lon: -0.1 }))).toBe(false);
  });
});

describe('project', () => {
  const record: ChannelRecord = { id: 'v1', lat: 1, lon: 2, status: 'online', load: { cpu: 0.5 } };

  it('returns the same object when there is no fields list', () => {
    expect(compileFilter({}).project(record)).toBe(record);
    expect(compileFilter({ where: { status: 'online' } }).project(record)).toBe(record);
  });

  it('keeps only the listed top-level fields, and always id', () => {
    const f = compileFilter({ fields: ['lat', 'status'] });
    expect(f.project(record)).toEqual({ id: 'v1', lat: 1, status: 'online' });
    expect(record).toEqual({ id: 'v1', lat: 1, lon: 2, status: 'online', load: { cpu: 0.5 } });
  });

  it('leaves out listed fields the record does not have', () => {
    const projected = compileFilter({ fields: ['lat', 'missing'] }).project(record);
    expect(projected).toEqual({ id: 'v1', lat: 1 });
    expect(Object.hasOwn(projected, 'missing')).toBe(false);
  });

  it('keeps only id for an empty list or a list of just id', () => {
    expect(compileFilter({ fields: [] }).project(record)).toEqual({ id: 'v1' });
    expect(compileFilter({ fields: ['id'] }).project(record)).toEqual({ id: 'v1' });
  });

  it('treats dotted names as top-level field names', () => {
    expect(compileFilter({ fields: ['load.cpu'] }).project(record)).toEqual({ id: 'v1' });
    expect(compileFilter({ fields: ['load'] }).project(record)).toEqual({ id: 'v1', load: { cpu: 0.5 } });
  });

  it('copies a "__proto__" field as data', () => {
    const odd = JSON.parse('{"id":"x","__proto__":{"a":1}}') as ChannelRecord;
    const projected = compileFilter({ fields: ['__proto__'] }).project(odd);
    expect(Object.getPrototypeOf(projected)).toBe(Object.prototype);
    expect(JSON.stringify(projected)).toBe('{"id":"x","__proto__":{"a":1}}');
  });

  it('does not affect matching, which sees the whole record', () => {
    const f = compileFilter({ fields: ['lat'], where: { status: 'online' } });
    expect(f.matches(record)).toBe(true);
  });
});

describe('matchesEvent', () => {
  it('passes listed types exactly', () => {
    const f = compileFilter({ eventTypes: ['alert.sla', 'note'] });
    expect(f.matchesEvent(event('alert.sla'))).toBe(true);
    expect(f.matchesEvent(event('note'))).toBe(true);
    expect(f.matchesEvent(event('alert.sl'))).toBe(false);
    expect(f.matchesEvent(event('alert.sla.x'))).toBe(false);
    expect(f.matchesEvent(event('notes'))).toBe(false);
  });

  it('treats an entry ending in * as a prefix', () => {
    const f = compileFilter({ eventTypes: ['alert.*'] });
    expect(f.matchesEvent(event('alert.sla'))).toBe(true);
    expect(f.matchesEvent(event('alert.'))).toBe(true);
    expect(f.matchesEvent(event('alert'))).toBe(false);
    expect(f.matchesEvent(event('other.alert.sla'))).toBe(false);
    expect(compileFilter({ eventTypes: ['al*'] }).matchesEvent(event('alarm'))).toBe(true);
  });

  it('lets a lone * pass every type and an empty list pass none', () => {
    expect(compileFilter({ eventTypes: ['*'] }).matchesEvent(event('x'))).toBe(true);
    expect(compileFilter({ eventTypes: [] }).matchesEvent(event('x'))).toBe(false);
  });

  it('treats * in the middle as a literal character', () => {
    const f = compileFilter({ eventTypes: ['a*b'] });
    expect(f.matchesEvent(event('a*b'))).toBe(true);
    expect(f.matchesEvent(event('axb'))).toBe(false);
  });

  it('passes events at or above minPriority (low < normal < high < critical)', () => {
    const high = compileFilter({ minPriority: 'high' });
    expect(high.matchesEvent(event('x', 'low'))).toBe(false);
    expect(high.matchesEvent(event('x', 'normal'))).toBe(false);
    expect(high.matchesEvent(event('x', 'high'))).toBe(true);
    expect(high.matchesEvent(event('x', 'critical'))).toBe(true);

    const normal = compileFilter({ minPriority: 'normal' });
    expect(normal.matchesEvent(event('x', 'low'))).toBe(false);
    expect(normal.matchesEvent(event('x', 'normal'))).toBe(true);

    const critical = compileFilter({ minPriority: 'critical' });
    expect(critical.matchesEvent(event('x', 'high'))).toBe(false);
    expect(critical.matchesEvent(event('x', 'critical'))).toBe(true);

    expect(compileFilter({ minPriority: 'low' }).matchesEvent(event('x', 'low'))).toBe(true);
  });

  it('requires both the type and the priority', () => {
    const f = compileFilter({ eventTypes: ['alert.*'], minPriority: 'high' });
    expect(f.matchesEvent(event('alert.sla', 'critical'))).toBe(true);
    expect(f.matchesEvent(event('alert.sla', 'normal'))).toBe(false);
    expect(f.matchesEvent(event('note', 'critical'))).toBe(false);
  });

  it('ignores record conditions', () => {
    expect(compileFilter({ ids: [], where: { a: 1 } }).matchesEvent(event('x'))).toBe(true);
  });
});

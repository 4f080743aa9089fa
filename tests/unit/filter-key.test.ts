import type { Filter } from '@/lib/protocol/filter';
import { filterKey } from '@/lib/protocol/filter-key';
import { validateFilter } from '@/lib/protocol/filter';
import { compileFilter } from '@/lib/hub/filter';
import { filterKey as clientFilterKey } from '@/lib/client';

describe('filterKey', () => {
  it('is empty for no filter and for filters that select everything', () => {
    expect(filterKey(undefined)).toBe('');
    expect(filterKey(null)).toBe('');
    expect(filterKey({})).toBe('');
    expect(filterKey({ where: {} })).toBe('');
    expect(filterKey({ minPriority: 'low' })).toBe('');
    expect(filterKey({ ids: undefined, where: { a: undefined } } as unknown as Filter)).toBe('');
  });

  it('gives one key for two spellings of one filter', () => {
    const a: Filter = {
      ids: ['v2', 'v1'],
      where: { status: 'online', load: { gte: 0.5, lt: 1 }, zone: { in: ['b', 'a', 'b'] } },
      bounds: { north: 41, south: 40, east: -73, west: -75 },
      fields: ['lat', 'id', 'lon'],
      eventTypes: ['b.*', 'a'],
      minPriority: 'high',
    };
    const b: Filter = {
      minPriority: 'high',
      eventTypes: ['a', 'b.*', 'a'],
      fields: ['lon', 'lat'],
      bounds: { west: -75, east: -73, south: 40, north: 41 },
      where: { zone: { in: ['a', 'b'] }, load: { lt: 1, gte: 0.5 }, status: 'online' },
      ids: ['v1', 'v2', 'v1'],
    };
    expect(filterKey(a)).toBe(filterKey(b));
    expect(filterKey(a)).not.toBe('');
  });

  it('tells different views apart', () => {
    const keys = [
      {},
      { ids: [] },
      { ids: ['a'] },
      { where: { s: 'a' } },
      { where: { s: 1 } },
      { where: { s: '1' } },
      { where: { s: null } },
      { where: { s: { ne: 'a' } } },
      { where: { s: { in: ['a'] } } },
      { where: { 's.t': 'a' } },
      { fields: [] },
      { fields: ['a'] },
      { eventTypes: [] },
      { eventTypes: ['a'] },
      { eventTypes: ['a*'] },
      { minPriority: 'normal' },
      { minPriority: 'high' },
      { bounds: { north: 1, south: 0, east: 1, west: 0 } },
      { bounds: { north: 1, south: 0, east: 0, west: 1 } },
    ].map((f) => filterKey(f as Filter));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('treats ids, fields, eventTypes and in lists as sets', () => {
    expect(filterKey({ ids: ['b', 'a', 'b'] })).toBe(filterKey({ ids: ['a', 'b'] }));
    expect(filterKey({ fields: ['y', 'x', 'id'] })).toBe(filterKey({ fields: ['x', 'y'] }));
    expect(filterKey({ eventTypes: ['b.*', 'a'] })).toBe(filterKey({ eventTypes: ['a', 'b.*', 'a'] }));
    expect(filterKey({ where: { s: { in: [2, 'a', null, 2] } } })).toBe(filterKey({ where: { s: { in: [null, 'a', 2] } } }));
  });

  it('gives two spellings of one or / nin filter one key: key order, alternative order, value order, duplicates', () => {
    const a: Filter = {
      where: { status: 'online', zone: { nin: ['b', 'a', null] } },
      or: [{ battery: { lt: 20 }, kind: 'van' }, { load: { gte: 0.9 } }, { 'meta.tag': { nin: [2, 'x'] } }],
    };
    const b: Filter = {
      or: [{ 'meta.tag': { nin: ['x', 2, 'x'] } }, { load: { gte: 0.9 } }, { kind: 'van', battery: { lt: 20 } }, { load: { gte: 0.9 } }],
      where: { zone: { nin: [null, 'a', 'b'] }, status: 'online' },
    };
    expect(filterKey(a)).toBe(filterKey(b));
    expect(compileFilter(a).key).toBe(filterKey(b));
    expect(filterKey(a)).not.toBe('');
  });

  it('tells or and nin filters apart from each other and from where', () => {
    const keys = [
      { where: { s: 'a' } },
      { or: [{ s: 'a' }] },
      { or: [{ s: 'a' }, { t: 'b' }] },
      { or: [{ s: 'a', t: 'b' }] },
      { or: [{ s: 'b' }] },
      { or: [{}] },
      { or: [{}, { s: 'a' }] },
      { where: { s: 'a' }, or: [{ t: 'b' }] },
      { where: { t: 'b' }, or: [{ s: 'a' }] },
      { where: { s: { in: ['a'] } } },
      { where: { s: { nin: ['a'] } } },
      { where: { s: { nin: [] } } },
      { where: { s: { nin: ['a', null] } } },
      { where: { s: { ne: 'a' } } },
    ].map((f) => filterKey(f as Filter));
    expect(new Set(keys).size).toBe(keys.length);
    // Malformed or lists (refused by validation) keep a key of their own.
    for (const malformed of [{ or: [] }, { or: 'x' }, { or: [null] }, { or: [1, 1] }]) {
      expect(filterKey(malformed as unknown as Filter)).not.toBe('');
      expect(filterKey(malformed as unknown as Filter)).not.toBe(filterKey({ or: [{}] }));
    }
    expect(() => filterKey({ or: [undefined, [1], { a: { nin: [{ b: 1, a: 2 }] } }] } as unknown as Filter)).not.toThrow();
  });

  it('is deterministic: a copy of a filter gets the same key', () => {
    const f: Filter = { where: { a: { in: ['x', 'y'] } }, ids: ['1'] };
    expect(filterKey(f)).toBe(filterKey(structuredClone(f)));
  });

  it('is the key the hub groups views by, and the one the client exports', () => {
    const filter: Filter = { where: { load: { lt: 1, gte: 0.5 } }, ids: ['b', 'a'] };
    expect(compileFilter(filter).key).toBe(filterKey(filter));
    expect(compileFilter({ ids: ['a', 'b'], where: { load: { gte: 0.5, lt: 1 } } }).key).toBe(filterKey(filter));
    expect(clientFilterKey).toBe(filterKey);
  });

  it('keys a validated filter as it keys the filter that was sent', () => {
    const sent = { where: { zone: { in: [3, 'a', null] } }, fields: ['x'], ids: ['b', 'a'] };
    const validated = validateFilter(sent);
    if (!validated.ok) throw new Error(validated.message);
    expect(filterKey(validated.filter)).toBe(filterKey(sent as Filter));
  });

  it('keeps malformed parts and unknown keys, so an invalid filter never passes for a valid one', () => {
    const malformed = [
      { colour: 'red' },
      { where: null },
      { where: 'x' },
      { ids: 'a' },
      { ids: [1] },
      { fields: {} },
      { where: { s: { in: 'a' } } },
      { where: { s: [1, 2] } },
      { minPriority: 'urgent' },
    ];
    for (const filter of malformed) {
      const key = filterKey(JSON.parse(JSON.stringify(filter)) as Filter);
      expect(key).not.toBe('');
      expect(key).not.toBe(filterKey({}));
    }
    expect(filterKey({ colour: 'red', size: 1 } as unknown as Filter)).toBe(filterKey({ size: 1, colour: 'red' } as unknown as Filter));
    expect(filterKey({ colour: 'red' } as unknown as Filter)).not.toBe(filterKey({ colour: 'blue' } as unknown as Filter));
    expect(filterKey(JSON.parse('{"__proto__":{"a":1}}') as Filter)).toBe('{"__proto__":{"a":1}}');
  });

  it('never throws on input nobody validated', () => {
    for (const filter of ['text', 3, true, [], [{ a: 1 }], { where: { a: { in: [{ b: 2, a: 1 }] } } }]) {
      expect(() => filterKey(filter as unknown as Filter)).not.toThrow();
    }
  });
});

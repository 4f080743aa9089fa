import fc from 'fast-check';
import type { Json } from '@/lib/protocol';
import { applyMergePatch, diffMergePatch, isJsonObject, jsonEqual, stripNulls } from '@/lib/protocol/merge-patch';

type JsonObject = { [key: string]: Json };

/** Freezes a value all the way down, so any mutation by the code under test throws. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('applyMergePatch', () => {
  // RFC 7386, Appendix A, verbatim.
  const appendix: Array<[Json, Json, Json]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [['a', 'b'], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  it.each(appendix)('RFC 7386 appendix: %j + %j → %j', (target, patch, expected) => {
    deepFreeze(target);
    deepFreeze(patch);
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('applies the RFC 7386 section 3 example', () => {
    const target = deepFreeze({
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    });
    const patch = deepFreeze({
      title: 'Hello!',
      phoneNumber: '+01-123-456-7890',
      author: { familyName: null },
      tags: ['example'],
    });
    expect(applyMergePatch(target, patch)).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });

  it('creates an object from a patch on an undefined target, dropping null members at every depth', () => {
    expect(applyMergePatch(undefined, { id: 'q1', a: null, b: { c: null, d: 1 } })).toEqual({ id: 'q1', b: { d: 1 } });
  });

  it('keeps nulls inside arrays, which a patch never looks into', () => {
    expect(applyMergePatch({}, { list: [null, { x: null }] })).toEqual({ list: [null, { x: null }] });
  });

  it('never mutates the target or the patch', () => {
    const target = { id: 'r', a: 1, nested: { b: 2, c: 3 }, list: [1, 2] };
    const patch = { a: null, nested: { b: null, d: 4 }, list: [3] };
    const targetCopy = structuredClone(target);
    const patchCopy = structuredClone(patch);
    applyMergePatch(target, patch);
    expect(target).toEqual(targetCopy);
    expect(patch).toEqual(patchCopy);
  });

  it('shares unchanged subtrees and returns the target itself when nothing changes', () => {
    const untouched = { deep: { x: 1 } };
    const target: JsonObject = { id: 'r', untouched, n: 1 };
    const result = applyMergePatch(target, { n: 2 }) as JsonObject;
    expect(result).not.toBe(target);
    expect(result.untouched).toBe(untouched);

    expect(applyMergePatch(target, { n: 1 })).toBe(target);
    expect(applyMergePatch(target, { missing: null })).toBe(target);
    expect(applyMergePatch(target, { untouched: { deep: { x: 1 } } })).toBe(target);
    expect(applyMergePatch(target, {})).toBe(target);
  });

  it('replaces a non-object member with an object patch, stripping its nulls', () => {
    expect(applyMergePatch({ a: 5 }, { a: { b: 1, c: null } })).toEqual({ a: { b: 1 } });
    expect(applyMergePatch({ a: [1] }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });

  it('treats a "__proto__" member as plain data', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Json;
    const result = applyMergePatch({}, patch) as JsonObject;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":true},"x":1}');

    const removed = applyMergePatch(result, JSON.parse('{"__proto__": null}') as Json);
    expect(JSON.stringify(removed)).toBe('{"x":1}');
  });

  it('does not pick up inherited properties as existing members', () => {
    // Without an own-property check, `constructor` would resolve to Object and be merged into.
    expect(applyMergePatch({}, { constructor: { a: 1 } })).toEqual({ constructor: { a: 1 } });
    expect(applyMergePatch({ a: 1 }, { toString: null })).toEqual({ a: 1 });
  });
});

describe('stripNulls', () => {
  it('removes null object members recursively and leaves other values alone', () => {
    expect(stripNulls({ a: null, b: { c: null, d: [null] } })).toEqual({ b: { d: [null] } });
    expect(stripNulls([null, 1])).toEqual([null, 1]);
    expect(stripNulls('x')).toBe('x');
    expect(stripNulls(null)).toBeNull();
  });
});

describe('diffMergePatch', () => {
  it('returns null for equal records, whatever the key order', () => {
    expect(diffMergePatch({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBeNull();
    const same = { a: 1 };
    expect(diffMergePatch(same, same)).toBeNull();
    expect(diffMergePatch({}, {})).toBeNull();
  });

  it('holds only what changed', () => {
    expect(diffMergePatch({ id: 'q1', waiting: 12, agents: 3 }, { id: 'q1', waiting: 14, agents: 3 })).toEqual({ waiting: 14 });
  });

  it('turns removed members into null', () => {
    expect(diffMergePatch({ id: 'q1', sla: 'ok', waiting: 1 }, { id: 'q1', waiting: 1 })).toEqual({ sla: null });
  });

  it('adds new members whole', () => {
    expect(diffMergePatch({ id: 'q1' }, { id: 'q1', meta: { a: { b: 1 } } })).toEqual({ meta: { a: { b: 1 } } });
  });

  it('diffs nested objects recursively', () => {
    expect(
      diffMergePatch({ pos: { lat: 1, lon: 2, alt: { m: 3 } }, keep: 1 }, { pos: { lat: 1, lon: 5, alt: {} }, keep: 1 }),
    ).toEqual({ pos: { lon: 5, alt: { m: null } } });
  });

  it('replaces arrays whole, even when only one element changed', () => {
    expect(diffMergePatch({ tags: ['a', 'b', 'c'] }, { tags: ['a', 'b', 'd'] })).toEqual({ tags: ['a', 'b', 'd'] });
    expect(diffMergePatch({ tags: ['a'] }, { tags: ['a'] })).toBeNull();
  });

  it('replaces values that changed type', () => {
    expect(diffMergePatch({ v: { a: 1 } }, { v: [1] })).toEqual({ v: [1] });
    expect(diffMergePatch({ v: [1] }, { v: { a: 1 } })).toEqual({ v: { a: 1 } });
    expect(diffMergePatch({ v: '1' }, { v: 1 })).toEqual({ v: 1 });
    expect(diffMergePatch({ v: 1 }, { v: { a: 1 } })).toEqual({ v: { a: 1 } });
  });
});

describe('jsonEqual', () => {
  it('compares deeply, ignoring object key order but not array order', () => {
    expect(jsonEqual({ a: [1, { b: 2 }], c: 'x' }, { c: 'x', a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(jsonEqual({ a: undefined as unknown as Json }, { b: 1 })).toBe(false);
  });

  it('tells types apart', () => {
    expect(jsonEqual(1, '1')).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({}, null)).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual({}, [])).toBe(false);
    expect(jsonEqual({ 0: 'a' }, ['a'])).toBe(false);
    expect(jsonEqual(undefined, null)).toBe(false);
    expect(jsonEqual(true, true)).toBe(true);
    expect(jsonEqual(null, null)).toBe(true);
  });
});

describe('merge patch properties', () => {
  const key = fc.constantFrom('id', 'a', 'b', 'c', 'd');
  const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  // Nulls may appear inside arrays (patches do not look into them) but never as object members.
  const { value, object } = fc.letrec<{ value: Json; object: JsonObject }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(fc.oneof(tie('value'), fc.constant(null)), { maxLength: 3 }),
      tie('object'),
    ),
    object: fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  }));

  it('applying the diff of a and b to a gives b', () => {
    fc.assert(
      fc.property(object, object, (a, b) => {
        deepFreeze(a);
        deepFreeze(b);
        const patch = diffMergePatch(a, b);
        expect(jsonEqual(applyMergePatch(a, patch ?? {}), b)).toBe(true);
        expect(patch === null).toBe(jsonEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('the diff names only members that differ', () => {
    fc.assert(
      fc.property(object, object, (a, b) => {
        const patch = diffMergePatch(a, b) ?? {};
        for (const member of Object.keys(patch)) {
          expect(jsonEqual(a[member], b[member])).toBe(false);
        }
      }),
    );
  });

  it('applying a patch twice is the same as applying it once', () => {
    fc.assert(
      fc.property(object, object, (target, patch) => {
        const once = applyMergePatch(target, patch);
        expect(applyMergePatch(once, patch)).toBe(once);
      }),
    );
  });

  it('jsonEqual agrees with a structural clone', () => {
    fc.assert(fc.property(value, (v) => jsonEqual(v, structuredClone(v)) && isJsonObject(v) === isJsonObject(structuredClone(v))));
  });
});

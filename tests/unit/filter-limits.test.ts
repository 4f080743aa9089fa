/**
 * The size bound of one subscription's filter (lib/protocol/filter.ts, FILTER_LIMITS): the
 * filter's JSON in UTF-8 bytes, refused past the limit with a message naming it.
 */
import { ErrorCode } from '@/lib/protocol/codes';
import { FILTER_LIMITS, filterBytes, validateFilter } from '@/lib/protocol/filter';
import { parseClientFrame } from '@/lib/protocol/parse';

const ids = (count: number, length: number) => Array.from({ length: count }, (_, i) => String(i).padStart(length, 'x'));

describe('filterBytes', () => {
  it('is the UTF-8 length of the filter as JSON', () => {
    expect(filterBytes({ ids: ['a'] })).toBe('{"ids":["a"]}'.length);
    expect(filterBytes({ ids: ['é'] })).toBe('{"ids":["é"]}'.length + 1);
    expect(filterBytes({ ids: ['€'] })).toBe('{"ids":["€"]}'.length + 2);
    expect(filterBytes({ ids: ['😀'] })).toBe(Buffer.byteLength('{"ids":["😀"]}'));
  });
});

describe(`at most ${FILTER_LIMITS.maxBytes} bytes per subscription`, () => {
  it('refuses 10,000 ids of 84 characters (840 KB) naming the limit', () => {
    const result = validateFilter({ ids: ids(10_000, 84) });
    expect(result).toEqual({ ok: false, message: expect.stringContaining(`limit of ${FILTER_LIMITS.maxBytes} bytes per subscription`) });
  });

  it('refuses it on the wire as BAD_FILTER with the ref', () => {
    const result = parseClientFrame(JSON.stringify({ type: 'subscribe', ref: 7, channel: 'fleet', filter: { ids: ids(1000, 100) } }));
    expect(result).toMatchObject({ ok: false, code: ErrorCode.BAD_FILTER, ref: 7, message: expect.stringMatching(/^filter is \d+ bytes as JSON, over the limit of 65536 bytes/) });
  });

  it('accepts a filter of exactly the limit, and refuses one byte more', () => {
    const sized = (bytes: number) => ({ where: { a: { in: ['x'.repeat(bytes - filterBytes({ where: { a: { in: [''] } } }))] } } });
    expect(filterBytes(sized(FILTER_LIMITS.maxBytes))).toBe(FILTER_LIMITS.maxBytes);
    expect(validateFilter(sized(FILTER_LIMITS.maxBytes)).ok).toBe(true);
    expect(validateFilter(sized(FILTER_LIMITS.maxBytes + 1)).ok).toBe(false);
  });

  it('keeps legitimate filters: a dashboard bounds filter, a few hundred ids, many conditions', () => {
    expect(validateFilter({ bounds: { north: 41, south: 40, east: -73, west: -75 }, fields: ['lat', 'lon', 'status'] }).ok).toBe(true);
    expect(validateFilter({ ids: ids(500, 36) }).ok).toBe(true);
    const where = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`field${i}`, { in: ids(50, 8) }]));
    expect(validateFilter({ where }).ok).toBe(true);
  });
});

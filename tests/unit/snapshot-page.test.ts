/**
 * Paginated snapshot reads (lib/http/snapshot-page.ts): the query's `limit` and `after`, and
 * the page cut from a view's records in ascending id order.
 */
import { MAX_PAGE_LIMIT, pageOf, readPageQuery } from '@/lib/http/snapshot-page';
import type { ChannelRecord } from '@/lib/protocol/messages';

const query = (text: string) => readPageQuery(new URLSearchParams(text));
const ids = (records: ChannelRecord[]) => records.map((record) => record.id);

describe('readPageQuery', () => {
  it('is no page without limit or after', () => {
    expect(query('')).toEqual({ ok: true, page: undefined });
    expect(query('filter=%7B%7D&other=1')).toEqual({ ok: true, page: undefined });
  });

  it('reads limit from 1 to 10000 and after as a record id', () => {
    expect(MAX_PAGE_LIMIT).toBe(10_000);
    expect(query('limit=1')).toEqual({ ok: true, page: { limit: 1 } });
    expect(query('limit=10000')).toEqual({ ok: true, page: { limit: 10_000 } });
    expect(query('limit=007')).toEqual({ ok: true, page: { limit: 7 } });
    expect(query('after=r1')).toEqual({ ok: true, page: { after: 'r1' } });
    expect(query('limit=2&after=a%20b%2Fc')).toEqual({ ok: true, page: { limit: 2, after: 'a b/c' } });
    expect(query(`after=${'x'.repeat(128)}`)).toEqual({ ok: true, page: { after: 'x'.repeat(128) } });
  });

  it('refuses bad values, naming the parameter', () => {
    for (const text of ['limit=0', 'limit=10001', 'limit=-1', 'limit=+5', 'limit=1.5', 'limit=1e3', 'limit=%205', 'limit=', 'limit=ten', 'limit=0x10', `limit=${'9'.repeat(400)}`]) {
      expect([text, query(text)]).toEqual([text, { ok: false, message: 'limit must be an integer from 1 to 10000' }]);
    }
    for (const text of ['after=', `after=${'x'.repeat(129)}`, 'limit=5&after=']) {
      expect([text, query(text)]).toEqual([text, { ok: false, message: 'after must be a record id (1 to 128 characters)' }]);
    }
  });

  it('refuses a repeated parameter rather than picking one', () => {
    expect(query('limit=1&limit=2')).toEqual({ ok: false, message: 'limit may be given once' });
    expect(query('limit=1&limit=1')).toEqual({ ok: false, message: 'limit may be given once' });
    expect(query('after=a&after=b')).toEqual({ ok: false, message: 'after may be given once' });
  });
});

describe('pageOf', () => {
  const records: ChannelRecord[] = ['r3', 'r10', 'a', 'B', 'r9', 'r1'].map((id) => ({ id, v: id.length }));

  it('sorts by id in JavaScript string order (UTF-16 code units)', () => {
    expect(ids(pageOf(records, {}).records)).toEqual(['B', 'a', 'r1', 'r10', 'r3', 'r9']);
    // A character past the Basic Multilingual Plane sorts by its surrogates, before U+FFFD.
    expect(ids(pageOf([{ id: '\uFFFD' }, { id: '😀' }], {}).records)).toEqual(['😀', '\uFFFD']);
  });

  it('cuts at most limit records and gives next while more follow', () => {
    expect(pageOf(records, { limit: 4 })).toEqual({ records: [{ id: 'B', v: 1 }, { id: 'a', v: 1 }, { id: 'r1', v: 2 }, { id: 'r10', v: 3 }], next: 'r10' });
    expect(pageOf(records, { limit: 4, after: 'r10' })).toEqual({ records: [{ id: 'r3', v: 2 }, { id: 'r9', v: 2 }] });
    // Exactly the remaining count: the last page, without next.
    expect(pageOf(records, { limit: 6 })).toEqual({ records: expect.any(Array) });
    expect(pageOf(records, { limit: 5 }).next).toBe('r3');
  });

  it('takes ids greater than after, which need not exist', () => {
    expect(ids(pageOf(records, { after: 'r2' }).records)).toEqual(['r3', 'r9']);
    expect(ids(pageOf(records, { after: 'r2', limit: 1 }).records)).toEqual(['r3']);
    expect(pageOf(records, { after: 'z' })).toEqual({ records: [] });
    expect(pageOf([], { limit: 1 })).toEqual({ records: [] });
  });

  it('covers every record exactly once when following next', () => {
    const many: ChannelRecord[] = Array.from({ length: 103 }, (_, i) => ({ id: `id-${(i * 7919) % 103}` }));
    for (const limit of [1, 2, 10, 102, 103, 104]) {
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = pageOf(many, { limit, after });
        pages++;
        seen.push(...ids(page.records));
        if (page.next === undefined) break;
        after = page.next;
      }
      expect(seen).toEqual(ids(many).sort());
      expect(pages).toBe(Math.max(1, Math.ceil(103 / limit)));
    }
  });

  it('leaves the input alone', () => {
    const before = ids(records);
    pageOf(records, { limit: 2 });
    expect(ids(records)).toEqual(before);
  });
});

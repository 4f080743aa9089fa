/**
 * Paginated snapshot reads (docs/protocol.md §10, "Paginated snapshots"): `limit` and `after`
 * on `GET /api/channels/:channel/snapshot`. The filter applies first, then the page is cut from
 * what it lets through, in ascending id order.
 *
 * "Ascending" is JavaScript's string order, by UTF-16 code units: byte order for ASCII ids
 * (`"B" < "a"`, `"r10" < "r9"`), and the same on either engine since the hub sorts, not the
 * store. Ids outside the Basic Multilingual Plane sort by their surrogates, so between
 * U+E000–U+FFFF and astral characters this differs from code point (and UTF-8 byte) order;
 * a client that pages only ever passes back an id it was given as `next`, so any fixed total
 * order covers every record exactly once.
 */
import { MAX_ID_LENGTH, type ChannelRecord } from '../protocol';

/** The most records one page may ask for. */
export const MAX_PAGE_LIMIT = 10_000;

/** What a paginated read asks for; both absent means the whole snapshot, in the engine's order. */
export interface PageRequest {
  /** At most this many records (1–`MAX_PAGE_LIMIT`); all that follow `after` when absent. */
  limit?: number;
  /** Only records whose id is greater than this one. */
  after?: string;
}

export type PageQuery = { ok: true; page: PageRequest | undefined } | { ok: false; message: string };

/**
 * Reads `limit` and `after` from a query string; `page` is undefined when neither is given.
 * Each may be given once: a repeated one is refused rather than one of them picked silently.
 *
 * @example
 * readPageQuery(new URLSearchParams('limit=2&after=r1')) // → { ok: true, page: { limit: 2, after: 'r1' } }
 * readPageQuery(new URLSearchParams('limit=0'))          // → { ok: false, message: 'limit must be …' }
 */
export function readPageQuery(params: URLSearchParams): PageQuery {
  const limits = params.getAll('limit');
  const afters = params.getAll('after');
  if (limits.length > 1) return { ok: false, message: 'limit may be given once' };
  if (afters.length > 1) return { ok: false, message: 'after may be given once' };
  if (limits.length === 0 && afters.length === 0) return { ok: true, page: undefined };

  const page: PageRequest = {};
  if (limits.length === 1) {
    // Digits only: no sign, exponent, fraction or spaces, which Number() would quietly accept.
    const limit = /^[0-9]+$/.test(limits[0]) ? Number(limits[0]) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) return { ok: false, message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}` };
    page.limit = limit;
  }
  if (afters.length === 1) {
    const after = afters[0];
    if (after.length < 1 || after.length > MAX_ID_LENGTH) return { ok: false, message: `after must be a record id (1 to ${MAX_ID_LENGTH} characters)` };
    page.after = after;
  }
  return { ok: true, page };
}

/**
 * The page of `records` that `page` asks for: ids greater than `after`, ascending, at most
 * `limit` of them, and `next` (the last id returned) when more records follow.
 *
 * @example
 * pageOf([{ id: 'c' }, { id: 'a' }, { id: 'b' }], { limit: 2 })            // → { records: [{ id: 'a' }, { id: 'b' }], next: 'b' }
 * pageOf([{ id: 'c' }, { id: 'a' }, { id: 'b' }], { limit: 2, after: 'b' }) // → { records: [{ id: 'c' }] }
 */
export function pageOf(records: readonly ChannelRecord[], page: PageRequest): { records: ChannelRecord[]; next?: string } {
  const { after, limit } = page;
  const following = after === undefined ? records.slice() : records.filter((record) => record.id > after);
  following.sort(byId);
  if (limit === undefined || following.length <= limit) return { records: following };
  const taken = following.slice(0, limit);
  return { records: taken, next: taken[taken.length - 1].id };
}

/** Ids are unique within a channel, so this order is total. */
function byId(a: ChannelRecord, b: ChannelRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The HTTP side of the client: reading a channel's snapshot with
 * `GET /api/channels/:channel/snapshot?filter=<url-encoded JSON>` (docs/protocol.md §10), whole
 * or a page at a time (`limit`, `after`, `next`: docs/protocol.md §12). The React layer polls it
 * while the socket is in `fallback`.
 */
import type { ErrorCode } from '../protocol/codes';
import type { Filter } from '../protocol/filter';
import type { ChannelEvent, ChannelRecord } from '../protocol/messages';
import { ClientErrorCode, PulseClientError } from './errors';
import { filterKey } from '../protocol/filter-key';

/** A channel's state as the snapshot route answers it (also the shape of server-rendered `initial` data). */
export interface HttpSnapshot {
  channel: string;
  epoch: string;
  seq: number;
  records: ChannelRecord[];
  events: ChannelEvent[];
  /** On a page that more records follow: the last id returned, to pass as `after` for the next page. */
  next?: string;
}

export interface FetchSnapshotOptions {
  /** Origin of the API, e.g. `https://dash.example.com`. Default `''` (same origin). */
  baseUrl?: string;
  filter?: Filter;
  /** Read one page of at most `limit` records (1–10000), in ascending id order. */
  limit?: number;
  /** With `limit`: only records with ids greater than this one (the previous page's `next`). */
  after?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null;
  signal?: AbortSignal;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** Which page of a snapshot to read (docs/protocol.md §12). */
export interface SnapshotPage {
  limit?: number;
  after?: string;
}

/** The snapshot route's URL for `channel`, `filter` and, optionally, one page. */
export function snapshotUrl(channel: string, filter?: Filter, baseUrl = '', page: SnapshotPage = {}): string {
  const path = `${baseUrl.replace(/\/+$/, '')}/api/channels/${encodeURIComponent(channel)}/snapshot`;
  const query: string[] = [];
  if (filterKey(filter)) query.push(`filter=${encodeURIComponent(JSON.stringify(filter))}`);
  if (page.limit !== undefined) query.push(`limit=${page.limit}`);
  if (page.after !== undefined) query.push(`after=${encodeURIComponent(page.after)}`);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

/** Reads a channel's snapshot over HTTP; rejects with a `PulseClientError` carrying the API's error code. */
export async function fetchSnapshot(channel: string, options: FetchSnapshotOptions = {}): Promise<HttpSnapshot> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new PulseClientError(ClientErrorCode.TRANSPORT_UNAVAILABLE, 'fetch is not available');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  const page = { limit: options.limit, after: options.after };
  const response = await doFetch(snapshotUrl(channel, options.filter, options.baseUrl, page), {
    headers,
    cache: 'no-store',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? (error.code as ErrorCode) : ClientErrorCode.HTTP_ERROR;
    const message = typeof error?.message === 'string' ? error.message : `snapshot of ${channel} failed with HTTP ${response.status}`;
    throw new PulseClientError(code, message, { status: response.status });
  }
  if (!isSnapshot(body)) throw new PulseClientError(ClientErrorCode.BAD_FRAME, `snapshot of ${channel}: unexpected response body`);
  return { ...body, events: body.events ?? [] };
}

/**
 * Reads a large channel a page at a time: yields each page of at most `limit` records (default
 * 1000) until the last. Each page carries the `epoch` and `seq` it was read at; records changed
 * between pages are not re-read, so a reader that needs one consistent state subscribes with
 * `since` at the first page's position afterwards (docs/protocol.md §7).
 *
 * @example
 * for await (const page of snapshotPages('fleet', { limit: 500 })) rows.push(...page.records);
 */
export async function* snapshotPages(channel: string, options: Omit<FetchSnapshotOptions, 'after'> = {}): AsyncGenerator<HttpSnapshot> {
  const limit = options.limit ?? 1000;
  let after: string | undefined;
  do {
    const page = await fetchSnapshot(channel, { ...options, limit, after });
    yield page;
    after = page.next;
  } while (after !== undefined);
}

function isSnapshot(body: unknown): body is HttpSnapshot {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.channel === 'string' &&
    typeof b.epoch === 'string' &&
    typeof b.seq === 'number' &&
    Array.isArray(b.records) &&
    (b.events === undefined || Array.isArray(b.events)) &&
    (b.next === undefined || typeof b.next === 'string')
  );
}

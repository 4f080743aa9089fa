/**
 * The HTTP side of the client: reading a channel's snapshot with
 * `GET /api/channels/:channel/snapshot?filter=<url-encoded JSON>` (docs/protocol.md §10). The
 * React layer polls it while the socket is in `fallback`.
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
}

export interface FetchSnapshotOptions {
  /** Origin of the API, e.g. `https://dash.example.com`. Default `''` (same origin). */
  baseUrl?: string;
  filter?: Filter;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null;
  signal?: AbortSignal;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** The snapshot route's URL for `channel` and `filter`. */
export function snapshotUrl(channel: string, filter?: Filter, baseUrl = ''): string {
  const path = `${baseUrl.replace(/\/+$/, '')}/api/channels/${encodeURIComponent(channel)}/snapshot`;
  return filterKey(filter) ? `${path}?filter=${encodeURIComponent(JSON.stringify(filter))}` : path;
}

/** Reads a channel's snapshot over HTTP; rejects with a `PulseClientError` carrying the API's error code. */
export async function fetchSnapshot(channel: string, options: FetchSnapshotOptions = {}): Promise<HttpSnapshot> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new PulseClientError(ClientErrorCode.TRANSPORT_UNAVAILABLE, 'fetch is not available');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  const response = await doFetch(snapshotUrl(channel, options.filter, options.baseUrl), {
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

function isSnapshot(body: unknown): body is HttpSnapshot {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.channel === 'string' &&
    typeof b.epoch === 'string' &&
    typeof b.seq === 'number' &&
    Array.isArray(b.records) &&
    (b.events === undefined || Array.isArray(b.events))
  );
}

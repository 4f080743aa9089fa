/**
 * Snapshot reads over HTTP, bounded and serialized once (docs/operations.md, "Limits"): at
 * most `PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS` reads run at a time, and the JSON of a channel's
 * snapshot is kept per (tenant, channel, filter, page) while the channel stays at the same
 * position, so a hundred dashboards polling an unchanged channel of 20,000 records cost one
 * serialization, and every answer writes the same bytes. A page is cached as its own entry:
 * it is cut (and sorted) only on a miss, and never from an entry of another position. An
 * entry keeps its compressed bytes too, per coding, once a reader asked for them
 * (docs/protocol.md §10, "Compression"), so they are compressed once per position as well.
 */
import { channelKey } from '../protocol/channel';
import { filterKey } from '../protocol/filter-key';
import type { ChannelSnapshot, Hub } from '../hub/hub';
import { ErrorCode, validateFilter } from '../protocol';
import { RetryLater } from './guard';
import { pageOf, type PageRequest } from './snapshot-page';
import { Gate } from './limits';
import type { HttpStats } from './stats';
import { compress, type ContentCoding } from './respond';

/** Snapshot reads that may wait for a slot, as a multiple of the concurrent ones. */
export const QUEUE_FACTOR = 4;

/** Bytes an entry costs besides its body (map entry, key, bookkeeping), so tiny entries are bounded too. */
const ENTRY_OVERHEAD_BYTES = 256;

interface Entry {
  version: string;
  body: Buffer;
  /** The body compressed, per coding asked for so far. */
  encoded: Partial<Record<ContentCoding, Buffer>>;
  cost: number;
}

/**
 * Serialized snapshots by key, each valid for one `version`, least recently used evicted
 * first when the bytes exceed `maxBytes`. An entry larger than a quarter of the cache is not
 * kept: one huge channel must not flush everything else.
 */
export class SnapshotCache {
  private readonly entries = new Map<string, Entry>();
  private used = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes held now, overhead included. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The body stored for `key` at `version`, or undefined (an older version is dropped). */
  get(key: string, version: string): Buffer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.version !== version) {
      this.used -= entry.cost;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.body;
  }

  /** Stores `body` for `key` at `version` when it fits, and returns it. */
  put(key: string, version: string, body: Buffer): Buffer {
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.used -= previous.cost;
    }
    const cost = body.length + key.length + version.length + ENTRY_OVERHEAD_BYTES;
    if (cost > this.maxBytes / 4) return body;
    for (const [oldest, entry] of this.entries) {
      if (this.used + cost <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.cost;
    }
    this.entries.set(key, { version, body, encoded: {}, cost });
    this.used += cost;
    return body;
  }

  /** The body of `key` at `version` compressed with `coding`, when stored (does not count as a read). */
  getEncoded(key: string, version: string, coding: ContentCoding): Buffer | undefined {
    const entry = this.entries.get(key);
    return entry?.version === version ? entry.encoded[coding] : undefined;
  }

  /**
   * Keeps `bytes`, the body of `key` at `version` compressed with `coding`, beside the body
   * when that entry is still there, within the same bounds as a body. Returns `bytes`.
   */
  putEncoded(key: string, version: string, coding: ContentCoding, bytes: Buffer): Buffer {
    const entry = this.entries.get(key);
    if (!entry || entry.version !== version || entry.encoded[coding]) return bytes;
    if (entry.cost + bytes.length > this.maxBytes / 4) return bytes;
    this.entries.delete(key);
    for (const [oldest, other] of this.entries) {
      if (this.used + bytes.length <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= other.cost;
    }
    entry.encoded[coding] = bytes;
    entry.cost += bytes.length;
    this.used += bytes.length;
    this.entries.set(key, entry);
    return bytes;
  }
}

/** A snapshot answer: its JSON, and the same compressed (from the cache when it holds them). */
export interface SnapshotBody {
  body: Buffer;
  compressed(coding: ContentCoding): Promise<Buffer>;
}

/**
 * What identifies a snapshot's content: at one epoch and seq the records are fixed, and the
 * events can only lose their oldest as they leave the history window, so their number tells
 * which of those states it is.
 */
function versionOf(snapshot: ChannelSnapshot): string {
  return `${snapshot.epoch} ${snapshot.seq} ${snapshot.events.length}`;
}

export class SnapshotReader {
  private readonly gate: Gate;
  readonly cache: SnapshotCache;

  constructor(
    private readonly hub: Hub,
    private readonly stats: HttpStats,
  ) {
    const { httpMaxConcurrentSnapshots, httpSnapshotCacheBytes } = hub.config;
    this.gate = new Gate(httpMaxConcurrentSnapshots, httpMaxConcurrentSnapshots * QUEUE_FACTOR);
    this.cache = new SnapshotCache(httpSnapshotCacheBytes);
  }

  /** Reads in progress and waiting now. */
  get inFlight(): { active: number; queued: number } {
    return { active: this.gate.active, queued: this.gate.queued };
  }

  /**
   * The snapshot's JSON as a view with `filter` sees it, or one `page` of it (with `next` while
   * more records follow). Throws `HubError`s like `hub.snapshot`, and a 503 `RetryLater` when
   * every slot is busy and the queue is full.
   */
  async read(tenant: string, channel: string, filter: unknown, page?: PageRequest, withSeries = false): Promise<SnapshotBody> {
    if (!(await this.gate.enter())) {
      this.stats.snapshotsRefused += 1;
      const { httpMaxConcurrentSnapshots } = this.hub.config;
      throw new RetryLater(ErrorCode.RATE_LIMITED, `too many snapshot reads in progress (PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS=${httpMaxConcurrentSnapshots}); retry after 1 s`, 1, 503);
    }
    try {
      const snapshot = await this.hub.snapshot(tenant, channel, filter);
      // With series (`?series=1`, docs/protocol.md §13): the series of the records returned,
      // read now and not cached (they move with time, not only with the channel's position).
      if (withSeries) {
        const body = page ? { ...snapshot, ...pageOf(snapshot.records, page) } : snapshot;
        const result = await this.hub.series(tenant, channel, filter, true, new Set(body.records.map((record) => record.id)));
        return uncached(Buffer.from(JSON.stringify(result ? { ...body, series: result.series } : body)));
      }
      // hub.snapshot has validated the filter by now.
      const validated = validateFilter(filter);
      // A filter key is JSON (no raw newline), and `after` comes last: the parts cannot run together.
      const pageKey = page ? `\n${page.limit ?? ''}\n${page.after ?? ''}` : '';
      const key = `${channelKey(tenant, channel)}\n${validated.ok ? filterKey(validated.filter) : ''}${pageKey}`;
      const version = versionOf(snapshot);
      const cached = this.cache.get(key, version);
      if (cached) this.stats.snapshotCacheHits += 1;
      else this.stats.snapshotCacheMisses += 1;
      const json = cached ?? this.cache.put(key, version, Buffer.from(JSON.stringify(page ? { ...snapshot, ...pageOf(snapshot.records, page) } : snapshot)));
      return {
        body: json,
        compressed: async (coding) => this.cache.getEncoded(key, version, coding) ?? this.cache.putEncoded(key, version, coding, await compress(json, coding)),
      };
    } finally {
      this.gate.leave();
    }
  }
}

/** An answer that is not kept (it moves with time): compressed anew for every reader. */
function uncached(body: Buffer): SnapshotBody {
  return { body, compressed: (coding) => compress(body, coding) };
}

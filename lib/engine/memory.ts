/**
 * The embedded in-memory engine: channel state in this process, lost on restart (a new
 * `epoch` then tells clients their positions no longer mean anything).
 *
 * One epoch per engine instance is enough: every channel's history is lost together.
 */
import { randomBytes } from 'node:crypto';
import type { ChannelEvent, ChannelRecord, Json, PublishInput, StreamPosition } from '../protocol';
import { applyMergePatch, jsonEqual } from '../protocol/merge-patch';
import { ChannelSeries, emptySeries, PointBudget, seriesRequestProblem, type SeriesRequest, type SeriesResult } from './series';
import type { SeriesSpec } from './series-spec';
import type { ChannelInfo, ChannelState, Commit, Engine, EngineCounters, EngineOptions, Recovery, RecordChange } from './types';

interface StoredRecord {
  record: ChannelRecord;
  /** Seq of the publish that last changed this record. */
  seq: number;
}

interface HistoryEntry {
  seq: number;
  ts: number;
  events: ChannelEvent[];
  /** What the entry weighs against `historyMaxBytes` (see `EngineOptions`). */
  bytes: number;
}

class ChannelStore {
  seq = 0;
  /** The channel's series, when it keeps any (fixed for the store's life: the lookup's answer never changes). */
  readonly series: ChannelSeries | undefined;
  readonly records = new Map<string, StoredRecord>();
  /** Deleted id → seq of the deletion, in deletion order; pruned as history moves on. */
  readonly tombstones = new Map<string, number>();
  /** Publishes inside the history window, oldest first (`head` marks the logical start). */
  private history: HistoryEntry[] = [];
  private head = 0;
  /** Highest seq whose publish has left the history window: positions below it can't be recovered. */
  floorSeq = 0;
  /** Sum of the retained entries' `bytes`. */
  private historyBytes = 0;

  constructor(spec: SeriesSpec | undefined, budget: PointBudget) {
    this.series = spec && new ChannelSeries(spec, budget);
  }

  append(entry: HistoryEntry, options: EngineOptions): void {
    this.history.push(entry);
    this.historyBytes += entry.bytes;
    this.prune(entry.ts, options);
  }

  /**
   * Drops publishes beyond the count or byte cap or older than the TTL, oldest first, with the
   * tombstones they covered. A publish heavier than the byte cap on its own leaves at once:
   * its events still go out in deltas, but no resume or snapshot reaches back to it.
   */
  prune(now: number, { historySize, historyTtlMs, historyMaxBytes = Infinity }: EngineOptions): void {
    const oldestAllowed = now - historyTtlMs;
    while (this.head < this.history.length) {
      const entry = this.history[this.head];
      if (this.history.length - this.head <= historySize && entry.ts >= oldestAllowed && this.historyBytes <= historyMaxBytes) break;
      this.floorSeq = entry.seq;
      this.historyBytes -= entry.bytes;
      this.head++;
    }
    // Compact the array now and then instead of shifting on every publish.
    if (this.head > 64 && this.head * 2 > this.history.length) {
      this.history = this.history.slice(this.head);
      this.head = 0;
    }
    for (const [id, seq] of this.tombstones) {
      if (seq > this.floorSeq) break;
      this.tombstones.delete(id);
    }
  }

  /** Time of the retained publish `seq` (entries hold consecutive seqs), or undefined. */
  tsOf(seq: number): number | undefined {
    if (this.head >= this.history.length) return undefined;
    return this.history[this.head + seq - this.history[this.head].seq]?.ts;
  }

  /** Events of the retained publishes after `seq`, oldest first. */
  eventsAfter(seq: number): ChannelEvent[] {
    const events: ChannelEvent[] = [];
    for (let i = this.head; i < this.history.length; i++) {
      const entry = this.history[i];
      if (entry.seq > seq) for (const event of entry.events) events.push(event);
    }
    return events;
  }
}

/** The weight of a publish without events: `[]`. */
const EMPTY_EVENTS_BYTES = 2;

export class MemoryEngine implements Engine {
  readonly kind = 'memory' as const;
  /** Names this engine's history lineage; a restart makes a new one. */
  readonly epoch = `e_${randomBytes(6).toString('base64url')}`;
  private readonly channelStores = new Map<string, Map<string, ChannelStore>>();
  private readonly listeners = new Set<(commit: Commit) => void>();
  /** Points of every channel's series (`seriesMaxPoints`). */
  private readonly seriesBudget: PointBudget;

  constructor(private readonly options: EngineOptions, private readonly now: () => number = Date.now) {
    this.seriesBudget = new PointBudget(options.seriesMaxPoints ?? Infinity);
  }

  /** Points all series hold now, and new series refused by the cap so far. */
  get seriesPoints(): { used: number; max: number; refused: number } {
    return { used: this.seriesBudget.used, max: this.seriesBudget.max, refused: this.seriesBudget.refused };
  }

  async publish(tenant: string, channel: string, input: PublishInput): Promise<Commit> {
    return this.publishSync(tenant, channel, input);
  }

  /**
   * The synchronous core of `publish`: the whole publish happens in one turn, so it is atomic.
   * Everything that can fail (merging, comparing, weighing the events) is computed before the
   * first change is stored, so a publish that throws leaves the channel and its seq as they were.
   */
  publishSync(tenant: string, channel: string, input: PublishInput): Commit {
    const store = this.store(tenant, channel, false);
    const ts = this.now();
    const seq = (store?.seq ?? 0) + 1;
    const changes: RecordChange[] = [];
    // Each id's record as this publish leaves it (undefined: deleted), on top of the stored one.
    const staged = new Map<string, ChannelRecord | undefined>();
    const current = (id: string) => (staged.has(id) ? staged.get(id) : store?.records.get(id)?.record);

    for (const patch of input.upsert ?? []) {
      const before = current(patch.id);
      const after = applyMergePatch(before, patch as Json) as ChannelRecord;
      if (before && jsonEqual(before, after)) continue;
      staged.set(patch.id, after);
      changes.push({ id: patch.id, before, after });
    }
    for (const id of input.delete ?? []) {
      const before = current(id);
      if (!before) continue;
      staged.set(id, undefined);
      changes.push({ id, before, after: undefined });
    }
    const events: ChannelEvent[] = (input.events ?? []).map((event) => ({
      seq,
      ts,
      type: event.type,
      priority: event.priority ?? 'normal',
      ...(event.data === undefined ? {} : { data: event.data }),
    }));
    const bytes = events.length ? Buffer.byteLength(JSON.stringify(events)) : EMPTY_EVENTS_BYTES;

    // Commit: only map updates from here on.
    const target = store ?? this.store(tenant, channel, true)!;
    if (target.series) {
      target.series.sweep(ts);
      for (const [id, record] of staged) target.series.update(ts, id, target.records.get(id)?.record, record);
    }
    for (const [id, record] of staged) {
      if (record) {
        target.records.set(id, { record, seq });
        target.tombstones.delete(id);
      } else {
        target.records.delete(id);
        target.tombstones.set(id, seq);
      }
    }
    target.seq = seq;
    target.append({ seq, ts, events, bytes }, this.options);
    const commit: Commit = { tenant, channel, epoch: this.epoch, seq, ts, changes, events };
    for (const listener of this.listeners) listener(commit);
    return commit;
  }

  async snapshot(tenant: string, channel: string): Promise<ChannelState> {
    return this.snapshotSync(tenant, channel);
  }

  snapshotSync(tenant: string, channel: string): ChannelState {
    const store = this.store(tenant, channel, false);
    if (!store) return { epoch: this.epoch, seq: 0, records: [], events: [] };
    store.prune(this.now(), this.options);
    return {
      epoch: this.epoch,
      seq: store.seq,
      records: Array.from(store.records.values(), (stored) => stored.record),
      events: store.eventsAfter(0),
    };
  }

  async since(tenant: string, channel: string, position: StreamPosition): Promise<Recovery> {
    return this.sinceSync(tenant, channel, position);
  }

  sinceSync(tenant: string, channel: string, { epoch, seq }: StreamPosition): Recovery {
    const store = this.store(tenant, channel, false);
    const current = store?.seq ?? 0;
    if (epoch !== this.epoch || seq > current) return { ok: false, epoch: this.epoch, seq: current };
    if (!store) return { ok: true, epoch: this.epoch, seq: 0, records: [], deleted: [], events: [] };
    store.prune(this.now(), this.options);
    if (seq < store.floorSeq) return { ok: false, epoch: this.epoch, seq: current };

    const records: ChannelRecord[] = [];
    for (const stored of store.records.values()) if (stored.seq > seq) records.push(stored.record);
    const deleted: string[] = [];
    for (const [id, deletedAt] of store.tombstones) if (deletedAt > seq) deleted.push(id);
    const fromTs = seq < current ? store.tsOf(seq + 1) : undefined;
    return { ok: true, epoch: this.epoch, seq: current, records, deleted, events: store.eventsAfter(seq), ...(fromTs === undefined ? {} : { fromTs }) };
  }

  async channels(tenant: string): Promise<ChannelInfo[]> {
    const stores = this.channelStores.get(tenant);
    if (!stores) return [];
    return Array.from(stores, ([channel, store]) => ({ channel, seq: store.seq, records: store.records.size }));
  }

  seriesSpec(tenant: string, channel: string): SeriesSpec | undefined {
    return this.options.series?.seriesFor(tenant, channel);
  }

  async series(tenant: string, channel: string, request?: SeriesRequest): Promise<SeriesResult | null> {
    return this.seriesSync(tenant, channel, request);
  }

  seriesSync(tenant: string, channel: string, request: SeriesRequest = {}): SeriesResult | null {
    const spec = this.seriesSpec(tenant, channel);
    if (!spec) return null;
    const problem = seriesRequestProblem(spec, request);
    if (problem) throw new RangeError(problem);
    const store = this.store(tenant, channel, false);
    const now = this.now();
    const series = store?.series ? store.series.read(now, request) : emptySeries(spec, now, request);
    return { epoch: this.epoch, seq: store?.seq ?? 0, series };
  }

  onCommit(listener: (commit: Commit) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  counters(): EngineCounters {
    return { outages: 0, seqJumps: 0 };
  }

  /** Every commit is delivered already. */
  watch(): undefined {
    return undefined;
  }

  unwatch(): void {}

  /** Nothing is ever missed in one process. */
  onStale(): () => void {
    return () => {};
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Looks a channel up; reading never creates one, so unknown names cost no memory. */
  private store(tenant: string, channel: string, create: boolean): ChannelStore | undefined {
    let stores = this.channelStores.get(tenant);
    if (!stores) {
      if (!create) return undefined;
      stores = new Map();
      this.channelStores.set(tenant, stores);
    }
    let store = stores.get(channel);
    if (!store && create) {
      store = new ChannelStore(this.seriesSpec(tenant, channel), this.seriesBudget);
      stores.set(channel, store);
    }
    return store;
  }
}

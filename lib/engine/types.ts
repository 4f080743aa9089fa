/**
 * The `Engine` owns channel state: records, `seq`/`epoch`, per-record last-change seq,
 * tombstones and event history inside the history window. The hub talks only to this
 * interface, so the in-memory engine (default) and a Redis engine are interchangeable.
 *
 * Records handed out by an engine are immutable: never mutate one, replace it.
 */
import type { ChannelEvent, ChannelRecord, PublishInput, StreamPosition } from '../protocol';
import type { SeriesRequest, SeriesResult } from './series';
import type { SeriesLookup, SeriesSpec } from './series-spec';

/** One record's change in a commit. `after` undefined means the record was deleted. */
export interface RecordChange {
  id: string;
  before: ChannelRecord | undefined;
  after: ChannelRecord | undefined;
}

/** What one atomic publish did, as fan-out needs it. Emitted once per publish, in seq order per channel. */
export interface Commit {
  tenant: string;
  channel: string;
  epoch: string;
  seq: number;
  /** Server time the publish was accepted (ms). */
  ts: number;
  /** Records that changed (upserts that altered something, deletions of existing ids). */
  changes: RecordChange[];
  events: ChannelEvent[];
}

export interface ChannelState {
  epoch: string;
  seq: number;
  records: ChannelRecord[];
  /** Events still in the history window, oldest first. */
  events: ChannelEvent[];
}

/** Everything that happened after a position, when history still reaches back that far. */
export type Recovery =
  | {
      ok: true;
      epoch: string;
      seq: number;
      /** Current version of every record changed after the position. */
      records: ChannelRecord[];
      /** Ids deleted after the position and not re-created since. */
      deleted: string[];
      /** Events after the position, oldest first. */
      events: ChannelEvent[];
      /**
       * Server time (ms) of the first publish after the position; absent when nothing came
       * after it. A recovery's series start at its bucket (`SeriesRequest.from`).
       */
      fromTs?: number;
    }
  | { ok: false; epoch: string; seq: number };

export interface ChannelInfo {
  channel: string;
  seq: number;
  records: number;
}

export interface EngineOptions {
  historySize: number;
  historyTtlMs: number;
  /**
   * Bytes of history kept per channel (`PULSE_HISTORY_MAX_BYTES`); the oldest publishes leave
   * first. A publish weighs the UTF-8 length of its events as one JSON array, the text
   * `[{"seq":…,"ts":…,"type":…,"priority":…,"data":…},…]` (`[]`, 2 bytes, without events).
   * No byte cap when absent.
   */
  historyMaxBytes?: number;
  /**
   * Which channels keep series and how (docs/protocol.md §13, docs/configuration.md): the
   * configuration file's `channels`, then the demo's. No channel keeps any when absent.
   */
  series?: SeriesLookup;
  /**
   * Points (one field of one record in one bucket) all series together may hold
   * (`PULSE_SERIES_MAX_POINTS`): per engine in memory, per Redis with the Redis engine. A new
   * record's series is not started while it would pass the cap; nothing kept is dropped
   * (docs/operations.md, "Series"). No cap when absent.
   */
  seriesMaxPoints?: number;
}

/** Counters an engine keeps about its own health, for `/metrics`. */
export interface EngineCounters {
  /** Times the engine's store became unreachable. */
  outages: number;
  /** Commits that arrived after a gap in seq, repaired from the history. */
  seqJumps: number;
}

export interface Engine {
  readonly kind: 'memory' | 'redis';
  counters(): EngineCounters;
  /** Applies one publish atomically and returns its commit (also emitted to `onCommit` listeners). */
  publish(tenant: string, channel: string, input: PublishInput): Promise<Commit>;
  /** The channel's current state. A channel never published to has seq 0 and no records. */
  snapshot(tenant: string, channel: string): Promise<ChannelState>;
  /** What changed after `position`, or `ok: false` when that cannot be answered exactly. */
  since(tenant: string, channel: string, position: StreamPosition): Promise<Recovery>;
  channels(tenant: string): Promise<ChannelInfo[]>;
  /** The series the channel keeps (docs/protocol.md §13), or `undefined` when it keeps none. */
  seriesSpec(tenant: string, channel: string): SeriesSpec | undefined;
  /**
   * The channel's series as `request` asks (every kept field over the whole window and every
   * record when it asks nothing), with the position they were read at; `null` when the channel
   * keeps none. A request that does not fit the spec (`seriesRequestProblem`) throws a
   * `RangeError`: check it first.
   */
  series(tenant: string, channel: string, request?: SeriesRequest): Promise<SeriesResult | null>;
  /**
   * Commits of watched channels (every channel for the in-memory engine), from this process
   * or, for a shared engine, any other, in seq order per channel. Returns the disposer.
   */
  onCommit(listener: (commit: Commit) => void): () => void;
  /**
   * Starts delivering the channel's commits to `onCommit` listeners: returns a promise that
   * resolves once they flow, or nothing when they flow already. Idempotent. The hub watches a
   * channel while it has subscribers.
   */
  watch(tenant: string, channel: string): Promise<void> | undefined;
  unwatch(tenant: string, channel: string): void;
  /**
   * A watched channel may have moved without its commits reaching `onCommit` (the engine was
   * unreachable, a message was lost) and is now at `position`: its subscribers should catch
   * up from the history.
   */
  onStale(listener: (tenant: string, channel: string, position: StreamPosition) => void): () => void;
  /** Waits (up to `timeoutMs`) until the engine can serve requests; false when it cannot yet. */
  ready(timeoutMs: number): Promise<boolean>;
  /** True while the engine can serve requests. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The engine cannot serve the request now (its store is unreachable). Nothing of the request
 * was applied; the caller may retry later.
 */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}

/**
 * The engine refuses what a request carries: a value past the JSON bounds
 * (docs/operations.md, "Limits"), met by an engine that checks them on its own (the Redis
 * engine's publish script does). `message` names the value and the limit. Nothing of the
 * request was applied.
 */
export class EngineRefusalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineRefusalError';
  }
}

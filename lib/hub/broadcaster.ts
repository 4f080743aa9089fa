/**
 * Fan-out (docs/protocol.md §5, §7, §8, §12). Commits are merged per channel and per record
 * into a batch window; every `batchMs` each window is flushed: per distinct filter the delta
 * is computed once, per (view name, filter, prevSeq) it is serialized once, and the same bytes
 * go to every socket in that group. Subscriptions with a pace (`intervalMs`) are served by
 * paced windows instead (`pace.ts`): each flushed batch window is merged into the pending
 * window of every pace its channel has, which goes out the same way once its interval passed.
 *
 * A subscriber is "aligned" when it is up to date at the window's start; aligned
 * subscribers share the window's delta. Anyone else (just subscribed, resumed, drained after
 * a stall, or behind for any reason) is brought up to date by a catch-up delta computed from
 * the engine's history, after which it is aligned again. One mechanism serves resume,
 * slow consumers and late joiners, and a window that failed to go out.
 *
 * A subscriber's own data (snapshot, recovery delta) is serialized before anything is sent
 * for it, the subscribe `reply` included, so a failure can still be that request's one reply.
 */
import type { Commit, Engine, RecordChange, Recovery } from '../engine/types';
import type { SeriesData, SeriesRequest } from '../engine/series';
import type { SeriesSpec } from '../engine/series-spec';
import type { Logger } from '../log';
import { CloseCode, viewField, type ChannelRecord, type DeltaMessage, type SnapshotMessage, type StreamPosition } from '../protocol';
import type { Connection } from './connection';
import type { HubStats } from './stats';
import { channelKey } from '../protocol/channel';
import { BoundsIndex, boundsOfFilterKey } from './bounds-index';
import { PacedWindows, type PaceGroup } from './pace';
import { readSeries } from './series';
import { EVERY_BATCH, type PaceViews, type Subscription, type SubscriptionIndex, type ViewGroup } from './subscription';
import { encodeDelta, mergeChanges, recoveryDelta, snapshotView, windowDelta, type BatchWindow, type DeltaContent } from './views';

export interface BroadcasterOptions {
  batchMs: number;
  snapshotEvents: number;
  /** Bytes of events a snapshot carries at most (`PULSE_SNAPSHOT_EVENTS_MAX_BYTES`); no cap when absent. */
  snapshotEventsMaxBytes?: number;
  slowConsumerTimeoutMs: number;
  /**
   * How long the latest commit of a channel is remembered once nobody here subscribes to it
   * and nobody publishes to it (default `HEAD_IDLE_MS`).
   */
  headIdleMs?: number;
}

/** A channel's latest commit as seen here, and when it was seen (ms). */
interface Head extends StreamPosition {
  at: number;
}

/** Default of `headIdleMs`: a minute. */
const HEAD_IDLE_MS = 60_000;

/**
 * Distinct views a group of subscriptions needs before its windows consult a `BoundsIndex`:
 * below it, testing every view costs less than collecting the candidates.
 */
const BOUNDS_INDEX_MIN_VIEWS = 8;

/**
 * The first frame a view group makes in a flush: its view name (undefined: the default view),
 * prevSeq and, for subscriptions with series, the flush's `ts`. Nearly every subscriber of a
 * group takes that one, so it is kept as it is (no lookup, and nothing allocated beyond it when
 * every subscriber has a filter of its own); other frames go in a map by `variantKey`.
 */
interface FrameVariant {
  view: string | undefined;
  prevSeq: number;
  withTs: boolean;
  frame: Buffer;
}

/**
 * A view group in a channel's `BoundsIndex`, with the changes of the window being flushed that
 * its box may hold (`routeChanges`): valid while `round` is the index's current round.
 */
interface Routed {
  readonly group: ViewGroup;
  /** False for a group without a box (or with a very large one): it sees every change. */
  boxed: boolean;
  round: number;
  /** Reused from round to round: read within the flush that fills it. */
  readonly changes: RecordChange[];
}

/** The bounds index of a channel's view groups of one pace, and the groups' version it follows. */
interface GroupIndex {
  readonly key: string;
  readonly pace: number;
  readonly index: BoundsIndex<Routed>;
  readonly routed: Map<ViewGroup, Routed>;
  version: number;
  round: number;
}

/** Names a frame of a view other than its first: `ts` or not, prevSeq, view name. */
function variantKey(withTs: boolean, prevSeq: number, view: string | undefined): string {
  return `${withTs ? 't' : '-'}${prevSeq}${view === undefined ? '' : `=${view}`}`;
}

/** A subscriber's own data message, serialized, and the position it brings the subscriber to. */
interface Prepared {
  frame: Buffer;
  epoch: string;
  seq: number;
}

/**
 * Data for a subscriber could not be made (a value JSON cannot carry, or too deep to
 * serialize): not the engine's doing, and trying again will not help while the data stays.
 */
class UnsendableError extends Error {
  constructor(cause: unknown) {
    super('subscriber data could not be serialized', { cause });
    this.name = 'UnsendableError';
  }
}

export class Broadcaster {
  private readonly windows = new Map<string, BatchWindow>();
  /** Pending deltas of the subscriptions with a pace, per channel and pace. */
  private readonly paced = new PacedWindows();
  /**
   * Latest commit seen per channel, to notice a subscriber left behind after a catch-up.
   * Channels nobody watches and nobody publishes to are forgotten after a while (`forgetIdle`).
   */
  private readonly heads = new Map<string, Head>();
  private readonly stalled = new Set<Connection>();
  /**
   * Per channel and pace (`tenant/channel pace`): its view groups indexed by their bounds box.
   * Follows the groups as they come and go (`routeChanges`); dropped with the pace.
   */
  private readonly boundsIndexes = new Map<string, GroupIndex>();
  private timer: NodeJS.Timeout | undefined;
  private sweptAt = 0;

  constructor(
    private readonly engine: Engine,
    private readonly index: SubscriptionIndex,
    private readonly stats: HubStats,
    private readonly options: BroadcasterOptions,
    private readonly log?: Logger,
    /** Runs at the end of every tick (presence flushes on the same beat). */
    private readonly afterTick?: () => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.options.batchMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The series a channel keeps (docs/protocol.md §13), or undefined. */
  seriesSpec(tenant: string, channel: string): SeriesSpec | undefined {
    return this.engine.seriesSpec(tenant, channel);
  }

  /** Number of connections currently held back as slow consumers. */
  get slowConsumers(): number {
    return this.stalled.size;
  }

  /** Channels whose latest commit is remembered here. */
  get trackedChannels(): number {
    return this.heads.size;
  }

  /** Takes one commit into its channel's batch window. */
  ingest(commit: Commit): void {
    const key = channelKey(commit.tenant, commit.channel);
    this.heads.set(key, { epoch: commit.epoch, seq: commit.seq, at: Date.now() });
    let window = this.windows.get(key);
    if (window && (window.epoch !== commit.epoch || window.endSeq + 1 !== commit.seq)) {
      // Out of order or a new lineage: close the window; misaligned subscribers catch up.
      this.flush(window);
      window = undefined;
    }
    if (!window) {
      window = {
        key,
        tenant: commit.tenant,
        channel: commit.channel,
        epoch: commit.epoch,
        startSeq: commit.seq - 1,
        endSeq: commit.seq,
        firstTs: commit.ts,
        changes: new Map(),
        events: [],
      };
      this.windows.set(key, window);
    }
    mergeChanges(window.changes, commit.changes);
    for (const event of commit.events) window.events.push(event);
    window.endSeq = commit.seq;
    if (commit.events.some((event) => event.priority === 'critical')) {
      // A critical event reaches every subscription at once, whatever its pace.
      this.flush(window);
      const now = Date.now();
      for (const group of this.paced.of(key)) this.flushPaced(group, now);
    }
  }

  /** Flushes every pending window and looks after stalled sockets. Runs every `batchMs`. */
  tick(): void {
    const started = performance.now();
    for (const window of [...this.windows.values()]) this.flush(window);
    const now = Date.now();
    for (const group of this.paced.all()) if (this.paced.isDue(group, now)) this.flushPaced(group, now);
    this.paced.sweep((key) => this.index.paces(key));
    for (const [id, { key, pace }] of this.boundsIndexes) if (!this.index.paces(key)?.has(pace)) this.boundsIndexes.delete(id);
    this.serviceStalled(now);
    this.forgetIdle(now);
    this.afterTick?.();
    this.stats.flushes++;
    const elapsedMs = performance.now() - started;
    this.stats.flushSeconds += elapsedMs / 1000;
    this.stats.flushDuration.record(elapsedMs);
  }

  /** Flushes everything now, paced deltas included (graceful shutdown). */
  flushAll(): void {
    for (const window of [...this.windows.values()]) this.flush(window);
    const now = Date.now();
    for (const group of this.paced.all()) this.flushPaced(group, now);
  }

  /**
   * Closes a batch window: the subscriptions without a pace get its delta now, and each pace
   * of the channel takes it into its pending window.
   */
  private flush(window: BatchWindow): void {
    this.windows.delete(window.key);
    const paces = this.index.paces(window.key);
    if (!paces) return;
    for (const pace of paces.keys()) if (pace !== EVERY_BATCH) this.paced.absorb(window, pace);
    const everyBatch = paces.get(EVERY_BATCH);
    if (everyBatch) this.fanOutSafely(window, everyBatch, EVERY_BATCH);
  }

  /** Sends a pace group's pending window to its subscriptions, if it has one. */
  private flushPaced(group: PaceGroup, now: number): void {
    const window = this.paced.take(group, now);
    const views = this.index.paces(group.key)?.get(group.intervalMs);
    if (window && views) this.fanOutSafely(window, views, group.intervalMs);
  }

  /** Fans one window out; one that fails costs its subscribers a resync, never the flush loop. */
  private fanOutSafely(window: BatchWindow, views: PaceViews, pace: number): void {
    try {
      this.fanOut(window, views, pace);
    } catch (error) {
      this.flushFailed(window, subscribersOf(views), error);
    }
  }

  /**
   * A window could not go out (a value that cannot be serialized): counted, logged, and every
   * subscriber it did not reach is brought up to date from the engine (a recovery delta, or a
   * snapshot with `gap: true` where the history no longer reaches), so nobody is left behind
   * in silence while its socket stays open.
   */
  private flushFailed(window: BatchWindow, subscribers: Iterable<Subscription>, error: unknown): void {
    this.stats.flushErrors++;
    this.log?.error({ err: error, tenant: window.tenant, channel: window.channel, seq: window.endSeq }, 'flush failed: resyncing the channel');
    for (const sub of subscribers) {
      if (!sub.busy && (sub.epoch !== window.epoch || sub.syncedSeq < window.endSeq)) void this.catchUp(sub);
    }
  }

  /**
   * One window's delta to the subscribers it serves (all of one pace), computed once per view
   * group: aligned subscribers share it, the others are caught up from the history. Deliveries
   * count in the publish → socket latency only at `EVERY_BATCH` (a paced delta waits on
   * purpose). A group found by its bounds box (`routeChanges`) is computed over the changes its
   * box may hold only, and one that none reach sees nothing change: exactly the delta of every
   * change, which the others could not enter.
   */
  private fanOut(window: BatchWindow, views: PaceViews, pace: number): void {
    const recordLatency = pace === EVERY_BATCH;
    const routes = this.routeChanges(window, views, pace);
    const patches = new Map<RecordChange, ChannelRecord | null>();
    // The JSON of upsert entries the views share, serialized once for every frame of this flush.
    const fragments = new Map<object, string>();
    // The flush's time, carried by the deltas of subscriptions with series (docs/protocol.md §13).
    const ts = Date.now();
    let delivered = 0;
    for (const group of views.groups.values()) {
      // Computed for the group's first aligned subscriber; null when nothing visible changed.
      let content: DeltaContent | null | undefined;
      let first: FrameVariant | undefined;
      let others: Map<string, Buffer> | undefined;
      for (const sub of group.subscribers) {
        if (sub.busy) continue;
        if (sub.epoch !== window.epoch || sub.syncedSeq !== window.startSeq) {
          if (sub.epoch !== window.epoch || sub.syncedSeq < window.endSeq) void this.catchUp(sub);
          continue;
        }
        const connection = sub.connection;
        if (connection.stalledSince !== null) continue;
        if (!connection.canTakeMore()) {
          this.stall(connection);
          continue;
        }
        if (content === undefined) {
          const changes = routes === null ? window.changes.values() : this.routedChanges(routes, group, window);
          content = changes === null ? null : windowDelta(changes, window.events, group.filter, patches);
        }
        if (content === null) {
          sub.syncedSeq = window.endSeq;
          continue;
        }
        const withTs = sub.series !== undefined;
        let frame: Buffer | undefined;
        if (first !== undefined && first.withTs === withTs && first.prevSeq === sub.sentSeq && first.view === sub.view) {
          frame = first.frame;
        } else {
          const key = first === undefined ? '' : variantKey(withTs, sub.sentSeq, sub.view);
          frame = others?.get(key);
          if (frame === undefined) {
            frame = encodeDelta(window.channel, sub.view, window.epoch, sub.sentSeq, window.endSeq, content, withTs ? ts : undefined, fragments);
            if (first === undefined) first = { view: sub.view, prevSeq: sub.sentSeq, withTs, frame };
            else (others ??= new Map()).set(key, frame);
          }
        }
        connection.sendFrame(frame);
        sub.sentSeq = sub.syncedSeq = window.endSeq;
        delivered++;
      }
    }
    if (delivered && recordLatency) this.stats.latency.record(Date.now() - window.firstTs, delivered);
  }

  /**
   * The changes of the window a group is computed over: those its box may hold when the index
   * routes it (null when none), every change otherwise (no box, or a very large one).
   */
  private routedChanges(routes: GroupIndex, group: ViewGroup, window: BatchWindow): Iterable<RecordChange> | null {
    const routed = routes.routed.get(group);
    if (routed === undefined || !routed.boxed) return window.changes.values();
    return routed.round === routes.round ? routed.changes : null;
  }

  /**
   * Routes the changes of a window without events to the view groups (of one channel and one
   * pace) whose bounds box may see them: those whose record is in the box before or after the
   * window (a record leaving a box is deleted, one entering arrives whole), in window order;
   * `routedChanges` reads the result. Null when every group is to be computed over every
   * change: a window with events (a view's events filter decides those), a pace with few
   * distinct views, or a position off the grid. The index follows the groups as they come
   * (`PaceViews.version`), and is rebuilt once it holds as many again that are gone.
   */
  private routeChanges(window: BatchWindow, views: PaceViews, pace: number): GroupIndex | null {
    if (window.events.length > 0 || views.groups.size < BOUNDS_INDEX_MIN_VIEWS) return null;
    const id = `${window.key} ${pace}`;
    let entry = this.boundsIndexes.get(id);
    if (entry === undefined || entry.routed.size > 2 * views.groups.size) {
      entry = { key: window.key, pace, index: new BoundsIndex<Routed>(), routed: new Map(), version: -1, round: 0 };
      this.boundsIndexes.set(id, entry);
    }
    if (entry.version !== views.version) {
      for (const group of views.groups.values()) {
        if (entry.routed.has(group)) continue;
        const routed: Routed = { group, boxed: false, round: -1, changes: [] };
        entry.routed.set(group, routed);
        entry.index.add(routed, boundsOfFilterKey(group.filter.key));
        routed.boxed = entry.index.routes(routed);
      }
      entry.version = views.version;
    }
    const round = ++entry.round;
    let current: RecordChange;
    const take = (routed: Routed) => {
      if (routed.round !== round) {
        routed.round = round;
        // Emptied in place: cheaper than an array per group per flush.
        routed.changes.length = 0;
        routed.changes.push(current);
      } else if (routed.changes[routed.changes.length - 1] !== current) {
        routed.changes.push(current);
      }
    };
    for (current of window.changes.values()) {
      if (!entry.index.visitChange(current.before, current.after, take)) return null;
    }
    return entry;
  }

  /**
   * First state for a new subscription: a recovery delta when `since` can be answered
   * exactly, otherwise a snapshot (`gap: true` when a `since` was given). `reply` is called
   * first, with the subscribe reply's fields, so the reply precedes the data.
   */
  async initialize(sub: Subscription, since: StreamPosition | undefined, reply: (recovered: boolean) => void): Promise<void> {
    sub.busy = true;
    try {
      // Commits must flow before the first state is read, or one could fall in between.
      const watching = this.engine.watch(sub.tenant, sub.channel);
      if (watching) await watching;
      if (since) {
        const recovery = await this.engine.since(sub.tenant, sub.channel, since);
        if (!sub.active) return;
        if (recovery.ok) {
          const series = await this.recoverySeries(sub, recovery);
          if (!sub.active) return;
          const prepared = this.prepareRecovery(sub, since.seq, recovery, series);
          reply(true);
          this.deliver(sub, prepared);
          return;
        }
      }
      const state = await this.engine.snapshot(sub.tenant, sub.channel);
      const series = await this.snapshotSeries(sub, state);
      if (!sub.active) return;
      const prepared = this.prepareSnapshot(sub, state, since !== undefined, series);
      reply(false);
      this.deliver(sub, prepared);
    } finally {
      sub.busy = false;
      this.reconcile(sub);
    }
  }

  /** A fresh snapshot (`gap: false`) for `resync`; `reply` precedes it. */
  async resync(sub: Subscription, reply: () => void): Promise<void> {
    sub.busy = true;
    try {
      const state = await this.engine.snapshot(sub.tenant, sub.channel);
      const series = await this.snapshotSeries(sub, state);
      if (!sub.active) return;
      const prepared = this.prepareSnapshot(sub, state, false, series);
      reply();
      this.deliver(sub, prepared);
    } finally {
      sub.busy = false;
      this.reconcile(sub);
    }
  }

  /** Brings a subscriber that is not aligned with the fan-out up to date. */
  private async catchUp(sub: Subscription): Promise<void> {
    if (sub.busy || !sub.active || sub.connection.stalledSince !== null) return;
    sub.busy = true;
    let done = false;
    try {
      await this.bringUpToDate(sub);
      done = true;
    } catch (error) {
      if (error instanceof UnsendableError) return this.unsendable(sub, error);
      // The engine is unreachable: the subscriber keeps what it has, and the engine reports
      // the channel stale once it is back, which brings the subscriber up to date then.
      this.log?.debug({ err: error, ...sub.connection.logContext, channel: sub.channel }, 'catch-up deferred');
    } finally {
      sub.busy = false;
    }
    if (done) this.reconcile(sub);
  }

  private async bringUpToDate(sub: Subscription): Promise<void> {
    const from = sub.sentSeq;
    const recovery = await this.engine.since(sub.tenant, sub.channel, { epoch: sub.epoch, seq: from });
    if (!sub.active) return;
    // Catch-ups are data like deltas: a socket over the limit gets none, and the rest of its
    // subscriptions catch up on the next drain.
    if (!sub.connection.canTakeMore()) return this.stall(sub.connection);
    if (recovery.ok && recovery.epoch === sub.epoch && recovery.seq === from) {
      sub.syncedSeq = from;
    } else if (recovery.ok) {
      const series = await this.recoverySeries(sub, recovery);
      if (sub.active) this.deliver(sub, this.prepareRecovery(sub, from, recovery, series));
    } else {
      const state = await this.engine.snapshot(sub.tenant, sub.channel);
      const series = await this.snapshotSeries(sub, state);
      if (sub.active) this.deliver(sub, this.prepareSnapshot(sub, state, true, series));
    }
  }

  /**
   * A catch-up that cannot be serialized will not succeed by retrying while the channel holds
   * the value: the connection is closed with 1011 (reconnect with backoff) rather than left
   * open and silently behind.
   */
  private unsendable(sub: Subscription, error: UnsendableError): void {
    this.stats.flushErrors++;
    this.log?.error({ err: error.cause, ...sub.connection.logContext, channel: sub.channel }, 'catch-up failed: closing the connection');
    sub.connection.close(CloseCode.INTERNAL_ERROR, 'internal error');
  }

  /**
   * The engine says a channel moved to `position` without (all of) its commits reaching
   * `ingest`: subscribers behind it catch up from the history.
   */
  stale(key: string, position: StreamPosition): void {
    const head = this.heads.get(key);
    if (!head || head.epoch !== position.epoch || head.seq < position.seq) this.heads.set(key, { epoch: position.epoch, seq: position.seq, at: Date.now() });
    const subscribers = this.index.of(key);
    if (subscribers) for (const sub of subscribers) if (!sub.busy) this.reconcile(sub);
  }

  /**
   * After a catch-up: if commits went by meanwhile and no window will carry them, catch up
   * again. For a subscription with a pace, its pace's pending window carries them too (the
   * batch window goes into it, and it brings along whoever it finds behind).
   */
  private reconcile(sub: Subscription): void {
    if (!sub.active || sub.connection.stalledSince !== null) return;
    const head = this.heads.get(sub.key);
    if (!head || (head.epoch === sub.epoch && head.seq <= sub.syncedSeq)) return;
    if (carries(this.windows.get(sub.key), sub)) return;
    if (sub.intervalMs !== undefined && carries(this.paced.pending(sub.key, sub.intervalMs), sub)) return;
    void this.catchUp(sub);
  }

  /**
   * The series a snapshot of `state` carries for a subscription with series: its visible
   * records' (docs/protocol.md §13). Read after the state, so it may show a later value: the
   * deltas that follow bring the records there too.
   */
  private async snapshotSeries(sub: Subscription, state: Awaited<ReturnType<Engine['snapshot']>>): Promise<SeriesData | undefined> {
    if (!sub.series) return undefined;
    const visible = new Set<string>();
    for (const record of state.records) if (sub.filter.matches(record)) visible.add(record.id);
    return (await readSeries(this.engine, sub.tenant, sub.channel, sub.series, visible))?.series;
  }

  /**
   * The series a recovery delta carries for a subscription with series: from the bucket of the
   * first publish it missed (the current bucket when it missed none), for every record visible
   * now, changed or not (a filter is tested on the records as they are now).
   */
  private async recoverySeries(sub: Subscription, recovery: Extract<Recovery, { ok: true }>): Promise<SeriesData | undefined> {
    if (!sub.series) return undefined;
    let records: SeriesRequest['records'];
    if (sub.filter.key !== '') {
      const state = await this.engine.snapshot(sub.tenant, sub.channel);
      const visible = new Set<string>();
      for (const record of state.records) if (sub.filter.matches(record)) visible.add(record.id);
      records = visible;
    }
    const from = recovery.fromTs ?? Date.now();
    return (await readSeries(this.engine, sub.tenant, sub.channel, sub.series, records, from))?.series;
  }

  /** The recovery delta from `prevSeq`, serialized. Throws `UnsendableError`. */
  private prepareRecovery(sub: Subscription, prevSeq: number, recovery: Extract<Recovery, { ok: true }>, series?: SeriesData): Prepared {
    return prepared(recovery.epoch, recovery.seq, () => ({
      ...deltaMessage(sub.channel, sub.view, recovery.epoch, prevSeq, recovery.seq, recoveryDelta(recovery, sub.filter), sub.series ? Date.now() : undefined),
      recovery: true,
      ...(series ? { series } : {}),
    }));
  }

  /** A snapshot of `state` as the subscriber's view sees it, serialized. Throws `UnsendableError`. */
  private prepareSnapshot(sub: Subscription, state: Awaited<ReturnType<Engine['snapshot']>>, gap: boolean, series?: SeriesData): Prepared {
    return prepared(state.epoch, state.seq, (): SnapshotMessage => {
      const view = snapshotView(state, sub.filter, this.options.snapshotEvents, this.options.snapshotEventsMaxBytes);
      return {
        type: 'snapshot',
        channel: sub.channel,
        ...viewField(sub.view),
        epoch: state.epoch,
        seq: state.seq,
        records: view.records,
        events: view.events,
        gap,
        ...(series ? { series } : {}),
      };
    });
  }

  private deliver(sub: Subscription, { frame, epoch, seq }: Prepared): void {
    sub.connection.sendFrame(frame);
    sub.epoch = epoch;
    sub.sentSeq = sub.syncedSeq = seq;
  }

  /** Holds a connection back: no deltas or catch-ups until its socket drains. Idempotent. */
  stall(connection: Connection): void {
    if (connection.stalledSince !== null) return;
    connection.stalledSince = Date.now();
    this.stalled.add(connection);
    this.stats.slowConsumerEvents++;
    this.log?.warn({ ...connection.logContext, bufferedBytes: connection.bufferedBytes }, 'slow consumer held back');
  }

  /** Drained sockets catch up; sockets stalled for too long are closed with 1013. */
  private serviceStalled(now: number): void {
    for (const connection of this.stalled) {
      if (!connection.isOpen) {
        this.stalled.delete(connection);
        connection.drained();
      } else if (connection.canTakeMore(true)) {
        connection.stalledSince = null;
        this.stalled.delete(connection);
        // The peer acknowledged what was buffered: that is a sign of life as good as a pong,
        // which may still sit unread behind the input we paused.
        connection.lastActivityAt = now;
        connection.drained();
        for (const sub of connection.subscriptions.values()) void this.catchUp(sub);
      } else if (now - connection.stalledSince! >= this.options.slowConsumerTimeoutMs) {
        this.stalled.delete(connection);
        this.log?.warn(connection.logContext, 'slow consumer closed');
        // Reading resumes so the peer's answer to the close frame can be seen.
        connection.drained();
        connection.close(CloseCode.TRY_AGAIN_LATER, 'slow consumer');
      }
    }
  }

  /**
   * Forgets the heads of channels that nobody here subscribes to and that saw no commit for
   * `headIdleMs`, so the map holds the channels in use rather than every channel ever seen.
   * A head matters only to subscribers, and a new subscriber reads its first state from the
   * engine; looked at every half `headIdleMs`.
   */
  private forgetIdle(now: number): void {
    const idleMs = this.options.headIdleMs ?? HEAD_IDLE_MS;
    if (now - this.sweptAt < idleMs / 2) return;
    this.sweptAt = now;
    for (const [key, head] of this.heads) {
      if (now - head.at >= idleMs && !this.index.of(key) && !this.windows.has(key) && !this.paced.has(key)) this.heads.delete(key);
    }
  }
}

/** A delta; `ts` (the flush's time) only for a subscription with series (docs/protocol.md §13). */
function deltaMessage(channel: string, view: string | undefined, epoch: string, prevSeq: number, seq: number, content: DeltaContent, ts?: number): DeltaMessage {
  return { type: 'delta', channel, ...viewField(view), epoch, prevSeq, seq, ...(ts === undefined ? {} : { ts }), ...content };
}

/** Every subscription of a pace, group after group. */
function* subscribersOf(views: PaceViews): Generator<Subscription> {
  for (const group of views.groups.values()) yield* group.subscribers;
}

/** Whether `window` will bring `sub` up to date when it goes out (it starts at or before where `sub` is). */
function carries(window: BatchWindow | null | undefined, sub: Subscription): boolean {
  return window !== null && window !== undefined && window.epoch === sub.epoch && window.startSeq <= sub.syncedSeq;
}

function encode(message: DeltaMessage | SnapshotMessage): Buffer {
  return Buffer.from(JSON.stringify(message));
}

function prepared(epoch: string, seq: number, message: () => DeltaMessage | SnapshotMessage): Prepared {
  try {
    return { frame: encode(message()), epoch, seq };
  } catch (error) {
    throw new UnsendableError(error);
  }
}

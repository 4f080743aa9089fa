/**
 * Fan-out (docs/protocol.md §5, §7, §8). Commits are merged per channel and per record into a
 * batch window; every `batchMs` each window is flushed: per distinct view (channel + filter)
 * the delta is computed once, per (view, prevSeq) it is serialized once, and the same bytes
 * go to every socket in that group.
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
import type { Logger } from '../log';
import { CloseCode, type ChannelEvent, type DeltaMessage, type SnapshotMessage, type StreamPosition } from '../protocol';
import type { Connection } from './connection';
import type { HubStats } from './stats';
import { channelKey } from '../protocol/channel';
import type { Subscription, SubscriptionIndex } from './subscription';
import { recoveryDelta, snapshotView, windowDelta, type DeltaContent } from './views';

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

interface BatchWindow {
  key: string;
  tenant: string;
  channel: string;
  epoch: string;
  /** Seq every aligned subscriber is at when the window opened. */
  startSeq: number;
  endSeq: number;
  /** Time the first publish of the window was accepted. */
  firstTs: number;
  /** Per record: its state at the window's start and now. */
  changes: Map<string, RecordChange>;
  events: ChannelEvent[];
}

/** One view's share of a flush: its delta (null when nothing visible changed) and its frame per prevSeq. */
interface ViewOutput {
  content: DeltaContent | null;
  frames: Map<number, Buffer>;
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
  /**
   * Latest commit seen per channel, to notice a subscriber left behind after a catch-up.
   * Channels nobody watches and nobody publishes to are forgotten after a while (`forgetIdle`).
   */
  private readonly heads = new Map<string, Head>();
  private readonly stalled = new Set<Connection>();
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
      this.flushSafely(window);
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
    for (const change of commit.changes) {
      const pending = window.changes.get(change.id);
      if (pending) pending.after = change.after;
      else window.changes.set(change.id, { id: change.id, before: change.before, after: change.after });
    }
    for (const event of commit.events) window.events.push(event);
    window.endSeq = commit.seq;
    if (commit.events.some((event) => event.priority === 'critical')) this.flushSafely(window);
  }

  /** Flushes every pending window and looks after stalled sockets. Runs every `batchMs`. */
  tick(): void {
    const started = performance.now();
    this.flushAll();
    const now = Date.now();
    this.serviceStalled(now);
    this.forgetIdle(now);
    this.afterTick?.();
    this.stats.flushes++;
    const elapsedMs = performance.now() - started;
    this.stats.flushSeconds += elapsedMs / 1000;
    this.stats.flushDuration.record(elapsedMs);
  }

  /** Flushes everything now (graceful shutdown). */
  flushAll(): void {
    for (const window of [...this.windows.values()]) this.flushSafely(window);
  }

  /** Flushes one window; one that fails costs its channel a resync, never the flush loop. */
  private flushSafely(window: BatchWindow): void {
    try {
      this.flush(window);
    } catch (error) {
      this.flushFailed(window, error);
    }
  }

  /**
   * A window could not go out (a value that cannot be serialized): counted, logged, and every
   * subscriber it did not reach is brought up to date from the engine (a recovery delta, or a
   * snapshot with `gap: true` where the history no longer reaches), so nobody is left behind
   * in silence while its socket stays open.
   */
  private flushFailed(window: BatchWindow, error: unknown): void {
    this.stats.flushErrors++;
    this.log?.error({ err: error, tenant: window.tenant, channel: window.channel, seq: window.endSeq }, 'flush failed: resyncing the channel');
    const subscribers = this.index.of(window.key);
    if (!subscribers) return;
    for (const sub of subscribers) {
      if (!sub.busy && (sub.epoch !== window.epoch || sub.syncedSeq < window.endSeq)) void this.catchUp(sub);
    }
  }

  private flush(window: BatchWindow): void {
    this.windows.delete(window.key);
    const subscribers = this.index.of(window.key);
    if (!subscribers) return;
    const views = new Map<string, ViewOutput>();
    let delivered = 0;
    for (const sub of subscribers) {
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
      let view = views.get(sub.filter.key);
      if (!view) {
        view = { content: windowDelta(window.changes.values(), window.events, sub.filter), frames: new Map() };
        views.set(sub.filter.key, view);
      }
      if (view.content === null) {
        sub.syncedSeq = window.endSeq;
        continue;
      }
      let frame = view.frames.get(sub.sentSeq);
      if (!frame) {
        frame = encode(deltaMessage(window.channel, window.epoch, sub.sentSeq, window.endSeq, view.content));
        view.frames.set(sub.sentSeq, frame);
      }
      connection.sendFrame(frame);
      sub.sentSeq = sub.syncedSeq = window.endSeq;
      delivered++;
    }
    if (delivered) this.stats.latency.record(Date.now() - window.firstTs, delivered);
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
          const prepared = this.prepareRecovery(sub, since.seq, recovery);
          reply(true);
          this.deliver(sub, prepared);
          return;
        }
      }
      const state = await this.engine.snapshot(sub.tenant, sub.channel);
      if (!sub.active) return;
      const prepared = this.prepareSnapshot(sub, state, since !== undefined);
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
      if (!sub.active) return;
      const prepared = this.prepareSnapshot(sub, state, false);
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
      this.deliver(sub, this.prepareRecovery(sub, from, recovery));
    } else {
      const state = await this.engine.snapshot(sub.tenant, sub.channel);
      if (sub.active) this.deliver(sub, this.prepareSnapshot(sub, state, true));
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

  /** After a catch-up: if commits went by meanwhile and no window will carry them, catch up again. */
  private reconcile(sub: Subscription): void {
    if (!sub.active || sub.connection.stalledSince !== null) return;
    const head = this.heads.get(sub.key);
    if (!head || (head.epoch === sub.epoch && head.seq <= sub.syncedSeq)) return;
    const window = this.windows.get(sub.key);
    if (window && window.epoch === sub.epoch && window.startSeq <= sub.syncedSeq) return;
    void this.catchUp(sub);
  }

  /** The recovery delta from `prevSeq`, serialized. Throws `UnsendableError`. */
  private prepareRecovery(sub: Subscription, prevSeq: number, recovery: Extract<Recovery, { ok: true }>): Prepared {
    return prepared(recovery.epoch, recovery.seq, () => ({
      ...deltaMessage(sub.channel, recovery.epoch, prevSeq, recovery.seq, recoveryDelta(recovery, sub.filter)),
      recovery: true,
    }));
  }

  /** A snapshot of `state` as the subscriber's view sees it, serialized. Throws `UnsendableError`. */
  private prepareSnapshot(sub: Subscription, state: Awaited<ReturnType<Engine['snapshot']>>, gap: boolean): Prepared {
    return prepared(state.epoch, state.seq, (): SnapshotMessage => {
      const view = snapshotView(state, sub.filter, this.options.snapshotEvents, this.options.snapshotEventsMaxBytes);
      return { type: 'snapshot', channel: sub.channel, epoch: state.epoch, seq: state.seq, records: view.records, events: view.events, gap };
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
      if (now - head.at >= idleMs && !this.index.of(key) && !this.windows.has(key)) this.heads.delete(key);
    }
  }
}

function deltaMessage(channel: string, epoch: string, prevSeq: number, seq: number, content: DeltaContent): DeltaMessage {
  return { type: 'delta', channel, epoch, prevSeq, seq, ...content };
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

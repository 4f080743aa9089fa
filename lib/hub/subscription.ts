/**
 * Subscriptions, indexed both ways: channel → subscriptions for fan-out (and, within a channel,
 * by pace and then by filter, so each flush touches only the subscriptions it serves and finds
 * the subscribers of one view together), and connection →
 * subscriptions (on the connection) so a disconnect costs only its own.
 *
 * A subscription is named by its channel and its view (docs/protocol.md §12): a connection
 * holds at most one per (channel, view), and a subscribe to a held pair replaces it.
 */
import type { CompiledFilter } from './filter';
import type { Connection } from './connection';
import type { SeriesSelection } from './series';

/** The pace of subscriptions without `intervalMs`: a delta at every batch flush. */
export const EVERY_BATCH = 0;

/** What a subscribe asked for beyond its channel and filter. */
export interface SubscriptionOptions {
  /** Asked to see who is watching (`presence: true`). */
  presence?: boolean;
  /** Size of the filter as the client sent it (bytes of JSON), counted against the connection's filter budget. */
  filterBytes?: number;
  /** The view's name; undefined for the channel's default view. */
  view?: string;
  /** At most one delta per this many ms; undefined for a delta at every batch. */
  intervalMs?: number;
  /** The series it receives (docs/protocol.md §13); undefined: none asked, or none kept. */
  series?: SeriesSelection;
}

/** The name of a (channel, view) pair among one connection's subscriptions: the channel alone for the default view. */
export function subscriptionId(channel: string, view: string | undefined): string {
  // View and channel names never hold a space, so the pair is unambiguous.
  return view === undefined ? channel : `${channel} ${view}`;
}

export class Subscription {
  /** Seq of the last snapshot or delta sent: the next delta's `prevSeq`. */
  sentSeq = 0;
  /** Seq up to which this subscriber is up to date (deltas with nothing visible advance it silently). */
  syncedSeq = 0;
  epoch = '';
  /** True while an initial snapshot, a resume or a catch-up is being computed: fan-out skips it. */
  busy = true;
  /** False once unsubscribed, replaced or disconnected. */
  active = true;
  /** Counted in the channel's presence. */
  present = false;
  /** Receives presence once its first data went out. */
  presenceReady = false;
  /** Asked to see who is watching (`presence: true`). */
  readonly presence: boolean;
  /** Size of the filter as the client sent it (bytes of JSON), counted against the connection's filter budget. */
  readonly filterBytes: number;
  /** The view's name, carried by every message about this subscription; undefined for the default view. */
  readonly view: string | undefined;
  /** At most one delta per this many ms; undefined: every batch. */
  readonly intervalMs: number | undefined;
  /** The series its snapshots and recovery deltas carry, and whose deltas carry `ts`; undefined: none. */
  readonly series: SeriesSelection | undefined;
  /** Its name among the connection's subscriptions (`subscriptionId`). */
  readonly id: string;

  constructor(
    readonly connection: Connection,
    readonly tenant: string,
    readonly channel: string,
    readonly key: string,
    readonly filter: CompiledFilter,
    options: SubscriptionOptions = {},
  ) {
    this.presence = options.presence ?? false;
    this.filterBytes = options.filterBytes ?? 0;
    this.view = options.view;
    this.intervalMs = options.intervalMs;
    this.series = options.series;
    this.id = subscriptionId(channel, options.view);
  }

  /** The pace group it belongs to within its channel: `intervalMs`, or `EVERY_BATCH`. */
  get pace(): number {
    return this.intervalMs ?? EVERY_BATCH;
  }
}

/**
 * The subscriptions of one channel and pace that share a filter: the broadcaster computes their
 * delta once per window (docs/protocol.md §12, "byte-identical deltas per group").
 */
export class ViewGroup {
  readonly subscribers = new Set<Subscription>();

  constructor(readonly filter: CompiledFilter) {}
}

/** A channel's subscriptions of one pace, grouped by filter. */
export class PaceViews {
  /** Filter key → the group of subscriptions with that filter. */
  readonly groups = new Map<string, ViewGroup>();
  /** Subscriptions in all groups. */
  size = 0;
  /** Changes whenever a group is made or dropped, so that indexes over the groups know to follow. */
  version = 0;
}

export class SubscriptionIndex {
  private readonly byChannel = new Map<string, Set<Subscription>>();
  /** Per channel key, per pace (`EVERY_BATCH` or `intervalMs`): that channel's subscriptions of that pace, by filter. */
  private readonly byPace = new Map<string, Map<number, PaceViews>>();
  private count = 0;

  /** `onRemoved` is called for every subscription removed, `last` true when the channel has no other. */
  constructor(private readonly onRemoved?: (sub: Subscription, last: boolean) => void) {}

  get size(): number {
    return this.count;
  }

  get channelCount(): number {
    return this.byChannel.size;
  }

  /** Every subscription to a channel, by channel key. */
  of(key: string): ReadonlySet<Subscription> | undefined {
    return this.byChannel.get(key);
  }

  /** A channel's subscriptions by pace (`EVERY_BATCH` or `intervalMs`) and filter; no empty pace or group is kept. */
  paces(key: string): ReadonlyMap<number, PaceViews> | undefined {
    return this.byPace.get(key);
  }

  /** Subscriptions per channel key (every view counts). */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [key, set] of this.byChannel) counts[key] = set.size;
    return counts;
  }

  /** Adds `sub`, replacing the connection's previous subscription to the same (channel, view). */
  add(sub: Subscription): void {
    const previous = sub.connection.subscriptions.get(sub.id);
    if (previous) this.remove(previous);
    let set = this.byChannel.get(sub.key);
    if (!set) this.byChannel.set(sub.key, (set = new Set()));
    set.add(sub);
    let paces = this.byPace.get(sub.key);
    if (!paces) this.byPace.set(sub.key, (paces = new Map()));
    let views = paces.get(sub.pace);
    if (!views) paces.set(sub.pace, (views = new PaceViews()));
    let group = views.groups.get(sub.filter.key);
    if (!group) {
      views.groups.set(sub.filter.key, (group = new ViewGroup(sub.filter)));
      views.version++;
    }
    group.subscribers.add(sub);
    views.size++;
    sub.connection.subscriptions.set(sub.id, sub);
    this.count++;
  }

  remove(sub: Subscription): void {
    if (!sub.active) return;
    sub.active = false;
    const set = this.byChannel.get(sub.key);
    if (set?.delete(sub)) {
      this.count--;
      if (set.size === 0) this.byChannel.delete(sub.key);
      const paces = this.byPace.get(sub.key)!;
      const views = paces.get(sub.pace)!;
      const group = views.groups.get(sub.filter.key)!;
      group.subscribers.delete(sub);
      views.size--;
      if (group.subscribers.size === 0) {
        views.groups.delete(sub.filter.key);
        views.version++;
      }
      if (views.size === 0) paces.delete(sub.pace);
      if (paces.size === 0) this.byPace.delete(sub.key);
      this.onRemoved?.(sub, set.size === 0);
    }
    if (sub.connection.subscriptions.get(sub.id) === sub) sub.connection.subscriptions.delete(sub.id);
  }

  removeAll(connection: Connection): void {
    for (const sub of [...connection.subscriptions.values()]) this.remove(sub);
  }
}

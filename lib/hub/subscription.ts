/**
 * Subscriptions, indexed both ways: channel → subscriptions for fan-out, and
 * connection → subscriptions (on the connection) so a disconnect costs only its own.
 */
import type { CompiledFilter } from './filter';
import type { Connection } from './connection';

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

  constructor(
    readonly connection: Connection,
    readonly tenant: string,
    readonly channel: string,
    readonly key: string,
    readonly filter: CompiledFilter,
    /** Asked to see who is watching (`presence: true`). */
    readonly presence = false,
    /** Size of the filter as the client sent it (bytes of JSON), counted against the connection's filter budget. */
    readonly filterBytes = 0,
  ) {}
}

export class SubscriptionIndex {
  private readonly byChannel = new Map<string, Set<Subscription>>();
  private count = 0;

  /** `onRemoved` is called for every subscription removed, `last` true when the channel has no other. */
  constructor(private readonly onRemoved?: (sub: Subscription, last: boolean) => void) {}

  get size(): number {
    return this.count;
  }

  get channelCount(): number {
    return this.byChannel.size;
  }

  of(key: string): ReadonlySet<Subscription> | undefined {
    return this.byChannel.get(key);
  }

  /** Subscribers per channel key. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [key, set] of this.byChannel) counts[key] = set.size;
    return counts;
  }

  /** Adds `sub`, replacing the connection's previous subscription to the same channel. */
  add(sub: Subscription): void {
    const previous = sub.connection.subscriptions.get(sub.channel);
    if (previous) this.remove(previous);
    let set = this.byChannel.get(sub.key);
    if (!set) this.byChannel.set(sub.key, (set = new Set()));
    set.add(sub);
    sub.connection.subscriptions.set(sub.channel, sub);
    this.count++;
  }

  remove(sub: Subscription): void {
    if (!sub.active) return;
    sub.active = false;
    const set = this.byChannel.get(sub.key);
    if (set?.delete(sub)) {
      this.count--;
      if (set.size === 0) this.byChannel.delete(sub.key);
      this.onRemoved?.(sub, set.size === 0);
    }
    if (sub.connection.subscriptions.get(sub.channel) === sub) sub.connection.subscriptions.delete(sub.channel);
  }

  removeAll(connection: Connection): void {
    for (const sub of [...connection.subscriptions.values()]) this.remove(sub);
  }
}

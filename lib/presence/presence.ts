/**
 * Presence (docs/protocol.md, "Presence"): who is watching each channel. Every subscription
 * counts, whether or not it asked to see presence; all of one user's subscriptions to a
 * channel (several tabs) count as one user, and a user's `connections` counts connections,
 * not views: one connection watching a channel through three views (docs/protocol.md §12) is
 * one. A user whose last subscription here goes keeps this instance's share for `graceMs`, so
 * a reload or a reconnect does not flap.
 *
 * Two layers. The *local* one counts this instance's subscriptions per user and channel and
 * says when this instance's share of a user starts, changes or ends. The *view* holds every
 * instance's shares (just this one's in a single process; with Redis, the others' arrive
 * through the `PresenceReplication`), versioned per instance and user so that updates applied
 * in any order converge, and turns changes of the aggregate into joins and leaves.
 *
 * Joins and leaves are flushed on the broadcaster's tick: one `presence_diff` per channel,
 * serialized once per view name (the message carries its view), written to every
 * subscription here that asked for presence. Past
 * `maxUsers` users a channel sends counts only, so a crowded channel costs nothing per viewer
 * for the others.
 */
import type { PresenceDiffMessage, PresenceMessage, PresenceUser } from '../protocol';
import type { PresenceEntry, PresenceReplica, PresenceReplication, PresenceShare, PresenceWatcher } from './types';

export type { PresenceEntry, PresenceReplica, PresenceReplication, PresenceShare, PresenceWatcher } from './types';

export interface PresenceOptions {
  graceMs: number;
  maxUsers: number;
}

/** What presence needs from the hub that hosts it, and nothing more. */
export interface PresenceHost<W extends PresenceWatcher> {
  /** This instance's id: its own shares are filed under it. */
  readonly instance: string;
  /** How shares travel between instances (`localReplication` alone). */
  readonly replication: PresenceReplication;
  /** The subscriptions to a channel here, by channel key. */
  watchers(key: string): Iterable<W> | undefined;
  /** Whether a watcher's socket takes more frames now; one that does not gets the whole list once it does. */
  canSend(watcher: W): boolean;
  send(watcher: W, frame: Buffer): void;
  now?(): number;
}

interface LocalMember extends PresenceEntry {
  user: string;
  /** The user's connections watching the channel here, each with how many of its subscriptions (views) do; `connections` is its size. */
  holders: Map<object, number>;
  leaveTimer?: NodeJS.Timeout;
}

interface Share {
  entry: PresenceEntry | null;
  v: number;
  /** When it was applied (ms), to forget removals after a while. */
  at: number;
}

/** Removals are remembered this long, against a late older update (a load racing a change). */
const REMOVAL_MEMORY_MS = 10_000;
/**
 * How often remembered removals and idle channels are swept: a sweep reads every user of every
 * channel, which on every tick (ten a second) would cost a crowd's channel more than its
 * presence frames; a removal kept a second longer is harmless.
 */
const SWEEP_INTERVAL_MS = 1000;

interface ChannelView {
  channel: string;
  /** user → instance → share (a null entry is a remembered removal, so older updates lose). */
  users: Map<string, Map<string, Share>>;
  joins: Set<string>;
  leaves: Set<string>;
  /** Whether the last list sent was cut at the limit. */
  truncated: boolean;
  /** When the last frame went out (counts only are sent at most once per COUNT_ONLY_INTERVAL_MS). */
  countSentAt: number;
}

/** Past the list limit, how often watchers hear the count. */
const COUNT_ONLY_INTERVAL_MS = 1000;

export class PresenceBook<W extends PresenceWatcher = PresenceWatcher> implements PresenceReplica {
  private readonly instance: string;
  private readonly local = new Map<string, Map<string, LocalMember>>();
  private readonly views = new Map<string, ChannelView>();
  /** Watchers that missed a diff (their socket was full): they get the whole list next. */
  private readonly behind = new Set<W>();
  /** Watchers that get their first list at the next tick. */
  private readonly starting = new Set<W>();
  private version = 0;
  /** When remembered removals and idle channels were last swept (`forget`), ms. */
  private sweptAt = Number.NEGATIVE_INFINITY;
  private readonly replication: PresenceReplication;
  private readonly now: () => number;

  constructor(
    private readonly host: PresenceHost<W>,
    private readonly options: PresenceOptions,
  ) {
    this.instance = host.instance;
    this.replication = host.replication;
    this.now = host.now?.bind(host) ?? Date.now;
    this.replication.attach(this);
  }

  // ---- local subscriptions ---------------------------------------------------------------

  /**
   * Counts a subscription in its channel's presence (once per subscription). A connection
   * counts once however many of its subscriptions (views) watch the channel.
   */
  join(sub: W): void {
    const session = sub.connection.session;
    if (!session || sub.present) return;
    sub.present = true;
    let members = this.local.get(sub.key);
    if (!members) this.local.set(sub.key, (members = new Map()));
    let member = members.get(session.user);
    if (!member) {
      member = { user: session.user, connections: 0, holders: new Map(), joinedAt: this.now(), ...(session.info === undefined ? {} : { info: session.info }) };
      members.set(session.user, member);
    }
    const views = member.holders.get(sub.connection) ?? 0;
    member.holders.set(sub.connection, views + 1);
    // Another view of a connection already counted changes nothing anyone sees.
    if (views > 0) return;
    member.connections = member.holders.size;
    clearTimeout(member.leaveTimer);
    member.leaveTimer = undefined;
    this.changed(sub.key, sub.channel, member);
  }

  /**
   * A counted subscription ended; its connection stops counting with its last view of the
   * channel, and this instance's share of its user ends after the grace period if that was the
   * user's last connection here.
   */
  leave(sub: W): void {
    this.behind.delete(sub);
    this.starting.delete(sub);
    const session = sub.connection.session;
    if (!session || !sub.present) return;
    sub.present = false;
    const members = this.local.get(sub.key);
    const member = members?.get(session.user);
    if (!members || !member) return;
    const views = member.holders.get(sub.connection) ?? 0;
    if (views > 1) return void member.holders.set(sub.connection, views - 1);
    member.holders.delete(sub.connection);
    member.connections = member.holders.size;
    if (member.connections > 0) return this.changed(sub.key, sub.channel, member);
    const end = () => {
      if (members.get(member.user) !== member || member.holders.size > 0) return;
      members.delete(member.user);
      if (members.size === 0) this.local.delete(sub.key);
      this.changed(sub.key, sub.channel, null, member.user);
    };
    if (this.options.graceMs === 0) return end();
    member.leaveTimer = setTimeout(end, this.options.graceMs);
    member.leaveTimer.unref();
  }

  /**
   * The subscriber's session changed (a refreshed token): its user is shown here with the new
   * token's `info` from now on. Watchers see the user again in `joins` (an upsert by user).
   */
  updateInfo(sub: W): void {
    const session = sub.connection.session;
    if (!session || !sub.present) return;
    const member = this.local.get(sub.key)?.get(session.user);
    if (!member || sameJson(member.info, session.info)) return;
    if (session.info === undefined) delete member.info;
    else member.info = session.info;
    this.changed(sub.key, sub.channel, member);
  }

  private changed(key: string, channel: string, member: LocalMember | null, user = member!.user): void {
    const share: PresenceShare = { key, channel, user, entry: member && entryOf(member), v: ++this.version };
    this.apply(this.instance, share);
    this.replication.publish(share);
  }

  // ---- the view --------------------------------------------------------------------------

  /** Makes sure the channel has a view (before loading it, so removals during the load are remembered). */
  private open(key: string, channel: string): void {
    if (!this.views.has(key)) this.views.set(key, { channel, users: new Map(), joins: new Set(), leaves: new Set(), truncated: false, countSentAt: 0 });
  }

  /** Every instance's shares of the channel in the view, loaded once (the view opened first). */
  private load(key: string, channel: string): Promise<void> {
    this.open(key, channel);
    return this.replication.load(key, channel);
  }

  /** Applies one instance's share of a user; a share older than the one held is ignored. */
  apply(instance: string, { key, channel, user, entry, v }: PresenceShare): void {
    if (!entry && !this.views.has(key)) return;
    this.open(key, channel);
    const view = this.views.get(key)!;
    let shares = view.users.get(user);
    const held = shares?.get(instance);
    if (held && held.v >= v) return;
    const wasPresent = present(shares);
    // A user who stays but whose info changed (a refreshed token) is announced again.
    const infoBefore = held?.entry && entry && !sameJson(held.entry.info, entry.info) ? combine(user, shares)?.info : NO_CHANGE;
    if (!shares) view.users.set(user, (shares = new Map()));
    shares.set(instance, { entry, v, at: this.now() });
    const isPresent = present(shares);
    this.transition(view, user, wasPresent, isPresent);
    if (infoBefore !== NO_CHANGE && wasPresent && isPresent && !sameJson(infoBefore, combine(user, shares)?.info)) view.joins.add(user);
  }

  /** Forgets every share of an instance that stopped; returns the (channel, user) pairs it was present as. */
  dropInstance(instance: string): Array<{ key: string; user: string }> {
    const dropped: Array<{ key: string; user: string }> = [];
    for (const [key, view] of this.views) {
      for (const [user, shares] of view.users) {
        const share = shares.get(instance);
        if (!share) continue;
        if (share.entry) dropped.push({ key, user });
        const wasPresent = present(shares);
        shares.delete(instance);
        this.transition(view, user, wasPresent, present(shares));
      }
    }
    return dropped;
  }

  private transition(view: ChannelView, user: string, was: boolean, is: boolean): void {
    if (was === is) return;
    if (is && !view.leaves.delete(user)) view.joins.add(user);
    if (!is && !view.joins.delete(user)) view.leaves.add(user);
  }

  /** The channel's presence as a `presence` message carries it, every instance's viewers loaded. */
  async read(key: string, channel: string): Promise<PresenceMessage> {
    await this.load(key, channel);
    return this.list(key, channel);
  }

  /** The channel's presence as this instance knows it now (a message without `view`). */
  list(key: string, channel: string): PresenceMessage {
    const users = this.users(key);
    return { type: 'presence', channel, count: users.length, users: users.slice(0, this.options.maxUsers), truncated: users.length > this.options.maxUsers };
  }

  /** Users watching the channel, earliest joined first. */
  private users(key: string): PresenceUser[] {
    const view = this.views.get(key);
    if (!view) return [];
    const users: PresenceUser[] = [];
    for (const [user, shares] of view.users) {
      const aggregate = combine(user, shares);
      if (aggregate) users.push(aggregate);
    }
    return users.sort((a, b) => a.joinedAt - b.joinedAt || a.user.localeCompare(b.user));
  }

  count(key: string): number {
    let n = 0;
    for (const shares of this.views.get(key)?.users.values() ?? []) if (present(shares)) n++;
    return n;
  }

  // ---- watchers --------------------------------------------------------------------------

  /**
   * Starts presence for a subscription that asked for it (after its first data): at the next
   * tick, right after that tick's diffs went to the others, it gets the whole list, then the
   * diffs of what changes after it. So it never gets a diff of what its list already holds,
   * and a storm of new watchers costs one list per channel per tick, not a diff to everyone
   * per newcomer.
   */
  async start(sub: W): Promise<void> {
    await this.load(sub.key, sub.channel);
    if (sub.active) this.starting.add(sub);
  }

  /** This instance's shares under fresh versions, to publish again after the cluster was lost. */
  republish(): PresenceShare[] {
    const shares: PresenceShare[] = [];
    for (const [key, members] of this.local) {
      const channel = this.views.get(key)?.channel;
      if (!channel) continue;
      for (const member of members.values()) shares.push({ key, channel, user: member.user, entry: entryOf(member), v: ++this.version });
    }
    return shares;
  }

  /** Flushes the pending joins and leaves of every channel. Runs on the broadcaster's tick. */
  flush(): void {
    const now = this.now();
    const sweep = now - this.sweptAt >= SWEEP_INTERVAL_MS;
    if (sweep) this.sweptAt = now;
    for (const [key, view] of this.views) {
      this.flushChannel(key, view);
      if (sweep) this.forget(key, view, now);
    }
    // One list per channel, serialized once per view name, for every watcher that started since the last tick.
    const lists = new Map<string, Framed>();
    for (const sub of this.starting) {
      if (!sub.active) continue;
      let list = lists.get(sub.key);
      if (!list) lists.set(sub.key, (list = framed(this.list(sub.key, sub.channel))));
      sub.presenceReady = true;
      if (this.host.canSend(sub)) this.host.send(sub, list(sub.view));
      else this.behind.add(sub);
    }
    this.starting.clear();
    for (const sub of this.behind) {
      if (!sub.active) this.behind.delete(sub);
      else if (this.host.canSend(sub)) {
        this.behind.delete(sub);
        this.host.send(sub, framed(this.list(sub.key, sub.channel))(sub.view));
      }
    }
  }

  private flushChannel(key: string, view: ChannelView): void {
    if (view.joins.size === 0 && view.leaves.size === 0) return;
    // A crowd (counts only) hears about its size once a second, not on every tick: a frame
    // to every watcher per tick would cost as much as the data itself.
    const now = this.now();
    if (view.truncated && this.count(key) > this.options.maxUsers && now - view.countSentAt < COUNT_ONLY_INTERVAL_MS) return;
    view.countSentAt = now;
    const frame = framed(this.message(key, view));
    view.joins.clear();
    view.leaves.clear();
    for (const sub of this.host.watchers(key) ?? []) {
      if (!sub.presence || !sub.presenceReady) continue;
      if (!this.host.canSend(sub)) {
        this.behind.add(sub);
        continue;
      }
      this.host.send(sub, frame(sub.view));
    }
  }

  /** Drops removals old enough, users with nothing left, and views nobody needs. */
  private forget(key: string, view: ChannelView, now: number): void {
    for (const [user, shares] of view.users) {
      for (const [instance, share] of shares) if (!share.entry && now - share.at > REMOVAL_MEMORY_MS) shares.delete(instance);
      if (shares.size === 0) view.users.delete(user);
    }
    if (view.users.size === 0 && !this.host.watchers(key) && !this.local.has(key)) {
      this.views.delete(key);
      this.replication.forget(key);
    }
  }

  /** What the channel's watchers hear about its pending joins and leaves (computed once per flush: it notes the mode sent). */
  private message(key: string, view: ChannelView): PresenceMessage | PresenceDiffMessage {
    const count = this.count(key);
    const truncated = count > this.options.maxUsers;
    // Crossing the limit either way: the whole (cut) list, so clients know which mode they are in.
    if (truncated !== view.truncated) {
      view.truncated = truncated;
      return this.list(key, view.channel);
    }
    const message: PresenceDiffMessage = {
      type: 'presence_diff',
      channel: view.channel,
      count,
      // Past the limit, counts only.
      joins: truncated ? [] : [...view.joins].flatMap((user) => {
        const aggregate = combine(user, view.users.get(user));
        return aggregate ? [aggregate] : [];
      }),
      leaves: truncated ? [] : [...view.leaves],
    };
    return message;
  }
}

/** A message's frame for a watcher's view name (undefined: the default view), each serialized once. */
type Framed = (view: string | undefined) => Buffer;

/**
 * Serializes `message` once per view name asked for: as it is for the default view, with
 * `view` right after `channel` for a named one (docs/protocol.md §12).
 */
function framed(message: PresenceMessage | PresenceDiffMessage): Framed {
  const frames = new Map<string | undefined, Buffer>();
  return (view) => {
    let frame = frames.get(view);
    if (!frame) {
      const { type, channel, ...rest } = message;
      frames.set(view, (frame = Buffer.from(JSON.stringify(view === undefined ? message : { type, channel, view, ...rest }))));
    }
    return frame;
  };
}

/** A local member as the share this instance publishes. */
function entryOf(member: LocalMember): PresenceEntry {
  return { connections: member.connections, joinedAt: member.joinedAt, ...(member.info === undefined ? {} : { info: member.info }) };
}

/** Marks "no info change to look at" in `apply` (`undefined` is a valid info: none). */
const NO_CHANGE = Symbol('no change');

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function present(shares: Map<string, Share> | undefined): boolean {
  if (shares) for (const share of shares.values()) if (share.entry) return true;
  return false;
}

/** A user as all instances' shares make them: connections summed, the earliest join, the first info. */
function combine(user: string, shares: Map<string, Share> | undefined): PresenceUser | undefined {
  let result: PresenceUser | undefined;
  for (const { entry } of shares?.values() ?? []) {
    if (!entry) continue;
    if (!result) result = { user, connections: 0, joinedAt: entry.joinedAt, ...(entry.info === undefined ? {} : { info: entry.info }) };
    result.connections += entry.connections;
    result.joinedAt = Math.min(result.joinedAt, entry.joinedAt);
  }
  return result;
}

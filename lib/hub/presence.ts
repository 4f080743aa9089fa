/**
 * Presence (docs/protocol.md, "Presence"): who is watching each channel of this hub. Every
 * subscription counts, whether or not it asked to see presence; all of one user's
 * subscriptions to a channel (several tabs) count as one user. A user whose last
 * subscription goes stays listed for `graceMs`, so a reload or a reconnect does not flap.
 *
 * Joins and leaves are collected per channel and flushed on the broadcaster's tick: one
 * `presence_diff` per channel, serialized once, written to every subscription that asked for
 * presence. Past `maxUsers` users a channel sends counts only, so a crowded channel costs
 * nothing per viewer for the others.
 */
import type { Json, PresenceDiffMessage, PresenceMessage, PresenceUser } from '../protocol';
import type { Subscription, SubscriptionIndex } from './subscription';

export interface PresenceOptions {
  graceMs: number;
  maxUsers: number;
  /** Socket buffer above which a subscriber gets no diff now, and the whole list once it drained. */
  slowConsumerBytes: number;
}

interface Member {
  user: string;
  connections: number;
  joinedAt: number;
  info?: Json;
  leaveTimer?: NodeJS.Timeout;
}

interface ChannelPresence {
  channel: string;
  members: Map<string, Member>;
  joins: Set<string>;
  leaves: Set<string>;
  /** Whether the last list sent was cut at the limit. */
  truncated: boolean;
}

export class PresenceBook {
  private readonly channels = new Map<string, ChannelPresence>();
  /** Watchers that missed a diff (their socket was full): they get the whole list next. */
  private readonly behind = new Set<Subscription>();

  constructor(
    private readonly index: SubscriptionIndex,
    private readonly options: PresenceOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a subscription in its channel's presence (once per subscription). */
  join(sub: Subscription): void {
    const session = sub.connection.session;
    if (!session || sub.present) return;
    sub.present = true;
    let channel = this.channels.get(sub.key);
    if (!channel) {
      channel = { channel: sub.channel, members: new Map(), joins: new Set(), leaves: new Set(), truncated: false };
      this.channels.set(sub.key, channel);
    }
    const member = channel.members.get(session.user);
    if (member) {
      member.connections++;
      clearTimeout(member.leaveTimer);
      member.leaveTimer = undefined;
      return;
    }
    channel.members.set(session.user, { user: session.user, connections: 1, joinedAt: this.now(), ...(session.info === undefined ? {} : { info: session.info }) });
    if (!channel.leaves.delete(session.user)) channel.joins.add(session.user);
  }

  /** A counted subscription ended; its user leaves after the grace period if it was their last. */
  leave(sub: Subscription): void {
    this.behind.delete(sub);
    const session = sub.connection.session;
    if (!session || !sub.present) return;
    sub.present = false;
    const channel = this.channels.get(sub.key);
    const member = channel?.members.get(session.user);
    if (!channel || !member || --member.connections > 0) return;
    if (this.options.graceMs === 0) return this.gone(sub.key, channel, member);
    member.leaveTimer = setTimeout(() => this.gone(sub.key, channel, member), this.options.graceMs);
    member.leaveTimer.unref();
  }

  /** The channel's presence as a `presence` message would carry it. */
  list(key: string, channelName: string): PresenceMessage {
    const channel = this.channels.get(key);
    const members = channel ? [...channel.members.values()] : [];
    members.sort((a, b) => a.joinedAt - b.joinedAt || a.user.localeCompare(b.user));
    const truncated = members.length > this.options.maxUsers;
    return {
      type: 'presence',
      channel: channelName,
      count: members.length,
      users: members.slice(0, this.options.maxUsers).map(view),
      truncated,
    };
  }

  /**
   * Starts presence for a subscription that asked for it (after its first data): the whole
   * list, then the diffs of what changes after it. The channel's pending changes go out to the
   * other watchers first, so the new one never gets a diff of what its list already holds.
   */
  start(sub: Subscription): void {
    const channel = this.channels.get(sub.key);
    if (channel) this.flushChannel(sub.key, channel);
    sub.presenceReady = true;
    sub.connection.send(this.list(sub.key, sub.channel));
  }

  /** Flushes the pending joins and leaves of every channel. Runs on the broadcaster's tick. */
  flush(): void {
    for (const [key, channel] of this.channels) this.flushChannel(key, channel);
    for (const sub of this.behind) {
      if (!sub.active) this.behind.delete(sub);
      else if (this.writable(sub)) {
        this.behind.delete(sub);
        sub.connection.send(this.list(sub.key, sub.channel));
      }
    }
  }

  private flushChannel(key: string, channel: ChannelPresence): void {
    if (channel.joins.size === 0 && channel.leaves.size === 0) return;
    const frame = this.frame(key, channel);
    channel.joins.clear();
    channel.leaves.clear();
    if (channel.members.size === 0) this.channels.delete(key);
    for (const sub of this.index.of(key) ?? []) {
      if (!sub.presence || !sub.presenceReady) continue;
      if (!this.writable(sub)) {
        this.behind.add(sub);
        continue;
      }
      sub.connection.sendFrame(frame);
    }
  }

  /** Users listed on the channel right now (for /status and tests). */
  count(key: string): number {
    return this.channels.get(key)?.members.size ?? 0;
  }

  private frame(key: string, channel: ChannelPresence): Buffer {
    const truncated = channel.members.size > this.options.maxUsers;
    // Crossing the limit either way: the whole (cut) list, so clients know which mode they are in.
    if (truncated !== channel.truncated) {
      channel.truncated = truncated;
      return Buffer.from(JSON.stringify(this.list(key, channel.channel)));
    }
    const message: PresenceDiffMessage = {
      type: 'presence_diff',
      channel: channel.channel,
      count: channel.members.size,
      // Past the limit, counts only.
      joins: truncated ? [] : [...channel.joins].flatMap((user) => (channel.members.has(user) ? [view(channel.members.get(user)!)] : [])),
      leaves: truncated ? [] : [...channel.leaves],
    };
    return Buffer.from(JSON.stringify(message));
  }

  private gone(key: string, channel: ChannelPresence, member: Member): void {
    if (channel.members.get(member.user) !== member || member.connections > 0) return;
    channel.members.delete(member.user);
    if (!channel.joins.delete(member.user)) channel.leaves.add(member.user);
    // An empty channel is forgotten once nothing about it is left to send.
    if (channel.members.size === 0 && channel.leaves.size === 0 && channel.joins.size === 0) this.channels.delete(key);
  }

  private writable(sub: Subscription): boolean {
    return sub.connection.isOpen && sub.connection.stalledSince === null && sub.connection.bufferedBytes <= this.options.slowConsumerBytes;
  }
}

function view({ user, connections, joinedAt, info }: Member): PresenceUser {
  return { user, connections, joinedAt, ...(info === undefined ? {} : { info }) };
}

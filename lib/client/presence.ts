/**
 * Who is watching one channel, as the client holds it: the list from `presence`, kept current by
 * `presence_diff` (docs/protocol.md, "Presence"). Presence counts users, not views, so a channel
 * holds one list whichever of its views asked for it.
 */
import type { PresenceDiffMessage, PresenceMessage, PresenceUser } from '../protocol/messages';
import type { PresenceState } from './types';

export class ChannelPresence {
  /** By user, once a list arrived. */
  private people: Map<string, PresenceUser> | undefined;
  private count = 0;
  private truncated = false;

  constructor(private readonly channel: string) {}

  /** A whole list: replaces what was held. */
  reset(message: PresenceMessage): void {
    this.people = new Map(message.users.map((user) => [user.user, user]));
    this.count = message.count;
    this.truncated = message.truncated;
  }

  /** Joins and leaves; returns false (and changes nothing) before the first list, which a diff cannot replace. */
  apply(diff: PresenceDiffMessage): boolean {
    if (!this.people) return false;
    for (const user of diff.leaves) this.people.delete(user);
    for (const user of diff.joins) this.people.set(user.user, user);
    this.count = diff.count;
    return true;
  }

  /** The list, earliest joined first; undefined until one arrived. */
  state(): PresenceState | undefined {
    if (!this.people) return undefined;
    const users = [...this.people.values()].sort((a, b) => a.joinedAt - b.joinedAt || a.user.localeCompare(b.user));
    return { channel: this.channel, count: this.count, users, truncated: this.truncated };
  }
}

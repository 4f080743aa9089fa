/**
 * What presence (docs/protocol.md, "Presence") needs from around it, and the narrow seam
 * through which instances share it. Presence depends on nothing but the protocol: the hub
 * hands it its subscriptions as `PresenceWatcher`s, and a `PresenceReplication` (alone:
 * `localReplication`; with Redis: lib/redis/presence.ts) carries shares between instances.
 */
import type { Json } from '../protocol';

/** One instance's share of a user's presence on a channel. */
export interface PresenceEntry {
  connections: number;
  joinedAt: number;
  info?: Json;
}

/** One instance's share of `user` on channel `key` (`tenant/channel`), at version `v`; a null entry: gone. */
export interface PresenceShare {
  key: string;
  channel: string;
  user: string;
  entry: PresenceEntry | null;
  /** Versions grow per instance, so shares applied in any order converge. */
  v: number;
}

/** A subscription as presence sees it (the hub's subscriptions are these). */
export interface PresenceWatcher {
  /** The channel key, `tenant/channel`. */
  readonly key: string;
  readonly channel: string;
  /** Asked to see who is watching (`presence: true`). */
  readonly presence: boolean;
  /** The subscription's view, carried by the presence messages it gets; undefined for the default view. */
  readonly view?: string;
  /** False once unsubscribed, replaced or disconnected. */
  readonly active: boolean;
  /** Counted in the channel's presence (presence sets it). */
  present: boolean;
  /** Receives presence once its first data went out (presence sets it). */
  presenceReady: boolean;
  /**
   * The connection it belongs to, and the user watching, as presence shows them (none before
   * authentication). Views of one connection count once: the object identifies the connection.
   */
  readonly connection: { readonly session?: { readonly user: string; readonly info?: Json } | null };
}

/** What a replication may do to this instance's presence. */
export interface PresenceReplica {
  /** Applies another instance's share; one older than the share held is ignored. */
  apply(instance: string, share: PresenceShare): void;
  /** An instance stopped: its shares leave the view. Returns the (channel key, user) pairs it held. */
  dropInstance(instance: string): Array<{ key: string; user: string }>;
  /** This instance's shares under fresh versions, to publish again (after the cluster was lost). */
  republish(): PresenceShare[];
}

/** How this instance's shares reach the other instances, and theirs reach this one. */
export interface PresenceReplication {
  /** Connects the replication to this instance's presence (once, when presence is built). */
  attach(replica: PresenceReplica): void;
  /** This instance's share changed. */
  publish(share: PresenceShare): void;
  /** Reads every instance's shares of a channel into the view (once per channel, when first needed). */
  load(key: string, channel: string): Promise<void>;
  /** The view of a channel was dropped (nobody here needs it): load it again when needed. */
  forget(key: string): void;
}

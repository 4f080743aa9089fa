/**
 * The cluster: the instances that serve one hub together. One process alone is a cluster of
 * one (`SingleCluster`); with Redis, instances find each other through heartbeat keys
 * (`RedisCluster`). The hub asks it for what only the whole cluster knows: live instances,
 * tenant connection counts, and where a connection lives.
 */

import type { PresenceBook } from '../hub/presence';

/** What one instance reports about itself. */
export interface InstanceInfo {
  instance: string;
  startedAt: number;
  uptimeS: number;
  connections: number;
  subscriptions: number;
  byTenant: Record<string, number>;
  /** Subscribers per channel key (`tenant/channel`). */
  subscribers: Record<string, number>;
}

/** What the cluster needs from the local hub. */
export interface ClusterMember {
  readonly instance: string;
  describe(): InstanceInfo;
  /** Closes a local connection (an admin's kick); false when it is not here. */
  kickLocal(id: string): boolean;
}

export interface Cluster {
  readonly kind: 'single' | 'redis';
  /**
   * Takes one connection slot of `tenant`, which has `local` connections on this instance;
   * false when the cluster already holds `limit`.
   */
  admit(tenant: string, local: number, limit: number): Promise<boolean>;
  /** A connection of `tenant` on this instance closed. */
  released(tenant: string): void;
  /** Live instances, this one first. */
  instances(): Promise<InstanceInfo[]>;
  /** Closes connection `id` on whichever instance holds it; false when none does. */
  kick(id: string): Promise<boolean>;
  /** Shares presence with the other instances (nothing to do alone). */
  sharePresence(book: PresenceBook): void;
  close(): Promise<void>;
}

export type ClusterFactory = (member: ClusterMember) => Cluster;

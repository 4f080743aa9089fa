/**
 * The cluster: the instances that serve one hub together. One process alone is a cluster of
 * one (`SingleCluster`); with Redis, instances find each other through heartbeat keys
 * (`RedisCluster` in lib/redis/). The hub asks it for what only the whole cluster knows: live
 * instances, tenant connection counts, and where a connection lives. Whoever keeps state per
 * instance (presence) follows its membership events.
 */

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
  /** This instance's figures (its id is the cluster's `instance`). */
  describe(): InstanceInfo;
  /** Closes a local connection (an admin's kick); false when it is not here. */
  kickLocal(id: string): boolean;
}

/** A change in who is in the cluster, as this instance sees it. */
export type MembershipEvent =
  /** An instance is seen for the first time; this one, once it has announced itself. */
  | { type: 'joined'; instance: string }
  /** An instance stopped (its heartbeat expired, or it left). */
  | { type: 'gone'; instance: string }
  /** An instance seen gone is back; this one, once it announced itself again after losing the cluster. */
  | { type: 'back'; instance: string };

export interface Cluster {
  readonly kind: 'single' | 'redis';
  /** This instance's id. */
  readonly instance: string;
  /** Takes part in the cluster as `member` from now on (once, by the hub it serves). */
  join(member: ClusterMember): void;
  /**
   * Takes one connection slot of `tenant`, which has `local` connections on this instance;
   * false when the cluster already holds `limit`.
   */
  admit(tenant: string, local: number, limit: number): Promise<boolean>;
  /** A connection of `tenant` on this instance closed. */
  released(tenant: string): void;
  /** Live instances, this one first. */
  instances(): Promise<InstanceInfo[]>;
  /** Which of `ids` are alive now (this instance always is). Throws `ClusterUnavailableError`. */
  live(ids: string[]): Promise<Set<string>>;
  /** Closes connection `id` on whichever instance holds it; false when none does. Throws `ClusterUnavailableError`. */
  kick(id: string): Promise<boolean>;
  /** Membership changes, in the order this instance noticed them. Returns the disposer. */
  onMembership(listener: (event: MembershipEvent) => void): () => void;
  close(): Promise<void>;
}

/** The cluster cannot answer now (its store is unreachable). Nothing was changed. */
export class ClusterUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterUnavailableError';
  }
}

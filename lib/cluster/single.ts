/** The cluster of one process: everything it needs to know is local. */
import type { Cluster, ClusterMember, InstanceInfo } from './types';

export class SingleCluster implements Cluster {
  readonly kind = 'single' as const;

  constructor(private readonly member: ClusterMember) {}

  async admit(_tenant: string, local: number, limit: number): Promise<boolean> {
    return local < limit;
  }

  released(): void {}

  async instances(): Promise<InstanceInfo[]> {
    return [this.member.describe()];
  }

  async kick(id: string): Promise<boolean> {
    return this.member.kickLocal(id);
  }

  sharePresence(): void {}

  async close(): Promise<void> {}
}

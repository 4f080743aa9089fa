/** The cluster of one process: everything it needs to know is local. */
import type { Cluster, ClusterMember, InstanceInfo, MembershipEvent } from './types';

export class SingleCluster implements Cluster {
  readonly kind = 'single' as const;
  private member: ClusterMember | undefined;
  private readonly listeners = new Set<(event: MembershipEvent) => void>();

  constructor(readonly instance: string) {}

  join(member: ClusterMember): void {
    if (this.member) throw new Error('the cluster has a member already');
    this.member = member;
    for (const listener of this.listeners) listener({ type: 'joined', instance: this.instance });
  }

  async admit(_tenant: string, local: number, limit: number): Promise<boolean> {
    return local < limit;
  }

  released(): void {}

  async instances(): Promise<InstanceInfo[]> {
    return this.member ? [this.member.describe()] : [];
  }

  async live(ids: string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => id === this.instance));
  }

  async kick(id: string): Promise<boolean> {
    return this.member?.kickLocal(id) ?? false;
  }

  onMembership(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** The cluster of one process: everything local, and the membership events it still reports. */
import { SingleCluster } from '@/lib/cluster/single';
import type { ClusterMember, InstanceInfo, MembershipEvent } from '@/lib/cluster/types';

function member(instance: string, connections: string[] = []): ClusterMember & { kicked: string[] } {
  const open = new Set(connections);
  const kicked: string[] = [];
  return {
    kicked,
    describe: (): InstanceInfo => ({ instance, startedAt: 1, uptimeS: 0, connections: open.size, subscriptions: 0, byTenant: {}, subscribers: {} }),
    kickLocal(id) {
      if (!open.delete(id)) return false;
      kicked.push(id);
      return true;
    },
  };
}

describe('SingleCluster', () => {
  it('reports this instance joining, to listeners registered before', () => {
    const cluster = new SingleCluster('i_one');
    const events: MembershipEvent[] = [];
    const dispose = cluster.onMembership((event) => events.push(event));
    cluster.join(member('i_one'));
    expect(events).toEqual([{ type: 'joined', instance: 'i_one' }]);
    dispose();
  });

  it('takes one member only', () => {
    const cluster = new SingleCluster('i_one');
    cluster.join(member('i_one'));
    expect(() => cluster.join(member('i_one'))).toThrow();
  });

  it('admits up to the limit from the local count alone', async () => {
    const cluster = new SingleCluster('i_one');
    await expect(cluster.admit('acme', 0, 2)).resolves.toBe(true);
    await expect(cluster.admit('acme', 1, 2)).resolves.toBe(true);
    await expect(cluster.admit('acme', 2, 2)).resolves.toBe(false);
  });

  it('lists this instance only, and knows only it alive', async () => {
    const cluster = new SingleCluster('i_one');
    cluster.join(member('i_one', ['c1']));
    expect(await cluster.instances()).toEqual([expect.objectContaining({ instance: 'i_one', connections: 1 })]);
    expect(await cluster.live(['i_other', 'i_one'])).toEqual(new Set(['i_one']));
  });

  it('kicks a local connection, and answers false for one it does not hold', async () => {
    const cluster = new SingleCluster('i_one');
    const local = member('i_one', ['c1']);
    cluster.join(local);
    await expect(cluster.kick('c1')).resolves.toBe(true);
    await expect(cluster.kick('c1')).resolves.toBe(false);
    expect(local.kicked).toEqual(['c1']);
  });

  it('stops reporting to listeners once closed', async () => {
    const cluster = new SingleCluster('i_one');
    const events: MembershipEvent[] = [];
    cluster.onMembership((event) => events.push(event));
    await cluster.close();
    cluster.join(member('i_one'));
    expect(events).toEqual([]);
  });
});

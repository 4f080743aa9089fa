/**
 * Cluster membership on a real redis-server (lib/redis/cluster.ts): each instance reports
 * itself joining, the others joining, going away and coming back; `live` answers from the
 * heartbeats; a cluster call Redis cannot take fails with `ClusterUnavailableError`, and this
 * instance is back once Redis is.
 */
import { ClusterUnavailableError, type ClusterMember, type InstanceInfo, type MembershipEvent } from '@/lib/cluster/types';
import { RedisCluster } from '@/lib/redis/cluster';
import { KeyLayout } from '@/lib/redis/keys';
import { RedisLink } from '@/lib/redis/link';
import { startLocalRedis, type LocalRedis } from '@/scripts/lib/local-redis';
import { sleep } from '../helpers/http';

jest.setTimeout(30_000);

let redis: LocalRedis;
let runs = 0;
const opened: Array<{ cluster: RedisCluster; link: RedisLink }> = [];

beforeAll(async () => {
  redis = await startLocalRedis();
});

afterEach(async () => {
  for (const { cluster, link } of opened.splice(0)) {
    await cluster.close();
    await link.close();
  }
});

afterAll(async () => {
  await redis.stop();
});

function member(instance: string): ClusterMember {
  return {
    describe: (): InstanceInfo => ({ instance, startedAt: 1, uptimeS: 0, connections: 0, subscriptions: 0, byTenant: {}, subscribers: {} }),
    kickLocal: () => false,
  };
}

/** An instance's cluster on its own link, joined, with the events it reports. */
async function instance(id: string, prefix: string) {
  const link = new RedisLink(redis.url);
  const cluster = new RedisCluster(id, link, new KeyLayout(prefix));
  const events: MembershipEvent[] = [];
  cluster.onMembership((event) => events.push(event));
  cluster.join(member(id));
  opened.push({ cluster, link });
  expect(await link.waitUntilUp(5000)).toBe(true);
  return { cluster, link, events };
}

async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(25);
  }
}

const has = (events: MembershipEvent[], type: MembershipEvent['type'], instance: string) => events.some((e) => e.type === type && e.instance === instance);

it('reports joins, an instance gone and the same instance back; live follows the heartbeats', async () => {
  const prefix = `m${runs++}:`;
  const a = await instance('i_a', prefix);
  await until(() => has(a.events, 'joined', 'i_a'));
  const b = await instance('i_b', prefix);
  await until(() => has(a.events, 'joined', 'i_b') && has(b.events, 'joined', 'i_a'));
  expect(await a.cluster.live(['i_a', 'i_b', 'i_never'])).toEqual(new Set(['i_a', 'i_b']));
  expect((await a.cluster.instances()).map((info) => info.instance)).toEqual(['i_a', 'i_b']);

  // B leaves (its heartbeat key goes at once): A notices at its next beat.
  await b.cluster.close();
  await until(() => has(a.events, 'gone', 'i_b'));
  expect(await a.cluster.live(['i_b'])).toEqual(new Set());

  // An instance under the same id beats again: it is back, not new.
  await instance('i_b', prefix);
  await until(() => has(a.events, 'back', 'i_b'));
  expect(a.events.filter((e) => e.instance === 'i_b').map((e) => e.type)).toEqual(['joined', 'gone', 'back']);
  expect(a.events.filter((e) => e.instance === 'i_a').map((e) => e.type)).toEqual(['joined']);
});

it('fails calls with ClusterUnavailableError while Redis is away, and reports this instance back after', async () => {
  const prefix = `m${runs++}:`;
  const a = await instance('i_a', prefix);
  await until(() => has(a.events, 'joined', 'i_a'));
  await redis.kill();
  try {
    await until(() => !a.link.isUp);
    await expect(a.cluster.kick('c_nowhere')).rejects.toBeInstanceOf(ClusterUnavailableError);
    await expect(a.cluster.live(['i_other'])).rejects.toBeInstanceOf(ClusterUnavailableError);
    // Without Redis the instance still knows itself.
    expect((await a.cluster.instances()).map((info) => info.instance)).toEqual(['i_a']);
  } finally {
    await redis.restart();
  }
  await until(() => has(a.events, 'back', 'i_a'), 10_000);
  expect(a.events.map((e) => e.type)).toEqual(['joined', 'back']);
});

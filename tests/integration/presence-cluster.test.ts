/**
 * Presence across instances on one real redis-server: viewers on any instance appear on all
 * of them, two tabs on two instances are one user, an instance that is killed has its users
 * leave once its heartbeat expires (exactly one leave per watcher), and after a randomized
 * churn run every instance lists the same users.
 */
import { startChildHub, type ChildHub } from '../helpers/child-hub';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { http, sleep } from '../helpers/http';
import { TEST_SECRET } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(60_000);

let cluster: TestCluster;
const open: TestClient[] = [];
const env = { PULSE_BATCH_MS: '20', PULSE_PRESENCE_GRACE_MS: '200', PULSE_RATE_LIMIT: '10000' };

beforeAll(async () => {
  cluster = await startCluster(2, env);
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await cluster.close();
});

async function user(wsUrl: string, name: string): Promise<TestClient & { welcome: Msg }> {
  const client = await TestClient.connect(wsUrl, await signToken(TEST_SECRET, { sub: name, tenant: 'demo' }, { expiresInS: 600 }));
  open.push(client);
  return client;
}

async function watch(client: TestClient, channel: string, presence = true): Promise<Msg> {
  const reply = await client.request({ type: 'subscribe', channel, presence });
  expect(reply.ok).toBe(true);
  return presence ? client.next((m) => m.type === 'presence' && m.channel === channel) : reply;
}

const names = async (baseUrl: string, channel: string) =>
  (await http(baseUrl, 'GET', `/api/channels/${channel}/presence`)).body.users.map((u: Msg) => u.user).sort();

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not reached in time');
    await sleep(50);
  }
}

it('shows viewers of every instance, and two tabs on two instances as one user', async () => {
  const [a, b] = cluster.instances;
  const ann = await user(a.wsUrl, 'ann');
  await watch(ann, 'board');
  const bob = await user(b.wsUrl, 'bob');
  const list = await watch(bob, 'board');
  expect(list.users.map((u: Msg) => u.user).sort()).toEqual(['ann', 'bob']);
  const joined = await ann.next((m) => m.type === 'presence_diff' && m.joins.some((u: Msg) => u.user === 'bob'));
  expect(joined.count).toBe(2);

  const bobOnA = await user(a.wsUrl, 'bob');
  await watch(bobOnA, 'board', false);
  await until(async () => (await http(a.url, 'GET', '/api/channels/board/presence')).body.users.find((u: Msg) => u.user === 'bob')?.connections === 2);
  expect(await ann.nothing((m) => m.type === 'presence_diff' && m.joins.some((u: Msg) => u.user === 'bob'), 300)).toBe(true);

  await bob.close();
  expect(await ann.nothing((m) => m.type === 'presence_diff' && m.leaves.includes('bob'), 500)).toBe(true);
  await bobOnA.close();
  const left = await ann.next((m) => m.type === 'presence_diff' && m.leaves.includes('bob'));
  expect(left.count).toBe(1);
  await ann.close();
});

it('lets the users of a killed instance leave once its heartbeat expires, once for each watcher', async () => {
  const [a, b] = cluster.instances;
  const child: ChildHub = await startChildHub({ ...env, REDIS_URL: cluster.redis.url, PULSE_REDIS_PREFIX: a.hub.config.redisPrefix, PULSE_JWT_SECRET: TEST_SECRET, PULSE_LOG_LEVEL: 'silent' });
  const watchers = [await user(a.wsUrl, 'w1'), await user(b.wsUrl, 'w2')];
  for (const watcher of watchers) await watch(watcher, 'doomed');
  const victim = await user(child.wsUrl, 'vic');
  await watch(victim, 'doomed', false);
  for (const watcher of watchers) await watcher.next((m) => m.type === 'presence_diff' && m.joins.some((u: Msg) => u.user === 'vic'));

  child.kill('SIGKILL');
  await child.exited;
  for (const watcher of watchers) {
    const left = await watcher.next((m) => m.type === 'presence_diff' && m.leaves.includes('vic'), 15_000);
    expect(left.count).toBe(2);
  }
  await sleep(1500);
  for (const watcher of watchers) expect(watcher.received.filter((m) => m.type === 'presence_diff' && m.leaves.includes('vic'))).toHaveLength(1);
  expect(await names(a.url, 'doomed')).toEqual(['w1', 'w2']);
  expect(await names(b.url, 'doomed')).toEqual(['w1', 'w2']);
});

it('after randomized churn on both instances, every instance lists the same users', async () => {
  const [a, b] = cluster.instances;
  let state = 7;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const clients: Array<TestClient & { welcome: Msg }> = [];
  for (let step = 0; step < 60; step++) {
    if (clients.length && random() < 0.4) {
      const [gone] = clients.splice(Math.floor(random() * clients.length), 1);
      await gone.close();
    } else {
      const client = await user(random() < 0.5 ? a.wsUrl : b.wsUrl, `u${Math.floor(random() * 12)}`);
      await watch(client, 'churn', random() < 0.3);
      clients.push(client);
    }
  }
  const expected = [...new Set(clients.map((c) => String(c.welcome.user)))].sort();
  await until(async () => JSON.stringify(await names(a.url, 'churn')) === JSON.stringify(expected) && JSON.stringify(await names(b.url, 'churn')) === JSON.stringify(expected));
  await Promise.all(clients.map((c) => c.close()));
});

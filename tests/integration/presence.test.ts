/**
 * Presence over real sockets on one hub (docs/protocol.md, "Presence"): the list after a
 * subscribe with `presence: true`, batched joins and leaves, two tabs as one user, the
 * reconnect grace, the permission, the info claim, the cap, and the HTTP route.
 */
import { bearer, http, sleep } from '../helpers/http';
import { startTestServer, TEST_API_KEY, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(30_000);

let server: TestServer;
const open: TestClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '20', PULSE_PRESENCE_GRACE_MS: '300', PULSE_PRESENCE_MAX_USERS: '3', PULSE_API_KEY: TEST_API_KEY });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await sleep(400); // past the grace period: the next test starts with nobody present
});
afterAll(() => server.close());

async function user(name: string, claims: Record<string, unknown> = {}): Promise<TestClient> {
  const client = await TestClient.connect(server.wsUrl, await signToken(TEST_SECRET, { sub: name, tenant: 'acme', ...claims }, { expiresInS: 600 }));
  open.push(client);
  return client;
}

async function watch(client: TestClient, channel: string, presence = true): Promise<Msg> {
  const reply = await client.request({ type: 'subscribe', channel, presence });
  expect(reply).toMatchObject({ ok: true });
  return presence ? client.next((m) => m.type === 'presence' && m.channel === channel) : reply;
}

const diff = (client: TestClient, match: (m: Msg) => boolean = () => true) => client.next((m) => m.type === 'presence_diff' && match(m));

it('lists who is watching after the first data, then sends batched joins and leaves', async () => {
  const ann = await user('ann', { info: { name: 'Ann' } });
  const first = await watch(ann, 'board');
  const index = ann.received.indexOf(first);
  expect(ann.received.slice(0, index).some((m) => m.type === 'snapshot')).toBe(true);
  expect(first).toEqual({ type: 'presence', channel: 'board', count: 1, truncated: false, users: [{ user: 'ann', connections: 1, joinedAt: expect.any(Number), info: { name: 'Ann' } }] });

  const bob = await user('bob');
  await watch(bob, 'board', false);
  // Only what changed after the list: never ann's own join again.
  expect(await diff(ann)).toEqual({ type: 'presence_diff', channel: 'board', count: 2, joins: [{ user: 'bob', connections: 1, joinedAt: expect.any(Number) }], leaves: [] });

  await bob.close();
  const left = await diff(ann, (m) => m.leaves.length > 0);
  expect(left).toMatchObject({ count: 1, joins: [], leaves: ['bob'] });
});

it('counts two tabs of one user once, and leaves when the last one closes', async () => {
  const ann = await user('ann');
  await watch(ann, 'tabs');
  const tab1 = await user('cy');
  const tab2 = await user('cy');
  await watch(tab1, 'tabs', false);
  expect(await diff(ann)).toMatchObject({ count: 2, joins: [{ user: 'cy' }], leaves: [] });
  await watch(tab2, 'tabs', false);
  const list = (await http(server.url, 'GET', '/api/channels/tabs/presence', { headers: { ...bearer(TEST_API_KEY), 'x-tenant-id': 'acme' } })).body;
  expect(list.users.find((u: Msg) => u.user === 'cy')).toMatchObject({ connections: 2 });

  await tab1.close();
  expect(await ann.nothing((m) => m.type === 'presence_diff', 500)).toBe(true);
  await tab2.close();
  expect(await diff(ann, (m) => m.leaves.length > 0)).toMatchObject({ count: 1, leaves: ['cy'] });
});

it('does not flap for a reconnect within the grace period', async () => {
  const ann = await user('ann');
  await watch(ann, 'grace');
  const dee = await user('dee');
  await watch(dee, 'grace', false);
  await diff(ann, (m) => m.joins.length > 0);
  await dee.close();
  const again = await user('dee');
  await watch(again, 'grace', false);
  expect(await ann.nothing((m) => m.type === 'presence_diff', 600)).toBe(true);
});

it('shows the info of a refreshed token, and a user whose refreshed token no longer allows a channel leaves it', async () => {
  const ann = await user('ann');
  await watch(ann, 'desk');
  await watch(ann, 'vault');
  const claims = { sub: 'dee', tenant: 'acme', info: { name: 'Dee' }, channels: { subscribe: ['desk', 'vault'] } };
  const dee = await TestClient.connect(server.wsUrl, await signToken(TEST_SECRET, claims, { expiresInS: 600 }));
  open.push(dee);
  await watch(dee, 'desk', false);
  await watch(dee, 'vault', false);
  for (const channel of ['desk', 'vault']) {
    expect(await diff(ann, (m) => m.channel === channel)).toMatchObject({ joins: [{ user: 'dee', info: { name: 'Dee' } }] });
  }

  const narrower = { ...claims, info: { name: 'Dee', status: 'away' }, channels: { subscribe: ['desk'] } };
  dee.send({ type: 'auth', ref: 'r', token: await signToken(TEST_SECRET, narrower, { expiresInS: 600 }) });
  expect(await dee.next((m) => m.ref === 'r')).toMatchObject({ type: 'welcome' });
  expect(await dee.next((m) => m.type === 'error')).toMatchObject({ code: 'FORBIDDEN', channel: 'vault' });
  // Still on desk, with the new info (a join is an upsert by user); gone from vault after the grace.
  expect(await diff(ann, (m) => m.channel === 'desk')).toEqual({
    type: 'presence_diff',
    channel: 'desk',
    count: 2,
    joins: [{ user: 'dee', connections: 1, joinedAt: expect.any(Number), info: { name: 'Dee', status: 'away' } }],
    leaves: [],
  });
  expect(await diff(ann, (m) => m.channel === 'vault')).toMatchObject({ count: 1, joins: [], leaves: ['dee'] });
  const listed = await http(server.url, 'GET', '/api/channels/desk/presence', { headers: { ...bearer(TEST_API_KEY), 'x-tenant-id': 'acme' } });
  expect(listed.body.users.find((u: Msg) => u.user === 'dee')).toMatchObject({ info: { name: 'Dee', status: 'away' } });
});

it('refuses presence where the token does not allow it, and allows it where it does', async () => {
  const limited = await user('eve', { channels: { subscribe: ['*'], presence: ['team:*'] } });
  const refused = await limited.request({ type: 'subscribe', channel: 'board', presence: true });
  expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  expect((await limited.request({ type: 'subscribe', channel: 'board' })).ok).toBe(true);
  await watch(limited, 'team:ops');
  const token = await signToken(TEST_SECRET, { sub: 'eve', tenant: 'acme', channels: { subscribe: ['*'], presence: ['team:*'] } }, { expiresInS: 600 });
  expect((await http(server.url, 'GET', '/api/channels/board/presence', { headers: bearer(token) })).status).toBe(403);
  expect((await http(server.url, 'GET', '/api/channels/team:ops/presence', { headers: bearer(token) })).body).toMatchObject({ channel: 'team:ops', count: 1 });
});

it('past the list limit sends the cut list once, then counts only', async () => {
  const ann = await user('ann');
  await watch(ann, 'crowd');
  for (const name of ['u1', 'u2']) await watch(await user(name), 'crowd', false);
  await diff(ann, (m) => m.count === 3);
  await watch(await user('u3'), 'crowd', false);
  const cut = await ann.next((m) => m.type === 'presence' && m.truncated);
  expect(cut).toMatchObject({ count: 4, truncated: true });
  expect(cut.users).toHaveLength(3);
  await watch(await user('u4'), 'crowd', false);
  expect(await diff(ann, (m) => m.count === 5)).toEqual({ type: 'presence_diff', channel: 'crowd', count: 5, joins: [], leaves: [] });
  // Past the limit no diff lists anyone.
  expect(ann.received.filter((m) => m.type === 'presence_diff' && m.count > 3 && (m.joins.length || m.leaves.length))).toEqual([]);
});

/**
 * docs/protocol.md §8, connection and subscription limits: PULSE_MAX_CONNECTIONS (checked at the
 * upgrade, where a socket still waiting to authenticate gives way to a newcomer),
 * PULSE_MAX_CONNECTIONS_PER_TENANT (checked at auth), both answered with error CONNECTION_LIMIT
 * and close 1013; PULSE_MAX_SUBSCRIPTIONS answered with SUBSCRIPTION_LIMIT. Budgets of sockets
 * that have not authenticated: unauthenticated.test.ts.
 */
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient } from '../helpers/ws-client';
import { sleep, subscribe } from '../helpers/http';

jest.setTimeout(15_000);

const tokenFor = (tenant: string, sub = 'u') => signToken(TEST_SECRET, { sub, tenant }, { expiresInS: 600 });

async function waitForCount(server: TestServer, count: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (server.hub.counters().connections !== count && Date.now() < deadline) await sleep(5);
  expect(server.hub.counters().connections).toBe(count);
}

describe('PULSE_MAX_CONNECTIONS=3', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_MAX_CONNECTIONS: '3' });
  });
  afterAll(() => server.close());

  it('counts unauthenticated sockets; at the limit the oldest of them gives way, and with every slot authenticated a newcomer is refused with CONNECTION_LIMIT and 1013', async () => {
    const a = await TestClient.connect(server.wsUrl);
    const b = await TestClient.connect(server.wsUrl);
    const pending = await TestClient.open(server.wsUrl); // never authenticates, still counts
    await waitForCount(server, 3);

    // A newcomer takes the place of the socket that never authenticated (docs/operations.md).
    const newcomer = await TestClient.open(server.wsUrl);
    expect(await pending.next((m) => m.type === 'error')).toEqual({ type: 'error', code: 'CONNECTION_LIMIT', message: expect.any(String) });
    expect((await pending.closed).code).toBe(1013);
    newcomer.send({ type: 'auth', ref: 'auth' });
    await expect(newcomer.next((m) => m.type === 'welcome')).resolves.toMatchObject({ ref: 'auth' });
    expect(server.hub.counters().connections).toBe(3);

    // Every slot authenticated: the next socket is refused.
    const refused = await TestClient.open(server.wsUrl);
    const error = await refused.next((m) => m.type === 'error');
    expect(error).toEqual({ type: 'error', code: 'CONNECTION_LIMIT', message: expect.any(String) });
    expect((await refused.closed).code).toBe(1013);
    expect(server.hub.counters().connections).toBe(3);
    expect(server.hub.counters().errors.CONNECTION_LIMIT).toBe(2);

    // The admitted ones are unaffected, and a freed slot is usable again.
    await expect(a.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });
    await newcomer.close();
    await waitForCount(server, 2);
    const c = await TestClient.connect(server.wsUrl);
    await expect(c.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });
    await Promise.all([a.close(), b.close(), c.close()]);
    await waitForCount(server, 0);
  });

  it('survives a burst of connections far over the limit', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 30 }, () => TestClient.open(server.wsUrl).then((client) => client, () => undefined)),
    );
    const clients = attempts.filter((c): c is TestClient => c !== undefined);
    const closes = await Promise.race([
      Promise.all(clients.map((c) => c.closed.then((close) => close.code))),
      sleep(1500).then(() => undefined),
    ]);
    // Each newcomer pushed out the oldest socket still waiting to authenticate: exactly three
    // stay open (they would time out on auth later); every other one got 1013.
    expect(closes).toBeUndefined();
    const closedCodes = clients.filter((c) => c.socket.readyState === c.socket.CLOSED).map((c) => c.received[0]?.code);
    expect(closedCodes).toHaveLength(27);
    expect(new Set(closedCodes)).toEqual(new Set(['CONNECTION_LIMIT']));
    expect(server.hub.counters().connections).toBe(3);
    await Promise.all(clients.map((c) => c.close()));
    await waitForCount(server, 0);
  });
});

describe('PULSE_MAX_CONNECTIONS_PER_TENANT=2', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_MAX_CONNECTIONS_PER_TENANT: '2' });
  });
  afterAll(() => server.close());

  it('refuses a third connection of one tenant at auth, not another tenant', async () => {
    const acme1 = await TestClient.connect(server.wsUrl, await tokenFor('acme', 'u1'));
    const acme2 = await TestClient.connect(server.wsUrl, await tokenFor('acme', 'u2'));

    const acme3 = await TestClient.open(server.wsUrl);
    acme3.send({ type: 'auth', ref: 1, token: await tokenFor('acme', 'u3') });
    expect(await acme3.next()).toEqual({ type: 'error', code: 'CONNECTION_LIMIT', message: expect.any(String) });
    expect((await acme3.closed).code).toBe(1013);

    const globex = await TestClient.connect(server.wsUrl, await tokenFor('globex'));
    expect(globex.welcome.tenant).toBe('globex');
    expect(server.hub.connectionsByTenant()).toEqual({ acme: 2, globex: 1 });

    // Leaving frees the slot.
    await acme1.close();
    await sleep(20);
    const again = await TestClient.connect(server.wsUrl, await tokenFor('acme', 'u4'));
    expect(again.welcome.tenant).toBe('acme');
    expect(server.hub.connectionsByTenant()).toEqual({ acme: 2, globex: 1 });
    await Promise.all([acme2.close(), globex.close(), again.close()]);
    await sleep(20);
    expect(server.hub.connectionsByTenant()).toEqual({});
  });

  it('counts anonymous sessions under tenant demo', async () => {
    const one = await TestClient.connect(server.wsUrl);
    const two = await TestClient.connect(server.wsUrl);
    await expect(TestClient.connect(server.wsUrl)).rejects.toThrow('CONNECTION_LIMIT');
    await Promise.all([one.close(), two.close()]);
  });

  it('does not count a refresh as a new connection', async () => {
    const one = await TestClient.connect(server.wsUrl, await tokenFor('initech', 'u'));
    const two = await TestClient.connect(server.wsUrl, await tokenFor('initech', 'u'));
    one.send({ type: 'auth', ref: 'refresh', token: await tokenFor('initech', 'u') });
    await expect(one.next((m) => m.type === 'welcome' && m.ref === 'refresh')).resolves.toMatchObject({ tenant: 'initech' });
    expect(server.hub.connectionsByTenant().initech).toBe(2);
    await Promise.all([one.close(), two.close()]);
  });
});

describe('PULSE_MAX_SUBSCRIPTIONS=3', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_MAX_SUBSCRIPTIONS: '3' });
  });
  afterAll(() => server.close());

  it('refuses a fourth channel with SUBSCRIPTION_LIMIT and keeps the connection', async () => {
    const client = await TestClient.connect(server.wsUrl);
    for (const channel of ['a', 'b', 'c']) await subscribe(client, channel);
    const refused = await client.request({ type: 'subscribe', channel: 'd' });
    expect(refused).toEqual({ type: 'reply', ref: expect.any(Number), ok: false, error: { code: 'SUBSCRIPTION_LIMIT', message: expect.any(String) } });
    expect(await client.nothing((m) => m.type === 'snapshot' && m.channel === 'd', 200)).toBe(true);

    // Without a ref the refusal is an unsolicited error.
    client.send({ type: 'subscribe', channel: 'e' });
    expect(await client.next((m) => m.type === 'error')).toMatchObject({ code: 'SUBSCRIPTION_LIMIT' });

    // Re-subscribing to a held channel replaces it and is not a new one.
    await subscribe(client, 'a', { filter: { ids: ['x'] } });
    // Unsubscribing frees a slot.
    await expect(client.request({ type: 'unsubscribe', channel: 'b' })).resolves.toMatchObject({ ok: true });
    await subscribe(client, 'd');
    expect([...server.hub.connection(client.welcome.connectionId)!.subscriptions.keys()].sort()).toEqual(['a', 'c', 'd']);
    await client.close();
  });
});

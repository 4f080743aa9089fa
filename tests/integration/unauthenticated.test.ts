/**
 * Sockets that have not authenticated (docs/operations.md, "Sockets that have not
 * authenticated"): they cannot take every slot. They have a budget of their own
 * (PULSE_MAX_UNAUTHENTICATED) and a cap per client address
 * (PULSE_MAX_UNAUTHENTICATED_PER_ADDRESS); when a budget or the connection limit is full, the
 * oldest waiting socket gives way to the newcomer with error CONNECTION_LIMIT and close 1013,
 * so a client that authenticates right away always gets in. Authenticated sockets never give way.
 */
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient } from '../helpers/ws-client';
import { sleep } from '../helpers/http';

jest.setTimeout(20_000);

const token = (sub: string) => signToken(TEST_SECRET, { sub, tenant: 'acme' }, { expiresInS: 600 });

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check() && Date.now() < deadline) await sleep(5);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** Opens `count` sockets that never authenticate, one after another (from `forwardedFor`, behind a trusted proxy). */
async function idle(server: TestServer, count: number, forwardedFor?: string): Promise<TestClient[]> {
  const sockets: TestClient[] = [];
  for (let i = 0; i < count; i++) {
    sockets.push(await TestClient.open(server.wsUrl, forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}));
  }
  return sockets;
}

const isOpen = (client: TestClient) => client.socket.readyState === client.socket.OPEN;

async function expectPushedOut(client: TestClient): Promise<void> {
  expect(await client.next((m) => m.type === 'error')).toEqual({ type: 'error', code: 'CONNECTION_LIMIT', message: expect.any(String) });
  expect((await client.closed).code).toBe(1013);
}

describe('PULSE_MAX_CONNECTIONS=40 and 40 idle sockets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_MAX_CONNECTIONS: '40' });
  });
  afterAll(() => server.close());

  it('lets real clients in, each pushing out the oldest idle socket, and refuses only when every slot is authenticated', async () => {
    const sockets = await idle(server, 40);
    await waitFor(() => server.hub.counters().connections === 40, '40 connections');

    const real = await TestClient.connect(server.wsUrl, await token('real-1'));
    expect(real.welcome).toMatchObject({ type: 'welcome', user: 'real-1' });
    await expectPushedOut(sockets[0]);
    expect(sockets.slice(1).every(isOpen)).toBe(true);

    // Every further real client gets in the same way, and those already in stay.
    const more: TestClient[] = [];
    for (let i = 2; i <= 5; i++) more.push(await TestClient.connect(server.wsUrl, await token(`real-${i}`)));
    for (const pushed of sockets.slice(1, 5)) await expectPushedOut(pushed);
    expect(server.hub.counters().connections).toBe(40);
    await expect(real.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });

    // Once the idle sockets are gone and authenticated ones hold every slot, a newcomer is refused.
    await Promise.all(sockets.slice(5).map((s) => s.close()));
    await waitFor(() => server.hub.counters().connections === 5, 'the idle sockets gone');
    const rest: TestClient[] = [];
    for (let i = 6; i <= 40; i++) rest.push(await TestClient.connect(server.wsUrl, await token(`real-${i}`)));
    const refused = await TestClient.open(server.wsUrl);
    await expectPushedOut(refused);
    expect(server.hub.counters().connections).toBe(40);
    await Promise.all([real, ...more, ...rest].map((c) => c.close()));
  });
});

describe('PULSE_MAX_UNAUTHENTICATED_PER_ADDRESS=5', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_MAX_UNAUTHENTICATED: '8', PULSE_MAX_UNAUTHENTICATED_PER_ADDRESS: '5', PULSE_TRUSTED_PROXIES: '1' });
  });
  afterAll(() => server.close());
  afterEach(async () => {
    for (const { id } of server.hub.listConnections()) server.hub.connection(id)?.socket.terminate();
    await waitFor(() => server.hub.counters().connections === 0, 'no connections');
  });

  it('keeps at most 5 waiting sockets of one address, the newest ones', async () => {
    const sockets = await idle(server, 12);
    for (const pushed of sockets.slice(0, 7)) await expectPushedOut(pushed);
    expect(sockets.slice(7).every(isOpen)).toBe(true);
    expect(server.hub.counters().connections).toBe(5);
    // A real client from that address still gets in (the oldest waiting one gives way), and
    // authenticated sockets are not capped.
    const clients = [];
    for (let i = 0; i < 7; i++) clients.push(await TestClient.connect(server.wsUrl, await token(`u${i}`)));
    await expectPushedOut(sockets[7]);
    expect(clients.every(isOpen)).toBe(true);
    expect(sockets.slice(8).every(isOpen)).toBe(true);
    expect(server.hub.counters().connections).toBe(4 + 7);
    expect(server.hub.counters().errors.CONNECTION_LIMIT).toBeGreaterThanOrEqual(8);
  });

  it('never pushes out a socket that has sent auth', async () => {
    const early = await TestClient.connect(server.wsUrl, await token('early'));
    await idle(server, 10);
    expect(isOpen(early)).toBe(true);
    await expect(early.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });
  });

  it('counts the client a trusted proxy forwarded, and a flooding address pushes out only its own sockets', async () => {
    const flooder = '203.0.113.66';
    const victims = [...(await idle(server, 2, '198.51.100.1')), ...(await idle(server, 1, '198.51.100.2'))];
    const flood = await idle(server, 30, flooder);
    // The budget of 8: the flooder keeps its 5 newest, the other addresses keep all of theirs.
    expect(victims.every(isOpen)).toBe(true);
    await waitFor(() => flood.filter(isOpen).length === 5, 'the flood cut to 5');
    expect(flood.slice(25).every(isOpen)).toBe(true);
    expect(server.hub.counters().connections).toBe(8);
    // The victims can still authenticate.
    victims[0].send({ type: 'auth', ref: 1, token: await token('victim') });
    expect(await victims[0].next((m) => m.type === 'welcome')).toMatchObject({ user: 'victim' });
  });

  it('at the overall budget, the address holding the most waiting sockets gives way', async () => {
    const a = await idle(server, 5, '192.0.2.1');
    const b = await idle(server, 3, '192.0.2.2');
    const c = await idle(server, 1, '192.0.2.3');
    await expectPushedOut(a[0]);
    expect([...a.slice(1), ...b, ...c].every(isOpen)).toBe(true);
    expect(server.hub.counters().connections).toBe(8);
  });
});

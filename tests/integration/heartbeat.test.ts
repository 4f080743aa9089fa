/**
 * docs/protocol.md §8, heartbeat: the server pings every PULSE_HEARTBEAT_MS and terminates a
 * connection from which nothing (pong or message) arrived for two intervals, half-open TCP
 * peers included. Live clients, even idle ones, stay connected.
 */
import type { Socket } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestClient } from '../helpers/ws-client';
import { sleep, subscribe } from '../helpers/http';

jest.setTimeout(15_000);

const HEARTBEAT_MS = 200;
const tcp = (client: TestClient): Socket => (client.socket as unknown as { _socket: Socket })._socket;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ PULSE_HEARTBEAT_MS: String(HEARTBEAT_MS), PULSE_BATCH_MS: '10' });
});
afterAll(() => server.close());

it('announces the interval in welcome and pings at it', async () => {
  const client = await TestClient.connect(server.wsUrl);
  expect(client.welcome.heartbeatMs).toBe(HEARTBEAT_MS);
  const pings: number[] = [];
  client.socket.on('ping', () => pings.push(Date.now()));
  await sleep(HEARTBEAT_MS * 5 + 50);
  expect(pings.length).toBeGreaterThanOrEqual(3);
  expect(pings.length).toBeLessThanOrEqual(6);
  const gaps = pings.slice(1).map((t, i) => t - pings[i]);
  for (const gap of gaps) expect(gap).toBeGreaterThan(HEARTBEAT_MS / 2);
  await client.close();
});

it('keeps an idle client that answers pings', async () => {
  const client = await TestClient.connect(server.wsUrl);
  await subscribe(client, 'idle');
  await sleep(HEARTBEAT_MS * 6);
  expect(client.socket.readyState).toBe(client.socket.OPEN);
  expect(server.hub.connection(client.welcome.connectionId)).toBeDefined();
  const reply = await client.request({ type: 'ping' });
  expect(reply).toMatchObject({ ok: true, ts: expect.any(Number) });
  await client.close();
});

it('terminates a peer that stops answering (half-open: its TCP socket no longer reads)', async () => {
  const client = await TestClient.connect(server.wsUrl);
  // A paused TCP socket reads nothing, so the client's automatic pongs never go out: to the
  // server it looks like a peer whose network went away without a FIN.
  await subscribe(client, 'half-open');
  const id = client.welcome.connectionId;
  const bystander = await TestClient.connect(server.wsUrl);
  await subscribe(bystander, 'half-open');

  const pausedAt = Date.now();
  tcp(client).pause();
  while (server.hub.connection(id) !== undefined && Date.now() - pausedAt < 5000) await sleep(10);
  const goneAfter = Date.now() - pausedAt;
  expect(server.hub.connection(id)).toBeUndefined();
  // Silent for two intervals, noticed at the next tick: between 2 and 3 intervals (plus slack
  // for a busy machine).
  expect(goneAfter).toBeGreaterThanOrEqual(HEARTBEAT_MS * 2 - 20);
  expect(goneAfter).toBeLessThan(HEARTBEAT_MS * 3 + 1000);

  tcp(client).resume();
  const close = await client.closed;
  // Terminated, not closed: no close frame, so the client sees an abnormal closure.
  expect(close.code).toBe(1006);

  // Others are untouched.
  const { seq } = await server.hub.publish('demo', 'half-open', { upsert: [{ id: 'x', v: 1 }] });
  await expect(bystander.next((m) => m.type === 'delta' && m.seq === seq)).resolves.toBeTruthy();
  expect(server.hub.connection(bystander.welcome.connectionId)).toBeDefined();
  await bystander.close();
});

it('terminates a silent peer even before it has authenticated', async () => {
  const client = await TestClient.open(server.wsUrl);
  tcp(client).pause();
  const started = Date.now();
  while (server.hub.counters().connections > 0 && Date.now() - started < 5000) await sleep(10);
  expect(server.hub.counters().connections).toBe(0);
  expect(Date.now() - started).toBeLessThan(HEARTBEAT_MS * 3 + 1000);
  tcp(client).resume();
  expect((await client.closed).code).toBe(1006);
});

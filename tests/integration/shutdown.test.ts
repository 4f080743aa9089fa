/**
 * docs/protocol.md §11, graceful shutdown, on a hub in its own process: on SIGTERM or SIGINT the
 * server answers 503 (health included), refuses new upgrades, flushes pending batches, closes
 * every socket with 1001, waits at most PULSE_SHUTDOWN_GRACE_MS for them, and exits 0.
 */
import type { Socket } from 'node:net';
import { startChildHub, type ChildHub } from '../helpers/child-hub';
import { TEST_API_KEY, TEST_SECRET } from '../helpers/server';
import { TestClient } from '../helpers/ws-client';
import { bearer, http, subscribe } from '../helpers/http';

jest.setTimeout(30_000);

const GRACE_MS = 2500;
const tcp = (client: TestClient): Socket => (client.socket as unknown as { _socket: Socket })._socket;

const env = {
  PULSE_JWT_SECRET: TEST_SECRET,
  PULSE_API_KEY: TEST_API_KEY,
  // Long batches: whatever was published right before the signal is still pending.
  PULSE_BATCH_MS: '10000',
  PULSE_SHUTDOWN_GRACE_MS: String(GRACE_MS),
};

let hub: ChildHub | undefined;
afterEach(() => {
  if (hub && hub.process.exitCode === null) hub.kill('SIGKILL');
  hub = undefined;
});

async function publish(hub: ChildHub, channel: string, body: unknown): Promise<number> {
  const res = await http(hub.url, 'POST', `/api/channels/${channel}/publish`, { body, headers: bearer(TEST_API_KEY) });
  expect(res.status).toBe(200);
  return res.body.seq;
}

it.each(['SIGTERM', 'SIGINT'] as const)('on %s flushes pending batches, closes every socket with 1001 and exits 0', async (signal) => {
  hub = await startChildHub(env);
  const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(hub!.wsUrl)));
  for (const client of clients) await subscribe(client, 'kpi');
  const seq = await publish(hub, 'kpi', { upsert: [{ id: 'q1', waiting: 12 }] });

  const signalledAt = Date.now();
  hub.kill(signal);
  const closes = await Promise.all(clients.map((c) => c.closed));
  const { code, signal: killedBy } = await hub.exited;
  const tookMs = Date.now() - signalledAt;

  expect(code).toBe(0);
  expect(killedBy).toBeNull();
  expect(tookMs).toBeLessThan(GRACE_MS);
  for (const [i, client] of clients.entries()) {
    expect(closes[i].code).toBe(1001);
    // The pending batch arrived before the close.
    const delta = client.received.find((m) => m.type === 'delta');
    expect(delta).toMatchObject({ channel: 'kpi', prevSeq: 0, seq, upsert: [{ id: 'q1', waiting: 12 }] });
  }
  expect(hub.stderr()).toContain('"msg":"shutting down"');
});

it('answers 503 and refuses upgrades while it waits, terminates a socket that never closes, and exits 0 within the grace period', async () => {
  hub = await startChildHub(env);
  const polite = await TestClient.connect(hub.wsUrl);
  const stuck = await TestClient.connect(hub.wsUrl);
  await subscribe(polite, 'kpi');
  await subscribe(stuck, 'kpi');
  const seq = await publish(hub, 'kpi', { upsert: [{ id: 'q2', waiting: 1 }] });
  // This one reads nothing from now on: it will never answer the close frame.
  tcp(stuck).pause();
  expect((await http(hub.url, 'GET', '/api/health')).status).toBe(200);

  const signalledAt = Date.now();
  hub.kill('SIGTERM');
  const politeClose = await polite.closed;
  expect(politeClose.code).toBe(1001);
  expect(polite.received.find((m) => m.type === 'delta')).toMatchObject({ seq });

  // Still waiting for the stuck socket: HTTP answers 503, upgrades are refused.
  const health = await http(hub.url, 'GET', '/api/health');
  expect(health.status).toBe(503);
  expect(health.body).toMatchObject({ status: 'shutting_down' });
  const snapshot = await http(hub.url, 'GET', '/api/channels/kpi/snapshot');
  expect(snapshot.status).toBe(503);
  await expect(TestClient.open(hub.wsUrl)).rejects.toThrow('HTTP 503');

  const { code } = await hub.exited;
  const tookMs = Date.now() - signalledAt;
  expect(code).toBe(0);
  expect(tookMs).toBeGreaterThanOrEqual(GRACE_MS - 100);
  expect(tookMs).toBeLessThan(GRACE_MS + 3000);

  // The stuck client, once it reads again, finds the delta, then the 1001 close frame.
  tcp(stuck).resume();
  const stuckClose = await stuck.closed;
  expect([1001, 1006]).toContain(stuckClose.code);
  expect(stuck.received.find((m) => m.type === 'delta')).toMatchObject({ seq });
});

it('exits 0 at once with no clients', async () => {
  hub = await startChildHub(env);
  const signalledAt = Date.now();
  hub.kill('SIGTERM');
  expect((await hub.exited).code).toBe(0);
  expect(Date.now() - signalledAt).toBeLessThan(1500);
});

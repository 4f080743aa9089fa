/**
 * docs/protocol.md §10, the admin routes: GET /api/ws/stats, GET /api/ws/connections,
 * DELETE /api/ws/connections/:id (close 1008) and GET /metrics (Prometheus text), behind
 * PULSE_API_KEY; in development without a key, open to loopback clients only.
 */
import { networkInterfaces } from 'node:os';
import { loadConfig } from '@/lib/config';
import { createLogger } from '@/lib/log';
import { startPulseServer, type PulseServer } from '@/lib/server/start';
import { startTestServer, TEST_API_KEY, TEST_ENGINE, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient } from '../helpers/ws-client';
import { bearer, connectPublisher, http, publishOk, sleep, subscribe } from '../helpers/http';

jest.setTimeout(15_000);

const ADMIN_ROUTES: Array<[string, string]> = [
  ['GET', '/api/ws/stats'],
  ['GET', '/api/ws/connections'],
  ['DELETE', '/api/ws/connections/c_nobody'],
  ['GET', '/metrics'],
];

/** Prometheus text → sample name with labels → value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('with PULSE_API_KEY', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_API_KEY: TEST_API_KEY, PULSE_BATCH_MS: '10' });
  });
  afterAll(() => server.close());

  it.each(ADMIN_ROUTES)('%s %s answers 401 without the key, with a wrong key, and with a user token', async (method, path) => {
    const userToken = await signToken(TEST_SECRET, { sub: 'u', tenant: 'demo', channels: { subscribe: ['*'], publish: ['*'] } }, { expiresInS: 60 });
    for (const headers of [{}, bearer('wrong-key-123'), bearer(`${TEST_API_KEY}x`), bearer(userToken), { authorization: TEST_API_KEY }]) {
      const res = await http(server.url, method, path, { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'AUTH_FAILED', message: expect.any(String) } });
    }
  });

  it('GET /api/ws/stats reports connections, traffic, latency, errors and slow consumers', async () => {
    const acme = await TestClient.connect(server.wsUrl, await signToken(TEST_SECRET, { sub: 'ann', tenant: 'acme' }, { expiresInS: 600 }));
    const viewer = await TestClient.connect(server.wsUrl);
    const publisher = await connectPublisher(server.wsUrl, TEST_SECRET);
    await subscribe(acme, 'kpi');
    await subscribe(viewer, 'kpi');
    await subscribe(viewer, 'fleet');
    const { seq } = await publishOk(publisher, 'kpi', { upsert: [{ id: 'q1', v: 1 }] });
    await viewer.next((m) => m.type === 'delta' && m.seq === seq);
    await viewer.request({ type: 'unsubscribe', channel: 'nope' }); // NOT_SUBSCRIBED

    const res = await http(server.url, 'GET', '/api/ws/stats', { headers: bearer(TEST_API_KEY) });
    expect(res.status).toBe(200);
    const stats = res.body;
    expect(stats).toEqual({
      instance: server.hub.instance,
      at: expect.any(Number),
      engine: TEST_ENGINE,
      uptimeS: expect.any(Number),
      connections: { total: 3, byTenant: { acme: 1, demo: 2 } },
      channels: 3,
      subscriptions: 3,
      messages: { in: expect.any(Number), out: expect.any(Number), inPerSec: expect.any(Number), outPerSec: expect.any(Number) },
      bytes: { in: expect.any(Number), out: expect.any(Number), inPerSec: expect.any(Number), outPerSec: expect.any(Number) },
      latencyMs: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) },
      errors: expect.objectContaining({ NOT_SUBSCRIBED: 1 }),
      slowConsumers: 0,
      flushErrors: 0,
      http: expect.objectContaining({ rateLimited: 0, authFailures: expect.any(Number), snapshots: expect.objectContaining({ active: 0, queued: 0 }) }),
      sources: [],
      viewers: [
        { tenant: 'demo', channel: 'fleet', users: 1 },
        { tenant: 'acme', channel: 'kpi', users: 1 },
        { tenant: 'demo', channel: 'kpi', users: 1 },
      ],
      cluster: {
        instances: [{ instance: server.hub.instance, startedAt: expect.any(Number), uptimeS: expect.any(Number), connections: 3, subscriptions: 3 }],
        connections: 3,
        subscriptions: 3,
      },
    });
    expect(stats.messages.in).toBeGreaterThanOrEqual(8);
    expect(stats.messages.out).toBeGreaterThanOrEqual(10);
    expect(stats.bytes.in).toBeGreaterThan(100);
    expect(stats.bytes.out).toBeGreaterThan(stats.bytes.in);
    expect(stats.latencyMs.p50).toBeGreaterThan(0);
    expect(stats.latencyMs.p99).toBeGreaterThanOrEqual(stats.latencyMs.p50);
    await Promise.all([acme.close(), viewer.close(), publisher.close()]);
  });

  it('GET /api/ws/connections lists every connection with its subscriptions and buffer', async () => {
    const client = await TestClient.connect(server.wsUrl, await signToken(TEST_SECRET, { sub: 'bob', tenant: 'globex' }, { expiresInS: 600 }));
    await subscribe(client, 'a');
    await subscribe(client, 'b:c');
    const unauthenticated = await TestClient.open(server.wsUrl);
    await sleep(20);
    const res = await http(server.url, 'GET', '/api/ws/connections', { headers: bearer(TEST_API_KEY) });
    expect(res.status).toBe(200);
    const entry = res.body.connections.find((c: { id: string }) => c.id === client.welcome.connectionId);
    expect(entry).toEqual({
      id: client.welcome.connectionId,
      user: 'bob',
      tenant: 'globex',
      subscriptions: ['a', 'b:c'],
      connectedAt: expect.any(Number),
      lastActivityAt: expect.any(Number),
      bufferedBytes: 0,
      remoteAddress: expect.stringMatching(/127\.0\.0\.1$/),
    });
    expect(entry.lastActivityAt).toBeGreaterThanOrEqual(entry.connectedAt);
    expect(res.body.connections.filter((c: { user: string | null }) => c.user === null)).toHaveLength(1);
    await Promise.all([client.close(), unauthenticated.close()]);
  });

  it('DELETE /api/ws/connections/:id closes that connection with 1008 and no other', async () => {
    const victim = await TestClient.connect(server.wsUrl);
    const other = await TestClient.connect(server.wsUrl);
    const res = await http(server.url, 'DELETE', `/api/ws/connections/${victim.welcome.connectionId}`, { headers: bearer(TEST_API_KEY) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: victim.welcome.connectionId, closed: true });
    expect((await victim.closed).code).toBe(1008);
    await expect(other.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });

    const again = await http(server.url, 'DELETE', `/api/ws/connections/${victim.welcome.connectionId}`, { headers: bearer(TEST_API_KEY) });
    expect(again.status).toBe(404);
    const refused = await http(server.url, 'DELETE', `/api/ws/connections/${other.welcome.connectionId}`);
    expect(refused.status).toBe(401);
    await expect(other.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });
    await other.close();
  });

  it('GET /metrics serves Prometheus text with the hub metrics and the process defaults', async () => {
    const viewer = await TestClient.connect(server.wsUrl);
    const publisher = await connectPublisher(server.wsUrl, TEST_SECRET);
    await subscribe(viewer, 'm1');
    await subscribe(viewer, 'm2');
    for (let i = 1; i <= 3; i++) {
      const { seq } = await publishOk(publisher, 'm1', { upsert: [{ id: 'r', n: i }] });
      await viewer.next((m) => m.type === 'delta' && m.seq === seq);
    }
    await viewer.request({ type: 'resync', channel: 'zzz' }); // NOT_SUBSCRIBED

    const res = await fetch(`${server.url}/metrics`, { headers: bearer(TEST_API_KEY) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const samples = parseMetrics(text);

    for (const [name, type] of [
      ['pulse_connections', 'gauge'],
      ['pulse_subscriptions', 'gauge'],
      ['pulse_channels', 'gauge'],
      ['pulse_slow_consumers', 'gauge'],
      ['pulse_messages_in_total', 'counter'],
      ['pulse_messages_out_total', 'counter'],
      ['pulse_bytes_in_total', 'counter'],
      ['pulse_bytes_out_total', 'counter'],
      ['pulse_publishes_total', 'counter'],
      ['pulse_flushes_total', 'counter'],
      ['pulse_flush_seconds_total', 'counter'],
      ['pulse_rate_limited_total', 'counter'],
      ['pulse_slow_consumer_events_total', 'counter'],
      ['pulse_errors_total', 'counter'],
      ['pulse_delivery_latency_seconds', 'histogram'],
      ['pulse_flush_duration_seconds', 'histogram'],
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    expect(samples.get('pulse_connections')).toBe(2);
    expect(samples.get('pulse_subscriptions')).toBe(2);
    expect(samples.get('pulse_messages_in_total')).toBe(server.hub.counters().messagesIn);
    expect(samples.get('pulse_bytes_out_total')).toBeGreaterThan(0);
    expect(samples.get('pulse_flushes_total')).toBeGreaterThan(0);
    expect(samples.get('pulse_flush_seconds_total')).toBeGreaterThan(0);
    expect(samples.get('pulse_errors_total{code="NOT_SUBSCRIBED"}')).toBe(server.hub.counters().errors.NOT_SUBSCRIBED);
    expect(samples.get('pulse_rate_limited_total')).toBe(0);
    expect(samples.get('pulse_slow_consumer_events_total')).toBe(0);
    const count = samples.get('pulse_delivery_latency_seconds_count')!;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(samples.get('pulse_delivery_latency_seconds_bucket{le="+Inf"}')).toBe(count);
    expect(samples.get('pulse_delivery_latency_seconds_bucket{le="10"}')).toBe(count);
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(1e6);

    // Counters only grow between scrapes, and follow the hub.
    await publishOk(publisher, 'm1', { upsert: [{ id: 'r', n: 99 }] });
    const later = parseMetrics(await (await fetch(`${server.url}/metrics`, { headers: bearer(TEST_API_KEY) })).text());
    expect(later.get('pulse_messages_in_total')!).toBeGreaterThan(samples.get('pulse_messages_in_total')!);
    expect(later.get('pulse_publishes_total')!).toBe(samples.get('pulse_publishes_total')! + 1);
    await Promise.all([viewer.close(), publisher.close()]);
    const closed = parseMetrics(await (await fetch(`${server.url}/metrics`, { headers: bearer(TEST_API_KEY) })).text());
    expect(closed.get('pulse_connections')).toBe(0);
  });
});

describe('production without a key (PULSE_ANONYMOUS=1 on purpose)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', PULSE_ANONYMOUS: '1' });
  });
  afterAll(() => server.close());

  it.each(ADMIN_ROUTES)('%s %s is closed even to loopback', async (method, path) => {
    const res = await http(server.url, method, path);
    expect(res.status).toBe(401);
  });
});

describe('development without a key', () => {
  let server: PulseServer;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  beforeAll(async () => {
    const config = loadConfig({ NODE_ENV: 'development', PULSE_JWT_SECRET: TEST_SECRET, PULSE_SIMULATOR: 'off', PULSE_LOG_LEVEL: 'silent' });
    server = await startPulseServer({ config, port: 0, host: '0.0.0.0', log: createLogger('silent') });
  });
  afterAll(() => server.close());

  it.each(ADMIN_ROUTES)('%s %s is open to loopback clients', async (method, path) => {
    const res = await http(`http://127.0.0.1:${server.port}`, method, path);
    expect(res.status).toBe(method === 'DELETE' ? 404 : 200);
  });

  (external ? it.each(ADMIN_ROUTES) : it.skip.each(ADMIN_ROUTES))('%s %s answers 403 to other addresses', async (method, path) => {
    const res = await http(`http://${external}:${server.port}`, method, path);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
  });
});

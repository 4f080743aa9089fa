/**
 * The server's own figures as series (docs/operations.md, "The server's figures as series"):
 * every instance writes what GET /api/ws/stats reports of it once a second, GET
 * /api/ws/stats/series reads them back for the admin only, and no tenant reaches them.
 */
import { SERVER_TENANT, STATS_CHANNEL, STATS_FIELDS } from '@/lib/hub/server-figures';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { bearer, connectPublisher, http, publishOk, sleep, subscribe } from '../helpers/http';
import { startTestServer, TEST_API_KEY, TEST_ENGINE, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(40_000);

const SERIES_PATH = '/api/ws/stats/series';

/** The admin's read of the server's figures. */
async function figuresSeries(server: TestServer, query = ''): Promise<Msg> {
  const res = await http(server.url, 'GET', `${SERIES_PATH}${query}`, { headers: bearer(TEST_API_KEY) });
  expect(res.status).toBe(200);
  return res.body;
}

async function stats(server: TestServer): Promise<Msg> {
  const res = await http(server.url, 'GET', '/api/ws/stats', { headers: bearer(TEST_API_KEY) });
  expect(res.status).toBe(200);
  return res.body;
}

/** The value of `field` in the bucket holding time `at`, from a series body. */
function valueAt(body: Msg, instance: string, field: string, at: number): number | null {
  const { series } = body;
  return series.records[instance][field][Math.floor((at - series.start) / series.resolutionMs)];
}

/** Waits until the sample of the second after `at` has been written (samples are taken half-way through each second). */
async function nextSample(at: number): Promise<void> {
  const waitMs = Math.ceil((at + 1) / 1000) * 1000 + 700 - Date.now();
  if (waitMs > 0) await sleep(waitMs);
}

const clients: TestClient[] = [];
async function track<T extends TestClient>(client: Promise<T>): Promise<T> {
  const opened = await client;
  clients.push(opened);
  return opened;
}

describe('one server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_API_KEY: TEST_API_KEY, PULSE_BATCH_MS: '10' });
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server.close();
  });

  it('keeps one record per second for this instance, with every figure as a series of 900 one-second buckets', async () => {
    await sleep(2200);
    const body = await figuresSeries(server);
    expect(body).toEqual({ channel: STATS_CHANNEL, instance: server.hub.instance, epoch: expect.any(String), seq: expect.any(Number), series: expect.any(Object) });
    const { series } = body;
    expect(series.resolutionMs).toBe(1000);
    expect((series.end - series.start) / 1000).toBe(900);
    expect(series.fields).toEqual([...STATS_FIELDS]);
    expect(Object.keys(series.records)).toEqual([server.hub.instance]);
    const connections: Array<number | null> = series.records[server.hub.instance].connections;
    expect(connections).toHaveLength(900);
    // Buckets before the server started are null; the last ones hold figures.
    expect(connections[0]).toBeNull();
    expect(connections.slice(-2)).toEqual([0, 0]);
    // A shorter window and a subset of the fields, as the channel series route takes them.
    const narrow = await figuresSeries(server, '?windowMs=5000&fields=connections,latencyP95Ms');
    expect(narrow.series.fields).toEqual(['connections', 'latencyP95Ms']);
    expect((narrow.series.end - narrow.series.start) / 1000).toBe(5);
    expect((await http(server.url, 'GET', `${SERIES_PATH}?fields=nope`, { headers: bearer(TEST_API_KEY) })).status).toBe(400);
  });

  it('has per-second points that agree with GET /api/ws/stats after a burst of traffic', async () => {
    const before = await stats(server);
    const publisher = await track(connectPublisher(server.wsUrl, TEST_SECRET));
    const viewers = [await track(TestClient.connect(server.wsUrl)), await track(TestClient.connect(server.wsUrl))];
    for (const viewer of viewers) await subscribe(viewer, 'burst');
    // About 30 publishes a second for three seconds, each delivered to two viewers.
    const burstStart = Date.now();
    for (let i = 0; i < 90; i++) {
      await publishOk(publisher, 'burst', { upsert: [{ id: `r${i % 5}`, v: i }] });
      await sleep(33);
    }
    for (const viewer of viewers) await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.v === 89));
    // Quiet until the five-second rates have gone back to zero, and one more sample.
    await sleep(7000);
    const after = await stats(server);
    await nextSample(after.at);
    const body = await figuresSeries(server);
    const instance = server.hub.instance;

    // Gauges and counts: the bucket of a stats reading holds what that reading said.
    for (const [field, value] of [
      ['connections', after.connections.total],
      ['subscriptions', after.subscriptions],
      ['channels', after.channels],
      ['slowConsumers', after.slowConsumers],
      ['messagesInPerSec', after.messages.inPerSec],
      ['messagesOutPerSec', after.messages.outPerSec],
      ['latencyP95Ms', after.latencyMs.p95],
    ] as const) {
      expect([field, valueAt(body, instance, field, after.at)]).toEqual([field, value]);
    }
    expect(after.connections.total).toBe(3);
    expect(after.messages.inPerSec).toBe(0);

    // Rates: the per-second points over the burst add up to the messages counted meanwhile.
    // Loosely: each point is a five-second average, and a tick the sampler skips on a busy
    // machine carries the previous point forward into its bucket, counting it twice in the sum.
    const points = (field: string) => {
      const values: Array<number | null> = body.series.records[instance][field];
      const from = Math.floor((burstStart - body.series.start) / 1000) - 1;
      return values.slice(from).map((v) => v ?? 0);
    };
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const counted = { in: after.messages.in - before.messages.in, out: after.messages.out - before.messages.out };
    expect(counted.out).toBeGreaterThanOrEqual(180);
    expect(sum(points('messagesInPerSec')) / counted.in).toBeGreaterThan(0.75);
    expect(sum(points('messagesInPerSec')) / counted.in).toBeLessThan(1.5);
    expect(sum(points('messagesOutPerSec')) / counted.out).toBeGreaterThan(0.75);
    expect(sum(points('messagesOutPerSec')) / counted.out).toBeLessThan(1.5);
    expect(points('messagesOutPerSec').filter((v) => v > 0).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...points('latencyP95Ms'))).toBeGreaterThan(0);
  });

  it('counts its own writes as no traffic: not as publishes, messages or bytes', async () => {
    const quiet = await startTestServer({ PULSE_API_KEY: TEST_API_KEY });
    try {
      await sleep(2600);
      const { body } = await http(quiet.url, 'GET', '/api/ws/stats', { headers: bearer(TEST_API_KEY) });
      expect(body.messages).toEqual({ in: 0, out: 0, inPerSec: 0, outPerSec: 0 });
      expect(body.bytes).toEqual({ in: 0, out: 0, inPerSec: 0, outPerSec: 0 });
      expect(quiet.hub.counters().publishes).toBe(0);
      // …and yet they were written.
      expect(Object.keys((await figuresSeries(quiet)).series.records)).toEqual([quiet.hub.instance]);
    } finally {
      await quiet.close();
    }
  });

  it('answers GET /api/ws/stats/series to the admin key only', async () => {
    const userToken = await signToken(TEST_SECRET, { sub: 'u', tenant: 'demo', channels: { subscribe: ['*'], publish: ['*'] } }, { expiresInS: 60 });
    for (const headers of [{}, bearer('wrong-key-123'), bearer(`${TEST_API_KEY}x`), bearer(userToken), { authorization: TEST_API_KEY }]) {
      const res = await http(server.url, 'GET', SERIES_PATH, { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'AUTH_FAILED', message: expect.any(String) } });
    }
  });

  it('lets no tenant reach the figures: a token naming the reserved tenant is refused, every other reads its own empty channel', async () => {
    const seqBefore = (await figuresSeries(server)).seq;
    // A token cannot carry the reserved tenant, nor leave the tenant out.
    for (const claims of [{ sub: 'x', tenant: SERVER_TENANT }, { sub: 'x' } as { sub: string; tenant: string }]) {
      const token = await signToken(TEST_SECRET, { ...claims, channels: { subscribe: ['*'], publish: ['*'] } }, { expiresInS: 60 });
      await expect(TestClient.connect(server.wsUrl, token)).rejects.toThrow(/AUTH_FAILED/);
      expect((await http(server.url, 'GET', `/api/channels/${STATS_CHANNEL}/snapshot`, { headers: bearer(token) })).status).toBe(401);
    }
    // Nor can the admin's X-Tenant-ID.
    const header = await http(server.url, 'GET', `/api/channels/${STATS_CHANNEL}/snapshot`, { headers: { ...bearer(TEST_API_KEY), 'x-tenant-id': SERVER_TENANT } });
    expect(header.status).toBe(400);

    // A tenant's `_pulse.stats` is its own channel: empty, no series, silent while the figures are written.
    const acme = await track(connectPublisher(server.wsUrl, TEST_SECRET, 'acme', 'ann'));
    const anonymous = await track(TestClient.connect(server.wsUrl));
    for (const client of [acme, anonymous]) {
      const { reply, first } = await subscribe(client, STATS_CHANNEL, { series: true });
      expect(reply.series).toBe(false);
      expect(first).toMatchObject({ type: 'snapshot', seq: 0, records: [] });
    }
    await sleep(2100);
    expect((await figuresSeries(server)).seq).toBeGreaterThanOrEqual(seqBefore + 2);
    for (const client of [acme, anonymous]) expect(client.received.filter((m) => m.type === 'delta')).toEqual([]);

    const token = await signToken(TEST_SECRET, { sub: 'ann', tenant: 'acme', channels: { subscribe: ['*'], publish: ['*'] } }, { expiresInS: 60 });
    for (const headers of [bearer(token), {}, bearer(TEST_API_KEY)]) {
      const snapshot = await http(server.url, 'GET', `/api/channels/${STATS_CHANNEL}/snapshot`, { headers });
      expect(snapshot.status).toBe(200);
      expect(snapshot.body).toMatchObject({ seq: 0, records: [] });
      expect((await http(server.url, 'GET', `/api/channels/${STATS_CHANNEL}/series`, { headers })).status).toBe(404);
    }
    // What a tenant writes to its own `_pulse.stats` stays there.
    await publishOk(acme, STATS_CHANNEL, { upsert: [{ id: server.hub.instance, connections: 1e6 }] });
    await nextSample(Date.now());
    const figures = await figuresSeries(server, '?windowMs=2000&fields=connections');
    expect(Object.keys(figures.series.records)).toEqual([server.hub.instance]);
    expect(figures.series.records[server.hub.instance].connections.every((v: number | null) => v !== null && v < 100)).toBe(true);
  });
});

// Two instances on one Redis (a redis-server of their own), once, whatever the suite's engine.
(TEST_ENGINE === 'memory' ? describe : describe.skip)('two instances on Redis', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(() => cluster.close());

  it('keeps each instance its own record, served by either, and ends a stopped instance’s series', async () => {
    const [a, b] = cluster.instances;
    const viewer = await TestClient.connect(b.wsUrl);
    await sleep(2200);
    const fromA = await figuresSeries(a);
    const fromB = await figuresSeries(b);
    expect(fromA.instance).toBe(a.hub.instance);
    expect(fromB.instance).toBe(b.hub.instance);
    for (const body of [fromA, fromB]) expect(Object.keys(body.series.records).sort()).toEqual([a.hub.instance, b.hub.instance].sort());
    const last = (body: Msg, instance: string) => body.series.records[instance].connections.at(-1);
    expect([last(fromA, a.hub.instance), last(fromA, b.hub.instance)]).toEqual([0, 1]);

    await viewer.close();
    await b.close();
    await sleep(1200);
    const after = await figuresSeries(a);
    expect(last(after, b.hub.instance)).toBeNull();
    expect(last(after, a.hub.instance)).toBe(0);
  });
});

/**
 * Alert records and their actions against a real hub: an action is a merge patch published
 * over the socket, so the hub's publish permission decides, and every subscriber sees it in the
 * next delta. The HTTP poller's alert rules open and resolve alert records, polled from a real
 * local HTTP server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createPulseClient, isPulseClientError, type PulseClient, type WebSocketConstructor } from '@/lib/client';
import { alertPatch } from '@/lib/dashboards/alerts';
import { createLogger } from '@/lib/log';
import { sessionCanPublish } from '@/hooks/useSession';
import { parseSources } from '@/lib/sources/declared';
import { startSources, type RunningSources } from '@/lib/sources/start';
import { byId, connectPublisher, http, publishOk, sleep, subscribe } from '../helpers/http';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(30_000);

let server: TestServer;
const clients: PulseClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '20' });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server.close();
});

/** A client SDK session for `sub` whose token may publish where `publish` says. */
async function operator(sub: string, publish?: string[]): Promise<PulseClient> {
  const token = await signToken(TEST_SECRET, { sub, tenant: 'demo', channels: { subscribe: ['*'], ...(publish ? { publish } : {}) } }, { expiresInS: 600 });
  const client = createPulseClient({ url: server.wsUrl, WebSocket: WebSocket as unknown as WebSocketConstructor, getToken: () => token, network: null, requestTimeoutMs: 3000 });
  clients.push(client);
  client.connect();
  const deadline = Date.now() + 5000;
  while (client.state !== 'open') {
    if (Date.now() > deadline) throw new Error(`${sub} did not connect: ${client.state}`);
    await sleep(10);
  }
  return client;
}

const snapshot = async (channel: string) => (await http(server.url, 'GET', `/api/channels/${channel}/snapshot`)).body as { seq: number; records: Array<Msg & { id: string }> };

describe('alert actions', () => {
  let pub: TestClient;
  let watcher: TestClient;

  beforeAll(async () => {
    pub = await connectPublisher(server.wsUrl, TEST_SECRET);
    await publishOk(pub, 'ops-alerts', { upsert: [{ id: 'disk-full', status: 'open', title: 'Disk full on db-1', priority: 'high', openedAt: Date.now() }] });
    watcher = await TestClient.connect(server.wsUrl);
    await subscribe(watcher, 'ops-alerts', {}, 60);
  });

  afterAll(async () => {
    await pub.close();
    await watcher.close();
  });

  it('tells a session where it may publish, and only one that may', async () => {
    const viewer = await operator('viewer');
    const elsewhere = await operator('elsewhere', ['other-*']);
    const oncall = await operator('oncall', ['ops-*']);
    expect(viewer.session?.publish).toBeUndefined();
    expect(elsewhere.session?.publish).toEqual(['other-*']);
    expect(sessionCanPublish(viewer.session, 'ops-alerts')).toBe(false);
    expect(sessionCanPublish(elsewhere.session, 'ops-alerts')).toBe(false);
    expect(sessionCanPublish(oncall.session, 'ops-alerts')).toBe(true);
  });

  it('refuses an acknowledge from a token without publish permission, and leaves the record as it was', async () => {
    const before = await snapshot('ops-alerts');
    for (const client of [await operator('viewer-2'), await operator('elsewhere-2', ['other-*'])]) {
      const patch = alertPatch({ id: 'disk-full', status: 'open' }, 'acknowledge', client.session!.user, Date.now())!;
      const refused = await client.publish('ops-alerts', { upsert: [patch] }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(isPulseClientError(refused)).toBe(true);
      expect((refused as { code: string }).code).toBe('FORBIDDEN');
    }
    const after = await snapshot('ops-alerts');
    expect(after.seq).toBe(before.seq);
    expect(byId(after.records)['disk-full']).toEqual(byId(before.records)['disk-full']);
    expect(await watcher.nothing((m) => m.type === 'delta', 200)).toBe(true);
  });

  it('applies an acknowledge from a token that may publish, and another subscriber sees it in the next delta', async () => {
    const oncall = await operator('ada', ['ops-*']);
    const at = Date.now();
    const reply = await oncall.publish('ops-alerts', { upsert: [alertPatch({ id: 'disk-full', status: 'open' }, 'acknowledge', oncall.session!.user, at)!] });
    const delta = await watcher.next((m) => m.type === 'delta' && m.channel === 'ops-alerts');
    expect(delta.seq).toBe(reply.seq);
    expect(delta.upsert).toEqual([{ id: 'disk-full', status: 'acknowledged', acknowledgedBy: 'ada', acknowledgedAt: at }]);
    expect(byId((await snapshot('ops-alerts')).records)['disk-full']).toMatchObject({ status: 'acknowledged', title: 'Disk full on db-1', acknowledgedBy: 'ada' });
  });
});

describe('poller alert records', () => {
  let upstream: Server;
  let upstreamUrl: string;
  let rows: unknown[] = [];
  let polls = 0;
  let sources: RunningSources;
  let watcher: TestClient;

  async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
      await sleep(20);
    }
  }
  const pollsPast = async (n: number) => {
    const target = polls + n;
    await until(() => polls >= target, `${n} more polls`);
  };
  const alerts = async () => byId((await snapshot('incidents')).records);

  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      polls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: rows }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    rows = [
      { code: 'NL', name: 'Netherlands', gdp: 1000 },
      { code: 'BE', name: 'Belgium', gdp: 600 },
    ];
    const [config] = parseSources({
      sources: [
        {
          name: 'economy',
          kind: 'http',
          channel: 'countries',
          url: upstreamUrl,
          intervalMs: 100,
          rowsPath: 'items',
          id: 'code',
          alerts: [
            {
              field: 'gdp',
              direction: 'down',
              percent: 5,
              type: 'alert.economic',
              priority: 'high',
              record: { channel: 'incidents', title: 'GDP of {name} fell {percent}%', autoResolve: true },
            },
          ],
        },
      ],
    });
    sources = startSources(server, [config], createLogger('silent'));
    watcher = await TestClient.connect(server.wsUrl);
    await until(async () => (await snapshot('countries')).records.length === 2, 'the first listing');
    await subscribe(watcher, 'incidents', {}, 60);
  });

  afterAll(async () => {
    await sources.stop();
    await watcher.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const id = 'economy:alert.economic:gdp:NL';

  it('opens an alert record when the rule fires, once however many polls see it', async () => {
    const from = Date.now();
    rows = [
      { code: 'NL', name: 'Netherlands', gdp: 900 },
      { code: 'BE', name: 'Belgium', gdp: 600 },
    ];
    const delta = await watcher.next((m) => m.type === 'delta' && m.upsert?.some((u: Msg) => u.id === id));
    expect(delta.upsert.find((u: Msg) => u.id === id)).toMatchObject({ status: 'open', title: 'GDP of Netherlands fell 10%', priority: 'high', record: 'NL', field: 'gdp', from: 1000, to: 900 });
    expect(delta.upsert.find((u: Msg) => u.id === id).openedAt).toBeGreaterThanOrEqual(from - 1000);
    await pollsPast(4);
    expect(Object.keys(await alerts())).toEqual([id]);
    expect(await watcher.nothing((m) => m.type === 'delta', 100)).toBe(true);
  });

  it('leaves an operator’s acknowledgement alone while the condition holds', async () => {
    const oncall = await operator('grace', ['incidents']);
    await oncall.publish('incidents', { upsert: [alertPatch({ id, status: 'open' }, 'acknowledge', 'grace', Date.now())!] });
    rows = [
      { code: 'NL', name: 'Netherlands', gdp: 920 },
      { code: 'BE', name: 'Belgium', gdp: 600 },
    ];
    await pollsPast(4);
    expect((await alerts())[id]).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'grace' });
  });

  it('resolves it by "source" once the rule no longer holds', async () => {
    rows = [
      { code: 'NL', name: 'Netherlands', gdp: 990 },
      { code: 'BE', name: 'Belgium', gdp: 600 },
    ];
    const delta = await watcher.next((m) => m.type === 'delta' && m.upsert?.some((u: Msg) => u.id === id && u.status === 'resolved'));
    expect(delta.upsert.find((u: Msg) => u.id === id)).toEqual({ id, status: 'resolved', resolvedBy: 'source', resolvedAt: expect.any(Number) });
    expect((await alerts())[id]).toMatchObject({ status: 'resolved', acknowledgedBy: 'grace', resolvedBy: 'source' });
  });

  it('opens it anew when the rule fires again, clearing the last lifecycle', async () => {
    rows = [
      { code: 'NL', name: 'Netherlands', gdp: 800 },
      { code: 'BE', name: 'Belgium', gdp: 600 },
    ];
    await until(async () => (await alerts())[id]?.status === 'open', 'reopened');
    const record = (await alerts())[id];
    expect(record).toMatchObject({ status: 'open', from: 990, to: 800 });
    expect(record.acknowledgedBy).toBeUndefined();
    expect(record.resolvedBy).toBeUndefined();
  });

  it('resolves the alert of a row that left the listing', async () => {
    rows = [{ code: 'BE', name: 'Belgium', gdp: 600 }];
    await until(async () => (await alerts())[id]?.status === 'resolved', 'resolved after the row left');
    expect((await alerts())[id]).toMatchObject({ resolvedBy: 'source' });
  });
});

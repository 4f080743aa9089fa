/**
 * The HTTP poller against a real local HTTP server: thresholds, ETag, vanished rows,
 * upstream errors and timeouts (nothing published, state kept), alert rules, and what it
 * shows in stats and metrics.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@/lib/log';
import { parseSources } from '@/lib/sources/declared';
import { startSources, type RunningSources } from '@/lib/sources/start';
import { bearer, byId, http, sleep, subscribe } from '../helpers/http';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(30_000);

interface Upstream {
  url: string;
  rows: unknown;
  status: number;
  delayMs: number;
  etag: string | undefined;
  lastModified: string | undefined;
  /** Answer every request with a 302 to this location. */
  redirect: string | undefined;
  /** Characters of filler added to the body. */
  padding: number;
  /** Send the body in chunks, without Content-Length. */
  chunked: boolean;
  requests: IncomingMessage[];
  /** The requests answered (not those given up), with the status each got, in order. */
  served: Array<{ status: number; req: IncomingMessage }>;
  notModified: number;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const state: Omit<Upstream, 'url' | 'close'> = {
    rows: [],
    status: 200,
    delayMs: 0,
    etag: undefined,
    lastModified: undefined,
    redirect: undefined,
    padding: 0,
    chunked: false,
    requests: [],
    served: [],
    notModified: 0,
  };
  const server: Server = createServer(async (req, res) => {
    state.requests.push(req);
    if (state.delayMs) await sleep(state.delayMs);
    if (res.destroyed) return;
    if (state.redirect) {
      state.served.push({ status: 302, req });
      res.writeHead(302, { location: state.redirect }).end();
      return;
    }
    if (state.status !== 200) {
      state.served.push({ status: state.status, req });
      res.writeHead(state.status, { 'content-type': 'application/json' }).end('{"error":"boom"}');
      return;
    }
    const fresh = (state.etag && req.headers['if-none-match'] === state.etag) || (state.lastModified && req.headers['if-modified-since'] === state.lastModified);
    if (fresh) {
      state.notModified++;
      state.served.push({ status: 304, req });
      res.writeHead(304).end();
      return;
    }
    state.served.push({ status: 200, req });
    const body = JSON.stringify({ data: { items: state.rows }, ...(state.padding ? { padding: 'x'.repeat(state.padding) } : {}) });
    const headers = { 'content-type': 'application/json', ...(state.etag ? { etag: state.etag } : {}), ...(state.lastModified ? { 'last-modified': state.lastModified } : {}) };
    if (!state.chunked) {
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    res.writeHead(200, headers);
    for (let i = 0; i < body.length && !res.destroyed; i += 1024) {
      res.write(body.slice(i, i + 1024));
      await sleep(1);
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream = Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/countries`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return upstream as Upstream;
}

let server: TestServer;
let upstream: Upstream;
let sources: RunningSources;
let viewer: TestClient;

const snapshot = async () => (await http(server.url, 'GET', '/api/channels/countries/snapshot')).body;
const status = () => sources.sources[0].status;
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached; source status ${JSON.stringify(status().toJSON())}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  server = await startTestServer({ PULSE_API_KEY: TEST_API_KEY, PULSE_BATCH_MS: '20' });
  upstream = await startUpstream();
  upstream.rows = [
    { code: 'NL', name: 'Netherlands', gdp: 1000, vitality: 80, junk: 1 },
    { code: 'BE', name: 'Belgium', gdp: 600, vitality: 75, junk: 2 },
  ];
  const [config] = parseSources({
    sources: [
      {
        name: 'countries',
        kind: 'http',
        channel: 'countries',
        url: upstream.url,
        intervalMs: 100,
        timeoutMs: 300,
        headers: { 'x-api-key': 'k1' },
        rowsPath: 'data.items',
        id: 'code',
        rename: { name: 'label' },
        fields: ['label', 'gdp', 'vitality'],
        threshold: 0.01,
        maxBytes: 4096,
        alerts: [
          { field: 'gdp', direction: 'down', percent: 5, type: 'alert.economic', priority: 'high' },
          { field: 'vitality', direction: 'down', points: 10, type: 'alert.vitality', priority: 'critical' },
        ],
      },
    ],
  });
  sources = startSources(server, [config], createLogger('silent'));
  viewer = await TestClient.connect(server.wsUrl);
  await until(async () => (await snapshot()).seq >= 1);
  await subscribe(viewer, 'countries');
});

afterAll(async () => {
  await sources.stop();
  await viewer.close();
  await upstream.close();
  await server.close();
});

it('loads the rows as records: id from the key, fields renamed and kept, headers sent', async () => {
  expect(byId((await snapshot()).records)).toEqual({
    NL: { id: 'NL', label: 'Netherlands', gdp: 1000, vitality: 80 },
    BE: { id: 'BE', label: 'Belgium', gdp: 600, vitality: 75 },
  });
  expect(upstream.requests[0].headers['x-api-key']).toBe('k1');
  expect(status().state).toBe('live');
});

it('publishes nothing for moves within the threshold, and the changed field beyond it', async () => {
  const { seq } = await snapshot();
  upstream.rows = [
    { code: 'NL', name: 'Netherlands', gdp: 1005, vitality: 80 },
    { code: 'BE', name: 'Belgium', gdp: 600, vitality: 75 },
  ];
  const polls = upstream.requests.length;
  await until(() => upstream.requests.length >= polls + 3);
  expect((await snapshot()).seq).toBe(seq);

  upstream.rows = [
    { code: 'NL', name: 'Netherlands', gdp: 1020, vitality: 80 },
    { code: 'BE', name: 'Belgium', gdp: 600, vitality: 75 },
  ];
  const delta = await viewer.next((m) => m.type === 'delta' && m.seq > seq);
  expect(delta.upsert).toEqual([{ id: 'NL', gdp: 1020 }]);
  expect(delta.delete).toBeUndefined();
});

it('turns large moves into alert events with their priority', async () => {
  upstream.rows = [
    { code: 'NL', name: 'Netherlands', gdp: 900, vitality: 80 },
    { code: 'BE', name: 'Belgium', gdp: 600, vitality: 60 },
  ];
  const delta = await viewer.next((m) => m.type === 'delta' && (m.events?.length ?? 0) > 0);
  const events = delta.events.map((e: Msg) => [e.type, e.priority, e.data.id]).sort();
  expect(events).toEqual([
    ['alert.economic', 'high', 'NL'],
    ['alert.vitality', 'critical', 'BE'],
  ]);
  expect(delta.events.find((e: Msg) => e.type === 'alert.economic').data).toMatchObject({ field: 'gdp', from: 1020, to: 900 });
});

it('deletes rows that vanished', async () => {
  upstream.rows = [{ code: 'NL', name: 'Netherlands', gdp: 900, vitality: 80 }];
  const delta = await viewer.next((m) => m.type === 'delta' && m.delete?.includes('BE'));
  expect(delta.delete).toEqual(['BE']);
  expect(Object.keys(byId((await snapshot()).records))).toEqual(['NL']);
});

it('sends If-None-Match and takes 304 as nothing changed', async () => {
  upstream.etag = '"v1"';
  await until(() => upstream.notModified >= 2);
  const last = upstream.requests[upstream.requests.length - 1];
  expect(last.headers['if-none-match']).toBe('"v1"');
  expect(status().state).toBe('live');
  upstream.etag = undefined;
});

it('sends If-Modified-Since with the Last-Modified it was given', async () => {
  upstream.lastModified = 'Wed, 02 Dec 2026 10:00:00 GMT';
  const seen = upstream.notModified;
  await until(() => upstream.notModified >= seen + 2);
  expect(upstream.requests[upstream.requests.length - 1].headers['if-modified-since']).toBe('Wed, 02 Dec 2026 10:00:00 GMT');
  upstream.lastModified = undefined;
});

it('publishes nothing on upstream errors, empty listings or timeouts, shows failing, and recovers', async () => {
  const before = await snapshot();
  const errors = status().errors;
  upstream.status = 500;
  await until(() => status().state === 'failing');
  expect(status().lastError).toBe('HTTP 500');

  upstream.status = 200;
  upstream.rows = [];
  await until(() => status().lastError === 'empty listing refused (set allowEmpty to accept one)');

  upstream.rows = [{ code: 'NL', name: 'Netherlands', gdp: 900, vitality: 80 }];
  upstream.delayMs = 600;
  await until(() => status().lastError === 'timed out after 300 ms', 8000);
  expect(status().errors).toBeGreaterThan(errors + 2);
  expect(await snapshot()).toMatchObject({ seq: before.seq, records: before.records });

  upstream.delayMs = 0;
  upstream.rows = [{ code: 'NL', name: 'Netherlands', gdp: 800, vitality: 80 }];
  await until(() => status().state === 'live', 10_000);
  await until(async () => (byId((await snapshot()).records) as Record<string, Msg>).NL?.gdp === 800);
});

it('drops the validators on a failure, so the first poll after it gets the whole body', async () => {
  upstream.etag = '"v2"';
  const seen = upstream.notModified;
  await until(() => upstream.notModified >= seen + 2);
  upstream.status = 500;
  await until(() => status().lastError === 'HTTP 500');
  const failedAt = upstream.served.length;
  upstream.status = 200;
  const after = () => upstream.served.slice(failedAt).filter((s) => s.status !== 500);
  await until(() => after().length >= 2);
  const [first, second] = after();
  expect(first.req.headers['if-none-match']).toBeUndefined();
  expect(first.status).toBe(200);
  // Once a body is published again, its validators are sent again.
  expect(second.req.headers['if-none-match']).toBe('"v2"');
  expect(second.status).toBe(304);
  upstream.etag = undefined;
  await until(() => status().state === 'live');
});

it('refuses redirects without following them, naming the Location', async () => {
  const before = await snapshot();
  const elsewhere = upstream.url.replace('/countries', '/elsewhere');
  upstream.redirect = elsewhere;
  await until(() => status().lastError === `redirect refused: HTTP 302 to ${elsewhere}`);
  expect(upstream.requests.some((req) => req.url === '/elsewhere')).toBe(false);
  expect(status().state).toBe('failing');
  expect(await snapshot()).toMatchObject({ seq: before.seq });
  upstream.redirect = undefined;
  await until(() => status().state === 'live', 10_000);
});

it('refuses a body larger than maxBytes, whether its length is declared or not', async () => {
  const before = await snapshot();
  upstream.rows = [{ code: 'NL', name: 'Netherlands', gdp: 700, vitality: 80 }];
  upstream.padding = 8000;
  await until(() => status().lastError === 'body larger than 4096 bytes (maxBytes)');
  upstream.chunked = true;
  const polls = upstream.served.length;
  await until(() => upstream.served.length >= polls + 2 && status().state === 'failing', 10_000);
  expect(status().lastError).toBe('body larger than 4096 bytes (maxBytes)');
  expect(await snapshot()).toMatchObject({ seq: before.seq, records: before.records });

  // Chunked within the cap is fine.
  upstream.padding = 0;
  await until(async () => (byId((await snapshot()).records) as Record<string, Msg>).NL?.gdp === 700, 10_000);
  upstream.chunked = false;
});

it('skips rows with an id over 128 characters or past the JSON bounds, and keeps publishing the others', async () => {
  const invalid = status().invalid;
  const { seq } = await snapshot();
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = { deep };
  upstream.rows = [
    { code: 'NL', name: 'Netherlands', gdp: 650, vitality: 80 },
    { code: 'L'.repeat(200), name: 'Long', gdp: 1, vitality: 1 },
    { code: 'DE', name: 'Germany', gdp: 4000, vitality: deep },
  ];
  const delta = await viewer.next((m) => m.type === 'delta' && m.seq > seq && m.upsert?.some((r: Msg) => r.id === 'NL'));
  expect(delta.upsert).toEqual([{ id: 'NL', gdp: 650 }]);
  expect(Object.keys(byId((await snapshot()).records))).toEqual(['NL']);
  expect(status().invalid).toBeGreaterThanOrEqual(invalid + 2);
  expect(status().state).toBe('live');
});

it('shows in stats and metrics', async () => {
  const stats = (await http(server.url, 'GET', '/api/ws/stats', { headers: bearer(TEST_API_KEY) })).body;
  expect(stats.sources).toEqual([
    expect.objectContaining({ name: 'countries', kind: 'http', tenant: 'demo', channel: 'countries', state: 'live', lastSuccessAt: expect.any(Number), recordsPublished: expect.any(Number) }),
  ]);
  expect(stats.sources[0].errors).toBeGreaterThan(0);
  const metrics = (await http(server.url, 'GET', '/metrics', { headers: bearer(TEST_API_KEY) })).body as string;
  expect(metrics).toMatch(/^pulse_source_up\{source="countries",kind="http"\} 1$/m);
  expect(metrics).toMatch(/^pulse_source_errors_total\{source="countries",kind="http"\} [1-9]/m);
  expect(metrics).toMatch(/^pulse_source_records_published_total\{source="countries",kind="http"\} [1-9]/m);
});

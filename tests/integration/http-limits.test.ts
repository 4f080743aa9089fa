/**
 * The HTTP API's limits (docs/operations.md, "Limits"; docs/protocol.md §10): token buckets per
 * client address and per token (429 with Retry-After, counted in stats and metrics), the bound
 * on concurrent snapshot reads, the serialized-snapshot cache, request timeouts, the backoff
 * after wrong credentials, the browser checks (Origin, JSON bodies) and development tokens.
 *
 * Every loopback address reaches the server, so clients "from elsewhere" connect from
 * 127.0.0.x addresses of their own.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { loadConfig } from '@/lib/config';
import { startPulseServer } from '@/lib/server/start';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { startTestServer, TEST_API_KEY, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';
import { bearer, http, sleep } from '../helpers/http';

jest.setTimeout(20_000);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field of the parsed answer
  body: any;
  raw: Buffer;
}

/** One request on a fresh connection from `from` (a loopback address of the test's choosing). */
function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { from?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, {
      method,
      localAddress: options.from ?? '127.0.0.1',
      agent: false,
      headers: { ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        let body: unknown = raw.toString('utf8');
        try {
          body = JSON.parse(body as string);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, raw });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'content-type': 'application/json' };
const admin = bearer(TEST_API_KEY);

async function stats(server: TestServer): Promise<Msg> {
  return (await call(server.url, 'GET', '/api/ws/stats', { headers: admin })).body.http;
}

async function metric(server: TestServer, sample: string): Promise<number> {
  const text = (await call(server.url, 'GET', '/metrics', { headers: admin })).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** A server with `env` whose log lines the test can read. */
async function startLogged(env: Record<string, string>): Promise<TestServer & { logs: LogCapture }> {
  const logs = captureLogs('info');
  const config = loadConfig({ NODE_ENV: 'test', PULSE_JWT_SECRET: TEST_SECRET, ...env });
  const server = await startPulseServer({ config, port: 0, host: '127.0.0.1', log: logs.log });
  return { ...server, wsUrl: `ws://127.0.0.1:${server.port}/api/ws`, logs };
}

describe('token buckets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_API_KEY: TEST_API_KEY, PULSE_HTTP_RATE_LIMIT: '5' });
    await server.hub.publish('demo', 'kpi', { upsert: [{ id: 'a', v: 1 }] });
  });
  afterAll(() => server.close());

  it('answers a flood from one address with 429 and Retry-After, while a client under the limit elsewhere is served', async () => {
    const polite: number[] = [];
    const politeClient = (async () => {
      for (let i = 0; i < 6; i++) {
        polite.push((await call(server.url, 'GET', '/api/channels/kpi/snapshot', { from: '127.0.0.1' })).status);
        await sleep(250);
      }
    })();
    // A burst of twice the rate (10), then one request every 200 ms at 5/s.
    const started = Date.now();
    const flood = await Promise.all(Array.from({ length: 30 }, () => call(server.url, 'GET', '/api/channels/kpi/snapshot', { from: '127.0.0.2' })));
    const elapsedS = (Date.now() - started) / 1000;
    await politeClient;

    const refused = flood.filter((answer) => answer.status === 429);
    const served = flood.filter((answer) => answer.status === 200).length;
    expect(served).toBeGreaterThanOrEqual(10);
    expect(served).toBeLessThanOrEqual(10 + Math.ceil(elapsedS * 5));
    expect(refused.length).toBeGreaterThan(0);
    expect(flood.every((answer) => answer.status === 200 || answer.status === 429)).toBe(true);
    for (const answer of refused) {
      expect(answer.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('PULSE_HTTP_RATE_LIMIT') } });
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(polite).toEqual([200, 200, 200, 200, 200, 200]);

    // Health has its own bucket: the flooded address still gets its status.
    expect((await call(server.url, 'GET', '/api/health', { from: '127.0.0.2' })).status).toBe(200);

    const counted = await stats(server);
    expect(counted.rateLimited).toBe(refused.length);
    expect(counted.rateLimitedBy.address).toBe(refused.length);
    expect(await metric(server, 'pulse_http_rate_limited_total{scope="address"}')).toBe(refused.length);
  });

  it('limits a token across addresses at twice the per-address rate', async () => {
    const token = await signToken(TEST_SECRET, { sub: 'roaming', tenant: 'demo', channels: { subscribe: ['*'] } }, { expiresInS: 600 });
    const before = (await stats(server)).rateLimitedBy.token;
    // Six addresses, nine each: under each address's burst of 10, far over the token's 20.
    const addresses = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.8', '127.0.0.9', '127.0.0.10'];
    const answers = await Promise.all(
      addresses.flatMap((from) => Array.from({ length: 9 }, () => call(server.url, 'GET', '/api/channels/kpi/snapshot', { from, headers: bearer(token) }))),
    );
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(54 - 20);
    for (const answer of refused) expect(answer.body.error.message).toMatch(/too many requests for this token/);
    expect((await stats(server)).rateLimitedBy.token - before).toBe(refused.length);
  });

  it('limits the admin key by its own bucket, not by address', async () => {
    // Thirty from one address: three times the address burst, within the key's.
    const answers = await Promise.all(Array.from({ length: 30 }, () => call(server.url, 'GET', '/api/channels/kpi/snapshot', { from: '127.0.0.6', headers: admin })));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
  });
});

describe('snapshot reads', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_API_KEY: TEST_API_KEY, PULSE_HTTP_RATE_LIMIT: '1000', PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS: '2' });
  });
  afterAll(() => server.close());

  it('serializes an unchanged channel once for every reader of the same view', async () => {
    const upsert = Array.from({ length: 2000 }, (_, i) => ({ id: `r${i}`, group: i % 2 ? 'odd' : 'even', load: i }));
    await server.hub.publish('demo', 'big', { upsert, events: [{ type: 'loaded' }] });
    const before = (await stats(server)).snapshots;

    const reads = await Promise.all(Array.from({ length: 12 }, () => call(server.url, 'GET', '/api/channels/big/snapshot')));
    expect(reads.every((answer) => answer.status === 200)).toBe(true);
    expect(reads[0].body.records).toHaveLength(2000);
    expect(new Set(reads.map((answer) => answer.raw.toString())).size).toBe(1);
    let after = (await stats(server)).snapshots;
    expect([after.cacheMisses - before.cacheMisses, after.cacheHits - before.cacheHits]).toEqual([1, 11]);
    expect(after.cacheBytes).toBeGreaterThan(reads[0].raw.length);

    // Another view is serialized once too; the same filter written differently is the same view.
    const filtered = async (filter: unknown) =>
      call(server.url, 'GET', `/api/channels/big/snapshot?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    const odd = await filtered({ where: { group: 'odd' }, fields: ['load', 'id'] });
    const same = await filtered({ fields: ['id', 'load'], where: { group: 'odd' } });
    expect(odd.body.records).toHaveLength(1000);
    expect(same.raw.equals(odd.raw)).toBe(true);
    expect((await stats(server)).snapshots.cacheHits - before.cacheHits).toBe(12);

    // A publish moves the channel on: the next read is serialized anew and shows it.
    await server.hub.publish('demo', 'big', { upsert: [{ id: 'r1', load: -1 }] });
    const moved = await call(server.url, 'GET', '/api/channels/big/snapshot');
    expect(moved.body.records.find((r: Msg) => r.id === 'r1').load).toBe(-1);
    after = (await stats(server)).snapshots;
    expect(after.cacheMisses - before.cacheMisses).toBe(3);
    expect(await metric(server, 'pulse_http_snapshot_cache_hits_total')).toBe(after.cacheHits);
    expect(await metric(server, 'pulse_http_snapshot_cache_misses_total')).toBe(after.cacheMisses);
  });

  it('reads at most PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS at once, queues four times as many, and refuses the rest with 503', async () => {
    await server.hub.publish('demo', 'slow', { upsert: [{ id: 'a' }] });
    // Hold every engine read of the channel until released.
    const engine = server.engine;
    const original = engine.snapshot.bind(engine);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    engine.snapshot = async (tenant, channel) => {
      if (channel === 'slow') await released;
      return original(tenant, channel);
    };
    try {
      const held = Array.from({ length: 10 }, () => call(server.url, 'GET', '/api/channels/slow/snapshot'));
      for (let i = 0; i < 100; i++) {
        const { snapshots } = await stats(server);
        if (snapshots.active === 2 && snapshots.queued === 8) break;
        await sleep(20);
      }
      expect((await stats(server)).snapshots).toMatchObject({ active: 2, queued: 8 });

      const refused = await call(server.url, 'GET', '/api/channels/slow/snapshot');
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS=2') } });
      // Other routes are not held up.
      expect((await call(server.url, 'GET', '/api/channels')).status).toBe(200);

      release();
      expect((await Promise.all(held)).map((answer) => answer.status)).toEqual(Array(10).fill(200));
      const { snapshots } = await stats(server);
      expect(snapshots).toMatchObject({ active: 0, queued: 0, refused: 1 });
      expect(await metric(server, 'pulse_http_snapshots_refused_total')).toBe(1);
    } finally {
      engine.snapshot = original;
      release();
    }
  });
});

describe('request timeouts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_API_KEY: TEST_API_KEY, PULSE_HTTP_REQUEST_TIMEOUT_MS: '300', PULSE_HTTP_HEADERS_TIMEOUT_MS: '300' });
  });
  afterAll(() => server.close());

  it('cuts off a body that trickles in too slowly with 408, and leaves WebSockets alone', async () => {
    const client = await TestClient.connect(server.wsUrl);
    const started = Date.now();
    const { answer, closedAfterMs } = await new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(`POST /api/channels/kpi/publish HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"upsert":`);
      });
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('error', reject);
      const timer = setTimeout(() => reject(new Error('the slow request was never cut off')), 5000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ answer, closedAfterMs: Date.now() - started });
      });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    expect((await stats(server)).requestTimeouts).toBe(1);
    expect(await metric(server, 'pulse_http_request_timeouts_total')).toBe(1);
    expect((await server.hub.snapshot('demo', 'kpi')).seq).toBe(0);

    // The socket opened before is still served, long past the request timeout.
    expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true });
    await client.close();
  });
});

describe('wrong credentials', () => {
  let server: TestServer & { logs: LogCapture };
  beforeAll(async () => {
    server = await startLogged({ PULSE_API_KEY: TEST_API_KEY, PULSE_HTTP_AUTH_FAILURES: '3' });
  });
  afterAll(() => server.close());

  it('counts and logs them, then backs the address off with 429 without checking, never logging a key', async () => {
    const wrong = ['wrong-key-0001', 'wrong-key-0002', 'not.a.jwt'];
    for (const key of wrong) {
      const answer = await call(server.url, 'GET', '/api/ws/stats', { from: '127.0.0.7', headers: bearer(key) });
      expect(answer.status).toBe(401);
    }
    // Even the right key is not checked while the address backs off.
    const blocked = await call(server.url, 'GET', '/api/ws/stats', { from: '127.0.0.7', headers: admin });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(5);
    expect(blocked.body.error).toEqual({ code: 'RATE_LIMITED', message: expect.stringContaining('PULSE_HTTP_AUTH_FAILURES=3') });
    // Without credentials the address is still served as anyone.
    expect((await call(server.url, 'GET', '/api/channels/kpi/snapshot', { from: '127.0.0.7' })).status).toBe(200);
    // Other addresses are not affected.
    const counted = await stats(server);
    expect(counted).toMatchObject({ authFailures: 3, authBackoffRefusals: 1 });
    expect(await metric(server, 'pulse_http_auth_failures_total')).toBe(3);
    expect(await metric(server, 'pulse_http_auth_backoff_refusals_total')).toBe(1);

    const lines = server.logs.entries();
    expect(lines.filter((line) => line.msg === 'HTTP auth failed')).toHaveLength(2);
    expect(lines.find((line) => line.msg === 'HTTP auth backoff')).toMatchObject({ level: 40, remoteAddress: '127.0.0.7', failures: 3, retryAfterS: 10 });
    for (const secret of [...wrong, TEST_API_KEY]) expect(server.logs.text()).not.toContain(secret);
  });
});

describe('browser requests', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Development without a key: loopback callers publish as the admin.
    server = await startTestServer({ PULSE_ALLOWED_ORIGINS: 'https://dash.example.com' });
  });
  afterAll(() => server.close());

  const publish = (headers: Record<string, string>, body = JSON.stringify({ upsert: [{ id: 'x', v: 1 }] })) =>
    call(server.url, 'POST', '/api/channels/forms/publish', { headers, body });

  it('refuses a cross-site text/plain POST with a foreign Origin, and any request from a foreign origin', async () => {
    const crossSite = await publish({ origin: 'https://evil.example', 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' });
    expect([crossSite.status, crossSite.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await publish({ origin: 'https://evil.example', ...json })).status).toBe(403);
    expect((await publish({ origin: 'null', ...json })).status).toBe(403);
    expect((await publish({ 'sec-fetch-site': 'cross-site', ...json })).status).toBe(403);
    expect((await call(server.url, 'GET', '/api/channels/forms/snapshot', { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await server.hub.snapshot('demo', 'forms')).seq).toBe(0);
    expect((await http(server.url, 'GET', '/api/ws/stats')).body.http.crossSiteRefusals).toBe(5);

    // The server's own pages, and origins allowed by PULSE_ALLOWED_ORIGINS, pass.
    expect((await publish({ origin: `http://127.0.0.1:${server.port}`, 'sec-fetch-site': 'same-origin', ...json })).status).toBe(200);
    expect((await publish({ origin: 'https://dash.example.com', 'sec-fetch-site': 'cross-site', ...json })).status).toBe(200);
    expect((await server.hub.snapshot('demo', 'forms')).seq).toBe(2);
  });

  it('refuses a body not declared application/json with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await publish({ 'content-type': type });
      expect([type, answer.status, answer.body]).toEqual([type, 415, { error: { code: 'INVALID_MESSAGE', message: expect.stringContaining('application/json') } }]);
    }
    expect((await publish({})).status).toBe(415);
    const seq = (await server.hub.snapshot('demo', 'forms')).seq;
    expect((await publish({ 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect((await server.hub.snapshot('demo', 'forms')).seq).toBe(seq + 1);
    expect((await http(server.url, 'GET', '/api/ws/stats')).body.http.mediaTypeRefusals).toBe(4);
  });
});

describe('development tokens', () => {
  it('are issued to loopback clients only', async () => {
    // Behind one trusted proxy on this host, the client is the address the proxy saw.
    const server = await startTestServer({ PULSE_TRUSTED_PROXIES: '1' });
    try {
      const body = JSON.stringify({ user: 'dev' });
      expect((await call(server.url, 'POST', '/api/token', { headers: json, body })).status).toBe(200);
      const remote = await call(server.url, 'POST', '/api/token', { headers: { ...json, 'x-forwarded-for': '192.168.1.20' }, body });
      expect([remote.status, remote.body.error.code]).toEqual([403, 'FORBIDDEN']);
      const local = await call(server.url, 'POST', '/api/token', { headers: { ...json, 'x-forwarded-for': '127.0.0.1' }, body });
      expect(local.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('are announced at warn when turned on in production', async () => {
    const server = await startLogged({
      NODE_ENV: 'production',
      PULSE_JWT_SECRET: 'a-production-secret-of-32-bytes-or-more',
      PULSE_API_KEY: TEST_API_KEY,
      PULSE_DEV_TOKENS: '1',
    });
    try {
      expect(server.logs.entries().find((line) => String(line.msg).includes('PULSE_DEV_TOKENS'))).toMatchObject({ level: 40 });
    } finally {
      await server.close();
    }
  });
});

/**
 * docs/protocol.md §1–§2, checks at and right after the upgrade: the Origin allow-list (403 and no
 * WebSocket for a cross-site page), the endpoint path, and the auth timeout (close 4401).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestClient } from '../helpers/ws-client';
import { sleep } from '../helpers/http';

jest.setTimeout(15_000);

interface UpgradeOutcome {
  status: number;
  body: string;
}

/** A raw upgrade request with exactly these headers: 101, or the refusal's status and body. */
function upgrade(port: number, path: string, headers: Record<string, string>): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Origin check', () => {
  let server: TestServer;
  let host: string;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_ALLOWED_ORIGINS: 'https://dash.example.com, http://localhost:3000' });
    host = `127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('refuses a cross-site page with 403 and no WebSocket', async () => {
    const before = server.hub.counters().connections;
    await expect(TestClient.open(server.wsUrl, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    const outcome = await upgrade(server.port, '/api/ws', { host, origin: 'https://evil.example' });
    expect(outcome.status).toBe(403);
    expect(outcome.body).toMatch(/origin/i);
    expect(server.hub.counters().connections).toBe(before);
  });

  it.each([
    ['no Origin (a non-browser client)', undefined, 'h:1'],
    ['the same host and port', 'http://h:1', 'h:1'],
    ['the same host compared case-insensitively', 'http://Dash.Example.COM:8080', 'dash.example.com:8080'],
    ['the default port omitted on one side (http)', 'http://app.test', 'app.test:80'],
    ['the default port omitted on one side (https)', 'https://app.test:443', 'app.test'],
    ['a listed origin', 'https://dash.example.com', 'elsewhere:1'],
    ['another listed origin', 'http://localhost:3000', 'pulse.internal:8080'],
  ])('accepts %s', async (_what, origin, hostHeader) => {
    const outcome = await upgrade(server.port, '/api/ws', { host: hostHeader, ...(origin === undefined ? {} : { origin }) });
    expect(outcome.status).toBe(101);
  });

  it.each([
    ['another host', 'http://other:1', 'h:1'],
    ['another port', 'http://h:2', 'h:1'],
    ['a non-default port against an omitted one', 'http://app.test:8080', 'app.test'],
    ['another scheme default port', 'https://app.test', 'app.test:80'],
    ['a look-alike of a listed origin', 'https://dash.example.com.evil.io', 'h:1'],
    ['a listed origin with a path', 'https://dash.example.com/', 'h:1'],
    ['the opaque origin "null"', 'null', 'h:1'],
    ['garbage', '::::', 'h:1'],
  ])('refuses %s with 403', async (_what, origin, hostHeader) => {
    const outcome = await upgrade(server.port, '/api/ws', { host: hostHeader, origin });
    expect(outcome.status).toBe(403);
  });

  it('serves a same-origin browser page end to end', async () => {
    const client = await TestClient.open(server.wsUrl, { origin: `http://${host}` });
    client.send({ type: 'auth', ref: 1 });
    await expect(client.next((m) => m.type === 'welcome')).resolves.toMatchObject({ ref: 1 });
    await client.close();
  });
});

describe('endpoint path', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it.each(['/api/wsx', '/api/ws/extra', '/', '/_next/webpack-hmr'])('never hands %s to the hub', async (path) => {
    const outcome = await upgrade(server.port, path, { host: `127.0.0.1:${server.port}` });
    expect(outcome.status).toBe(404);
    expect(server.hub.counters().connections).toBe(0);
  });

  it('accepts a query string on /api/ws', async () => {
    const outcome = await upgrade(server.port, '/api/ws?v=1', { host: `127.0.0.1:${server.port}` });
    expect(outcome.status).toBe(101);
  });
});

describe('auth timeout (PULSE_AUTH_TIMEOUT_MS=300)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_AUTH_TIMEOUT_MS: '300' });
  });
  afterAll(() => server.close());

  it('closes a socket that sends nothing with 4401', async () => {
    const client = await TestClient.open(server.wsUrl);
    const opened = Date.now();
    const close = await client.closed;
    const after = Date.now() - opened;
    expect(close.code).toBe(4401);
    expect(after).toBeGreaterThanOrEqual(250);
    expect(after).toBeLessThan(1500);
    expect(client.received.filter((m) => m.type === 'welcome')).toEqual([]);
  });

  it('keeps a socket that authenticated in time', async () => {
    const client = await TestClient.connect(server.wsUrl);
    await sleep(600);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    await expect(client.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });
    await client.close();
  });

  it('counts from the upgrade: pings without auth do not extend it', async () => {
    const client = await TestClient.open(server.wsUrl);
    // A protocol-level ping answered by the socket (pong) is not an auth.
    client.socket.ping();
    await sleep(100);
    client.socket.ping();
    expect((await client.closed).code).toBe(4401);
  });
});

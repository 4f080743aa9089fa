/**
 * Structured logs (pino JSON lines): connect, disconnect with its close code, auth failures,
 * limit hits and errors, each with connection id, user and tenant where known; never a token,
 * an API key or a message body.
 */
import { loadConfig } from '@/lib/config';
import { startPulseServer, type PulseServer } from '@/lib/server/start';
import { startChildHub } from '../helpers/child-hub';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { TEST_API_KEY, TEST_SECRET } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';
import { bearer, http, sleep, subscribe } from '../helpers/http';

jest.setTimeout(20_000);

const MARKER = 'BODY-MARKER-7f3a';

let capture: LogCapture;
let server: PulseServer;
let wsUrl: string;
/** Every credential used in this file: none may ever show up in a log line. */
const secrets: string[] = [TEST_SECRET, TEST_API_KEY];

beforeAll(async () => {
  capture = captureLogs('info');
  const config = loadConfig({
    NODE_ENV: 'test',
    PULSE_JWT_SECRET: TEST_SECRET,
    PULSE_API_KEY: TEST_API_KEY,
    PULSE_RATE_LIMIT: '5',
    PULSE_MAX_PAYLOAD: '4096',
    PULSE_MAX_SUBSCRIPTIONS: '2',
    PULSE_MAX_CONNECTIONS_PER_TENANT: '2',
    PULSE_BATCH_MS: '10',
    PULSE_LOG_LEVEL: 'info',
  });
  server = await startPulseServer({ config, port: 0, host: '127.0.0.1', log: capture.log });
  wsUrl = `ws://127.0.0.1:${server.port}/api/ws`;
});
afterAll(() => server.close());

async function token(sub: string, tenant: string, options: { expiresInS?: number; secret?: string } = {}): Promise<string> {
  const jwt = await signToken(options.secret ?? TEST_SECRET, { sub, tenant, channels: { subscribe: ['*'], publish: ['*'] } }, { expiresInS: options.expiresInS ?? 600 });
  secrets.push(jwt);
  return jwt;
}

/** Log entries with this message (and, optionally, this connection). */
function lines(msg: string, connection?: string): Array<Record<string, unknown>> {
  return capture.entries().filter((e) => e.msg === msg && (connection === undefined || e.connection === connection));
}

async function eventually<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = find();
    if (found !== undefined) return found;
    await sleep(10);
  }
  throw new Error(`no log line: ${what}\n${capture.text().slice(-2000)}`);
}

it('logs connect, auth and disconnect with connection id, user, tenant and close code', async () => {
  const client = await TestClient.connect(wsUrl, await token('alice', 'acme'));
  const id = client.welcome.connectionId;
  await subscribe(client, 'kpi');
  await client.request({ type: 'publish', channel: 'kpi', upsert: [{ id: 'q1', note: MARKER }], events: [{ type: 'alert', data: { text: MARKER } }] });
  await client.close();

  const connected = await eventually(() => lines('connected', id)[0], 'connected');
  expect(connected).toMatchObject({ level: 30, connection: id, remoteAddress: expect.stringMatching(/127\.0\.0\.1/), time: expect.any(String) });
  expect(lines('authenticated', id)[0]).toMatchObject({ connection: id, user: 'alice', tenant: 'acme' });
  const disconnected = await eventually(() => lines('disconnected', id)[0], 'disconnected');
  expect(disconnected).toMatchObject({ connection: id, user: 'alice', tenant: 'acme', code: 1000 });
});

it('logs auth failures with the connection id and the reason code, never the token', async () => {
  const forged = await token('mallory', 'acme', { secret: 'not-the-server-secret-0123456789' });
  const expired = await token('eve', 'acme', { expiresInS: -60 });
  for (const [jwt, code] of [[forged, 'AUTH_FAILED'], [expired, 'TOKEN_EXPIRED']] as const) {
    const client = await TestClient.open(wsUrl);
    client.send({ type: 'auth', ref: 1, token: jwt });
    await client.closed;
    const failed = await eventually(() => capture.entries().find((e) => e.msg === 'auth failed' && e.code === code), code);
    expect(failed).toMatchObject({ connection: expect.stringMatching(/^c_/), code });
    const id = failed.connection as string;
    expect(await eventually(() => lines('disconnected', id)[0], 'disconnected')).toMatchObject({ code: 4401 });
  }

  // A refresh that fails is logged too, under the session's user and tenant.
  const client = await TestClient.connect(wsUrl, await token('alice', 'acme'));
  const refusal = await client.request({ type: 'auth', token: forged });
  expect(refusal).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
  expect(await eventually(() => lines('auth refresh failed', client.welcome.connectionId)[0], 'refresh')).toMatchObject({
    user: 'alice',
    tenant: 'acme',
    code: 'AUTH_FAILED',
  });
  await client.close();

  // A first frame that is not auth: the frame itself is not logged.
  const rude = await TestClient.open(wsUrl);
  rude.send(`{"type":"publish","channel":"kpi","upsert":[{"id":"x","secret":"${MARKER}"}]}`);
  expect((await rude.closed).code).toBe(4401);
});

it('logs limit hits with connection id, user and tenant', async () => {
  // Rate limit: 5/s, burst 10.
  const flooder = await TestClient.connect(wsUrl, await token('flo', 'globex'));
  for (let i = 0; i < 30; i++) flooder.send({ type: 'ping', ref: i, pad: MARKER });
  await flooder.next((m) => m.type === 'reply' && m.error?.code === 'RATE_LIMITED');
  expect(await eventually(() => lines('rate limited', flooder.welcome.connectionId)[0], 'rate limited')).toMatchObject({
    level: 40,
    user: 'flo',
    tenant: 'globex',
  });
  // One line, not one per refused message.
  expect(lines('rate limited', flooder.welcome.connectionId)).toHaveLength(1);
  await flooder.close();

  // Subscription limit: 2.
  const subscriber = await TestClient.connect(wsUrl, await token('sam', 'globex'));
  await subscribe(subscriber, 'a');
  await subscribe(subscriber, 'b');
  await subscriber.request({ type: 'subscribe', channel: 'c' });
  expect(await eventually(() => lines('subscription limit reached', subscriber.welcome.connectionId)[0], 'subscriptions')).toMatchObject({
    user: 'sam',
    tenant: 'globex',
  });

  // Tenant connection limit: 2 (sam is one, a second one fits, a third does not).
  const second = await TestClient.connect(wsUrl, await token('sue', 'globex'));
  await expect(TestClient.connect(wsUrl, await token('sid', 'globex'))).rejects.toThrow('CONNECTION_LIMIT');
  const limited = await eventually(() => lines('tenant connection limit reached')[0], 'tenant limit');
  expect(limited).toMatchObject({ connection: expect.stringMatching(/^c_/), user: 'sid', tenant: 'globex' });
  expect(await eventually(() => lines('disconnected', limited.connection as string)[0], 'disconnected')).toMatchObject({ code: 1013 });
  await Promise.all([subscriber.close(), second.close()]);

  // Frame over PULSE_MAX_PAYLOAD.
  const big = await TestClient.connect(wsUrl, await token('bea', 'initech'));
  big.send({ type: 'ping', ref: 1, pad: MARKER.repeat(1000) });
  expect((await big.closed).code).toBe(1009);
  expect(await eventually(() => lines('frame too large', big.welcome.connectionId)[0], 'frame too large')).toMatchObject({
    user: 'bea',
    tenant: 'initech',
  });
  expect(await eventually(() => lines('disconnected', big.welcome.connectionId)[0], 'disconnected')).toMatchObject({ code: 1009 });
});

it('logs refused upgrades and admin kicks', async () => {
  await expect(TestClient.open(wsUrl, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  expect(await eventually(() => lines('upgrade refused: origin')[0], 'origin')).toMatchObject({ origin: 'https://evil.example' });

  const victim = await TestClient.connect(wsUrl, await token('vic', 'umbrella'));
  const id = victim.welcome.connectionId;
  await http(server.url, 'DELETE', `/api/ws/connections/${id}`, { headers: bearer(TEST_API_KEY) });
  expect((await victim.closed).code).toBe(1008);
  expect(await eventually(() => lines('kicked', id)[0], 'kicked')).toMatchObject({ user: 'vic', tenant: 'umbrella' });
  expect(await eventually(() => lines('disconnected', id)[0], 'disconnected')).toMatchObject({ user: 'vic', tenant: 'umbrella', code: 1008 });
});

it('logs refused origins at most once a second, cut to 200 characters, with the count of lines it skipped', async () => {
  const own = captureLogs('info');
  const config = loadConfig({ NODE_ENV: 'test', PULSE_JWT_SECRET: TEST_SECRET, PULSE_LOG_LEVEL: 'info' });
  const quiet = await startPulseServer({ config, port: 0, host: '127.0.0.1', log: own.log });
  try {
    const url = `ws://127.0.0.1:${quiet.port}/api/ws`;
    const origin = `https://${'a'.repeat(8000)}.example`;
    for (let i = 0; i < 20; i++) await expect(TestClient.open(url, { origin })).rejects.toThrow('HTTP 403');
    await sleep(1100);
    await expect(TestClient.open(url, { origin })).rejects.toThrow('HTTP 403');
    const refused = own.entries().filter((e) => e.msg === 'upgrade refused: origin');
    // 21 refusals over a little more than a second: a handful of lines, each one accounting for those it skipped.
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeLessThan(6);
    expect(refused.reduce((n, e) => n + 1 + (e.suppressed as number), 0)).toBe(21);
    for (const line of refused) {
      expect(line.origin).toEqual(expect.stringMatching(/^https:\/\/a{192}… \(8016 chars\)$/));
    }
  } finally {
    await quiet.close();
  }
});

it('never logs a token, a key or a message body, and every line is JSON with level, time and msg', async () => {
  // The HTTP API too: an admin publish with a body, a dev token request.
  await http(server.url, 'POST', '/api/channels/kpi/publish', { body: { upsert: [{ id: 'h', note: MARKER }] }, headers: bearer(TEST_API_KEY) });
  await http(server.url, 'GET', '/api/channels/kpi/snapshot', { headers: bearer(secrets[2]) });
  const issued = await http(server.url, 'POST', '/api/token', { body: { user: 'dev', tenant: 'demo' } });
  if (issued.body.token) secrets.push(issued.body.token);
  await sleep(50);

  const text = capture.text();
  expect(text.length).toBeGreaterThan(0);
  expect(text).not.toContain(MARKER);
  for (const secret of secrets) expect(text).not.toContain(secret);
  // Not even a token's signature or payload alone.
  for (const jwt of secrets.filter((s) => s.split('.').length === 3)) {
    for (const part of jwt.split('.').slice(1)) expect(text).not.toContain(part);
  }
  for (const entry of capture.entries() as Msg[]) {
    expect(entry).toMatchObject({ level: expect.any(Number), time: expect.any(String), msg: expect.any(String), service: 'pulseboard' });
  }
});

it('writes JSON lines at PULSE_LOG_LEVEL and above only', async () => {
  const hub = await startChildHub({ PULSE_LOG_LEVEL: 'warn', PULSE_RATE_LIMIT: '1' });
  try {
    const client = await TestClient.connect(hub.wsUrl);
    for (let i = 0; i < 5; i++) client.send({ type: 'ping', ref: i });
    await client.next((m) => m.type === 'reply' && m.error?.code === 'RATE_LIMITED');
    await client.close();
    await sleep(100);
    const entries = hub
      .stderr()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((e) => e.msg)).toContain('rate limited');
    expect(entries.every((e) => (e.level as number) >= 40)).toBe(true);
  } finally {
    hub.kill('SIGTERM');
    await hub.exited;
  }
});

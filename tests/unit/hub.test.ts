/**
 * The hub facade (lib/hub/hub.ts) on the memory backend: what server code, the sources and
 * the HTTP API get from it. Sockets are the integration suites' business; here only the
 * refusals of an upgrade that never becomes one.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { loadConfig } from '@/lib/config';
import { createHub, type Hub } from '@/lib/hub/hub';
import { createLogger } from '@/lib/log';
import { ErrorCode } from '@/lib/protocol';
import { createMemoryBackend } from '@/lib/server/backend';

const SECRET = 'hub-test-secret-0123456789abcdef-0123';
const hubs: Hub[] = [];

function setup(env: Record<string, string> = {}): Hub {
  const config = loadConfig({ NODE_ENV: 'test', PULSE_JWT_SECRET: SECRET, PULSE_LOG_LEVEL: 'silent', ...env });
  const hub = createHub(config, { ...createMemoryBackend(config), log: createLogger('silent') });
  hubs.push(hub);
  return hub;
}

afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

/** A socket an upgrade request arrived on, recording what the hub writes back. */
function upgradeSocket() {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      done();
    },
  });
  return { socket, response: () => Buffer.concat(written).toString('utf8') };
}

describe('publish', () => {
  it('holds server code to the same rules as clients: nothing invalid reaches the engine', async () => {
    const hub = setup();
    await expect(hub.publish('acme', 'no spaces', { upsert: [{ id: 'r1' }] })).rejects.toMatchObject({ code: ErrorCode.INVALID_MESSAGE, message: expect.stringMatching(/^channel must match/) });
    await expect(hub.publish('acme', 'kpi', { upsert: [{ v: 1 } as never] })).rejects.toMatchObject({ code: ErrorCode.INVALID_MESSAGE, message: expect.stringMatching(/^publish: /) });
    await expect(hub.publish('acme', 'kpi', { upsert: [{ id: 'r1', v: 1n } as never] })).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
      message: 'publish holds a bigint, which is not JSON',
    });
    expect(await hub.snapshot('acme', 'kpi')).toMatchObject({ seq: 0, records: [] });
    expect(hub.counters().publishes).toBe(0);
  });

  it('answers an accepted publish with the channel position, and counts it', async () => {
    const hub = setup();
    const result = await hub.publish('acme', 'kpi', { upsert: [{ id: 'r1', v: 1 }], events: [{ type: 'note' }] });
    expect(result).toEqual({ channel: 'kpi', epoch: expect.any(String), seq: 1 });
    expect(await hub.publish('acme', 'kpi', { upsert: [{ id: 'r1', v: 2 }] })).toEqual({ ...result, seq: 2 });
    expect(hub.counters().publishes).toBe(2);
  });
});

describe('snapshot and channels', () => {
  it('reads a channel as a view with a filter sees it, and refuses a bad filter with BAD_FILTER', async () => {
    const hub = setup();
    await hub.publish('acme', 'kpi', { upsert: [{ id: 'low', v: 1 }, { id: 'high', v: 5 }] });
    const snapshot = await hub.snapshot('acme', 'kpi', { where: { v: { gt: 2 } } });
    expect(snapshot).toMatchObject({ channel: 'kpi', seq: 1, records: [{ id: 'high', v: 5 }], events: [] });
    await expect(hub.snapshot('acme', 'kpi', { where: 'all' })).rejects.toMatchObject({ code: ErrorCode.BAD_FILTER });
  });

  it("lists a tenant's channels and no other tenant's", async () => {
    const hub = setup();
    await hub.publish('acme', 'kpi', { upsert: [{ id: 'r1' }] });
    await hub.publish('other', 'secret', { upsert: [{ id: 'r1' }] });
    expect(await hub.channels('acme')).toEqual([expect.objectContaining({ channel: 'kpi', seq: 1, records: 1, subscribers: 0 })]);
  });

  it('reads presence of a valid channel name only', async () => {
    const hub = setup();
    expect(await hub.presenceOf('acme', 'kpi')).toEqual({ type: 'presence', channel: 'kpi', count: 0, users: [], truncated: false });
    await expect(hub.presenceOf('acme', '../kpi')).rejects.toMatchObject({ code: ErrorCode.INVALID_MESSAGE });
  });
});

describe('kick', () => {
  it('answers false for a connection no instance holds', async () => {
    const hub = setup();
    expect(await hub.kick('c_nobody')).toBe(false);
    expect(hub.kickLocal('c_nobody')).toBe(false);
    expect(hub.connection('c_nobody')).toBeUndefined();
  });
});

describe('stats and counters', () => {
  it('reports the hub part of GET /api/ws/stats, the server adding sources and HTTP figures', async () => {
    const hub = setup();
    await hub.publish('acme', 'kpi', { upsert: [{ id: 'r1' }] });
    const report = await hub.report();
    expect(report).toEqual({
      instance: hub.instance,
      at: expect.any(Number),
      engine: 'memory',
      uptimeS: expect.any(Number),
      connections: { total: 0, byTenant: {} },
      channels: 0,
      subscriptions: 0,
      messages: { in: 0, out: 0, inPerSec: 0, outPerSec: 0 },
      bytes: { in: 0, out: 0, inPerSec: 0, outPerSec: 0 },
      latencyMs: { p50: 0, p95: 0, p99: 0 },
      errors: {},
      slowConsumers: 0,
      flushErrors: 0,
      viewers: [],
      cluster: {
        instances: [{ instance: hub.instance, startedAt: expect.any(Number), uptimeS: expect.any(Number), connections: 0, subscriptions: 0 }],
        connections: 0,
        subscriptions: 0,
      },
    });
    expect(Object.keys(report)).not.toContain('sources');
  });

  it('hands out copies: a reader cannot change what the hub counts', () => {
    const hub = setup();
    const counters = hub.counters();
    counters.errors.INTERNAL_ERROR = 99;
    counters.publishes = 99;
    expect(hub.counters()).toMatchObject({ publishes: 0, errors: {}, connections: 0, engineOutages: 0 });
  });

  it('describes this instance for the cluster', () => {
    const hub = setup();
    expect(hub.describe()).toEqual({ instance: hub.instance, startedAt: expect.any(Number), uptimeS: 0, connections: 0, subscriptions: 0, byTenant: {}, subscribers: {} });
  });
});

describe('tokens and health', () => {
  it('verifies the tokens it signs', async () => {
    const hub = setup();
    const token = await hub.signToken({ sub: 'ann', tenant: 'acme' }, 60);
    expect(await hub.authenticate(token)).toMatchObject({ ok: true, session: { user: 'ann', tenant: 'acme', anonymous: false } });
    expect(await hub.authenticate(`${token}x`)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
  });

  it('reports its engine, healthy until closed', async () => {
    const hub = setup();
    expect(hub.engineKind).toBe('memory');
    expect(await hub.engineHealthy()).toBe(true);
    expect(hub.shuttingDown).toBe(false);
  });
});

describe('upgrades refused before they become sockets', () => {
  it('refuses a foreign Origin with 403', () => {
    const hub = setup();
    const { socket, response } = upgradeSocket();
    hub.handleUpgrade({ headers: { origin: 'https://elsewhere.example', host: 'pulse.example' }, socket: {} } as IncomingMessage, socket, Buffer.alloc(0));
    expect(response()).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*\r\n\r\nOrigin not allowed$/);
    expect(hub.counters().connections).toBe(0);
  });

  it('refuses every upgrade with 503 once shutting down, and closes once however often asked', async () => {
    const hub = setup();
    const closing = hub.close();
    expect(hub.close()).toBe(closing);
    expect(hub.shuttingDown).toBe(true);
    const { socket, response } = upgradeSocket();
    hub.handleUpgrade({ headers: {} } as IncomingMessage, socket, Buffer.alloc(0));
    expect(response()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*Server is shutting down$/);
    await closing;
  });
});

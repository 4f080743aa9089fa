/**
 * The client SDK (`lib/client`) and the store binding (`lib/store`) in Node against a real hub:
 * resume after dropped sockets, a restarted hub (new epoch), token expiry and rejection (4401),
 * gap detection and `resync`, `close()`, and requests with their errors.
 *
 * Sockets are the `ws` package's, wrapped in a thin tap that counts them and can drop chosen
 * frames in either direction, so the tests can break continuity on purpose.
 */
import WebSocket from 'ws';
import {
  createPulseClient,
  PulseClientError,
  type DisconnectEvent,
  type PulseClient,
  type PulseClientOptions,
  type ReconnectEvent,
  type SubscribedEvent,
  type TokenReason,
  type WebSocketConstructor,
  type WebSocketLike,
} from '@/lib/client';
import { loadConfig } from '@/lib/config';
import { createLogger } from '@/lib/log';
import type { ChannelEvent, DeltaMessage, PublishInput, SnapshotMessage } from '@/lib/protocol/messages';
import { startPulseServer, type PulseServer } from '@/lib/server/start';
import { createChannelBinder, createPulseStore, type ChannelData, type PulseStore } from '@/lib/store';
import { sleep } from '../helpers/http';
import { startTestServer, TEST_SECRET } from '../helpers/server';
import { signToken } from '../helpers/ws-client';

// ---- harness --------------------------------------------------------------------------------

/** Counts the sockets a client opens and drops frames the predicates pick. */
interface SocketTap {
  sockets: WebSocket[];
  /** Return true to drop a frame from the server before the client sees it. */
  dropIn?: (data: string) => boolean;
  /** Return true to drop a frame from the client before it reaches the server. */
  dropOut?: (data: string) => boolean;
}

function tappedWebSocket(tap: SocketTap): WebSocketConstructor {
  return class TappedWebSocket implements WebSocketLike {
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    private readonly ws: WebSocket;

    constructor(url: string) {
      this.ws = new WebSocket(url);
      tap.sockets.push(this.ws);
      this.ws.on('open', () => this.onopen?.({}));
      this.ws.on('message', (data: Buffer, isBinary: boolean) => {
        const text = isBinary ? data : data.toString('utf8');
        if (typeof text === 'string' && tap.dropIn?.(text)) return;
        this.onmessage?.({ data: text });
      });
      this.ws.on('close', (code: number, reason: Buffer) => this.onclose?.({ code, reason: reason.toString() }));
      // Refused connections (the hub is down) end up here, then in `close`.
      this.ws.on('error', () => this.onerror?.({}));
    }

    get readyState(): number {
      return this.ws.readyState;
    }

    send(data: string): void {
      if (tap.dropOut?.(data)) return;
      this.ws.send(data);
    }

    close(code?: number, reason?: string): void {
      this.ws.close(code, reason);
    }
  };
}

/** Everything a client reports, for assertions. */
interface Recorder {
  states: string[];
  subscribed: SubscribedEvent[];
  snapshots: SnapshotMessage[];
  deltas: DeltaMessage[];
  disconnects: DisconnectEvent[];
  reconnects: ReconnectEvent[];
  errors: PulseClientError[];
  welcomes: Array<{ refreshed: boolean; expiresAt: number | null }>;
  gaps: Array<{ channel: string; position?: { epoch: string; seq: number }; prevSeq: number }>;
  out: Array<Record<string, unknown>>;
}

function record(client: PulseClient): Recorder {
  const r: Recorder = { states: [], subscribed: [], snapshots: [], deltas: [], disconnects: [], reconnects: [], errors: [], welcomes: [], gaps: [], out: [] };
  client.on('state', (e) => r.states.push(e.newState));
  client.on('subscribed', (e) => r.subscribed.push(e));
  client.on('snapshot', (s) => r.snapshots.push(s));
  client.on('delta', (d) => r.deltas.push(d));
  client.on('disconnect', (e) => r.disconnects.push(e));
  client.on('reconnect', (e) => r.reconnects.push(e));
  client.on('error', (e) => r.errors.push(e.error));
  client.on('welcome', (e) => r.welcomes.push({ refreshed: e.refreshed, expiresAt: e.welcome.expiresAt }));
  client.on('gap', (e) => r.gaps.push(e));
  client.on('frame', (f) => {
    if (f.direction === 'out') r.out.push(JSON.parse(f.data) as Record<string, unknown>);
  });
  return r;
}

const clients: PulseClient[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

async function hub(env: Record<string, string> = {}) {
  const server = await startTestServer({ PULSE_BATCH_MS: '10', ...env });
  servers.push(server);
  return server;
}

/** A client with short backoff and a tap on its sockets; not connected yet. */
function makeClient(url: string, options: Partial<PulseClientOptions> = {}) {
  const tap: SocketTap = { sockets: [] };
  const client = createPulseClient({
    url,
    WebSocket: tappedWebSocket(tap),
    backoff: { min: 20, max: 100 },
    requestTimeoutMs: 3000,
    network: null,
    ...options,
  });
  clients.push(client);
  return { client, tap, events: record(client) };
}

async function waitFor(condition: () => boolean, label: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(5);
  }
}

function channelOf(store: PulseStore, channel: string): ChannelData | undefined {
  return store.getState().channels[channel];
}

/** Records keyed by id as plain objects (the store keeps them in a prototype-free dictionary). */
function plainRecords(data: ChannelData | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data?.records ?? {}));
}

/** Waits until the store holds exactly the hub's view of the channel, then returns both. */
async function converged(server: PulseServer, tenant: string, store: PulseStore, channel: string) {
  const expected = await server.hub.snapshot(tenant, channel);
  await waitFor(() => {
    const data = channelOf(store, channel);
    return data !== undefined && data.epoch === expected.epoch && data.seq === expected.seq;
  }, `the store to reach ${channel}@${expected.seq}`);
  const data = channelOf(store, channel)!;
  expect(plainRecords(data)).toEqual(Object.fromEntries(expected.records.map((r) => [r.id, r])));
  return { data, expected };
}

function eventNumbers(events: readonly ChannelEvent[] | undefined): number[] {
  return (events ?? []).map((e) => (e.data as { n: number }).n);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function killServerSide(server: PulseServer): void {
  for (const { id } of server.hub.listConnections()) server.hub.connection(id)?.socket.terminate();
}

// ---- 1. dropped connections -------------------------------------------------------------------

describe('resume after a dropped connection', () => {
  it('reconnects mid-stream, resumes with since, and delivers every event exactly once', async () => {
    const server = await hub();
    const { client, tap, events } = makeClient(server.wsUrl);
    const store = createPulseStore();
    const binder = createChannelBinder(client, store);
    const channel = 'stream';
    // Touched only while the client is away: their recovery must replace, not merge, and delete.
    await server.hub.publish('demo', channel, { upsert: [{ id: 'sticky', keep: 1, drop: 1 }, { id: 'doomed', v: 1 }] });
    client.connect();
    const release = binder.acquire(channel);
    await waitFor(() => events.snapshots.length === 1, 'the first snapshot');

    // Numbered publishes; the socket dies twice while they keep coming, once killed by the hub's
    // side and once by the client's.
    const N = 150;
    const publishes: Promise<unknown>[] = [];
    for (let i = 1; i <= N; i++) {
      const input: PublishInput = {
        upsert: [
          { id: 'counter', n: i },
          // `odd` comes and goes: a recovery delta must replace the record, not merge into it.
          { id: `row-${i % 7}`, last: i, odd: i % 2 === 1 ? i : null },
        ],
        events: [{ type: 'tick', data: { n: i } }],
      };
      if (i % 10 === 0) input.delete = [`row-${(i + 3) % 7}`];
      publishes.push(server.hub.publish('demo', channel, input));
      if (i === 40) {
        killServerSide(server);
        publishes.push(server.hub.publish('demo', channel, { upsert: [{ id: 'sticky', drop: null, after: 40 }], delete: ['doomed'] }));
      }
      if (i === 95) {
        // The socket of the resumed session (on a slow machine the resume may still be under way).
        await waitFor(() => events.subscribed.length === 2, 'the first resume');
        tap.sockets.at(-1)!.terminate();
        publishes.push(server.hub.publish('demo', channel, { upsert: [{ id: 'sticky', keep: null, again: 95 }] }));
      }
      await sleep(2);
    }
    await Promise.all(publishes);

    const { data, expected } = await converged(server, 'demo', store, channel);
    expect(expected.seq).toBe(N + 3);
    expect(data.records.sticky).toEqual({ id: 'sticky', after: 40, again: 95 });
    expect(data.records.doomed).toBeUndefined();

    // Two drops, two resumes, each a lossless recovery from the position held.
    expect(tap.sockets).toHaveLength(3);
    expect(events.disconnects.map((d) => d.willReconnect)).toEqual([true, true]);
    expect(events.subscribed).toHaveLength(3);
    expect(events.subscribed[0]).toEqual({ channel, recovered: false });
    for (const resumed of events.subscribed.slice(1)) {
      expect(resumed).toMatchObject({ channel, recovered: true, since: { epoch: expected.epoch } });
    }
    const subscribes = events.out.filter((m) => m.type === 'subscribe');
    expect(subscribes.slice(1).every((m) => m.since !== undefined)).toBe(true);
    expect(events.deltas.filter((d) => d.recovery).length).toBeGreaterThanOrEqual(2);

    // Exactly once: the only snapshot is the first one (taken before any numbered publish), and the
    // deltas carry 1..N with neither holes nor duplicates.
    expect(events.snapshots).toHaveLength(1);
    expect(events.snapshots[0]!.events).toEqual([]);
    expect(eventNumbers(events.deltas.flatMap((d) => d.events ?? []))).toEqual(range(1, N));
    expect(data.eventsReceived).toBe(N);
    expect(eventNumbers(data.events)).toEqual(range(N - data.events.length + 1, N));
    expect(data.events.slice(-expected.events.length)).toEqual(expected.events);
    expect(data.recovered).toBe(true);
    expect(data.live).toBe(true);
    expect(client.state).toBe('open');
    release();
  });
});

// ---- 2. restarted hub -------------------------------------------------------------------------

describe('a restarted hub', () => {
  it('reconnects to a new hub on the same port and replaces the state from a gap snapshot', async () => {
    const first = await hub();
    const port = first.port;
    const { client, events } = makeClient(first.wsUrl);
    const store = createPulseStore();
    const binder = createChannelBinder(client, store);
    const channel = 'ops';
    client.connect();
    binder.acquire(channel);
    await waitFor(() => events.snapshots.length === 1, 'the first snapshot');
    await first.hub.publish('demo', channel, { upsert: [{ id: 'a', v: 1 }, { id: 'old', v: 1 }], events: [{ type: 'before' }] });
    const before = await converged(first, 'demo', store, channel);

    await first.close();
    await waitFor(() => client.state !== 'open', 'the client to notice');
    expect(events.disconnects[0]).toMatchObject({ code: 1001, willReconnect: true });
    // Attempts against a closed port fail; the client keeps trying with backoff.
    await waitFor(() => events.reconnects.some((r) => r.attempt >= 1), 'a failed attempt');
    await sleep(50);

    const config = loadConfig({ NODE_ENV: 'test', PULSE_JWT_SECRET: TEST_SECRET, PULSE_LOG_LEVEL: 'silent', PULSE_BATCH_MS: '10' });
    const second = await startPulseServer({ config, port, host: '127.0.0.1', log: createLogger(config.logLevel) });
    servers.push(second);
    await second.hub.publish('demo', channel, { upsert: [{ id: 'a', v: 2 }, { id: 'new', v: 1 }] });
    await waitFor(() => client.state === 'open', 'the client to reconnect');
    await second.hub.publish('demo', channel, { upsert: [{ id: 'new', v: 2 }], events: [{ type: 'after' }] });

    const { data, expected } = await converged(second, 'demo', store, channel);
    expect(expected.epoch).not.toBe(before.expected.epoch);
    expect(plainRecords(data)).toEqual({ a: { id: 'a', v: 2 }, new: { id: 'new', v: 2 } });
    const resumed = events.subscribed.at(-1)!;
    expect(resumed).toMatchObject({ channel, recovered: false, since: { epoch: before.expected.epoch, seq: 1 } });
    const gapSnapshot = events.snapshots.find((s) => s.epoch === expected.epoch);
    expect(gapSnapshot).toMatchObject({ channel, gap: true });
    expect(data.recovered).toBe(false);
    expect(data.events.map((e) => e.type)).not.toContain('before');
    expect(data.events.map((e) => e.type)).toContain('after');
  });
});

// ---- 3. tokens and 4401 -----------------------------------------------------------------------

describe('tokens', () => {
  const claims = { sub: 'u1', tenant: 'acme' };

  it('refreshes a token that is about to expire on the open connection', async () => {
    const server = await hub({ PULSE_ANONYMOUS: '0' });
    const reasons: TokenReason[] = [];
    const { client, events } = makeClient(server.wsUrl, {
      getToken: ({ reason }) => {
        reasons.push(reason);
        return signToken(TEST_SECRET, claims, { expiresInS: reasons.length === 1 ? 2 : 60 });
      },
    });
    const store = createPulseStore();
    createChannelBinder(client, store).acquire('kpi');
    client.connect();
    await waitFor(() => client.state === 'open', 'the session');
    const firstExpiry = client.session!.expiresAt!;
    expect(firstExpiry - Date.now()).toBeLessThanOrEqual(2000);

    // Past the first token's expiry: the session lives on under the refreshed token.
    await sleep(firstExpiry - Date.now() + 400);
    expect(reasons).toEqual(['connect', 'refresh']);
    expect(events.welcomes.map((w) => w.refreshed)).toEqual([false, true]);
    expect(events.disconnects).toEqual([]);
    expect(client.state).toBe('open');
    expect(client.session!.expiresAt!).toBeGreaterThan(firstExpiry + 30_000);

    await server.hub.publish('acme', 'kpi', { upsert: [{ id: 'q1', waiting: 3 }] });
    await converged(server, 'acme', store, 'kpi');
  });

  it('reconnects with a fresh token when the server expires the session (4401)', async () => {
    const server = await hub({ PULSE_ANONYMOUS: '0' });
    const reasons: TokenReason[] = [];
    const { client, events } = makeClient(server.wsUrl, {
      getToken: ({ reason }) => {
        reasons.push(reason);
        // The refresh is refused (wrong signature), so the session runs out.
        if (reason === 'refresh') return signToken('another-secret-0123456789abcdef', claims, { expiresInS: 60 });
        return signToken(TEST_SECRET, claims, { expiresInS: reasons.length === 1 ? 2 : 60 });
      },
    });
    const store = createPulseStore();
    createChannelBinder(client, store).acquire('kpi');
    client.connect();
    await waitFor(() => client.state === 'open', 'the session');
    await server.hub.publish('acme', 'kpi', { upsert: [{ id: 'q1', waiting: 1 }] });
    await converged(server, 'acme', store, 'kpi');

    await waitFor(() => events.disconnects.length === 1, 'the expiry', 4000);
    expect(events.disconnects[0]).toMatchObject({ code: 4401, willReconnect: true });
    await waitFor(() => client.state === 'open', 'the new session');

    expect(reasons).toEqual(['connect', 'refresh', 'rejected']);
    expect(events.errors.map((e) => e.code)).toEqual(['AUTH_FAILED', 'TOKEN_EXPIRED']);
    expect(events.welcomes.map((w) => w.refreshed)).toEqual([false, false]);
    expect(client.session!.expiresAt! - Date.now()).toBeGreaterThan(30_000);
    await waitFor(() => events.subscribed.length === 2, 'the resubscribe');
    expect(events.subscribed[1]).toMatchObject({ channel: 'kpi', recovered: true });
    await server.hub.publish('acme', 'kpi', { upsert: [{ id: 'q1', waiting: 2 }] });
    await converged(server, 'acme', store, 'kpi');
  });

  it('asks for another token after the server rejects one at auth, then connects', async () => {
    const server = await hub({ PULSE_ANONYMOUS: '0' });
    const reasons: TokenReason[] = [];
    const { client, tap, events } = makeClient(server.wsUrl, {
      getToken: ({ reason }) => {
        reasons.push(reason);
        const secret = reasons.length === 1 ? 'wrong-secret-0123456789abcdef' : TEST_SECRET;
        return signToken(secret, claims, { expiresInS: 60 });
      },
    });
    client.connect();
    await waitFor(() => client.state === 'open', 'the session');
    expect(reasons).toEqual(['connect', 'rejected']);
    expect(events.errors.map((e) => e.code)).toEqual(['AUTH_FAILED']);
    expect(events.disconnects).toEqual([expect.objectContaining({ code: 4401, willReconnect: true })]);
    expect(tap.sockets).toHaveLength(2);
    expect(client.session).toMatchObject({ user: 'u1', tenant: 'acme' });
    expect(events.states).toEqual(['connecting', 'reconnecting', 'open']);
  });

  it('reports a missing token as AUTH_FAILED when anonymous mode is off', async () => {
    const server = await hub({ PULSE_ANONYMOUS: '0' });
    const reasons: TokenReason[] = [];
    const { client, events } = makeClient(server.wsUrl, {
      getToken: async ({ reason }) => {
        reasons.push(reason);
        return reasons.length === 1 ? null : signToken(TEST_SECRET, claims, { expiresInS: 60 });
      },
    });
    client.connect();
    await waitFor(() => client.state === 'open', 'the session');
    expect(reasons).toEqual(['connect', 'rejected']);
    expect(events.errors.map((e) => e.code)).toEqual(['AUTH_FAILED']);
  });
});

// ---- 4. gap detection -------------------------------------------------------------------------

describe('gap detection', () => {
  it('sends resync when a delta goes missing and converges on the fresh snapshot', async () => {
    const server = await hub();
    const { client, tap, events } = makeClient(server.wsUrl);
    const store = createPulseStore();
    const channel = 'gappy';
    createChannelBinder(client, store).acquire(channel);
    client.connect();
    await waitFor(() => events.snapshots.length === 1, 'the first snapshot');

    await server.hub.publish('demo', channel, { upsert: [{ id: 'a', v: 1 }] });
    await converged(server, 'demo', store, channel);

    let dropped: DeltaMessage | undefined;
    tap.dropIn = (data) => {
      const message = JSON.parse(data) as DeltaMessage;
      if (dropped || message.type !== 'delta' || message.channel !== channel) return false;
      dropped = message;
      return true;
    };
    await server.hub.publish('demo', channel, { upsert: [{ id: 'b', v: 1 }], events: [{ type: 'lost', data: { n: 2 } }] });
    await waitFor(() => dropped !== undefined, 'the dropped delta');
    expect(client.position(channel)).toMatchObject({ seq: 1 });

    await server.hub.publish('demo', channel, { upsert: [{ id: 'a', v: 3 }] });
    const { data, expected } = await converged(server, 'demo', store, channel);

    expect(events.gaps).toEqual([{ channel, position: { epoch: expected.epoch, seq: 1 }, epoch: expected.epoch, prevSeq: 2 }]);
    expect(events.out.filter((m) => m.type === 'resync')).toEqual([expect.objectContaining({ channel })]);
    expect(events.snapshots).toHaveLength(2);
    expect(events.snapshots[1]).toMatchObject({ channel, seq: 3, gap: false });
    // The delta after the hole was never applied; the snapshot brought what the lost one carried.
    expect(events.deltas.map((d) => d.seq)).toEqual([1]);
    expect(plainRecords(data)).toEqual({ a: { id: 'a', v: 3 }, b: { id: 'b', v: 1 } });
    expect(data.events.map((e) => e.type)).toEqual(['lost']);

    // Deltas flow again after the resync.
    await server.hub.publish('demo', channel, { upsert: [{ id: 'c', v: 1 }] });
    await converged(server, 'demo', store, channel);
    expect(events.deltas.at(-1)).toMatchObject({ prevSeq: 3, seq: 4 });
  });
});

// ---- 5. staying closed ------------------------------------------------------------------------

describe('closing', () => {
  it('stays closed after close(), and connect() later resumes the kept subscriptions', async () => {
    const server = await hub();
    const reasons: TokenReason[] = [];
    const { client, tap, events } = makeClient(server.wsUrl, { backoff: { min: 20, max: 40 }, getToken: ({ reason }) => void reasons.push(reason) });
    const store = createPulseStore();
    createChannelBinder(client, store).acquire('quiet');
    client.connect();
    await waitFor(() => events.subscribed.length === 1, 'the subscription');

    client.close();
    expect(client.state).toBe('closed');
    expect(events.disconnects).toEqual([expect.objectContaining({ code: 1000, willReconnect: false })]);
    await waitFor(() => server.hub.counters().connections === 0, 'the hub to see the close');

    await server.hub.publish('demo', 'quiet', { upsert: [{ id: 'x', v: 1 }] });
    await sleep(300); // several backoff ceilings
    expect(client.state).toBe('closed');
    expect(tap.sockets).toHaveLength(1);
    expect(events.reconnects).toEqual([]);
    expect(reasons).toEqual(['connect']);
    expect(events.deltas).toEqual([]);
    expect(channelOf(store, 'quiet')?.seq).toBe(0);
    await expect(client.ping()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });

    client.connect();
    await converged(server, 'demo', store, 'quiet');
    expect(events.subscribed[1]).toMatchObject({ recovered: true, since: { seq: 0 } });
    expect(reasons).toEqual(['connect', 'connect']);
  });

  it('cancels a pending retry on close()', async () => {
    const server = await hub();
    // Every delay near the top of its window, so the retry is surely pending when close() runs.
    const { client, tap, events } = makeClient(server.wsUrl, { backoff: { min: 150, max: 300 }, random: () => 0.99 });
    client.connect();
    await waitFor(() => client.state === 'open', 'the session');

    killServerSide(server);
    await waitFor(() => events.reconnects.length === 1, 'the scheduled retry');
    expect(client.state).toBe('reconnecting');
    client.close();
    expect(client.state).toBe('closed');
    await sleep(500);
    expect(client.state).toBe('closed');
    expect(tap.sockets).toHaveLength(1);
    expect(events.reconnects).toHaveLength(1);
    expect(server.hub.counters().connections).toBe(0);
  });

  it('stays closed when the server closes with 1000', async () => {
    const server = await hub();
    const { client, tap, events } = makeClient(server.wsUrl, { backoff: { min: 20, max: 40 } });
    client.connect();
    await waitFor(() => client.state === 'open', 'the session');

    for (const { id } of server.hub.listConnections()) server.hub.connection(id)?.close(1000, 'done');
    await waitFor(() => client.state === 'closed', 'the close');
    await sleep(300);
    expect(client.state).toBe('closed');
    expect(tap.sockets).toHaveLength(1);
    expect(events.reconnects).toEqual([]);
    expect(events.disconnects).toEqual([expect.objectContaining({ code: 1000, willReconnect: false })]);
  });
});

// ---- 6. requests ------------------------------------------------------------------------------

describe('requests', () => {
  const writer = { sub: 'writer', tenant: 'acme', channels: { subscribe: ['pub:*'], publish: ['pub:*'] } };

  it('publishes with a token that allows it and surfaces protocol errors by code', async () => {
    const server = await hub();
    const token = await signToken(TEST_SECRET, writer, { expiresInS: 300 });
    const { client, events } = makeClient(server.wsUrl, { getToken: () => token });
    const store = createPulseStore();
    const binder = createChannelBinder(client, store);
    binder.acquire('pub:a');
    client.connect();

    // Sent while connecting: it waits for the session.
    const result = await client.publish('pub:a', { upsert: [{ id: 'r1', v: 1 }], events: [{ type: 'made', priority: 'high' }] });
    expect(result).toEqual({ channel: 'pub:a', epoch: expect.any(String), seq: 1 });
    const { data } = await converged(server, 'acme', store, 'pub:a');
    expect(data.events).toEqual([expect.objectContaining({ type: 'made', priority: 'high', seq: 1 })]);

    const forbidden = await client.publish('elsewhere', { upsert: [{ id: 'r1' }] }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(PulseClientError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN' });
    await expect(client.publish('pub:a', { upsert: [{ id: 'r1', v: 2 }], delete: ['r1'] })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(client.request('subscribe', { channel: 'pub:b', filter: { nope: 1 } as never })).rejects.toMatchObject({ code: 'BAD_FILTER' });
    // Refused requests consume no seq.
    expect((await server.hub.snapshot('acme', 'pub:a')).seq).toBe(1);

    // A refused subscription reaches the store as the channel's error.
    binder.acquire('private');
    await waitFor(() => (channelOf(store, 'private')?.error ?? null) !== null, 'the subscription error');
    expect(channelOf(store, 'private')!.error).toMatchObject({ code: 'FORBIDDEN' });
    expect(client.state).toBe('open');
    expect(events.disconnects).toEqual([]);
  });

  it('refuses publishing for an anonymous session', async () => {
    const server = await hub();
    const { client } = makeClient(server.wsUrl);
    client.connect();
    await expect(client.publish('pub:a', { upsert: [{ id: 'r1' }] })).rejects.toMatchObject({ name: 'PulseClientError', code: 'FORBIDDEN' });
  });

  it('times out a request without a reply, and fails one in flight when the socket drops', async () => {
    const server = await hub();
    const token = await signToken(TEST_SECRET, writer, { expiresInS: 300 });
    const { client, tap } = makeClient(server.wsUrl, { getToken: () => token });
    client.connect();
    await waitFor(() => client.state === 'open', 'the session');

    tap.dropOut = (data) => data.includes('"type":"publish"');
    const started = Date.now();
    const timedOut = await client.publish('pub:t', { upsert: [{ id: 'r' }] }, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(PulseClientError);
    expect(timedOut).toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // The session is fine; later requests work.
    await expect(client.ping()).resolves.toMatchObject({ ts: expect.any(Number) });

    const inFlight = client.publish('pub:t', { upsert: [{ id: 'r' }] }, { timeoutMs: 5000 }).catch((e: unknown) => e);
    await sleep(20);
    killServerSide(server);
    expect(await inFlight).toMatchObject({ code: 'DISCONNECTED' });

    tap.dropOut = undefined;
    await waitFor(() => client.state === 'open', 'the reconnect');
    await expect(client.publish('pub:t', { upsert: [{ id: 'r' }] })).resolves.toMatchObject({ seq: 1 });
  });
});

/**
 * docs/protocol.md §8, slow consumers: a socket whose unsent buffer goes over
 * PULSE_SLOW_CONSUMER_BYTES gets no more deltas; once it drains one catch-up restores it with
 * nothing lost; one that stays over the limit is closed with 1013. Whatever the client does,
 * the server holds at most the limit plus one frame for it.
 */
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';
import { bearer, http, sleep, subscribe } from '../helpers/http';
import { ChannelMirror, sortById } from '../helpers/channel-mirror';

jest.setTimeout(20_000);

const LIMIT = 64 * 1024;
const BATCH_MS = 5;

/** The client's TCP socket: pausing it stops reading, so the server's send buffer fills. */
const tcp = (client: TestClient): Socket => (client.socket as unknown as { _socket: Socket })._socket;

function mirrorOf(client: TestClient, channel: string): ChannelMirror {
  const mirror = new ChannelMirror(channel);
  for (const message of client.received) mirror.apply(message);
  client.socket.on('message', (data) => mirror.apply(JSON.parse(data.toString()) as Msg));
  return mirror;
}

/** Samples the server-side buffered bytes of one connection every few ms; returns a stop function with the maximum. */
function watchBuffer(server: TestServer, connectionId: string): () => number {
  let max = 0;
  const timer = setInterval(() => {
    const connection = server.hub.connection(connectionId);
    if (connection) max = Math.max(max, connection.bufferedBytes);
  }, 2);
  return () => {
    clearInterval(timer);
    return max;
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const blob = (bytes: number) => randomBytes(bytes / 2).toString('hex');

describe('a paused reader while hundreds of publishes flow', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      PULSE_BATCH_MS: String(BATCH_MS),
      PULSE_SLOW_CONSUMER_BYTES: String(LIMIT),
      PULSE_SLOW_CONSUMER_TIMEOUT_MS: '60000',
      PULSE_API_KEY: TEST_API_KEY,
    });
  });
  afterAll(() => server.close());

  it('stops queueing deltas above the limit, then catches up with nothing lost', async () => {
    const channel = 'big';
    const slow = await TestClient.connect(server.wsUrl);
    const healthy = await TestClient.connect(server.wsUrl);
    await subscribe(slow, channel);
    await subscribe(healthy, channel, { filter: {} });
    const slowMirror = mirrorOf(slow, channel);
    const healthyMirror = mirrorOf(healthy, channel);
    let largestFrame = 0;
    healthy.socket.on('message', (data) => (largestFrame = Math.max(largestFrame, (data as Buffer).length)));

    tcp(slow).pause();
    const stopWatching = watchBuffer(server, slow.welcome.connectionId);
    let adminMax = 0;
    let lastSeq = 0;
    // One ~24 KB record per batch window, so frames stay well under the limit.
    for (let i = 0; i < 400; i++) {
      const upsert = [{ id: `r${i % 40}`, n: i, blob: blob(24 * 1024) }];
      const deleted = i % 37 === 36 ? [`r${(i + 5) % 40}`] : undefined;
      ({ seq: lastSeq } = await server.hub.publish('demo', channel, { upsert, ...(deleted ? { delete: deleted } : {}) }));
      await sleep(BATCH_MS + 1);
      if (i % 20 === 19) {
        const { body } = await http(server.url, 'GET', '/api/ws/connections', { headers: bearer(TEST_API_KEY) });
        const entry = body.connections.find((c: Msg) => c.id === slow.welcome.connectionId);
        adminMax = Math.max(adminMax, entry.bufferedBytes);
      }
    }
    await until(() => healthyMirror.seq === lastSeq, 10_000, 'the healthy client');
    await sleep(50);
    const maxBuffered = stopWatching();

    // The paused socket was held back, and never held more than the limit plus one frame.
    expect(server.hub.counters().slowConsumerEvents).toBeGreaterThanOrEqual(1);
    expect(maxBuffered).toBeGreaterThan(LIMIT / 2);
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + largestFrame + 1024);
    expect(adminMax).toBeLessThanOrEqual(LIMIT + largestFrame + 1024);
    expect(slowMirror.seq).toBeLessThan(lastSeq);

    tcp(slow).resume();
    await until(() => slowMirror.seq === lastSeq, 10_000, 'the slow client to catch up');
    expect(slowMirror.gaps).toEqual([]);
    expect(slowMirror.recoveries).toBeGreaterThanOrEqual(1);
    expect(healthyMirror.gaps).toEqual([]);

    const snapshot = await server.hub.snapshot('demo', channel);
    expect(snapshot.seq).toBe(lastSeq);
    expect(slowMirror.sorted()).toEqual(sortById(snapshot.records));
    expect(healthyMirror.sorted()).toEqual(sortById(snapshot.records));
    expect(server.hub.counters().slowConsumers).toBe(0);

    // Back to normal: the next publish arrives as an ordinary delta.
    const { seq } = await server.hub.publish('demo', channel, { upsert: [{ id: 'after', ok: true }] });
    const delta = await slow.next((m) => m.type === 'delta' && m.seq === seq);
    expect(delta).toMatchObject({ prevSeq: lastSeq, upsert: [{ id: 'after', ok: true }] });
    expect(delta.recovery).toBeUndefined();
    await Promise.all([slow.close(), healthy.close()]);
  });

  it('holds back a reader that never reads but keeps asking for snapshots', async () => {
    const channel = 'resync-spam';
    const records = Array.from({ length: 30 }, (_, i) => ({ id: `s${i}`, blob: blob(8 * 1024) }));
    await server.hub.publish('demo', channel, { upsert: records });
    const snapshotBytes = JSON.stringify(await server.hub.snapshot('demo', channel)).length;

    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel);
    tcp(client).pause();
    const stopWatching = watchBuffer(server, client.welcome.connectionId);
    // Each resync answers with a ~250 KB snapshot: 120 of them are 30 MB if nothing holds them back.
    const count = 120;
    for (let ref = 1; ref <= count; ref++) client.send({ type: 'resync', ref: `r${ref}`, channel });
    await sleep(1500);
    const maxBuffered = stopWatching();
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + snapshotBytes + 4096);

    tcp(client).resume();
    for (let ref = 1; ref <= count; ref++) {
      const reply = await client.next((m) => m.type === 'reply' && m.ref === `r${ref}`, 10_000);
      expect(reply).toMatchObject({ ok: true, channel });
    }
    await until(() => client.received.filter((m) => m.type === 'snapshot').length === count + 1, 10_000, 'every snapshot');
    await client.close();
  });
});

describe('a reader that stays over the limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      PULSE_BATCH_MS: '10',
      PULSE_SLOW_CONSUMER_BYTES: String(LIMIT),
      PULSE_SLOW_CONSUMER_TIMEOUT_MS: '800',
    });
  });
  afterAll(() => server.close());

  it('is closed with 1013 after PULSE_SLOW_CONSUMER_TIMEOUT_MS, and others are unaffected', async () => {
    const channel = 'stuck';
    const slow = await TestClient.connect(server.wsUrl);
    const healthy = await TestClient.connect(server.wsUrl);
    await subscribe(slow, channel);
    await subscribe(healthy, channel);
    const healthyMirror = mirrorOf(healthy, channel);
    tcp(slow).pause();
    const started = Date.now();
    let lastSeq = 0;
    while (server.hub.counters().slowConsumers === 0 && Date.now() - started < 10_000) {
      ({ seq: lastSeq } = await server.hub.publish('demo', channel, { upsert: [{ id: `k${lastSeq % 20}`, blob: blob(32 * 1024) }] }));
      await sleep(2);
    }
    expect(server.hub.counters().slowConsumers).toBe(1);
    const stalledAt = Date.now();
    // Keep publishing while the timeout runs.
    while (server.hub.connection(slow.welcome.connectionId)?.isOpen && Date.now() - stalledAt < 5000) {
      ({ seq: lastSeq } = await server.hub.publish('demo', channel, { upsert: [{ id: `k${lastSeq % 20}`, n: lastSeq }] }));
      await sleep(20);
    }
    const closedAfter = Date.now() - stalledAt;
    expect(closedAfter).toBeGreaterThanOrEqual(700);
    expect(closedAfter).toBeLessThan(4000);

    tcp(slow).resume();
    const close = await slow.closed;
    expect(close.code).toBe(1013);
    await until(() => healthyMirror.seq === lastSeq, 5000, 'the healthy client');
    expect(healthyMirror.gaps).toEqual([]);
    expect(healthyMirror.sorted()).toEqual(sortById((await server.hub.snapshot('demo', channel)).records));
    await healthy.close();
  });
});

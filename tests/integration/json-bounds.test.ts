/**
 * JSON bounds on every entry path (docs/operations.md, "Limits"): one deeply nested or
 * oversized publish is refused where it is decoded, naming the limit, and can no longer freeze
 * a channel; a refused publish stores nothing; history and snapshots are capped in bytes.
 */
import { startTestServer, TEST_API_KEY, TEST_ENGINE, TEST_SECRET, type TestServer } from '../helpers/server';
import { bearer, connectPublisher, http, publishOk, sleep, subscribe } from '../helpers/http';
import type { TestClient } from '../helpers/ws-client';

jest.setTimeout(20_000);

/** `depth` levels of `{"a":…}` around `inner`, as text (a value this deep cannot be stringified). */
const nestedText = (depth: number, inner = '1') => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

/** One event of about 36 KB nested 6,000 levels deep. */
const DEEP_EVENT = `{"type":"alert.deep","data":${nestedText(6000)}}`;

const memoryOnly = TEST_ENGINE === 'memory' ? it : it.skip;

let server: TestServer;
let pub: TestClient;
beforeAll(async () => {
  server = await startTestServer({ PULSE_API_KEY: TEST_API_KEY, PULSE_BATCH_MS: '10' });
  pub = await connectPublisher(server.wsUrl, TEST_SECRET);
});
afterAll(async () => {
  await pub.close();
  await server.close();
});

const publishHttp = (channel: string, body: string) =>
  http(server.url, 'POST', `/api/channels/${channel}/publish`, { body, headers: bearer(TEST_API_KEY) });
const snapshotHttp = (channel: string, query = '') => http(server.url, 'GET', `/api/channels/${channel}/snapshot${query}`, { headers: bearer(TEST_API_KEY) });

/** Sends a raw publish frame with `ref` and resolves with its reply. */
function publishRaw(client: TestClient, ref: number, channel: string, rest: string) {
  client.send(`{"type":"publish","ref":${ref},"channel":"${channel}",${rest}}`);
  return client.next((m) => m.type === 'reply' && m.ref === ref);
}

describe('over the socket', () => {
  it('refuses a 36 KB nested event naming the depth limit; the channel keeps flowing', async () => {
    expect(DEEP_EVENT.length).toBeGreaterThan(36_000);
    const watcher = await connectPublisher(server.wsUrl, TEST_SECRET, 'demo', 'watcher');
    await subscribe(watcher, 'deep-socket');

    const reply = await publishRaw(pub, 101, 'deep-socket', `"events":[${DEEP_EVENT}]`);
    expect(reply).toEqual({ type: 'reply', ref: 101, ok: false, error: { code: 'INVALID_MESSAGE', message: 'frame is nested deeper than 32 levels' } });

    // Nothing was stored, later publishes reach the subscriber, snapshots answer.
    const { seq } = await publishOk(pub, 'deep-socket', { events: [{ type: 'after' }] });
    expect(seq).toBe(1);
    await expect(watcher.next((m) => m.type === 'delta' && m.seq === 1)).resolves.toMatchObject({ events: [{ type: 'after' }] });
    expect((await snapshotHttp('deep-socket')).status).toBe(200);
    await watcher.close();
  });

  it('refuses a record nested 5,000 levels deep, and the snapshot keeps answering', async () => {
    const reply = await publishRaw(pub, 102, 'deep-record', `"upsert":[{"id":"r1","x":${nestedText(5000)}}]`);
    expect(reply.error).toEqual({ code: 'INVALID_MESSAGE', message: 'frame is nested deeper than 32 levels' });
    const snapshot = await snapshotHttp('deep-record');
    expect(snapshot.status).toBe(200);
    expect(snapshot.body).toMatchObject({ seq: 0, records: [] });
  });

  it('refuses 1e309 instead of storing Infinity', async () => {
    const reply = await publishRaw(pub, 103, 'finite', '"upsert":[{"id":"r1","v":1e309}]');
    expect(reply.error.code).toBe('INVALID_MESSAGE');
    expect(reply.error.message).toMatch(/not finite/);
    expect((await snapshotHttp('finite')).body.records).toEqual([]);
  });

  it('refuses a publish of more than 10,000 upserts, naming the limit', async () => {
    const upserts = Array.from({ length: 10_001 }, (_, i) => ({ id: `r${i}` }));
    const reply = await pub.request({ type: 'publish', channel: 'many', upsert: upserts });
    expect(reply.error).toEqual({ code: 'INVALID_MESSAGE', message: 'publish: upsert: at most 10000 upserts per publish' });
    expect((await pub.request({ type: 'publish', channel: 'many', upsert: upserts.slice(1) })).ok).toBe(true);
  });

  it('answers a deep frame without a usable ref with an error, and keeps the connection', async () => {
    pub.send(`{"type":"publish","channel":"x","events":[${DEEP_EVENT}]}`);
    await expect(pub.next((m) => m.type === 'error')).resolves.toEqual({
      type: 'error',
      code: 'INVALID_MESSAGE',
      message: 'frame is nested deeper than 32 levels',
    });
    expect((await pub.request({ type: 'ping' })).ok).toBe(true);
  });
});

describe('over HTTP', () => {
  it('refuses a 36 KB nested event with 400 naming the depth limit', async () => {
    const res = await publishHttp('deep-http', `{"events":[${DEEP_EVENT}]}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'INVALID_MESSAGE', message: 'body is nested deeper than 32 levels' } });
    expect((await snapshotHttp('deep-http')).status).toBe(200);
  });

  it('stores nothing of a publish whose second record is 12,000 levels deep, and takes no seq', async () => {
    const res = await publishHttp('atomic', `{"upsert":[{"id":"first","v":1},{"id":"second","x":${nestedText(12_000)}}]}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/nested deeper than 32 levels/);
    expect((await snapshotHttp('atomic')).body).toMatchObject({ seq: 0, records: [] });
    expect((await publishHttp('atomic', '{"upsert":[{"id":"first","v":1}]}')).body.seq).toBe(1);
  });

  it('refuses 1e309 with 400', async () => {
    const res = await publishHttp('finite-http', '{"upsert":[{"id":"r1","v":-1e309}]}');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not finite/);
  });

  it('refuses more than 10,000 deletions or events with 400, naming the limit', async () => {
    const deletions = await publishHttp('many-http', JSON.stringify({ delete: Array.from({ length: 10_001 }, (_, i) => `r${i}`) }));
    expect(deletions.status).toBe(400);
    expect(deletions.body.error.message).toBe('publish: delete: at most 10000 deletions per publish');
    const events = await publishHttp('many-http', JSON.stringify({ events: Array.from({ length: 10_001 }, () => ({ type: 'e' })) }));
    expect(events.status).toBe(400);
    expect(events.body.error.message).toBe('publish: events: at most 10000 events per publish');
  });

  it('refuses a too-deep ?filter= with 400 BAD_FILTER naming the limit', async () => {
    const res = await snapshotHttp('kpi', `?filter=${encodeURIComponent(`{"where":${nestedText(40)}}`)}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'BAD_FILTER', message: 'filter is nested deeper than 32 levels' } });
  });
});

describe('from server code', () => {
  it('refuses what JSON cannot carry, or too deep, before the engine sees it', async () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { a: deep };
    await expect(server.hub.publish('demo', 'server-code', { upsert: [{ id: 'ok', v: 1 }, { id: 'deep', deep } as never] })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      message: 'publish is nested deeper than 32 levels',
    });
    await expect(server.hub.publish('demo', 'server-code', { upsert: [{ id: 'big', v: 1n } as never] })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      message: 'publish holds a bigint, which is not JSON',
    });
    await expect(server.hub.publish('demo', 'server-code', { events: [{ type: 'e', data: { n: NaN } }] })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(await server.hub.snapshot('demo', 'server-code')).toMatchObject({ seq: 0, records: [], events: [] });
  });
});

describe('one reply per request', () => {
  memoryOnly('answers a subscribe whose snapshot cannot be serialized with one failed reply, and nothing else', async () => {
    // Only code that goes around the hub can store such a value; the reply must still be one.
    await server.engine.publish('demo', 'poisoned', { upsert: [{ id: 'r1', v: 1n } as never] });
    const client = await connectPublisher(server.wsUrl, TEST_SECRET, 'demo', 'subscriber');
    const reply = await client.request({ type: 'subscribe', channel: 'poisoned' });
    expect(reply).toEqual({ type: 'reply', ref: reply.ref, ok: false, error: { code: 'INTERNAL_ERROR', message: 'internal error' } });
    await sleep(200);
    expect(client.received.filter((m) => m.ref === reply.ref)).toHaveLength(1);
    expect(client.received.filter((m) => m.type === 'snapshot')).toEqual([]);
    await client.close();
  });
});

describe('byte caps on history and snapshot events', () => {
  let capped: TestServer;
  let client: TestClient;
  beforeAll(async () => {
    capped = await startTestServer({ PULSE_HISTORY_MAX_BYTES: '4096', PULSE_SNAPSHOT_EVENTS_MAX_BYTES: '2048', PULSE_BATCH_MS: '10' });
    client = await connectPublisher(capped.wsUrl, TEST_SECRET);
    // Eight publishes of one event of about 900 bytes each: four fit in the history.
    for (let i = 1; i <= 8; i++) await publishOk(client, 'heavy', { events: [{ type: `e${i}`, data: { text: 'x'.repeat(820) } }] });
  });
  afterAll(async () => {
    await client.close();
    await capped.close();
  });

  it('drops the oldest publishes past PULSE_HISTORY_MAX_BYTES: resuming from before them is a gap', async () => {
    const { epoch } = (await http(capped.url, 'GET', '/api/channels/heavy/snapshot')).body;
    const early = await subscribe(client, 'heavy', { since: { epoch, seq: 2 } });
    expect(early.reply.recovered).toBe(false);
    expect(early.first).toMatchObject({ type: 'snapshot', seq: 8, gap: true });

    const recent = await subscribe(client, 'heavy', { since: { epoch, seq: 5 } });
    expect(recent.reply.recovered).toBe(true);
    expect(recent.first.events.map((e: { type: string }) => e.type)).toEqual(['e6', 'e7', 'e8']);
  });

  it('carries in a snapshot only the most recent events that fit in PULSE_SNAPSHOT_EVENTS_MAX_BYTES', async () => {
    const res = await http(capped.url, 'GET', '/api/channels/heavy/snapshot');
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['e7', 'e8']);
    const { first } = await subscribe(client, 'heavy');
    expect(first.events.map((e: { type: string }) => e.type)).toEqual(['e7', 'e8']);
  });
});

describe('stats and metrics', () => {
  it('report flush errors', async () => {
    const stats = await http(server.url, 'GET', '/api/ws/stats', { headers: bearer(TEST_API_KEY) });
    expect(stats.body.flushErrors).toBe(0);
    const metrics = await http(server.url, 'GET', '/metrics', { headers: bearer(TEST_API_KEY) });
    expect(metrics.body).toMatch(/^pulse_flush_errors_total 0$/m);
  });
});

/**
 * Series through the client SDK and the store against a real hub (docs/protocol.md §13): a
 * view subscribed with series receives the snapshot's series and live deltas with `ts`; its
 * socket drops while publishes go on; after the resume (with `since`, still asking series) the
 * store's lines equal what `GET /api/channels/:channel/series` answers, with no hole.
 *
 * A delta's `ts` is the time of the flush that sent it, the server's series bucket a publish by
 * its own time: publishes are made in the middle of a bucket, so both fall in the same one.
 */
import WebSocket from 'ws';
import { createPulseClient, type PulseClient, type SubscribedEvent, type WebSocketConstructor } from '@/lib/client';
import { seriesLookup } from '@/lib/engine/series-spec';
import type { SeriesPayload } from '@/lib/protocol/messages';
import { readInitialSnapshot } from '@/lib/server/initial-snapshot';
import { createChannelBinder, createPulseStore, fromInitial, seriesLine, unpackSeries, type PulseStore } from '@/lib/store';
import { http, sleep } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';

const RES = 500;
const WINDOW_MS = 30_000;
const CHANNEL = 'queues';
const FIELDS = ['waiting', 'util'];
const series = seriesLookup([{ channel: CHANNEL, series: { fields: FIELDS, resolutionMs: RES, windowMs: WINDOW_MS } }]);

let server: TestServer;
let client: PulseClient | undefined;

beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '10' }, { series });
});
afterAll(async () => {
  client?.close();
  await server.close();
});

async function waitFor(condition: () => boolean, label: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(5);
  }
}

let lastBucket = 0;
/**
 * Waits for the first half of a bucket after the last one published in, so a publish and the
 * flush that sends it share a bucket, and the publishes span several buckets.
 */
async function nextBucket(): Promise<void> {
  for (;;) {
    const now = Date.now();
    const phase = now % RES;
    if (Math.floor(now / RES) > lastBucket && phase >= 20 && phase <= 200) {
      lastBucket = Math.floor(now / RES);
      return;
    }
    await sleep(10);
  }
}

let n = 0;
/** One publish, in a bucket of its own: every queue's figures move, sometimes to a non-number. */
async function publish(extra: { delete?: string[] } = {}): Promise<void> {
  await nextBucket();
  n++;
  const upsert = ['q1', 'q2', 'q3']
    .filter((id) => !extra.delete?.includes(id))
    .map((id, i) => ({ id, waiting: (n * (i + 2)) % 17, util: n % 5 === 0 && id === 'q2' ? 'n/a' : Math.round(((n + i) % 10) * 10) / 100 }));
  await server.hub.publish('demo', CHANNEL, { upsert, ...(extra.delete ? { delete: extra.delete } : {}) });
}

/** The store's value in bucket `t`: carried forward past its last bucket, as a read of the hub is. */
function storeValue(store: PulseStore, id: string, field: string, t: number): number | null | undefined {
  const line = seriesLine(store.getState().channels[CHANNEL], id, field);
  if (!line || line.values.length === 0 || t < line.start) return undefined;
  const index = Math.min((t - line.start) / line.resolutionMs, line.values.length - 1);
  return line.values[index];
}

function expectSameLines(store: PulseStore, route: SeriesPayload): void {
  const held = store.getState().channels[CHANNEL]!.series!;
  expect(held.resolutionMs).toBe(route.resolutionMs);
  const ids = new Set([...Object.keys(route.records), ...Object.keys(held.records)]);
  expect(ids.size).toBeGreaterThanOrEqual(3);
  for (const id of ids) {
    for (const field of FIELDS) {
      const expected = route.records[id]?.[field] ?? new Array<null>((route.end - route.start) / RES).fill(null);
      const actual = expected.map((_, k) => storeValue(store, id, field, route.start + k * RES));
      expect({ id, field, values: actual }).toEqual({ id, field, values: expected });
    }
  }
}

it('keeps series through live deltas and a dropped socket: the store’s lines equal the hub’s, no hole', async () => {
  await publish();
  await publish();

  // A socket the test can cut, and a token gate that keeps the client away while it is shut.
  const sockets: WebSocket[] = [];
  let gate: Promise<void> | null = null;
  let open = () => {};
  const Tapped = class extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  } as unknown as WebSocketConstructor;
  client = createPulseClient({
    url: server.wsUrl,
    WebSocket: Tapped,
    backoff: { min: 20, max: 100 },
    network: null,
    getToken: async () => {
      if (gate) await gate;
      return null;
    },
  });
  const subscribed: SubscribedEvent[] = [];
  client.on('subscribed', (event) => subscribed.push(event));
  const store = createPulseStore();
  const binder = createChannelBinder(client, store);
  client.connect();
  const release = binder.acquire(CHANNEL, {}, { series: true });
  await waitFor(() => store.getState().channels[CHANNEL]?.series != null, 'the snapshot’s series');
  expect(store.getState().channels[CHANNEL]!.series!.end - store.getState().channels[CHANNEL]!.series!.start).toBe(WINDOW_MS);

  // Live, a record deleted and back, over a few buckets.
  for (let i = 0; i < 5; i++) await publish(i === 1 ? { delete: ['q3'] } : {});
  const liveSeq = (await server.hub.snapshot('demo', CHANNEL)).seq;
  await waitFor(() => store.getState().channels[CHANNEL]?.seq === liveSeq, 'the live deltas');

  // The socket drops; publishes go on over several buckets while the client stays away.
  gate = new Promise<void>((resolve) => (open = resolve));
  sockets.at(-1)!.terminate();
  for (let i = 0; i < 4; i++) await publish();
  open();
  await waitFor(() => subscribed.length === 2, 'the resume');
  expect(subscribed[1]).toMatchObject({ channel: CHANNEL, recovered: true, since: { seq: expect.any(Number) } });

  // Live again after the resume.
  for (let i = 0; i < 2; i++) await publish();
  const finalSeq = (await server.hub.snapshot('demo', CHANNEL)).seq;
  await waitFor(() => store.getState().channels[CHANNEL]?.seq === finalSeq, 'the store to catch up');

  const route = await http(`http://127.0.0.1:${server.port}`, 'GET', `/api/channels/${CHANNEL}/series`);
  expect(route.status).toBe(200);
  expect(route.body.seq).toBe(finalSeq);
  expectSameLines(store, route.body.series as SeriesPayload);
  // the span the client missed has numbers in the store, for every queue
  const held = store.getState().channels[CHANNEL]!;
  for (const id of ['q1', 'q2', 'q3']) expect(seriesLine(held, id, 'waiting')!.values.slice(-7).every((v) => v !== null)).toBe(true);
  release();
});

describe('server-rendered snapshots', () => {
  it('embed the series of the records shown when the view asks, packed, as plain JSON', async () => {
    await publish();
    const at = Date.now();
    const initial = await readInitialSnapshot(server.hub, 'demo', { channel: CHANNEL, filter: { where: { id: { in: ['q1', 'q2'] } } }, series: { fields: ['waiting'] } }, at);
    expect(initial).toMatchObject({ channel: CHANNEL, filter: { where: { id: { in: ['q1', 'q2'] } } }, at });
    expect(initial.records.map((r) => r.id).sort()).toEqual(['q1', 'q2']);
    expect(initial.series).toMatchObject({ resolutionMs: RES, fields: ['waiting'] });
    // packed for the page (lib/store/series-runs.ts); unpacked, a line per bucket of the window
    expect(initial.series).toHaveProperty('runs');
    const unpacked = unpackSeries(initial.series!);
    expect(Object.keys(unpacked.records).sort()).toEqual(['q1', 'q2']);
    for (const id of ['q1', 'q2']) expect(unpacked.records[id]!.waiting).toHaveLength((unpacked.end - unpacked.start) / RES);
    expect(JSON.parse(JSON.stringify(initial))).toEqual(initial);
    // what the page's store starts from
    const q1 = initial.records.find((r) => r.id === 'q1')!;
    expect(seriesLine(fromInitial(initial), 'q1', 'waiting')!.values.at(-1)).toBe(q1.waiting);

    const plain = await readInitialSnapshot(server.hub, 'demo', { channel: CHANNEL }, at);
    expect(plain).not.toHaveProperty('series');
    await server.hub.publish('demo', 'no-series', { upsert: [{ id: 'a', waiting: 1 }] });
    const none = await readInitialSnapshot(server.hub, 'demo', { channel: 'no-series', series: true }, at);
    expect(none).not.toHaveProperty('series');
    expect(none.records).toEqual([{ id: 'a', waiting: 1 }]);
  });
});

/**
 * docs/protocol.md §13 on the wire: `series` on `subscribe` (the snapshot's `series`, filter and
 * projection applied, `series: false` where nothing is kept, `INVALID_MESSAGE` for bad asks),
 * `ts` on the deltas of series subscriptions only, the missed span on a recovery delta, and
 * the HTTP routes (`/series`, `?series=1` on the snapshot).
 */
import { seriesLookup } from '@/lib/engine/series-spec';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';
import { connectPublisher, http, publishOk, sleep, subscribe } from '../helpers/http';

const RESOLUTION_MS = 1000;
const WINDOW_MS = 60_000;

const series = seriesLookup([{ channel: 'kpi-*', series: { fields: ['waiting', 'util'], resolutionMs: RESOLUTION_MS, windowMs: WINDOW_MS } }]);

let server: TestServer;
let pub: TestClient;
let base: string;
let counter = 0;
const fresh = (prefix: string) => `${prefix}-${++counter}`;

beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '20' }, { series });
  pub = await connectPublisher(server.wsUrl, TEST_SECRET);
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await pub.close();
  await server.close();
});

const bucketStart = (ms: number) => Math.floor(ms / RESOLUTION_MS) * RESOLUTION_MS;
const last = (values: Array<number | null>) => values[values.length - 1];
const buckets = (data: Msg) => (data.end - data.start) / data.resolutionMs;

async function seed(channel: string): Promise<void> {
  await publishOk(pub, channel, {
    upsert: [
      { id: 'q1', org: 'a', waiting: 3, util: 0.5, name: 'one' },
      { id: 'q2', org: 'b', waiting: 7, util: 0.9 },
      { id: 'q3', org: 'a', waiting: 1 },
    ],
  });
  await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 4 }] });
}

describe('subscribe with series', () => {
  it('carries the series on the snapshot, equal to the HTTP series route', async () => {
    const channel = fresh('kpi');
    await seed(channel);
    const client = await TestClient.connect(server.wsUrl);
    // Both reads in the same bucket: the series move with the clock too.
    for (let attempt = 0; ; attempt++) {
      const { reply, first } = await subscribe(client, channel, { series: true });
      expect(reply).not.toHaveProperty('series');
      const route = await http(base, 'GET', `/api/channels/${channel}/series`);
      expect(route.status).toBe(200);
      if (route.body.series.end !== first.series.end && attempt < 3) continue;
      expect(first).toMatchObject({ type: 'snapshot', channel });
      expect(route.body).toEqual({ channel, epoch: first.epoch, seq: first.seq, series: first.series });
      expect(first.series).toMatchObject({ resolutionMs: RESOLUTION_MS, fields: ['waiting', 'util'] });
      expect(buckets(first.series)).toBe(WINDOW_MS / RESOLUTION_MS);
      expect(first.series.end).toBe(bucketStart(Date.now()) + RESOLUTION_MS);
      expect(last(first.series.records.q1.waiting)).toBe(4);
      expect(last(first.series.records.q1.util)).toBe(0.5);
      expect(last(first.series.records.q3.util)).toBeNull();
      expect(first.series.records.q1.waiting[0]).toBeNull();
      break;
    }
    await client.close();
  });

  it('applies the filter and intersects the asked fields with its projection', async () => {
    const channel = fresh('kpi');
    await seed(channel);
    const client = await TestClient.connect(server.wsUrl);
    const filtered = await subscribe(client, channel, { view: 'a', filter: { where: { org: 'a' }, fields: ['waiting', 'name'] }, series: true });
    expect(filtered.first.series.fields).toEqual(['waiting']);
    expect(Object.keys(filtered.first.series.records).sort()).toEqual(['q1', 'q3']);
    expect(Object.keys(filtered.first.series.records.q1)).toEqual(['waiting']);

    const subset = await subscribe(client, channel, { view: 'b', series: { fields: ['util', 'waiting'], windowMs: 5000 } });
    expect(subset.first.series.fields).toEqual(['util', 'waiting']);
    expect(buckets(subset.first.series)).toBe(5);
    expect(Object.keys(subset.first.series.records).sort()).toEqual(['q1', 'q2', 'q3']);

    const none = await subscribe(client, channel, { view: 'c', filter: { fields: ['name'] }, series: true });
    expect(none.first.series).toMatchObject({ fields: [], records: {} });

    const route = await http(base, 'GET', `/api/channels/${channel}/series?fields=waiting&windowMs=3000&filter=${encodeURIComponent(JSON.stringify({ where: { org: 'b' } }))}`);
    expect(route.status).toBe(200);
    expect(route.body.series.fields).toEqual(['waiting']);
    expect(buckets(route.body.series)).toBe(3);
    expect(Object.keys(route.body.series.records)).toEqual(['q2']);
    expect(last(route.body.series.records.q2.waiting)).toBe(7);
    await client.close();
  });

  it('answers series: false on a channel that keeps none, and sends no series and no ts', async () => {
    const channel = fresh('plain');
    await seed(channel);
    const client = await TestClient.connect(server.wsUrl);
    const { reply, first } = await subscribe(client, channel, { series: true }, 50);
    expect(reply).toEqual({ type: 'reply', ref: expect.anything(), ok: true, channel, recovered: false, series: false });
    expect(first.type).toBe('snapshot');
    expect(first).not.toHaveProperty('series');
    await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 9 }] });
    const delta = await client.next((m) => m.type === 'delta' && m.channel === channel);
    expect(delta).not.toHaveProperty('ts');
    expect(delta).not.toHaveProperty('series');
    await client.close();
  });

  it.each([
    ['a field not kept', { fields: ['nope'] }],
    ['a field named twice', { fields: ['waiting', 'waiting'] }],
    ['a window past the kept one', { windowMs: WINDOW_MS + 1 }],
    ['an empty field list', { fields: [] }],
    ['an unknown member', { window: 5 }],
    ['a window that is not a whole number', { windowMs: 1.5 }],
    ['false', false],
    ['a string', 'yes'],
  ])('refuses %s with INVALID_MESSAGE', async (_what, ask) => {
    const channel = fresh('kpi');
    const client = await TestClient.connect(server.wsUrl);
    const reply = await client.request({ type: 'subscribe', channel, series: ask });
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    expect(await client.nothing((m) => m.type === 'snapshot', 100)).toBe(true);
    await client.close();
  });
});

describe('live deltas', () => {
  it('carry ts for series subscriptions only; otherwise the same delta', async () => {
    const channel = fresh('kpi');
    await seed(channel);
    const withSeries = await TestClient.connect(server.wsUrl);
    const without = await TestClient.connect(server.wsUrl);
    await subscribe(withSeries, channel, { series: true }, 60);
    await subscribe(without, channel, {}, 60);
    const before = Date.now();
    await publishOk(pub, channel, { upsert: [{ id: 'q2', waiting: 8 }] });
    const a = await withSeries.next((m) => m.type === 'delta' && m.channel === channel);
    const b = await without.next((m) => m.type === 'delta' && m.channel === channel);
    const after = Date.now();
    expect(typeof a.ts).toBe('number');
    expect(a.ts).toBeGreaterThanOrEqual(before);
    expect(a.ts).toBeLessThanOrEqual(after);
    expect(b).not.toHaveProperty('ts');
    const { ts: _ts, ...rest } = a;
    expect(rest).toEqual(b);
    expect(b).toEqual({ type: 'delta', channel, epoch: b.epoch, prevSeq: b.prevSeq, seq: b.seq, upsert: [{ id: 'q2', waiting: 8 }] });
    await withSeries.close();
    await without.close();
  });
});

describe('resume', () => {
  it('brings the series of the missed span on the recovery delta', async () => {
    const channel = fresh('kpi');
    await seed(channel);
    const first = await TestClient.connect(server.wsUrl);
    const { first: snapshot } = await subscribe(first, channel, { series: true });
    await first.close();

    await sleep(RESOLUTION_MS + 50);
    const missedFrom = Date.now();
    await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 11 }] });
    const missedTo = Date.now();
    await publishOk(pub, channel, { upsert: [{ id: 'q2', util: 0.1 }] });

    const second = await TestClient.connect(server.wsUrl);
    const reply = await second.request({ type: 'subscribe', channel, since: { epoch: snapshot.epoch, seq: snapshot.seq }, series: true });
    expect(reply).toEqual({ type: 'reply', ref: expect.anything(), ok: true, channel, recovered: true });
    const delta = await second.next((m) => m.type === 'delta' && m.channel === channel);
    expect(delta).toMatchObject({ recovery: true, prevSeq: snapshot.seq });
    expect(typeof delta.ts).toBe('number');
    expect(delta.series.start).toBeGreaterThanOrEqual(bucketStart(missedFrom));
    expect(delta.series.start).toBeLessThanOrEqual(bucketStart(missedTo));
    expect(delta.series.start).toBeGreaterThan(snapshot.series.end - RESOLUTION_MS);
    expect(delta.series.end).toBe(bucketStart(delta.ts) + RESOLUTION_MS);
    // Every visible record, changed or not, over the missed buckets.
    expect(Object.keys(delta.series.records).sort()).toEqual(['q1', 'q2', 'q3']);
    expect(last(delta.series.records.q1.waiting)).toBe(11);
    expect(last(delta.series.records.q2.util)).toBe(0.1);
    await second.close();
  });

  it('sends no series on a recovery delta without series', async () => {
    const channel = fresh('kpi');
    await seed(channel);
    const first = await TestClient.connect(server.wsUrl);
    const { first: snapshot } = await subscribe(first, channel);
    expect(snapshot).not.toHaveProperty('series');
    await first.close();
    await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 12 }] });
    const second = await TestClient.connect(server.wsUrl);
    await second.request({ type: 'subscribe', channel, since: { epoch: snapshot.epoch, seq: snapshot.seq } });
    const delta = await second.next((m) => m.type === 'delta' && m.channel === channel);
    expect(delta.recovery).toBe(true);
    expect(delta).not.toHaveProperty('series');
    expect(delta).not.toHaveProperty('ts');
    await second.close();
  });
});

describe('HTTP', () => {
  it('answers 404 on a channel without series, 400 for bad asks', async () => {
    const channel = fresh('kpi');
    await seed(channel);
    expect((await http(base, 'GET', `/api/channels/${fresh('plain')}/series`)).status).toBe(404);
    for (const query of ['fields=nope', 'fields=waiting,', 'windowMs=abc', `windowMs=${WINDOW_MS + 1000}`, 'windowMs=0', 'filter=%7B', 'filter=%7B%22nope%22%3A1%7D']) {
      const answer = await http(base, 'GET', `/api/channels/${channel}/series?${query}`);
      expect([query, answer.status]).toEqual([query, 400]);
    }
  });

  it('adds series to the snapshot with ?series=1 only', async () => {
    const channel = fresh('kpi');
    await seed(channel);
    const plain = await http(base, 'GET', `/api/channels/${channel}/snapshot`);
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('series');
    const withSeries = await http(base, 'GET', `/api/channels/${channel}/snapshot?series=1&filter=${encodeURIComponent(JSON.stringify({ ids: ['q2'] }))}`);
    expect(withSeries.status).toBe(200);
    expect(withSeries.body.records.map((r: Msg) => r.id)).toEqual(['q2']);
    expect(withSeries.body.series.fields).toEqual(['waiting', 'util']);
    expect(Object.keys(withSeries.body.series.records)).toEqual(['q2']);
    const page = await http(base, 'GET', `/api/channels/${channel}/snapshot?series=1&limit=1`);
    expect(page.body.next).toBe('q1');
    expect(Object.keys(page.body.series.records)).toEqual(['q1']);
    const noneKept = await http(base, 'GET', `/api/channels/${fresh('plain')}/snapshot?series=1`);
    expect(noneKept.status).toBe(200);
    expect(noneKept.body).not.toHaveProperty('series');
    expect((await http(base, 'GET', `/api/channels/${channel}/snapshot?series=maybe`)).status).toBe(400);
  });
});

/**
 * docs/protocol.md §12: views and pace over real sockets. Several subscriptions to one channel
 * on one connection, each with its own filter, pace, prevSeq chain, `since` and presence
 * request; every message about a named view carries it, the default view's frames are v1's;
 * paced views get at most one delta per interval, merged, and critical events at once.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ChannelMirror, sortById } from '../helpers/channel-mirror';
import { http, publishOk, sleep } from '../helpers/http';
import { startTestServer, startWithPublisher, stopWithPublisher, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(30_000);

let counter = 0;
const fresh = (prefix = 'v') => `${prefix}-${++counter}`;

const BATCH_MS = 20;

/**
 * Lets the batch window of a publish go out: a subscriber that joins while a window is open
 * catches up with a recovery delta first (docs/protocol.md, "Deltas and recovery"), and tests
 * that look at exact frames want the ordinary ones.
 */
const windowClosed = () => sleep(3 * BATCH_MS);

/** A client whose snapshots and deltas of each (channel, view) go into that view's mirror, from its first frame. */
class ViewsClient {
  readonly mirrors = new Map<string, ChannelMirror>();
  /** Raw text and arrival time of every snapshot and delta, per view name ('' for the default view). */
  readonly frames = new Map<string, Array<{ text: string; at: number }>>();

  constructor(readonly client: TestClient) {
    client.socket.on('message', (data) => {
      const text = data.toString();
      const message = JSON.parse(text) as Msg;
      if (message.type !== 'snapshot' && message.type !== 'delta') return;
      const name = message.view ?? '';
      this.mirrors.get(`${message.channel} ${name}`)?.apply(message);
      let list = this.frames.get(`${message.channel} ${name}`);
      if (!list) this.frames.set(`${message.channel} ${name}`, (list = []));
      list.push({ text, at: Date.now() });
    });
  }

  static async connect(url: string, token?: string): Promise<ViewsClient> {
    return new ViewsClient(await TestClient.connect(url, token));
  }

  mirror(channel: string, view?: string): ChannelMirror {
    let mirror = this.mirrors.get(`${channel} ${view ?? ''}`);
    if (!mirror) this.mirrors.set(`${channel} ${view ?? ''}`, (mirror = new ChannelMirror(channel, view)));
    return mirror;
  }

  framesOf(channel: string, view?: string): Array<{ text: string; at: number }> {
    return this.frames.get(`${channel} ${view ?? ''}`) ?? [];
  }

  deltasOf(channel: string, view?: string): Msg[] {
    return this.framesOf(channel, view)
      .map((f) => JSON.parse(f.text) as Msg)
      .filter((m) => m.type === 'delta');
  }

  /** Subscribes one view (its mirror ready for its first frame); resolves with the reply and that first frame. */
  async subscribe(channel: string, extra: Record<string, unknown> = {}): Promise<{ reply: Msg; first: Msg }> {
    const view = extra.view as string | undefined;
    const mirror = this.mirror(channel, view);
    const since = extra.since === true ? { epoch: mirror.epoch, seq: mirror.seq } : extra.since;
    const reply = await this.client.request({ type: 'subscribe', channel, ...extra, ...(since ? { since } : {}) });
    if (!reply.ok) throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
    const index = this.client.received.indexOf(reply);
    const first = await this.client.next(
      (m) => (m.type === 'snapshot' || m.type === 'delta') && m.channel === channel && m.view === view && this.client.received.indexOf(m) > index,
    );
    return { reply, first };
  }

  close(): Promise<unknown> {
    return this.client.close();
  }
}

async function filteredSnapshot(server: TestServer, channel: string, filter: unknown = {}): Promise<Msg> {
  const { status, body } = await http(server.url, 'GET', `/api/channels/${channel}/snapshot?filter=${encodeURIComponent(JSON.stringify(filter))}`);
  if (status !== 200) throw new Error(`snapshot answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * Waits until the mirror holds what the snapshot under `filter` holds, then checks it. A view is
 * sent nothing for a batch that changes nothing it sees (docs/protocol.md §5), so its seq may stay
 * behind the channel's when the last publishes were invisible to it: it has converged once its
 * records equal the snapshot's and stay so (a paced view may take its interval to get there).
 */
async function expectConverged(server: TestServer, mirror: ChannelMirror, filter: unknown = {}, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const same = (snapshot: Msg) => mirror.epoch === snapshot.epoch && JSON.stringify(mirror.sorted()) === JSON.stringify(sortById(snapshot.records));
  let snapshot = await filteredSnapshot(server, mirror.channel, filter);
  let sameSince = same(snapshot) ? Date.now() : undefined;
  while (!(same(snapshot) && mirror.seq === snapshot.seq) && Date.now() < deadline) {
    if (sameSince !== undefined && Date.now() - sameSince > 600) break;
    await sleep(25);
    snapshot = await filteredSnapshot(server, mirror.channel, filter);
    sameSince = same(snapshot) ? (sameSince ?? Date.now()) : undefined;
  }
  expect(mirror.epoch).toBe(snapshot.epoch);
  expect(mirror.seq).toBeLessThanOrEqual(snapshot.seq);
  expect(mirror.sorted()).toEqual(sortById(snapshot.records));
  expect(mirror.gaps).toEqual([]);
}

const STATUSES = ['online', 'offline', 'charging'];

/** A small fleet: random moves, status flips, battery drops, deletions and re-creations. */
function randomPublish(i: number): Record<string, unknown> {
  const id = `n${(i * 7) % 23}`;
  if (i % 11 === 10) return { delete: [id] };
  return {
    upsert: [
      {
        id,
        status: STATUSES[(i * 5) % 3],
        battery: (i * 13) % 100,
        load: ((i * 17) % 10) / 10,
        ...(i % 4 === 0 ? { note: null } : { note: `n${i}` }),
        ...(i % 6 === 0 ? { meta: { zone: i % 2 ? 'n' : 's', x: null } } : { meta: { x: i } }),
      },
      { id: `m${i % 5}`, status: STATUSES[i % 3], battery: (i * 7) % 100 },
    ],
  };
}

const seed = () => ({ upsert: Array.from({ length: 23 }, (_, i) => ({ id: `n${i}`, status: STATUSES[i % 3], battery: (i * 9) % 100, load: (i % 10) / 10 })) });

describe('views of one channel on one connection', () => {
  let server: TestServer;
  let pub: TestClient;
  beforeAll(async () => {
    ({ server, pub } = await startWithPublisher({ PULSE_BATCH_MS: String(BATCH_MS), PULSE_RATE_LIMIT: '10000', PULSE_PRESENCE_GRACE_MS: '0' }));
  });
  afterAll(() => stopWithPublisher({ server, pub }));

  it('two and three views with different filters and paces converge to the snapshot under their filters', async () => {
    const channel = fresh('fleet');
    await publishOk(pub, channel, seed());
    const views: Array<{ view?: string; filter: Record<string, unknown>; intervalMs?: number }> = [
      { filter: {} },
      { view: 'online', filter: { where: { status: 'online' }, fields: ['status', 'load'] }, intervalMs: 200 },
      { view: 'attention', filter: { or: [{ status: 'offline' }, { battery: { lt: 20 } }] }, intervalMs: 500 },
    ];
    const two = await ViewsClient.connect(server.wsUrl);
    const three = await ViewsClient.connect(server.wsUrl);
    for (const { view, filter, intervalMs } of views.slice(1)) await two.subscribe(channel, { view, filter, intervalMs });
    for (const { view, filter, intervalMs } of views) await three.subscribe(channel, { ...(view ? { view } : {}), filter, ...(intervalMs ? { intervalMs } : {}) });

    const started = Date.now();
    for (let i = 0; i < 60; i++) {
      await publishOk(pub, channel, randomPublish(i));
      await sleep(15);
    }
    const elapsed = Date.now() - started;
    for (const client of [two, three]) {
      for (const { view, filter, intervalMs } of views) {
        if (client === two && view === undefined) continue;
        await expectConverged(server, client.mirror(channel, view), filter);
        // One snapshot per view: another view never replaces it.
        expect({ view, snapshots: client.mirror(channel, view).snapshots }).toEqual({ view, snapshots: 1 });
        if (intervalMs) {
          const arrivals = client.framesOf(channel, view).slice(1).map((f) => f.at);
          expect(arrivals.length).toBeLessThanOrEqual(Math.ceil((elapsed + 1500) / intervalMs) + 1);
          for (let i = 1; i < arrivals.length; i++) expect(arrivals[i] - arrivals[i - 1]).toBeGreaterThanOrEqual(intervalMs - 30);
        }
      }
    }
    // The view that gets every batch saw far more deltas than the paced ones.
    expect(three.deltasOf(channel).length).toBeGreaterThan(three.deltasOf(channel, 'attention').length);
    await Promise.all([two.close(), three.close()]);
  });

  it('names the view in every message about it, and the default view in none (v1 frames unchanged)', async () => {
    const channel = fresh('named');
    await publishOk(pub, channel, { upsert: [{ id: 'a', v: 1 }] });
    await windowClosed();
    const client = await TestClient.connect(server.wsUrl);
    const raw: string[] = [];
    client.socket.on('message', (data) => raw.push(data.toString()));
    client.send({ type: 'subscribe', ref: 1, channel });
    await client.next((m) => m.type === 'snapshot' && m.view === undefined);
    client.send({ type: 'subscribe', ref: 2, channel, view: 'x' });
    await client.next((m) => m.type === 'snapshot' && m.view === 'x');
    const { seq } = await publishOk(pub, channel, { upsert: [{ id: 'a', v: 2 }] });
    await client.next((m) => m.type === 'delta' && m.seq === seq && m.view === undefined);
    await client.next((m) => m.type === 'delta' && m.seq === seq && m.view === 'x');
    client.send({ type: 'resync', ref: 3, channel, view: 'x' });
    await client.next((m) => m.type === 'snapshot' && m.view === 'x');
    client.send({ type: 'unsubscribe', ref: 4, channel, view: 'x' });
    await client.next((m) => m.ref === 4);

    const prefix = (text: string) => text.slice(0, text.indexOf('"epoch"') > 0 ? text.indexOf('"epoch"') : undefined);
    expect(raw[0]).toBe(`{"type":"reply","ref":1,"ok":true,"channel":"${channel}","recovered":false}`);
    expect(prefix(raw[1])).toBe(`{"type":"snapshot","channel":"${channel}",`);
    expect(raw[2]).toBe(`{"type":"reply","ref":2,"ok":true,"channel":"${channel}","view":"x","recovered":false}`);
    expect(prefix(raw[3])).toBe(`{"type":"snapshot","channel":"${channel}","view":"x",`);
    const deltas = raw.filter((text) => text.startsWith('{"type":"delta"'));
    expect(deltas.map(prefix).sort()).toEqual([`{"type":"delta","channel":"${channel}",`, `{"type":"delta","channel":"${channel}","view":"x",`]);
    expect(raw).toContain(`{"type":"reply","ref":3,"ok":true,"channel":"${channel}","view":"x"}`);
    expect(raw).toContain(`{"type":"reply","ref":4,"ok":true,"channel":"${channel}","view":"x"}`);
    // Nothing about the default view ever names a view.
    for (const text of raw) {
      const message = JSON.parse(text) as Msg;
      if (message.ref === 1 || (message.type !== 'reply' && message.view === undefined)) expect(text).not.toContain('"view"');
    }
    await client.close();
  });

  it('replace, unsubscribe and resync of one view leave the others untouched', async () => {
    const channel = fresh('apart');
    await publishOk(pub, channel, seed());
    const vc = await ViewsClient.connect(server.wsUrl);
    await vc.subscribe(channel);
    await vc.subscribe(channel, { view: 'b', filter: { where: { status: 'online' } } });
    await vc.subscribe(channel, { view: 'c', filter: { where: { status: 'offline' } }, intervalMs: 100 });
    for (let i = 0; i < 10; i++) await publishOk(pub, channel, randomPublish(i));

    // Replace b: a fresh snapshot for b only.
    const replaced = await vc.subscribe(channel, { view: 'b', filter: { where: { battery: { gte: 50 } } } });
    expect(replaced.reply).toMatchObject({ ok: true, channel, view: 'b', recovered: false });
    expect(replaced.first).toMatchObject({ type: 'snapshot', view: 'b', gap: false });
    for (let i = 10; i < 20; i++) await publishOk(pub, channel, randomPublish(i));
    await expectConverged(server, vc.mirror(channel), {});
    await expectConverged(server, vc.mirror(channel, 'b'), { where: { battery: { gte: 50 } } });
    await expectConverged(server, vc.mirror(channel, 'c'), { where: { status: 'offline' } });
    expect([vc.mirror(channel).snapshots, vc.mirror(channel, 'b').snapshots, vc.mirror(channel, 'c').snapshots]).toEqual([1, 2, 1]);

    // Resync b: a snapshot for b, nothing for the others but their deltas.
    const resync = await vc.client.request({ type: 'resync', channel, view: 'b' });
    expect(resync).toEqual({ type: 'reply', ref: resync.ref, ok: true, channel, view: 'b' });
    expect(await vc.client.next((m) => m.type === 'snapshot' && m.channel === channel)).toMatchObject({ view: 'b', gap: false });

    // Unsubscribe c: nothing more for c, the others go on.
    expect(await vc.client.request({ type: 'unsubscribe', channel, view: 'c' })).toMatchObject({ ok: true, channel, view: 'c' });
    const cFrames = vc.framesOf(channel, 'c').length;
    for (let i = 20; i < 30; i++) await publishOk(pub, channel, randomPublish(i));
    await expectConverged(server, vc.mirror(channel), {});
    await expectConverged(server, vc.mirror(channel, 'b'), { where: { battery: { gte: 50 } } });
    await sleep(200);
    expect(vc.framesOf(channel, 'c')).toHaveLength(cFrames);
    expect([vc.mirror(channel).snapshots, vc.mirror(channel, 'b').snapshots]).toEqual([1, 3]);

    // NOT_SUBSCRIBED names the (channel, view) that is not held.
    for (const request of [
      { type: 'unsubscribe', channel, view: 'c' },
      { type: 'resync', channel, view: 'c' },
      { type: 'resync', channel, view: 'never' },
    ]) {
      expect(await vc.client.request(request)).toMatchObject({ ok: false, error: { code: 'NOT_SUBSCRIBED', message: `not subscribed to ${channel} (view ${request.view})` } });
    }

    // Unsubscribing the default view leaves b alone.
    expect(await vc.client.request({ type: 'unsubscribe', channel })).toEqual(expect.objectContaining({ ok: true, channel }));
    expect(await vc.client.request({ type: 'unsubscribe', channel })).toMatchObject({ ok: false, error: { code: 'NOT_SUBSCRIBED', message: `not subscribed to ${channel}` } });
    for (let i = 30; i < 35; i++) await publishOk(pub, channel, randomPublish(i));
    await expectConverged(server, vc.mirror(channel, 'b'), { where: { battery: { gte: 50 } } });
    await vc.close();
  });

  it('resumes each view with its own since after a dropped socket', async () => {
    const channel = fresh('resume');
    await publishOk(pub, channel, seed());
    const hot = { where: { battery: { lt: 40 } } };
    const first = await ViewsClient.connect(server.wsUrl);
    await first.subscribe(channel, { view: 'all' });
    await first.subscribe(channel, { view: 'hot', filter: hot, intervalMs: 300 });
    for (let i = 0; i < 5; i++) await publishOk(pub, channel, randomPublish(i));
    await expectConverged(server, first.mirror(channel, 'all'));
    await expectConverged(server, first.mirror(channel, 'hot'), hot);
    await first.close();

    for (let i = 5; i < 25; i++) await publishOk(pub, channel, randomPublish(i));
    const second = await ViewsClient.connect(server.wsUrl);
    // The same mirrors go on: each view resumes from where it was.
    for (const view of ['all', 'hot']) second.mirrors.set(`${channel} ${view}`, first.mirror(channel, view));
    const positions = ['all', 'hot'].map((view) => first.mirror(channel, view).seq);
    const all = await second.subscribe(channel, { view: 'all', since: true });
    const resumedHot = await second.subscribe(channel, { view: 'hot', filter: hot, intervalMs: 300, since: true });
    expect(all.reply).toMatchObject({ ok: true, channel, view: 'all', recovered: true });
    expect(resumedHot.reply).toMatchObject({ ok: true, channel, view: 'hot', recovered: true });
    expect(all.first).toMatchObject({ type: 'delta', view: 'all', recovery: true, prevSeq: positions[0] });
    expect(resumedHot.first).toMatchObject({ type: 'delta', view: 'hot', recovery: true, prevSeq: positions[1] });
    for (let i = 25; i < 30; i++) await publishOk(pub, channel, randomPublish(i));
    await expectConverged(server, second.mirror(channel, 'all'));
    await expectConverged(server, second.mirror(channel, 'hot'), hot);
    await second.close();
  });

  it('gives a paced view at most one delta per interval, ending exact, and a critical event at once', async () => {
    const channel = fresh('paced');
    await publishOk(pub, channel, seed());
    await windowClosed();
    const vc = await ViewsClient.connect(server.wsUrl);
    await vc.subscribe(channel, { view: 'slow', intervalMs: 1000 });
    await vc.subscribe(channel, { view: 'fast' });
    const started = Date.now();
    while (Date.now() - started < 3000) {
      await publishOk(pub, channel, randomPublish(Date.now() % 1000));
      await sleep(50);
    }
    const during = vc.deltasOf(channel, 'slow').length;
    expect(during).toBeGreaterThanOrEqual(2);
    expect(during).toBeLessThanOrEqual(4);
    expect(vc.deltasOf(channel, 'fast').length).toBeGreaterThan(20);
    await expectConverged(server, vc.mirror(channel, 'slow'));
    expect(vc.deltasOf(channel, 'slow').every((m) => m.recovery === undefined)).toBe(true);

    // Right after a paced delta, the next would wait a second; a critical event does not.
    const pre = await publishOk(pub, channel, { upsert: [{ id: 'pre', v: 1 }] });
    const last = await vc.client.next((m) => m.type === 'delta' && m.view === 'slow' && m.seq >= pre.seq, 3000);
    const sentAt = Date.now();
    const { seq } = await publishOk(pub, channel, { events: [{ type: 'alert.down', priority: 'critical' }] });
    const critical = await vc.client.next((m) => m.type === 'delta' && m.view === 'slow' && m.seq === seq, 3000);
    expect(Date.now() - sentAt).toBeLessThan(600);
    expect(critical).toMatchObject({ prevSeq: last.seq, events: [expect.objectContaining({ type: 'alert.down', priority: 'critical' })] });
    await vc.close();
  });

  it('sends byte-identical frames to subscribers of one view, filter and pace', async () => {
    const channel = fresh('same');
    await publishOk(pub, channel, seed());
    await windowClosed();
    const filter = { where: { status: { ne: 'charging' } }, fields: ['status', 'battery'] };
    const clients = await Promise.all([0, 1, 2, 3].map(() => ViewsClient.connect(server.wsUrl)));
    await clients[0].subscribe(channel, { view: 'chart', filter, intervalMs: 200 });
    await clients[1].subscribe(channel, { view: 'chart', filter: { fields: ['battery', 'status'], where: { status: { ne: 'charging' } } }, intervalMs: 200 });
    await clients[2].subscribe(channel, { view: 'list', filter });
    await clients[3].subscribe(channel, { view: 'list', filter });
    for (let i = 0; i < 30; i++) {
      await publishOk(pub, channel, randomPublish(i));
      await sleep(10);
    }
    for (const [client, view] of [[clients[0], 'chart'], [clients[2], 'list']] as const) await expectConverged(server, client.mirror(channel, view), filter);
    await expectConverged(server, clients[1].mirror(channel, 'chart'), filter);
    await expectConverged(server, clients[3].mirror(channel, 'list'), filter);
    const texts = (client: ViewsClient, view: string) => client.framesOf(channel, view).slice(1).map((f) => f.text);
    expect(texts(clients[0], 'chart').length).toBeGreaterThan(1);
    expect(texts(clients[1], 'chart')).toEqual(texts(clients[0], 'chart'));
    expect(texts(clients[3], 'list')).toEqual(texts(clients[2], 'list'));
    await Promise.all(clients.map((c) => c.close()));
  });

  it('counts one user once in presence however many views, and tells each view that asked', async () => {
    const channel = fresh('who');
    const token = (sub: string) => signToken(TEST_SECRET, { sub, tenant: 'demo' }, { expiresInS: 600 });
    const ann = await TestClient.connect(server.wsUrl, await token('ann'));
    await ann.request({ type: 'subscribe', channel, view: 'map', presence: true });
    const list = await ann.next((m) => m.type === 'presence' && m.view === 'map');
    await ann.request({ type: 'subscribe', channel, view: 'table', presence: true });
    await ann.request({ type: 'subscribe', channel });
    const second = await ann.next((m) => m.type === 'presence' && m.view === 'table');
    expect(list).toEqual({ type: 'presence', channel, view: 'map', count: 1, truncated: false, users: [{ user: 'ann', connections: 1, joinedAt: expect.any(Number) }] });
    expect(second).toEqual({ ...list, view: 'table' });
    expect((await http(server.url, 'GET', `/api/channels/${channel}/presence`)).body).toMatchObject({ count: 1, users: [{ user: 'ann', connections: 1 }] });

    const bob = await TestClient.connect(server.wsUrl, await token('bob'));
    await bob.request({ type: 'subscribe', channel, presence: true });
    const bobList = await bob.next((m) => m.type === 'presence');
    expect(bobList).not.toHaveProperty('view');
    expect(bobList.count).toBe(2);
    for (const view of ['map', 'table']) {
      expect(await ann.next((m) => m.type === 'presence_diff' && m.view === view)).toEqual({
        type: 'presence_diff',
        channel,
        view,
        count: 2,
        joins: [{ user: 'bob', connections: 1, joinedAt: expect.any(Number) }],
        leaves: [],
      });
    }

    // Closing some of ann's views (as a paused panel does) loses nothing; the last one is a leave.
    await ann.request({ type: 'unsubscribe', channel, view: 'map' });
    await ann.request({ type: 'unsubscribe', channel });
    expect(await bob.nothing((m) => m.type === 'presence_diff', 300)).toBe(true);
    await ann.request({ type: 'unsubscribe', channel, view: 'table' });
    expect(await bob.next((m) => m.type === 'presence_diff')).toMatchObject({ count: 1, leaves: ['ann'] });
    await Promise.all([ann.close(), bob.close()]);
  });

  it('ends a named view narrowed away by a refreshed token with FORBIDDEN carrying its view', async () => {
    const [kept, dropped] = [fresh('kept'), fresh('dropped')];
    const token = (channels: string[]) => signToken(TEST_SECRET, { sub: 'cy', tenant: 'demo', channels: { subscribe: channels } }, { expiresInS: 600 });
    const client = await TestClient.connect(server.wsUrl, await token([kept, dropped]));
    for (const request of [{ channel: kept, view: 'k' }, { channel: dropped }, { channel: dropped, view: 'd' }]) {
      expect(await client.request({ type: 'subscribe', ...request })).toMatchObject({ ok: true });
    }
    client.send({ type: 'auth', ref: 'refresh', token: await token([kept]) });
    await client.next((m) => m.type === 'welcome');
    const errors = [await client.next((m) => m.type === 'error'), await client.next((m) => m.type === 'error')];
    expect(errors).toEqual(
      expect.arrayContaining([
        { type: 'error', code: 'FORBIDDEN', message: `subscription to ${dropped} ended: the refreshed token does not allow it`, channel: dropped },
        { type: 'error', code: 'FORBIDDEN', message: `subscription to ${dropped} (view d) ended: the refreshed token does not allow it`, channel: dropped, view: 'd' },
      ]),
    );
    expect(await client.request({ type: 'resync', channel: kept, view: 'k' })).toMatchObject({ ok: true, view: 'k' });
    await client.close();
  });

  it('refuses a bad view or intervalMs with INVALID_MESSAGE', async () => {
    const client = await TestClient.connect(server.wsUrl);
    const bad: Array<Record<string, unknown>> = [
      { type: 'subscribe', channel: 'x', view: '' },
      { type: 'subscribe', channel: 'x', view: 'v'.repeat(65) },
      { type: 'subscribe', channel: 'x', view: 'a b' },
      { type: 'subscribe', channel: 'x', view: 3 },
      { type: 'unsubscribe', channel: 'x', view: 'a/b' },
      { type: 'resync', channel: 'x', view: '' },
      { type: 'subscribe', channel: 'x', intervalMs: BATCH_MS - 1 },
      { type: 'subscribe', channel: 'x', intervalMs: 60_001 },
      { type: 'subscribe', channel: 'x', intervalMs: 250.5 },
      { type: 'subscribe', channel: 'x', intervalMs: '250' },
    ];
    for (const request of bad) {
      expect({ request, reply: await client.request(request) }).toEqual({ request, reply: expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'INVALID_MESSAGE' }) }) });
    }
    for (const intervalMs of [BATCH_MS, 60_000]) expect(await client.request({ type: 'subscribe', channel: 'x', view: `p${intervalMs}`, intervalMs })).toMatchObject({ ok: true });
    await client.close();
  });
});

describe('limits count views', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_BATCH_MS: String(BATCH_MS), PULSE_MAX_SUBSCRIPTIONS: '3', PULSE_MAX_FILTER_BYTES_PER_CONNECTION: '65536' });
  });
  afterAll(() => server.close());

  it('SUBSCRIPTION_LIMIT counts subscriptions, views included; a replaced view does not count twice', async () => {
    const client = await TestClient.connect(server.wsUrl);
    for (const view of [undefined, 'a', 'b']) expect(await client.request({ type: 'subscribe', channel: 'kpi', ...(view ? { view } : {}) })).toMatchObject({ ok: true });
    expect(await client.request({ type: 'subscribe', channel: 'kpi', view: 'c' })).toMatchObject({ ok: false, error: { code: 'SUBSCRIPTION_LIMIT' } });
    expect(await client.request({ type: 'subscribe', channel: 'other' })).toMatchObject({ ok: false, error: { code: 'SUBSCRIPTION_LIMIT' } });
    expect(await client.request({ type: 'subscribe', channel: 'kpi', view: 'a', filter: { ids: ['x'] } })).toMatchObject({ ok: true, view: 'a' });
    expect(await client.request({ type: 'unsubscribe', channel: 'kpi', view: 'b' })).toMatchObject({ ok: true });
    expect(await client.request({ type: 'subscribe', channel: 'kpi', view: 'c' })).toMatchObject({ ok: true });
    expect(server.hub.counters().subscriptions).toBe(3);
    await client.close();
  });

  it('counts every view\'s filter against the connection\'s filter budget', async () => {
    const client = await TestClient.connect(server.wsUrl);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `record-${String(i).padStart(5, '0')}`);
    // About 45 KB each: one fits, two views of one channel do not.
    expect(await client.request({ type: 'subscribe', channel: 'big', view: 'one', filter: { ids: ids(3000) } })).toMatchObject({ ok: true });
    expect(await client.request({ type: 'subscribe', channel: 'big', view: 'two', filter: { ids: ids(3000) } })).toMatchObject({ ok: false, error: { code: 'BAD_FILTER' } });
    // Replacing the view that holds the budget is fine: its old filter does not count.
    expect(await client.request({ type: 'subscribe', channel: 'big', view: 'one', filter: { ids: ids(3500) } })).toMatchObject({ ok: true });
    await client.close();
  });
});

/** The client's TCP socket: pausing it stops reading, so the server's send buffer fills. */
const tcp = (client: TestClient): Socket => (client.socket as unknown as { _socket: Socket })._socket;

describe('a slow consumer holding several views', () => {
  const LIMIT = 64 * 1024;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_BATCH_MS: '5', PULSE_SLOW_CONSUMER_BYTES: String(LIMIT), PULSE_SLOW_CONSUMER_TIMEOUT_MS: '60000', PULSE_RATE_LIMIT: '10000' });
  });
  afterAll(() => server.close());

  it('catches every view up once it drains, each with its own view and filter, nothing lost', async () => {
    const channel = fresh('slow');
    const even = { where: { parity: 'even' } };
    const vc = await ViewsClient.connect(server.wsUrl);
    await vc.subscribe(channel);
    await vc.subscribe(channel, { view: 'even', filter: even });
    await vc.subscribe(channel, { view: 'paced', intervalMs: 50 });
    tcp(vc.client).pause();
    let lastSeq = 0;
    for (let i = 0; i < 150; i++) {
      const upsert = [{ id: `r${i % 30}`, n: i, parity: i % 2 ? 'odd' : 'even', blob: randomBytes(6 * 1024).toString('hex') }];
      ({ seq: lastSeq } = await server.hub.publish('demo', channel, { upsert, ...(i % 29 === 28 ? { delete: [`r${(i + 3) % 30}`] } : {}) }));
      await sleep(6);
    }
    expect(server.hub.counters().slowConsumerEvents).toBeGreaterThanOrEqual(1);
    tcp(vc.client).resume();
    await expectConverged(server, vc.mirror(channel), {}, 10_000);
    await expectConverged(server, vc.mirror(channel, 'even'), even, 10_000);
    await expectConverged(server, vc.mirror(channel, 'paced'), {}, 10_000);
    expect(vc.mirror(channel).seq).toBe(lastSeq);
    for (const view of [undefined, 'even', 'paced']) expect({ view, recoveries: vc.mirror(channel, view).recoveries > 0 }).toEqual({ view, recoveries: true });
    await vc.close();
  });
});

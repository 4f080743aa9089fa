/**
 * Several hub instances on one real redis-server behave as one hub (issue: scale-out on
 * Redis): fan-out across instances, one seq order for concurrent publishers, resume on
 * another instance, views of a channel published elsewhere, cluster-wide stats, channel
 * counts, kicks and tenant limits.
 */
import { ChannelMirror, sortById } from '../helpers/channel-mirror';
import { MirroringClient, settledSnapshot, startCluster, type TestCluster } from '../helpers/cluster';
import { bearer, byId, connectPublisher, http, publishOk, sleep, subscribe } from '../helpers/http';
import { TEST_API_KEY, TEST_SECRET } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(60_000);

describe('three instances on one Redis', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(3, { PULSE_BATCH_MS: '20', PULSE_MAX_CONNECTIONS_PER_TENANT: '1000', PULSE_RATE_LIMIT: '10000' });
  });
  afterAll(() => cluster.close());
  const at = (i: number) => cluster.instances[i];

  it('a publish on A reaches subscribers on B and C as identical deltas', async () => {
    const pub = await connectPublisher(at(0).wsUrl, TEST_SECRET);
    const b = await TestClient.connect(at(1).wsUrl);
    const c = await TestClient.connect(at(2).wsUrl);
    await subscribe(b, 'fan');
    await subscribe(c, 'fan');
    const { seq } = await publishOk(pub, 'fan', { upsert: [{ id: 'q1', waiting: 3 }, { id: 'q2', waiting: 9 }], events: [{ type: 'alert.sla', priority: 'high', data: { q: 'q1' } }] });
    const onB = await b.next((m) => m.type === 'delta' && m.seq === seq);
    const onC = await c.next((m) => m.type === 'delta' && m.seq === seq);
    expect(onB).toEqual(onC);
    expect(byId(onB.upsert)).toEqual({ q1: { id: 'q1', waiting: 3 }, q2: { id: 'q2', waiting: 9 } });
    expect(onB.events).toEqual([expect.objectContaining({ seq, type: 'alert.sla', priority: 'high', data: { q: 'q1' } })]);
    await Promise.all([pub.close(), b.close(), c.close()]);
  });

  it('concurrent publishers on A and B make one gap-free order', async () => {
    const pubs = [await connectPublisher(at(0).wsUrl, TEST_SECRET), await connectPublisher(at(1).wsUrl, TEST_SECRET)];
    const { mc } = await MirroringClient.connect(at(2).wsUrl, new ChannelMirror('race'));
    const seqs: number[] = [];
    await Promise.all(
      pubs.map(async (pub, p) => {
        for (let i = 0; i < 100; i++) {
          const reply = await publishOk(pub, 'race', { upsert: [{ id: `p${p}`, n: i }, { id: 'shared', by: p, n: i }] });
          seqs.push(reply.seq);
        }
      }),
    );
    // Every seq from 1 to 200 handed out exactly once.
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const snapshot = await settledSnapshot(at(0).url, mc.mirror);
    expect(mc.mirror.gaps).toEqual([]);
    expect(snapshot.seq).toBe(200);
    expect(mc.mirror.seq).toBe(200);
    expect(mc.mirror.sorted()).toEqual(sortById(snapshot.records as Array<{ id: string }>));
    expect(byId(snapshot.records as Array<{ id: string }>).p0).toEqual({ id: 'p0', n: 99 });
    await Promise.all([...pubs.map((p) => p.close()), mc.close()]);
  });

  it('a client that hops to another instance with since is recovered with exactly what it missed', async () => {
    const pub = await connectPublisher(at(0).wsUrl, TEST_SECRET);
    await publishOk(pub, 'hop', { upsert: [{ id: 'a', v: 1 }, { id: 'b', v: 1 }, { id: 'gone', v: 1 }] });
    const mirror = new ChannelMirror('hop');
    const first = await MirroringClient.connect(at(1).wsUrl, mirror);
    await settledSnapshot(at(1).url, mirror);
    await first.mc.close();

    await publishOk(pub, 'hop', { upsert: [{ id: 'a', v: 2 }], delete: ['gone'] });
    await publishOk(pub, 'hop', { upsert: [{ id: 'c', v: 1 }], events: [{ type: 'note' }] });
    const missedFrom = mirror.seq;
    const second = await MirroringClient.connect(at(2).wsUrl, mirror);
    expect(second.reply).toMatchObject({ ok: true, recovered: true });
    const recovery = await second.mc.client.next((m) => m.type === 'delta' && m.recovery === true);
    expect(recovery).toMatchObject({ prevSeq: missedFrom, seq: missedFrom + 2, delete: ['gone'], events: [expect.objectContaining({ type: 'note' })] });
    expect(byId(recovery.upsert)).toEqual({ a: { id: 'a', v: 2 }, c: { id: 'c', v: 1 } });
    const snapshot = await settledSnapshot(at(0).url, mirror);
    expect(mirror.sorted()).toEqual(sortById(snapshot.records as Array<{ id: string }>));
    expect(mirror.gaps).toEqual([]);
    await Promise.all([pub.close(), second.mc.close()]);
  });

  it('the SSR snapshot of one instance resumes on another', async () => {
    const pub = await connectPublisher(at(0).wsUrl, TEST_SECRET);
    await publishOk(pub, 'ssr', { upsert: [{ id: 'k', v: 1 }] });
    const rendered = (await http(at(1).url, 'GET', '/api/channels/ssr/snapshot')).body;
    await publishOk(pub, 'ssr', { upsert: [{ id: 'k', v: 2 }] });
    const client = await TestClient.connect(at(2).wsUrl);
    const reply = await client.request({ type: 'subscribe', channel: 'ssr', since: { epoch: rendered.epoch, seq: rendered.seq } });
    expect(reply).toMatchObject({ ok: true, recovered: true });
    const delta = await client.next((m) => m.type === 'delta');
    expect(delta).toMatchObject({ prevSeq: rendered.seq, recovery: true, upsert: [{ id: 'k', v: 2 }] });
    await Promise.all([pub.close(), client.close()]);
  });

  it('randomized: clients hop between instances while publishers run on all of them', async () => {
    const seed = Number(process.env.CLUSTER_SEED ?? Date.now() % 100_000);
    let state = seed;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(items: T[]) => items[Math.floor(random() * items.length)];
    const pubs = await Promise.all(cluster.instances.map((server) => connectPublisher(server.wsUrl, TEST_SECRET)));
    const mirrors = Array.from({ length: 8 }, () => new ChannelMirror('storm'));
    const clients = await Promise.all(mirrors.map(async (mirror) => (await MirroringClient.connect(pick(cluster.instances).wsUrl, mirror)).mc));
    let running = true;
    const publishing = pubs.map(async (pub) => {
      for (let i = 0; running; i++) {
        const id = `r${Math.floor(random() * 30)}`;
        const body = random() < 0.15 ? { delete: [id] } : { upsert: [{ id, v: i, meta: random() < 0.3 ? null : { z: Math.floor(random() * 5) } }] };
        await publishOk(pub, 'storm', random() < 0.1 ? { ...body, events: [{ type: 'tick' }] } : body);
        await sleep(Math.floor(random() * 5));
      }
    });
    for (let hop = 0; hop < 60; hop++) {
      await sleep(Math.floor(random() * 60));
      const i = Math.floor(random() * clients.length);
      await clients[i].close();
      const { mc, reply } = await MirroringClient.connect(pick(cluster.instances).wsUrl, mirrors[i]);
      expect({ seed, reply: reply.ok }).toEqual({ seed, reply: true });
      clients[i] = mc;
    }
    running = false;
    await Promise.all(publishing);
    for (const mirror of mirrors) {
      const snapshot = await settledSnapshot(at(0).url, mirror);
      expect({ seed, seq: mirror.seq, gaps: mirror.gaps }).toEqual({ seed, seq: snapshot.seq, gaps: [] });
      expect(mirror.sorted()).toEqual(sortById(snapshot.records as Array<{ id: string }>));
    }
    // Hops resumed with recovery, never with a lost-history snapshot.
    expect(mirrors.reduce((sum, m) => sum + m.snapshots, 0)).toBe(mirrors.length);
    await Promise.all([...pubs.map((p) => p.close()), ...clients.map((c) => c.close())]);
  });

  it('views on B of a channel published on A converge, paced or not, and each resumes on C with its own since', async () => {
    const pub = await connectPublisher(at(0).wsUrl, TEST_SECRET);
    await publishOk(pub, 'views', { upsert: Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, status: i % 2 ? 'online' : 'offline', battery: i * 10 })) });
    await sleep(100);
    const views = [
      { view: 'map', filter: { where: { status: 'online' } }, intervalMs: 300 },
      { view: 'low', filter: { or: [{ battery: { lt: 30 } }, { status: 'offline' }] } },
    ];
    const mirrors = views.map(({ view }) => new ChannelMirror('views', view));
    const attach = (client: TestClient) => client.socket.on('message', (data) => mirrors.forEach((m) => m.apply(JSON.parse(data.toString()) as Msg)));
    const onB = await TestClient.connect(at(1).wsUrl);
    attach(onB);
    for (const { view, filter, intervalMs } of views) {
      expect(await onB.request({ type: 'subscribe', channel: 'views', view, filter, ...(intervalMs ? { intervalMs } : {}) })).toMatchObject({ ok: true, view });
    }
    const publishSome = async (from: number) => {
      for (let i = from; i < from + 20; i++) {
        await publishOk(pub, 'views', { upsert: [{ id: `n${i % 10}`, status: i % 3 ? 'online' : 'offline', battery: (i * 7) % 100 }] });
        await sleep(10);
      }
    };
    const converged = async () => {
      for (const [i, mirror] of mirrors.entries()) {
        const deadline = Date.now() + 5000;
        let snapshot: Msg;
        do {
          snapshot = (await http(at(2).url, 'GET', `/api/channels/views/snapshot?filter=${encodeURIComponent(JSON.stringify(views[i].filter))}`)).body;
          if (mirror.seq === snapshot.seq) break;
          await sleep(50);
        } while (Date.now() < deadline);
        expect({ view: mirror.view, seq: mirror.seq, gaps: mirror.gaps }).toEqual({ view: mirror.view, seq: snapshot.seq, gaps: [] });
        expect(mirror.sorted()).toEqual(sortById(snapshot.records as Array<{ id: string }>));
      }
    };
    await publishSome(0);
    await converged();
    await onB.close();

    await publishSome(20);
    const onC = await TestClient.connect(at(2).wsUrl);
    attach(onC);
    for (const [i, { view, filter, intervalMs }] of views.entries()) {
      const since = { epoch: mirrors[i].epoch, seq: mirrors[i].seq };
      expect(await onC.request({ type: 'subscribe', channel: 'views', view, filter, since, ...(intervalMs ? { intervalMs } : {}) })).toMatchObject({ ok: true, view, recovered: true });
      expect(await onC.next((m) => m.type === 'delta' && m.view === view)).toMatchObject({ recovery: true, prevSeq: since.seq });
    }
    await publishSome(40);
    await converged();
    expect(mirrors.map((m) => m.snapshots)).toEqual([1, 1]);
    await Promise.all([pub.close(), onC.close()]);
  });

  it('stats, channels and kicks see the whole cluster', async () => {
    const admin = bearer(TEST_API_KEY);
    const viewers = await Promise.all(cluster.instances.map((server) => TestClient.connect(server.wsUrl)));
    for (const viewer of viewers) await subscribe(viewer, 'seen');
    await sleep(1300); // one heartbeat
    const stats = (await http(at(0).url, 'GET', '/api/ws/stats', { headers: admin })).body;
    expect(stats.cluster.instances.map((i: Msg) => i.instance).sort()).toEqual(cluster.instances.map((s) => s.hub.instance).sort());
    expect(stats.cluster.connections).toBeGreaterThanOrEqual(3);

    const channels = (await http(at(1).url, 'GET', '/api/channels', { headers: { ...admin, 'x-tenant-id': 'demo' } })).body.channels;
    expect(channels.find((c: Msg) => c.channel === 'seen')).toMatchObject({ subscribers: 3 });

    // A kick sent to A closes a connection held by C.
    const target = viewers[2];
    const kicked = await http(at(0).url, 'DELETE', `/api/ws/connections/${target.welcome.connectionId}`, { headers: admin });
    expect(kicked).toMatchObject({ status: 200, body: { closed: true } });
    expect((await target.closed).code).toBe(1008);
    const missing = await http(at(0).url, 'DELETE', '/api/ws/connections/c_nobody', { headers: admin });
    expect(missing.status).toBe(404);
    await Promise.all(viewers.map((v) => v.close()));
  });

  it('an instance that stops leaves the cluster view', async () => {
    const extra = await cluster.add();
    await sleep(1300);
    const ids = async () => (await http(at(0).url, 'GET', '/api/ws/stats', { headers: bearer(TEST_API_KEY) })).body.cluster.instances.map((i: Msg) => i.instance);
    expect(await ids()).toContain(extra.hub.instance);
    await extra.close();
    cluster.instances.splice(cluster.instances.indexOf(extra), 1);
    expect(await ids()).not.toContain(extra.hub.instance);
  });
});

describe('a tenant limit across instances', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(2, { PULSE_MAX_CONNECTIONS_PER_TENANT: '3' });
  });
  afterAll(() => cluster.close());

  it('holds for the whole cluster, and frees slots when connections close', async () => {
    const token = await signToken(TEST_SECRET, { sub: 'u', tenant: 'acme' }, { expiresInS: 600 });
    const [a, b] = cluster.instances;
    const held = [await TestClient.connect(a.wsUrl, token), await TestClient.connect(b.wsUrl, token), await TestClient.connect(a.wsUrl, token)];
    const refused = await TestClient.open(b.wsUrl);
    refused.send({ type: 'auth', token });
    expect(await refused.next((m) => m.type === 'error')).toMatchObject({ code: 'CONNECTION_LIMIT' });
    expect((await refused.closed).code).toBe(1013);
    // Another tenant is not affected.
    const other = await TestClient.connect(b.wsUrl, await signToken(TEST_SECRET, { sub: 'v', tenant: 'globex' }, { expiresInS: 600 }));
    await held[0].close();
    await sleep(100);
    const again = await TestClient.connect(b.wsUrl, token);
    expect(again.welcome.tenant).toBe('acme');
    await Promise.all([...held, other, again].map((c) => c.close()));
  });
});

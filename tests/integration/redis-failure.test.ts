/**
 * Redis goes away mid-stream and comes back (issue: scale-out on Redis, "Redis failure"):
 * no instance crashes, health answers 503, publishes are refused with a clear error and
 * nothing refused is applied, clients keep their sockets, and once Redis is back every client
 * ends equal to the snapshot: with a recovery delta when Redis kept its data, with a snapshot
 * marked `gap: true` exactly when the history was lost.
 */
import { ChannelMirror, sortById } from '../helpers/channel-mirror';
import { MirroringClient, settledSnapshot, startCluster, type TestCluster } from '../helpers/cluster';
import { bearer, byId, connectPublisher, http, publishOk, sleep } from '../helpers/http';
import { TEST_API_KEY, TEST_SECRET } from '../helpers/server';
import type { Msg } from '../helpers/ws-client';

jest.setTimeout(60_000);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

const health = async (url: string) => (await http(url, 'GET', '/api/health')).status;

for (const persistence of ['none', 'aof'] as const) {
  describe(`Redis killed and restarted (persistence: ${persistence})`, () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startCluster(2, { PULSE_BATCH_MS: '20' }, { persistence });
    });
    afterAll(() => cluster.close());

    it('refuses publishes while Redis is away, keeps clients, and brings them up to date after', async () => {
      const [a, b] = cluster.instances;
      const pub = await connectPublisher(a.wsUrl, TEST_SECRET);
      for (let i = 0; i < 5; i++) await publishOk(pub, 'outage', { upsert: [{ id: `r${i}`, v: i }] });
      const mirrors = [new ChannelMirror('outage'), new ChannelMirror('outage')];
      const clients = [(await MirroringClient.connect(a.wsUrl, mirrors[0])).mc, (await MirroringClient.connect(b.wsUrl, mirrors[1])).mc];
      const before = await settledSnapshot(a.url, mirrors[1]);
      expect(mirrors[1].seq).toBe(5);

      // A publisher keeps going through the outage over HTTP on B.
      const accepted: string[] = [];
      const refusedUnsent: string[] = [];
      let publishing = true;
      const background = (async () => {
        for (let i = 0; publishing; i++) {
          const id = `bg${i}`;
          const res = await http(b.url, 'POST', '/api/channels/outage/publish', { headers: bearer(TEST_API_KEY), body: { upsert: [{ id, v: i }] } });
          if (res.status === 200) accepted.push(id);
          // Refused before reaching Redis (not a request lost in flight, whose fate is unknown).
          else if (res.status === 503 && res.body.error.message === 'engine unavailable: Redis is unreachable') refusedUnsent.push(id);
          else if (res.status !== 503) throw new Error(`unexpected answer ${res.status} ${JSON.stringify(res.body)}`);
          await sleep(5);
        }
      })();
      await sleep(100);

      await cluster.redis.kill();
      await waitFor(async () => (await health(a.url)) === 503 && (await health(b.url)) === 503);
      expect((await http(b.url, 'GET', '/api/health')).body).toMatchObject({ status: 'engine_unreachable', engine: 'redis' });

      // Refused over HTTP (503 with a code) and over the socket (a failed reply).
      const refusedHttp = await http(a.url, 'POST', '/api/channels/outage/publish', { headers: bearer(TEST_API_KEY), body: { upsert: [{ id: 'refused-http', v: 1 }] } });
      expect(refusedHttp.status).toBe(503);
      expect(refusedHttp.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.stringMatching(/engine unavailable/) } });
      const refusedWs = await pub.request({ type: 'publish', channel: 'outage', upsert: [{ id: 'refused-ws', v: 1 }] });
      expect(refusedWs).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR' } });
      // Operators still see this instance's figures; reads that need Redis are refused.
      const stats = await http(a.url, 'GET', '/api/ws/stats', { headers: bearer(TEST_API_KEY) });
      expect(stats.status).toBe(200);
      expect(stats.body.cluster.instances.map((i: Msg) => i.instance)).toEqual([a.hub.instance]);
      expect((await http(a.url, 'GET', '/api/channels/outage/snapshot')).status).toBe(503);
      // A new subscription is refused too, and the sockets stay open.
      const refusedSub = await clients[1].client.request({ type: 'subscribe', channel: 'other' });
      expect(refusedSub).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR' } });
      await sleep(300);
      for (const { client } of clients) expect(client.socket.readyState).toBe(client.socket.OPEN);

      await cluster.redis.restart();
      await waitFor(async () => (await health(a.url)) === 200 && (await health(b.url)) === 200);
      await sleep(100);
      publishing = false;
      await background;
      expect(refusedUnsent.length).toBeGreaterThan(0);
      const after = await publishOk(pub, 'outage', { upsert: [{ id: 'after', v: 1 }] });

      const lost = persistence === 'none';
      for (const mirror of mirrors) {
        const snapshot = await settledSnapshot(b.url, mirror);
        expect({ seq: mirror.seq, epoch: mirror.epoch, gaps: mirror.gaps }).toEqual({ seq: snapshot.seq, epoch: snapshot.epoch, gaps: [] });
        expect(mirror.sorted()).toEqual(sortById(snapshot.records as Array<{ id: string }>));
      }
      const records = byId((await http(a.url, 'GET', '/api/channels/outage/snapshot')).body.records);
      expect(records['refused-http']).toBeUndefined();
      expect(records['refused-ws']).toBeUndefined();
      for (const id of refusedUnsent) expect(records[id]).toBeUndefined();
      const acceptedAfterRestart = accepted.filter((id) => records[id]);
      if (lost) {
        // Redis came back empty: a new lineage, and every client was told with gap: true.
        expect(after.epoch).not.toBe(before.epoch);
        expect(Object.keys(records).filter((id) => !id.startsWith('bg'))).toEqual(['after']);
        expect(after.seq).toBe(acceptedAfterRestart.length + 1);
        for (const { client } of clients) expect(client.received.some((m: Msg) => m.type === 'snapshot' && m.gap === true)).toBe(true);
      } else {
        // Nothing accepted was lost: same lineage, seq goes on, no client saw a gap.
        expect(after.epoch).toBe(before.epoch);
        for (const id of accepted) expect(records[id]).toEqual({ id, v: Number(id.slice(2)) });
        expect(Object.keys(records).filter((id) => !id.startsWith('bg')).sort()).toEqual(['after', 'r0', 'r1', 'r2', 'r3', 'r4']);
        for (const { client } of clients) expect(client.received.some((m: Msg) => m.type === 'snapshot' && m.gap === true)).toBe(false);
      }
      const metrics = await http(a.url, 'GET', '/metrics', { headers: bearer(TEST_API_KEY) });
      expect(metrics.body).toMatch(/^pulse_engine_outages_total [1-9]/m);
      expect(metrics.body).toMatch(/^pulse_engine_refusals_total [1-9]/m);
      await Promise.all([pub.close(), ...clients.map((c) => c.close())]);
    });
  });
}

describe('Redis restored from an older state', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(1, { PULSE_BATCH_MS: '20' }, { persistence: 'aof' });
  });
  afterAll(() => cluster.close());

  it('renews the epoch instead of using a seq twice', async () => {
    const [a] = cluster.instances;
    const pub = await connectPublisher(a.wsUrl, TEST_SECRET);
    await publishOk(pub, 'rollback', { upsert: [{ id: 'x', v: 1 }] });
    const mirror = new ChannelMirror('rollback');
    const { mc } = await MirroringClient.connect(a.wsUrl, mirror);
    const first = await publishOk(pub, 'rollback', { upsert: [{ id: 'x', v: 2 }] });
    const untouched = await publishOk(pub, 'untouched', { upsert: [{ id: 'y', v: 1 }] });
    await settledSnapshot(a.url, mirror);
    // The channel's seq goes back behind what the instance and its client saw, as after a
    // restore from an old snapshot: the next publish must not reuse seq 2.
    const { default: Redis } = await import('ioredis');
    const raw = new Redis(cluster.redis.url);
    const metaKeys = await raw.keys('*{demo/rollback}:meta');
    await raw.hset(metaKeys[0], 'seq', 1);
    await raw.quit();
    const next = await publishOk(pub, 'rollback', { upsert: [{ id: 'x', v: 3 }] });
    expect(next.epoch).not.toBe(first.epoch);
    // Only the channel that lost history gets a new epoch.
    expect(await publishOk(pub, 'untouched', { upsert: [{ id: 'y', v: 2 }] })).toMatchObject({ epoch: untouched.epoch, seq: untouched.seq + 1 });
    const snapshot = await settledSnapshot(a.url, mirror);
    expect(mirror.epoch).toBe(snapshot.epoch);
    expect(mirror.sorted()).toEqual(sortById(snapshot.records as Array<{ id: string }>));
    expect(mc.client.received.some((m: Msg) => m.type === 'snapshot' && m.gap === true)).toBe(true);
    await Promise.all([pub.close(), mc.close()]);
  });
});

/**
 * docs/protocol.md §5: snapshots and deltas. Batching per PULSE_BATCH_MS with changes merged per
 * record, at most one delta per channel and flush, prevSeq chains, critical events flushing at
 * once, byte-identical frames for subscribers sharing a view, snapshot event caps.
 */
import { startWithPublisher, stopWithPublisher, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';
import { publishOk, sleep, subscribe } from '../helpers/http';

let counter = 0;
const fresh = (prefix = 'd') => `${prefix}-${++counter}`;

/** Starts recording the raw text of every delta frame the client receives. */
function recordRawDeltas(client: TestClient): string[] {
  const frames: string[] = [];
  client.socket.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('{"type":"delta"')) frames.push(text);
  });
  return frames;
}

describe('batching (PULSE_BATCH_MS=1000)', () => {
  let server: TestServer;
  let pub: TestClient;
  beforeAll(async () => {
    ({ server, pub } = await startWithPublisher({ PULSE_BATCH_MS: '1000' }));
  });
  afterAll(() => stopWithPublisher({ server, pub }));

  /** Publishes a marker and waits for its delta: a flush has just happened, the next is ~1 s away. */
  async function alignWithFlush(client: TestClient, channel: string): Promise<Msg> {
    const { seq } = await publishOk(pub, channel, { upsert: [{ id: 'marker', at: Date.now() }] });
    return client.next((m) => m.type === 'delta' && m.channel === channel && m.seq === seq, 3000);
  }

  it('holds changes until the flush, merges patches to one record into one entry, one delta per channel', async () => {
    const channel = fresh();
    const other = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 0, old: 'y', meta: { a: 1, b: 1 } }, { id: 'q2', n: 0 }] });
    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel);
    await subscribe(client, other);
    const aligned = await alignWithFlush(client, channel);
    const flushedAt = Date.now();

    pub.send({ type: 'publish', channel, upsert: [{ id: 'q1', waiting: 1 }] });
    pub.send({ type: 'publish', channel, upsert: [{ id: 'q1', waiting: 2, sla: 'x', meta: { a: 2 } }] });
    pub.send({ type: 'publish', channel: other, upsert: [{ id: 'o1' }] });
    pub.send({ type: 'publish', channel, upsert: [{ id: 'q1', old: null, meta: { b: null } }, { id: 'q3', v: 1 }] });
    pub.send({ type: 'publish', channel, upsert: [{ id: 'q3', w: 2 }], delete: ['q2'], events: [{ type: 'e1' }] });
    pub.send({ type: 'publish', channel: other, upsert: [{ id: 'o1', v: 2 }] });
    const last = await publishOk(pub, channel, { upsert: [{ id: 'q4' }], events: [{ type: 'e2' }] });

    // Nothing arrives before the flush.
    expect(await client.nothing((m) => m.type === 'delta', Math.max(0, 700 - (Date.now() - flushedAt)))).toBe(true);

    const delta = await client.next((m) => m.type === 'delta' && m.channel === channel, 2000);
    expect(Date.now() - flushedAt).toBeGreaterThanOrEqual(800);
    expect(delta).toEqual({
      type: 'delta',
      channel,
      epoch: aligned.epoch,
      prevSeq: aligned.seq,
      seq: last.seq,
      upsert: [
        { id: 'q1', waiting: 2, sla: 'x', old: null, meta: { a: 2, b: null } },
        { id: 'q3', v: 1, w: 2 },
        { id: 'q4' },
      ],
      delete: ['q2'],
      events: [
        { seq: last.seq - 1, ts: expect.any(Number), type: 'e1', priority: 'normal' },
        { seq: last.seq, ts: expect.any(Number), type: 'e2', priority: 'normal' },
      ],
    });
    const otherDelta = await client.next((m) => m.type === 'delta' && m.channel === other, 500);
    expect(otherDelta).toMatchObject({ prevSeq: 0, seq: 2, upsert: [{ id: 'o1', v: 2 }] });
    // At most one delta per channel per flush.
    expect(await client.nothing((m) => m.type === 'delta', 300)).toBe(true);
    await client.close();
  }, 15_000);

  it('sends no delta when the changes of a flush cancel out, and the next delta chains from the last one sent', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'r', v: 1 }] });
    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel);
    const aligned = await alignWithFlush(client, channel);
    pub.send({ type: 'publish', channel, upsert: [{ id: 'r', v: 2 }] });
    pub.send({ type: 'publish', channel, upsert: [{ id: 'tmp' }] });
    pub.send({ type: 'publish', channel, delete: ['tmp'] });
    await publishOk(pub, channel, { upsert: [{ id: 'r', v: 1 }] });
    expect(await client.nothing((m) => m.type === 'delta', 1500)).toBe(true);
    const next = await publishOk(pub, channel, { upsert: [{ id: 'r', v: 3 }] });
    const delta = await client.next((m) => m.type === 'delta', 2000);
    expect(delta).toMatchObject({ prevSeq: aligned.seq, seq: next.seq, upsert: [{ id: 'r', v: 3 }] });
    await client.close();
  }, 15_000);
});

describe('deltas (PULSE_BATCH_MS=10)', () => {
  let server: TestServer;
  let pub: TestClient;
  beforeAll(async () => {
    ({ server, pub } = await startWithPublisher({ PULSE_BATCH_MS: '10', PULSE_SNAPSHOT_EVENTS: '3' }));
  });
  afterAll(() => stopWithPublisher({ server, pub }));

  it('chains prevSeq from the snapshot through every delta, and omits empty arrays', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'a', v: 0 }] });
    const client = await TestClient.connect(server.wsUrl);
    const { first } = await subscribe(client, channel);
    expect(first.seq).toBe(1);
    for (let i = 1; i <= 20; i++) {
      if (i % 3 === 0) pub.send({ type: 'publish', channel, events: [{ type: 'tick', data: i }] });
      else if (i % 5 === 0) pub.send({ type: 'publish', channel, delete: ['a'] });
      else pub.send({ type: 'publish', channel, upsert: [{ id: 'a', v: i }] });
      if (i % 4 === 0) await sleep(25);
    }
    const end = await publishOk(pub, channel, { upsert: [{ id: 'end' }] });
    expect(end.seq).toBe(22);
    let seq = first.seq;
    const deltas: Msg[] = [];
    while (seq < end.seq) {
      const delta = await client.next((m) => m.type === 'delta');
      expect(delta.prevSeq).toBe(seq);
      expect(delta.seq).toBeGreaterThan(delta.prevSeq);
      expect(delta.epoch).toBe(first.epoch);
      seq = delta.seq;
      deltas.push(delta);
    }
    expect(seq).toBe(end.seq);
    expect(deltas.length).toBeGreaterThan(1);
    for (const delta of deltas) {
      for (const key of ['upsert', 'delete', 'events']) {
        if (key in delta) expect(delta[key].length).toBeGreaterThan(0);
      }
    }
    // Only-upsert and only-event deltas leave the other arrays out.
    const upsertOnly = await publishOk(pub, channel, { upsert: [{ id: 'solo' }] });
    expect(await client.next((m) => m.type === 'delta' && m.seq === upsertOnly.seq)).toEqual({
      type: 'delta', channel, epoch: first.epoch, prevSeq: end.seq, seq: upsertOnly.seq, upsert: [{ id: 'solo' }],
    });
    const eventOnly = await publishOk(pub, channel, { events: [{ type: 'solo' }] });
    const eventDelta = await client.next((m) => m.type === 'delta' && m.seq === eventOnly.seq);
    expect(Object.keys(eventDelta).sort()).toEqual(['channel', 'epoch', 'events', 'prevSeq', 'seq', 'type']);
    await client.close();
  });

  it('sends a new record whole and a change to a known record as a patch', async () => {
    const channel = fresh();
    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel, {}, 50);
    await publishOk(pub, channel, { upsert: [{ id: 'r', a: 1, b: { c: 2, d: [1, 2] }, e: 'x' }] });
    expect((await client.next((m) => m.type === 'delta')).upsert).toEqual([{ id: 'r', a: 1, b: { c: 2, d: [1, 2] }, e: 'x' }]);
    await publishOk(pub, channel, { upsert: [{ id: 'r', b: { c: 3 } }] });
    expect((await client.next((m) => m.type === 'delta')).upsert).toEqual([{ id: 'r', b: { c: 3 } }]);
    await publishOk(pub, channel, { upsert: [{ id: 'r', b: { d: [1, 2, 3] }, e: null }] });
    expect((await client.next((m) => m.type === 'delta')).upsert).toEqual([{ id: 'r', b: { d: [1, 2, 3] }, e: null }]);
    await client.close();
  });

  it('sends byte-identical deltas to subscribers sharing a view, late joiners included', async () => {
    const channel = fresh();
    const filter = { where: { group: 'g1', load: { gte: 0.5 } }, fields: ['load', 'group'] };
    const sameView = { fields: ['group', 'load', 'group', 'id'], where: { load: { gte: 0.5 }, group: 'g1' } };
    const clients = await Promise.all([0, 1, 2, 3].map(() => TestClient.connect(server.wsUrl)));
    const [a, b, c, late] = clients;
    const frames = clients.map(recordRawDeltas);
    await subscribe(a, channel, { filter });
    await subscribe(b, channel, { filter: sameView });
    await subscribe(c, channel);

    const step = async (i: number) => {
      await publishOk(pub, channel, {
        upsert: [
          { id: `r${i % 4}`, group: i % 3 ? 'g1' : 'g2', load: (i % 10) / 10, noise: i },
          { id: 'fixed', group: 'g1', load: 0.9, noise: i },
        ],
        ...(i % 5 === 4 ? { delete: [`r${(i + 1) % 4}`] } : {}),
      });
      await sleep(20);
    };
    for (let i = 0; i < 8; i++) await step(i);
    // The late joiner's snapshot lands where a and b are; from the next shared flush on it gets the same bytes.
    await subscribe(late, channel, { filter: { where: { group: 'g1', load: { gte: 0.5 } }, fields: ['group', 'load'] } });
    for (let i = 8; i < 20; i++) await step(i);
    await sleep(100);

    expect(frames[0].length).toBeGreaterThan(5);
    expect(frames[1]).toEqual(frames[0]);
    // The unfiltered view differs (it sees `noise`), so it has frames of its own.
    expect(frames[2].some((f) => f.includes('"noise"'))).toBe(true);
    expect(frames[0].some((f) => f.includes('"noise"'))).toBe(false);
    // The late joiner's frames are exactly the tail of a's.
    const lateFrames = frames[3];
    expect(lateFrames.length).toBeGreaterThan(3);
    const tail = frames[0].slice(frames[0].length - lateFrames.length);
    // Its first delta may differ (it may need a catch-up of its own); after that they match.
    expect(lateFrames.slice(1)).toEqual(tail.slice(1));
    await Promise.all(clients.map((cl) => cl.close()));
  });

  it('gives subscribers of one view their own prevSeq when they were sent different ones, then the same bytes', async () => {
    const channel = fresh();
    const filter = { where: { g: 1 } };
    const [a, b] = await Promise.all([TestClient.connect(server.wsUrl), TestClient.connect(server.wsUrl)]);
    const [framesA, framesB] = [a, b].map(recordRawDeltas);
    await publishOk(pub, channel, { upsert: [{ id: 'in', g: 1, v: 0 }] });
    const { first: snapA } = await subscribe(a, channel, { filter }, 40);
    // A change a's view does not see: a stays at the seq it was last sent.
    await publishOk(pub, channel, { upsert: [{ id: 'out', g: 2 }] });
    await sleep(40);
    const { first: snapB } = await subscribe(b, channel, { filter }, 40);
    expect(snapB.seq).toBe(snapA.seq + 1);

    const visible = await publishOk(pub, channel, { upsert: [{ id: 'in', v: 1 }] });
    const [deltaA, deltaB] = await Promise.all([a, b].map((c) => c.next((m) => m.type === 'delta')));
    expect(deltaA).toMatchObject({ prevSeq: snapA.seq, seq: visible.seq, upsert: [{ id: 'in', v: 1 }] });
    expect(deltaB).toMatchObject({ prevSeq: snapB.seq, seq: visible.seq, upsert: [{ id: 'in', v: 1 }] });

    // Both are now at the same seq: the next delta is one frame for both.
    await publishOk(pub, channel, { upsert: [{ id: 'in', v: 2 }] });
    await Promise.all([a, b].map((c) => c.next((m) => m.type === 'delta')));
    expect(framesA).toHaveLength(2);
    expect(framesB).toHaveLength(2);
    expect(framesA[1]).toBe(framesB[1]);
    await Promise.all([a.close(), b.close()]);
  });

  it('caps snapshot events at PULSE_SNAPSHOT_EVENTS, most recent, in seq order, after the filter', async () => {
    const channel = fresh();
    const types = ['a.x', 'b.y', 'a.z', 'b.w', 'a.v', 'c', 'a.u', 'b.t'];
    const priorities = ['low', 'normal', 'high', 'critical', 'low', 'high', 'normal', 'low'];
    for (let i = 0; i < types.length; i++) await publishOk(pub, channel, { events: [{ type: types[i], priority: priorities[i], data: i }] });

    const client = await TestClient.connect(server.wsUrl);
    const { first } = await subscribe(client, channel);
    expect(first.events.map((e: Msg) => [e.seq, e.type])).toEqual([[6, 'c'], [7, 'a.u'], [8, 'b.t']]);

    await client.request({ type: 'subscribe', channel, filter: { eventTypes: ['a.*'] } });
    const filtered = await client.next((m) => m.type === 'snapshot');
    expect(filtered.events.map((e: Msg) => e.type)).toEqual(['a.z', 'a.v', 'a.u']);

    await client.request({ type: 'subscribe', channel, filter: { minPriority: 'high' } });
    const urgent = await client.next((m) => m.type === 'snapshot');
    expect(urgent.events.map((e: Msg) => e.seq)).toEqual([3, 4, 6]);

    await client.request({ type: 'subscribe', channel, filter: { eventTypes: ['b.*'], minPriority: 'normal' } });
    expect((await client.next((m) => m.type === 'snapshot')).events.map((e: Msg) => e.type)).toEqual(['b.y', 'b.w']);

    await client.request({ type: 'resync', channel });
    expect((await client.next((m) => m.type === 'snapshot')).events).toHaveLength(2);
    await client.close();
  });
});

describe('critical events (PULSE_BATCH_MS=5000)', () => {
  let server: TestServer;
  let pub: TestClient;
  beforeAll(async () => {
    ({ server, pub } = await startWithPublisher({ PULSE_BATCH_MS: '5000' }));
  });
  afterAll(() => stopWithPublisher({ server, pub }));

  it('flushes the channel at once, pending changes included', async () => {
    const channel = fresh();
    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel);
    let seq = 0;
    for (let round = 0; round < 3; round++) {
      pub.send({ type: 'publish', channel, upsert: [{ id: 'pending', round }], events: [{ type: 'warn', priority: 'high' }] });
      const started = Date.now();
      const critical = await publishOk(pub, channel, { events: [{ type: 'outage', priority: 'critical', data: { round } }] });
      const delta = await client.next((m) => m.type === 'delta' && m.seq === critical.seq, 1500);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(delta.prevSeq).toBe(seq);
      expect(delta.events.map((e: Msg) => e.priority)).toEqual(['high', 'critical']);
      expect(delta.upsert).toEqual([{ id: 'pending', round }]);
      seq = delta.seq;
    }
    await client.close();
  });
});

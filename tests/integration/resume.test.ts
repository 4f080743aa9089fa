/**
 * docs/protocol.md §7: resume without loss. `since` with a matching epoch gets a recovery delta
 * (whole records, deletions including filter exits, events in order); anything the hub cannot
 * answer exactly gets a snapshot with `gap: true`; `resync` gets one with `gap: false`.
 */
import { startTestServer, startWithPublisher, stopWithPublisher, TEST_SECRET, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';
import { byId, connectPublisher, publishOk, sleep, subscribe } from '../helpers/http';

let counter = 0;
const fresh = (prefix = 'r') => `${prefix}-${++counter}`;

describe('resume with a matching epoch', () => {
  let server: TestServer;
  let pub: TestClient;
  beforeAll(async () => {
    ({ server, pub } = await startWithPublisher({ PULSE_BATCH_MS: '10' }));
  });
  afterAll(() => stopWithPublisher({ server, pub }));

  it('sends recovered:true and a recovery delta with whole records, deletions and events since', async () => {
    const channel = fresh();
    await publishOk(pub, channel, {
      upsert: [
        { id: 'x', a: 1, b: { c: 1, d: 2 }, gone: 'soon' },
        { id: 'w', v: 1 },
        { id: 'same', v: 1 },
        { id: 'back', v: 1 },
      ],
      events: [{ type: 'before' }],
    });
    const first = await TestClient.connect(server.wsUrl);
    const { first: snapshot } = await subscribe(first, channel);
    const since = { epoch: snapshot.epoch, seq: snapshot.seq };
    await first.close();

    await publishOk(pub, channel, { upsert: [{ id: 'x', gone: null, b: { d: null, e: 3 } }], events: [{ type: 'e1', priority: 'high', data: 1 }] });
    await publishOk(pub, channel, { upsert: [{ id: 'z', n: 1 }], delete: ['w', 'back'] });
    await publishOk(pub, channel, { events: [{ type: 'e2' }, { type: 'e3', priority: 'low' }] });
    await publishOk(pub, channel, { upsert: [{ id: 'back', v: 2 }, { id: 'x', a: 2 }] });
    const last = await publishOk(pub, channel, { upsert: [{ id: 'tmp' }] });
    await publishOk(pub, channel, { delete: ['tmp'] });

    const second = await TestClient.connect(server.wsUrl);
    const reply = await second.request({ type: 'subscribe', channel, since });
    expect(reply).toEqual({ type: 'reply', ref: expect.anything(), ok: true, channel, recovered: true });
    const delta = await second.next((m) => m.type === 'delta' || m.type === 'snapshot');
    expect(delta).toMatchObject({ type: 'delta', channel, epoch: since.epoch, prevSeq: since.seq, seq: last.seq + 1, recovery: true });
    // Whole current records, fields removed meanwhile absent; untouched records not sent.
    expect(byId(delta.upsert)).toEqual({
      x: { id: 'x', a: 2, b: { c: 1, e: 3 } },
      z: { id: 'z', n: 1 },
      back: { id: 'back', v: 2 },
    });
    expect(delta.delete).toEqual(expect.arrayContaining(['w']));
    expect(delta.delete).not.toContain('back');
    expect(delta.delete).not.toContain('same');
    expect(delta.events.map((e: Msg) => [e.seq, e.type, e.priority])).toEqual([
      [2, 'e1', 'high'],
      [4, 'e2', 'normal'],
      [4, 'e3', 'low'],
    ]);
    // The reply came before the delta; no snapshot was sent.
    const order = second.received.filter((m) => m.type !== 'welcome').map((m) => m.type);
    expect(order).toEqual(['reply', 'delta']);

    // Live deltas continue from there.
    const live = await publishOk(pub, channel, { upsert: [{ id: 'same', v: 2 }] });
    expect(await second.next((m) => m.type === 'delta')).toMatchObject({ prevSeq: delta.seq, seq: live.seq, upsert: [{ id: 'same', v: 2 }] });
    await second.close();
  });

  it('applies the filter: exits are deletions, entries and changes are whole projected records, events filtered', async () => {
    const channel = fresh();
    await publishOk(pub, channel, {
      upsert: [
        { id: 'stays', status: 'on', load: 1, secret: 's' },
        { id: 'leaves', status: 'on', load: 2 },
        { id: 'enters', status: 'off', load: 3 },
        { id: 'outside', status: 'off', load: 4 },
      ],
    });
    const filter = { where: { status: 'on' }, fields: ['load'], eventTypes: ['keep.*'] };
    const first = await TestClient.connect(server.wsUrl);
    const { first: snapshot } = await subscribe(first, channel, { filter });
    expect(byId(snapshot.records)).toEqual({ stays: { id: 'stays', load: 1 }, leaves: { id: 'leaves', load: 2 } });
    await first.close();

    await publishOk(pub, channel, { upsert: [{ id: 'leaves', status: 'off' }], events: [{ type: 'keep.a' }, { type: 'drop' }] });
    await publishOk(pub, channel, { upsert: [{ id: 'enters', status: 'on' }, { id: 'stays', secret: null, load: 5 }] });
    const last = await publishOk(pub, channel, { upsert: [{ id: 'outside', load: 40 }], events: [{ type: 'keep.b' }] });

    const second = await TestClient.connect(server.wsUrl);
    const { reply, first: delta } = await subscribe(second, channel, { filter, since: { epoch: snapshot.epoch, seq: snapshot.seq } });
    expect(reply.recovered).toBe(true);
    expect(delta).toMatchObject({ type: 'delta', recovery: true, prevSeq: snapshot.seq, seq: last.seq });
    expect(byId(delta.upsert)).toEqual({ stays: { id: 'stays', load: 5 }, enters: { id: 'enters', load: 3 } });
    expect(delta.delete).toContain('leaves');
    expect(delta.delete ?? []).not.toContain('stays');
    expect(delta.delete ?? []).not.toContain('enters');
    expect(delta.events.map((e: Msg) => e.type)).toEqual(['keep.a', 'keep.b']);
    await second.close();
  });

  it('resumes from the position of an HTTP snapshot, as a server-rendered page does', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'a', v: 1 }, { id: 'b', v: 1 }] });
    const filter = { where: { v: { gte: 1 } } };
    const page = (await (await fetch(`${server.url}/api/channels/${channel}/snapshot?filter=${encodeURIComponent(JSON.stringify(filter))}`)).json()) as Msg;
    expect(page).toMatchObject({ seq: 1 });
    await publishOk(pub, channel, { upsert: [{ id: 'b', v: 2 }, { id: 'c', v: 0 }] });
    const client = await TestClient.connect(server.wsUrl);
    const { reply, first } = await subscribe(client, channel, { filter, since: { epoch: page.epoch, seq: page.seq } });
    expect(reply.recovered).toBe(true);
    expect(first).toMatchObject({ type: 'delta', recovery: true, prevSeq: 1, seq: 2, upsert: [{ id: 'b', v: 2 }] });
    await client.close();
  });

  it('recovers a position equal to the current seq with an empty recovery delta, also on an open subscription', async () => {
    const channel = fresh();
    const client = await TestClient.connect(server.wsUrl);
    const { first: empty } = await subscribe(client, channel);
    expect(empty.seq).toBe(0);
    // A never-published channel at seq 0 is recoverable.
    const { reply: r0, first: d0 } = await subscribe(client, channel, { since: { epoch: empty.epoch, seq: 0 } });
    expect(r0.recovered).toBe(true);
    expect(d0).toMatchObject({ type: 'delta', recovery: true, prevSeq: 0, seq: 0 });

    const reply = await publishOk(pub, channel, { upsert: [{ id: 'a' }] });
    await client.next((m) => m.type === 'delta' && m.seq === reply.seq);
    const { reply: again, first: delta } = await subscribe(client, channel, { since: { epoch: reply.epoch, seq: reply.seq } });
    expect(again.recovered).toBe(true);
    expect(delta).toMatchObject({ type: 'delta', recovery: true, prevSeq: 1, seq: 1 });
    for (const key of ['upsert', 'delete', 'events']) expect(delta[key] ?? []).toEqual([]);
    await client.close();
  });
});

describe('positions that cannot be recovered', () => {
  let server: TestServer;
  let pub: TestClient;
  let channel: string;
  let current: Msg;
  beforeAll(async () => {
    ({ server, pub } = await startWithPublisher({ PULSE_BATCH_MS: '10' }));
    channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'a', v: 1 }, { id: 'b', v: 1 }], events: [{ type: 'e' }] });
    current = await publishOk(pub, channel, { upsert: [{ id: 'a', v: 2 }] });
  });
  afterAll(() => stopWithPublisher({ server, pub }));

  async function expectGap(since: unknown): Promise<void> {
    const client = await TestClient.connect(server.wsUrl);
    const { reply, first } = await subscribe(client, channel, { since });
    expect(reply).toMatchObject({ ok: true, channel, recovered: false });
    expect(first).toEqual({
      type: 'snapshot',
      channel,
      epoch: current.epoch,
      seq: current.seq,
      records: expect.any(Array),
      events: [expect.objectContaining({ seq: 1, type: 'e' })],
      gap: true,
    });
    expect(byId(first.records)).toEqual({ a: { id: 'a', v: 2 }, b: { id: 'b', v: 1 } });
    await client.close();
  }

  it('answers a wrong epoch with recovered:false and a snapshot with gap:true', async () => {
    await expectGap({ epoch: 'e_other', seq: 1 });
    await expectGap({ epoch: `${current.epoch}x`, seq: 0 });
  });

  it('treats a since ahead of the channel seq as unrecoverable', async () => {
    await expectGap({ epoch: current.epoch, seq: current.seq + 1 });
    await expectGap({ epoch: current.epoch, seq: 1000 });
  });

  it('gives a restarted server a new epoch, so old positions get a gap', async () => {
    const restarted = await startTestServer({ PULSE_BATCH_MS: '10' });
    try {
      const client = await TestClient.connect(restarted.wsUrl);
      const { reply, first } = await subscribe(client, channel, { since: { epoch: current.epoch, seq: 0 } });
      expect(reply.recovered).toBe(false);
      expect(first).toMatchObject({ type: 'snapshot', seq: 0, gap: true });
      expect(first.epoch).not.toBe(current.epoch);
      await client.close();
    } finally {
      await restarted.close();
    }
  });

  it('answers subscribe without since, and resync, with gap:false', async () => {
    const client = await TestClient.connect(server.wsUrl);
    const { first } = await subscribe(client, channel);
    expect(first).toMatchObject({ type: 'snapshot', seq: current.seq, gap: false });
    // After a gap snapshot, resync still says gap:false.
    await subscribe(client, channel, { since: { epoch: 'nope', seq: 1 } });
    const reply = await client.request({ type: 'resync', channel });
    expect(reply).toEqual({ type: 'reply', ref: expect.any(Number), ok: true, channel });
    const resynced = await client.next((m) => m.type === 'snapshot' && m.gap === false);
    expect(resynced).toMatchObject({ seq: current.seq, gap: false });
    expect(byId(resynced.records)).toEqual({ a: { id: 'a', v: 2 }, b: { id: 'b', v: 1 } });
    // The reply precedes its snapshot.
    const tail = client.received.slice(-2).map((m) => m.type);
    expect(tail).toEqual(['reply', 'snapshot']);
    // And deltas chain from the resync snapshot.
    const next = await publishOk(pub, channel, { upsert: [{ id: 'b', v: 3 }] });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ prevSeq: current.seq, seq: next.seq });
    await client.close();
  });
});

describe('history caps', () => {
  it('recovers only positions within the last PULSE_HISTORY_SIZE publishes', async () => {
    const server = await startTestServer({ PULSE_BATCH_MS: '10', PULSE_HISTORY_SIZE: '5' });
    try {
      const pub = await connectPublisher(server.wsUrl, TEST_SECRET);
      const channel = fresh();
      let epoch = '';
      for (let i = 1; i <= 10; i++) epoch = (await publishOk(pub, channel, { upsert: [{ id: `r${i}` }], events: [{ type: `e${i}` }] })).epoch;
      const client = await TestClient.connect(server.wsUrl);
      // Publishes 6..10 are held: a client at 5 needs only those.
      const ok = await subscribe(client, channel, { since: { epoch, seq: 5 } });
      expect(ok.reply.recovered).toBe(true);
      expect(ok.first).toMatchObject({ type: 'delta', recovery: true, prevSeq: 5, seq: 10 });
      expect(ok.first.upsert.map((r: Msg) => r.id)).toEqual(['r6', 'r7', 'r8', 'r9', 'r10']);
      expect(ok.first.events.map((e: Msg) => e.type)).toEqual(['e6', 'e7', 'e8', 'e9', 'e10']);
      // A client at 4 would need publish 5, which is gone.
      const gone = await subscribe(client, channel, { since: { epoch, seq: 4 } });
      expect(gone.reply.recovered).toBe(false);
      expect(gone.first).toMatchObject({ type: 'snapshot', seq: 10, gap: true });
      expect(gone.first.records).toHaveLength(10);
      await Promise.all([client.close(), pub.close()]);
    } finally {
      await server.close();
    }
  });

  it('drops publishes older than PULSE_HISTORY_TTL_MS from what can be recovered', async () => {
    const server = await startTestServer({ PULSE_BATCH_MS: '10', PULSE_HISTORY_TTL_MS: '400' });
    try {
      const pub = await connectPublisher(server.wsUrl, TEST_SECRET);
      const channel = fresh();
      await publishOk(pub, channel, { upsert: [{ id: 'old' }] });
      const two = await publishOk(pub, channel, { upsert: [{ id: 'old', v: 2 }] });
      const client = await TestClient.connect(server.wsUrl);
      const early = await subscribe(client, channel, { since: { epoch: two.epoch, seq: 1 } });
      expect(early.reply.recovered).toBe(true);
      await sleep(600);
      const three = await publishOk(pub, channel, { upsert: [{ id: 'new' }], events: [{ type: 'fresh' }] });
      // Publish 2 has expired: a client at 1 cannot be answered exactly.
      const late = await subscribe(client, channel, { since: { epoch: two.epoch, seq: 1 } });
      expect(late.reply.recovered).toBe(false);
      expect(late.first).toMatchObject({ type: 'snapshot', seq: three.seq, gap: true });
      // A client at 2 needs only publish 3, which is fresh.
      const recent = await subscribe(client, channel, { since: { epoch: two.epoch, seq: 2 } });
      expect(recent.reply.recovered).toBe(true);
      expect(recent.first).toMatchObject({ type: 'delta', recovery: true, prevSeq: 2, seq: 3, upsert: [{ id: 'new' }] });
      // Expired publishes' events also leave snapshots.
      await sleep(600);
      const res = await fetch(`${server.url}/api/channels/${channel}/snapshot`);
      expect(((await res.json()) as Msg).events).toEqual([]);
      await Promise.all([client.close(), pub.close()]);
    } finally {
      await server.close();
    }
  });
});

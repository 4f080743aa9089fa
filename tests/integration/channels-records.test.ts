/**
 * docs/protocol.md §4: channel names, keyed records updated by JSON Merge Patch, deletions, events
 * stamped by the hub, and the per-channel seq that every accepted publish takes.
 */
import { startWithPublisher, stopWithPublisher, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';
import { byId, http, publishOk, subscribe } from '../helpers/http';

let server: TestServer;
let pub: TestClient;
beforeAll(async () => {
  ({ server, pub } = await startWithPublisher({ PULSE_BATCH_MS: '10' }));
});
afterAll(() => stopWithPublisher({ server, pub }));

let counter = 0;
/** A channel name no other test uses. */
const fresh = (prefix = 'ch') => `${prefix}-${++counter}`;

async function snapshotOf(channel: string, tenant = 'demo'): Promise<Msg> {
  return server.hub.snapshot(tenant, channel) as unknown as Promise<Msg>;
}

describe('channel names', () => {
  const valid = ['a', 'kpi', 'fleet:eu', 'Fleet_EU.v2:north-1', 'x'.repeat(128), '0', '...', ':-_'];
  const invalid = ['', 'x'.repeat(129), 'with space', 'slash/x', 'ünïcode', 'star*', 'hash#', 'tab\t', 'q?x'];

  it.each(valid)('accepts %j for subscribe and publish', async (channel) => {
    expect(await pub.request({ type: 'subscribe', channel })).toMatchObject({ ok: true, channel });
    expect(await pub.request({ type: 'publish', channel, upsert: [{ id: 'r' }] })).toMatchObject({ ok: true, channel });
    expect(await pub.request({ type: 'unsubscribe', channel })).toMatchObject({ ok: true, channel });
  });

  it.each(invalid)('refuses %j with INVALID_MESSAGE', async (channel) => {
    for (const type of ['subscribe', 'publish', 'unsubscribe', 'resync']) {
      const reply = await pub.request({ type, channel, upsert: [{ id: 'r' }] });
      expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    }
  });

  it('refuses a bad channel name over HTTP too', async () => {
    const res = await http(server.url, 'GET', `/api/channels/${encodeURIComponent('with space')}/snapshot`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_MESSAGE');
    const long = await http(server.url, 'POST', `/api/channels/${'x'.repeat(129)}/publish`, { body: { upsert: [{ id: 'a' }] } });
    expect(long.status).toBe(400);
  });
});

describe('records', () => {
  it('requires a string id of 1 to 128 characters', async () => {
    const channel = fresh();
    const bad: unknown[] = [{}, { id: '' }, { id: 'x'.repeat(129) }, { id: 5 }, { id: null }, 'a', ['id'], null];
    for (const record of bad) {
      expect(await pub.request({ type: 'publish', channel, upsert: [record] })).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    }
    for (const id of ['', 'x'.repeat(129)]) {
      expect(await pub.request({ type: 'publish', channel, delete: [id] })).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    }
    expect(await pub.request({ type: 'publish', channel, delete: [5] })).toMatchObject({ ok: false });
    const ok = await publishOk(pub, channel, { upsert: [{ id: 'x'.repeat(128) }, { id: 'é ü/#' }] });
    expect(ok.seq).toBe(1);
    expect(byId((await snapshotOf(channel)).records)).toEqual({ ['x'.repeat(128)]: { id: 'x'.repeat(128) }, 'é ü/#': { id: 'é ü/#' } });
  });

  it('applies upserts as JSON Merge Patches by id, creating records when absent', async () => {
    const channel = fresh();
    await publishOk(pub, channel, {
      upsert: [{ id: 'q1', waiting: 12, sla: 'ok', meta: { org: 'o1', dept: { name: 'd1', floor: 2 } }, tags: ['a', 'b'], gone: null }],
    });
    expect((await snapshotOf(channel)).records).toEqual([
      { id: 'q1', waiting: 12, sla: 'ok', meta: { org: 'o1', dept: { name: 'd1', floor: 2 } }, tags: ['a', 'b'] },
    ]);

    await publishOk(pub, channel, {
      upsert: [{ id: 'q1', waiting: 14, sla: null, meta: { dept: { floor: null, wing: 'W' }, region: 'eu' }, tags: ['c'], extra: { deep: { x: null, y: 1 } } }],
    });
    expect((await snapshotOf(channel)).records).toEqual([
      { id: 'q1', waiting: 14, meta: { org: 'o1', dept: { name: 'd1', wing: 'W' }, region: 'eu' }, tags: ['c'], extra: { deep: { y: 1 } } },
    ]);

    // A scalar replaces an object and an object replaces a scalar; arrays keep their nulls.
    await publishOk(pub, channel, { upsert: [{ id: 'q1', meta: 'flat', waiting: { now: 1 }, tags: [null, 1] }] });
    expect((await snapshotOf(channel)).records).toEqual([
      { id: 'q1', waiting: { now: 1 }, meta: 'flat', tags: [null, 1], extra: { deep: { y: 1 } } },
    ]);

    // Over HTTP the same state is visible.
    const res = await http(server.url, 'GET', `/api/channels/${channel}/snapshot`);
    expect(res.body.records).toEqual((await snapshotOf(channel)).records);
  });

  it('sends subscribers the merge patch of what changed, with null for removed fields', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 12, sla: 'ok', meta: { a: 1, b: 2 } }] });
    const client = await TestClient.connect(server.wsUrl);
    const { first } = await subscribe(client, channel, {}, 50);
    expect(first.records).toEqual([{ id: 'q1', waiting: 12, sla: 'ok', meta: { a: 1, b: 2 } }]);
    await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 14, sla: null, meta: { b: 3 } }] });
    const delta = await client.next((m) => m.type === 'delta');
    expect(delta.upsert).toEqual([{ id: 'q1', waiting: 14, sla: null, meta: { b: 3 } }]);
    // An upsert that changes nothing takes a seq but sends no record change.
    const noop = await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 14 }] });
    expect(noop.seq).toBe(3);
    expect(await client.nothing((m) => m.type === 'delta', 150)).toBe(true);
    await publishOk(pub, channel, { upsert: [{ id: 'q2', n: 1, skip: null }] });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ prevSeq: 2, seq: 4, upsert: [{ id: 'q2', n: 1 }] });
    await client.close();
  });

  it('deletes records by id and ignores ids that do not exist', async () => {
    const channel = fresh();
    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel, {}, 50);
    await publishOk(pub, channel, { upsert: [{ id: 'a' }, { id: 'b' }] });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ seq: 1 });

    const ghost = await publishOk(pub, channel, { delete: ['ghost'] });
    expect(ghost.seq).toBe(2);
    expect(byId((await snapshotOf(channel)).records)).toEqual({ a: { id: 'a' }, b: { id: 'b' } });

    const real = await publishOk(pub, channel, { delete: ['a', 'ghost2'] });
    expect(real.seq).toBe(3);
    const delta = await client.next((m) => m.type === 'delta');
    // The ghost deletion changed nothing visible, so no delta was sent for seq 2.
    expect(delta).toMatchObject({ prevSeq: 1, seq: 3, delete: ['a'] });
    expect((await snapshotOf(channel)).records).toEqual([{ id: 'b' }]);
    // Re-creating a deleted id starts from nothing.
    await publishOk(pub, channel, { upsert: [{ id: 'a', fresh: true }] });
    expect((await client.next((m) => m.type === 'delta')).upsert).toEqual([{ id: 'a', fresh: true }]);
    expect(byId((await snapshotOf(channel)).records).a).toEqual({ id: 'a', fresh: true });
    await client.close();
  });
});

describe('events', () => {
  it('stamps each event with its publish seq and ts, defaulting priority to normal', async () => {
    const channel = fresh();
    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel, {}, 50);
    await publishOk(pub, channel, { upsert: [{ id: 'x' }] });
    const before = Date.now();
    const reply = await publishOk(pub, channel, {
      events: [
        { type: 'alert.sla', priority: 'high', data: { queue: 'q1' } },
        { type: 'note' },
        { type: 'crit', priority: 'low', data: [1, 'two', null] },
      ],
    });
    const after = Date.now();
    expect(reply.seq).toBe(2);
    const delta = await client.next((m) => m.type === 'delta' && m.seq === 2);
    expect(delta.events).toEqual([
      { seq: 2, ts: expect.any(Number), type: 'alert.sla', priority: 'high', data: { queue: 'q1' } },
      { seq: 2, ts: expect.any(Number), type: 'note', priority: 'normal' },
      { seq: 2, ts: expect.any(Number), type: 'crit', priority: 'low', data: [1, 'two', null] },
    ]);
    for (const event of delta.events) {
      expect(event.ts).toBeGreaterThanOrEqual(before);
      expect(event.ts).toBeLessThanOrEqual(after);
    }
    // Events are transient: they change no record, but a snapshot lists the recent ones.
    const snapshot = await snapshotOf(channel);
    expect(snapshot.records).toEqual([{ id: 'x' }]);
    expect(snapshot.events).toEqual(delta.events);
    await client.close();
  });

  it('refuses events of the wrong shape', async () => {
    const channel = fresh();
    const bad = [{ priority: 'high' }, { type: '' }, { type: 5 }, { type: 'x', priority: 'urgent' }, { type: 'x', priority: 3 }, 'alert'];
    for (const event of bad) {
      expect(await pub.request({ type: 'publish', channel, events: [event] })).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    }
    expect((await publishOk(pub, channel, { events: [{ type: 'ok' }] })).seq).toBe(1);
  });
});

describe('seq', () => {
  it('gives publishes 1, 2, 3 per channel, each channel counting on its own', async () => {
    const a = fresh();
    const b = fresh();
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) seqs.push((await publishOk(pub, a, { upsert: [{ id: 'r', i }] })).seq);
    const other = await publishOk(pub, b, { events: [{ type: 'x' }] });
    seqs.push((await publishOk(pub, a, { delete: ['r'] })).seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(other).toMatchObject({ channel: b, seq: 1, epoch: expect.any(String) });
  });

  it('refuses an empty publish or one naming an id both ways, without consuming a seq', async () => {
    const channel = fresh();
    expect((await publishOk(pub, channel, { upsert: [{ id: 'a' }] })).seq).toBe(1);
    const refused: Array<Record<string, unknown>> = [
      {},
      { upsert: [] },
      { upsert: [], delete: [], events: [] },
      { upsert: [{ id: 'a', v: 1 }], delete: ['a'] },
      { upsert: [{ id: 'b' }, { id: 'c' }], delete: ['x', 'c'], events: [{ type: 'e' }] },
    ];
    for (const body of refused) {
      expect(await pub.request({ type: 'publish', channel, ...body })).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
      const res = await http(server.url, 'POST', `/api/channels/${channel}/publish`, { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_MESSAGE');
    }
    // Nothing of the refused publishes was applied.
    expect((await snapshotOf(channel)).records).toEqual([{ id: 'a' }]);
    expect((await publishOk(pub, channel, { upsert: [{ id: 'a' }] })).seq).toBe(2);
  });

  it('applies a publish atomically: one seq and one delta for upserts, deletes and events together', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'old' }] });
    const client = await TestClient.connect(server.wsUrl);
    await subscribe(client, channel, {}, 50);
    const reply = await publishOk(pub, channel, { upsert: [{ id: 'n1', v: 1 }, { id: 'n2', v: 2 }], delete: ['old'], events: [{ type: 'e' }] });
    expect(reply.seq).toBe(2);
    const delta = await client.next((m) => m.type === 'delta');
    expect(delta).toMatchObject({ prevSeq: 1, seq: 2, upsert: [{ id: 'n1', v: 1 }, { id: 'n2', v: 2 }], delete: ['old'], events: [{ seq: 2, type: 'e' }] });
    await client.close();
  });

  it('gives a never-published channel seq 0, no records, and an epoch that stays the same', async () => {
    const channel = fresh('never');
    const client = await TestClient.connect(server.wsUrl);
    const { first } = await subscribe(client, channel, {}, 50);
    expect(first).toEqual({ type: 'snapshot', channel, epoch: expect.any(String), seq: 0, records: [], events: [], gap: false });
    const again = await client.request({ type: 'resync', channel });
    expect(again.ok).toBe(true);
    expect(await client.next((m) => m.type === 'snapshot')).toMatchObject({ epoch: first.epoch, seq: 0 });
    const res = await http(server.url, 'GET', `/api/channels/${channel}/snapshot`);
    expect(res.body).toEqual({ channel, epoch: first.epoch, seq: 0, records: [], events: [] });
    // Its first publish continues the same lineage.
    const reply = await publishOk(pub, channel, { upsert: [{ id: 'a' }] });
    expect(reply).toMatchObject({ epoch: first.epoch, seq: 1 });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ epoch: first.epoch, prevSeq: 0, seq: 1 });
    await client.close();
  });
});

import { MemoryEngine } from '@/lib/engine/memory';
import type { Commit, EngineOptions, Recovery } from '@/lib/engine/types';
import type { ChannelRecord, PublishInput } from '@/lib/protocol/messages';

const T0 = 1_767_225_600_000;
const WIDE: EngineOptions = { historySize: 1000, historyTtlMs: 300_000 };

/** An engine on a hand-driven clock. */
function engineAt(options: EngineOptions = WIDE) {
  const clock = { now: T0 };
  const engine = new MemoryEngine(options, () => clock.now);
  return { engine, clock };
}

const rec = (id: string, fields: Record<string, unknown> = {}) => ({ id, ...fields }) as ChannelRecord;
const upsert = (...records: ChannelRecord[]): PublishInput => ({ upsert: records });

function ok(recovery: Recovery): Extract<Recovery, { ok: true }> {
  if (!recovery.ok) throw new Error(`expected a recovery, got ${JSON.stringify(recovery)}`);
  return recovery;
}

const byId = (records: ChannelRecord[]) => [...records].sort((a, b) => a.id.localeCompare(b.id));

/** The store of one channel, to check what the engine keeps in memory. */
function tombstonesOf(engine: MemoryEngine, tenant: string, channel: string): Map<string, number> {
  const stores = (engine as unknown as { channelStores: Map<string, Map<string, { tombstones: Map<string, number> }>> })
    .channelStores;
  return stores.get(tenant)!.get(channel)!.tombstones;
}

describe('MemoryEngine: seq and epoch', () => {
  it('numbers publishes 1, 2, 3 per channel', async () => {
    const { engine } = engineAt();
    const seqs = [];
    for (let i = 0; i < 3; i++) seqs.push((await engine.publish('acme', 'kpi', upsert(rec('q1', { n: i })))).seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect((await engine.snapshot('acme', 'kpi')).seq).toBe(3);
  });

  it('keeps seq independent per tenant and per channel', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    await engine.publish('acme', 'kpi', upsert(rec('b')));
    expect((await engine.publish('acme', 'fleet', upsert(rec('a')))).seq).toBe(1);
    expect((await engine.publish('globex', 'kpi', upsert(rec('a')))).seq).toBe(1);
    expect((await engine.publish('acme', 'kpi', upsert(rec('c')))).seq).toBe(3);

    const globex = await engine.snapshot('globex', 'kpi');
    expect(globex.records.map((r) => r.id)).toEqual(['a']);
  });

  it('has one epoch per engine, stable across publishes and channels, and a new one per engine', async () => {
    const { engine } = engineAt();
    const first = await engine.publish('acme', 'kpi', upsert(rec('a')));
    const second = await engine.publish('globex', 'other', upsert(rec('a')));
    expect(first.epoch).toBe(engine.epoch);
    expect(second.epoch).toBe(engine.epoch);
    expect((await engine.snapshot('acme', 'never')).epoch).toBe(engine.epoch);
    expect(engine.epoch).toMatch(/^e_/);

    const other = engineAt().engine;
    expect(other.epoch).not.toBe(engine.epoch);
  });
});

describe('MemoryEngine: records', () => {
  it('creates a record from its first upsert, without null members', async () => {
    const { engine } = engineAt();
    const commit = await engine.publish('acme', 'kpi', upsert(rec('q1', { waiting: 3, gone: null, nested: { a: 1, b: null } })));
    expect(commit.changes).toEqual([{ id: 'q1', before: undefined, after: { id: 'q1', waiting: 3, nested: { a: 1 } } }]);
    expect((await engine.snapshot('acme', 'kpi')).records).toEqual([{ id: 'q1', waiting: 3, nested: { a: 1 } }]);
  });

  it('applies upserts as merge patches: null removes, objects merge, arrays replace', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('q1', { waiting: 3, sla: 'ok', geo: { lat: 1, lon: 2 }, tags: ['a', 'b'] })));
    const commit = await engine.publish('acme', 'kpi', upsert(rec('q1', { sla: null, geo: { lon: 5, alt: 9 }, tags: ['c'] })));
    const expected = { id: 'q1', waiting: 3, geo: { lat: 1, lon: 5, alt: 9 }, tags: ['c'] };
    expect(commit.changes).toEqual([
      { id: 'q1', before: { id: 'q1', waiting: 3, sla: 'ok', geo: { lat: 1, lon: 2 }, tags: ['a', 'b'] }, after: expected },
    ]);
    expect((await engine.snapshot('acme', 'kpi')).records).toEqual([expected]);
  });

  it('deletes existing records and ignores unknown ids', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1 }), rec('b', { v: 2 })));
    const commit = await engine.publish('acme', 'kpi', { delete: ['a', 'nope'] });
    expect(commit.seq).toBe(2);
    expect(commit.changes).toEqual([{ id: 'a', before: { id: 'a', v: 1 }, after: undefined }]);
    expect((await engine.snapshot('acme', 'kpi')).records).toEqual([{ id: 'b', v: 2 }]);
  });

  it('takes a seq for an upsert that changes nothing, with no change entry', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1, o: { x: 1 } })));
    const commit = await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1, o: { x: 1 }, missing: null })));
    expect(commit.seq).toBe(2);
    expect(commit.changes).toEqual([]);
    const deleteUnknown = await engine.publish('acme', 'kpi', { delete: ['ghost'] });
    expect(deleteUnknown.seq).toBe(3);
    expect(deleteUnknown.changes).toEqual([]);
  });

  it('reports before and after for every change of one publish, upserts then deletes', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1 }), rec('b', { v: 2 })));
    const commit = await engine.publish('acme', 'kpi', { upsert: [rec('a', { v: 10 }), rec('c', { v: 3 })], delete: ['b'] });
    expect(commit).toMatchObject({ tenant: 'acme', channel: 'kpi', epoch: engine.epoch, seq: 2, ts: T0 });
    expect(commit.changes).toEqual([
      { id: 'a', before: { id: 'a', v: 1 }, after: { id: 'a', v: 10 } },
      { id: 'c', before: undefined, after: { id: 'c', v: 3 } },
      { id: 'b', before: { id: 'b', v: 2 }, after: undefined },
    ]);
  });

  it('never mutates a stored record: later patches replace it', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1, geo: { lat: 1, lon: 2 }, tags: ['x'] })));
    const held = (await engine.snapshot('acme', 'kpi')).records[0];
    const heldGeo = held.geo;
    const copy = structuredClone(held);

    const commit = await engine.publish('acme', 'kpi', upsert(rec('a', { v: 2, geo: { lat: null, lon: 3 }, tags: ['y'] })));
    await engine.publish('acme', 'kpi', upsert(rec('a', { extra: true })));
    await engine.publish('acme', 'kpi', { delete: ['a'] });

    expect(held).toEqual(copy);
    expect(heldGeo).toEqual({ lat: 1, lon: 2 });
    expect(commit.changes[0].before).toBe(held);
    expect(commit.changes[0].before).toEqual(copy);
    expect(commit.changes[0].after).toEqual({ id: 'a', v: 2, geo: { lon: 3 }, tags: ['y'] });
  });
});

describe('MemoryEngine: events', () => {
  it('stamps events with the publish seq and ts, priority normal by default', async () => {
    const { engine, clock } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    clock.now = T0 + 42;
    const commit = await engine.publish('acme', 'kpi', {
      events: [
        { type: 'alert.sla', data: { queue: 'q1' } },
        { type: 'alert.down', priority: 'critical' },
      ],
    });
    expect(commit.events).toEqual([
      { seq: 2, ts: T0 + 42, type: 'alert.sla', priority: 'normal', data: { queue: 'q1' } },
      { seq: 2, ts: T0 + 42, type: 'alert.down', priority: 'critical' },
    ]);
    expect(commit.events[1]).not.toHaveProperty('data');
    expect((await engine.snapshot('acme', 'kpi')).events).toEqual(commit.events);
  });
});

describe('MemoryEngine: since', () => {
  it('returns current versions of records changed after the position, deletions and later events', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1 }), rec('b', { v: 1 }), rec('c', { v: 1 }))); // 1
    await engine.publish('acme', 'kpi', { upsert: [rec('a', { v: 2 })], events: [{ type: 'e2' }] }); // 2
    await engine.publish('acme', 'kpi', { delete: ['b'], events: [{ type: 'e3' }] }); // 3
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 4 }), rec('d', { v: 4 }))); // 4

    const from1 = ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 }));
    expect(from1.seq).toBe(4);
    expect(from1.epoch).toBe(engine.epoch);
    expect(byId(from1.records)).toEqual([
      { id: 'a', v: 4 },
      { id: 'd', v: 4 },
    ]);
    expect(from1.deleted).toEqual(['b']);
    expect(from1.events.map((e) => [e.type, e.seq])).toEqual([
      ['e2', 2],
      ['e3', 3],
    ]);

    const from3 = ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 3 }));
    expect(byId(from3.records)).toEqual([
      { id: 'a', v: 4 },
      { id: 'd', v: 4 },
    ]);
    expect(from3.deleted).toEqual([]);
    expect(from3.events).toEqual([]);

    const from0 = ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 0 }));
    expect(byId(from0.records).map((r) => r.id)).toEqual(['a', 'c', 'd']);
    expect(from0.deleted).toEqual(['b']);
  });

  it('answers the current position with nothing', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', { upsert: [rec('a')], events: [{ type: 'x' }] });
    expect(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 })).toEqual({
      ok: true,
      epoch: engine.epoch,
      seq: 1,
      records: [],
      deleted: [],
      events: [],
    });
  });

  it('lists a deleted then re-created record only among the records', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1 })));
    await engine.publish('acme', 'kpi', { delete: ['a'] });
    await engine.publish('acme', 'kpi', upsert(rec('a', { w: 2 })));
    const recovery = ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 }));
    expect(recovery.records).toEqual([{ id: 'a', w: 2 }]);
    expect(recovery.deleted).toEqual([]);

    // Deleted again: now only among the deletions.
    await engine.publish('acme', 'kpi', { delete: ['a'] });
    const again = ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 }));
    expect(again.records).toEqual([]);
    expect(again.deleted).toEqual(['a']);
  });

  it('refuses a position older than the history size', async () => {
    const { engine } = engineAt({ historySize: 3, historyTtlMs: 300_000 });
    for (let i = 1; i <= 5; i++) await engine.publish('acme', 'kpi', upsert(rec('a', { v: i })));
    // Publishes 3, 4, 5 are held: positions 2..5 can be answered, 0 and 1 cannot.
    expect(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 })).toEqual({ ok: false, epoch: engine.epoch, seq: 5 });
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 0 })).ok).toBe(false);
    expect(ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 2 })).records).toEqual([{ id: 'a', v: 5 }]);
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 5 })).ok).toBe(true);
  });

  it('keeps only events still in the history window', async () => {
    const { engine } = engineAt({ historySize: 2, historyTtlMs: 300_000 });
    for (let i = 1; i <= 4; i++) await engine.publish('acme', 'kpi', { events: [{ type: `e${i}` }] });
    expect((await engine.snapshot('acme', 'kpi')).events.map((e) => e.type)).toEqual(['e3', 'e4']);
    expect(ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 2 })).events.map((e) => e.type)).toEqual(['e3', 'e4']);
  });

  it('drops publishes older than the TTL, measured on the injected clock', async () => {
    const { engine, clock } = engineAt({ historySize: 1000, historyTtlMs: 1000 });
    await engine.publish('acme', 'kpi', upsert(rec('a', { v: 1 }))); // seq 1 at T0
    clock.now = T0 + 500;
    await engine.publish('acme', 'kpi', { upsert: [rec('a', { v: 2 })], events: [{ type: 'e2' }] }); // seq 2 at T0+500
    clock.now = T0 + 1000;
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 0 })).ok).toBe(true); // exactly TTL old: kept

    clock.now = T0 + 1001;
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 0 })).ok).toBe(false);
    expect(ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 })).records).toEqual([{ id: 'a', v: 2 }]);

    // Time passing without publishes expires history too.
    clock.now = T0 + 1600;
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 })).ok).toBe(false);
    expect(ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 2 })).events).toEqual([]);
    expect((await engine.snapshot('acme', 'kpi')).events).toEqual([]);
    expect((await engine.snapshot('acme', 'kpi')).records).toEqual([{ id: 'a', v: 2 }]);
  });

  it('refuses a position ahead of the channel', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    expect(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 2 })).toEqual({ ok: false, epoch: engine.epoch, seq: 1 });
    expect(await engine.since('acme', 'never', { epoch: engine.epoch, seq: 1 })).toEqual({ ok: false, epoch: engine.epoch, seq: 0 });
  });

  it('refuses a position from another epoch', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    const other = engineAt().engine;
    expect(await engine.since('acme', 'kpi', { epoch: other.epoch, seq: 0 })).toEqual({ ok: false, epoch: engine.epoch, seq: 1 });
    expect(await engine.since('acme', 'kpi', { epoch: other.epoch, seq: 1 })).toEqual({ ok: false, epoch: engine.epoch, seq: 1 });
  });

  it('answers an unknown channel at seq 0 without creating it', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    expect(await engine.since('acme', 'never', { epoch: engine.epoch, seq: 0 })).toEqual({
      ok: true,
      epoch: engine.epoch,
      seq: 0,
      records: [],
      deleted: [],
      events: [],
    });
    expect(await engine.snapshot('acme', 'never')).toEqual({ epoch: engine.epoch, seq: 0, records: [], events: [] });
    expect(await engine.snapshot('nobody', 'never')).toEqual({ epoch: engine.epoch, seq: 0, records: [], events: [] });
    expect((await engine.channels('acme')).map((c) => c.channel)).toEqual(['kpi']);
    expect(await engine.channels('nobody')).toEqual([]);
  });

  it('prunes tombstones once their deletion leaves the window', async () => {
    const { engine } = engineAt({ historySize: 2, historyTtlMs: 300_000 });
    await engine.publish('acme', 'kpi', upsert(rec('a'), rec('b'), rec('c'))); // 1
    await engine.publish('acme', 'kpi', { delete: ['a'] }); // 2
    await engine.publish('acme', 'kpi', { delete: ['b'] }); // 3
    expect([...tombstonesOf(engine, 'acme', 'kpi').keys()]).toEqual(['a', 'b']);
    expect(ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 })).deleted).toEqual(['a', 'b']);

    await engine.publish('acme', 'kpi', { events: [{ type: 'x' }] }); // 4: publish 2 leaves the window
    expect([...tombstonesOf(engine, 'acme', 'kpi').keys()]).toEqual(['b']);
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 })).ok).toBe(false);
    expect(ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 2 })).deleted).toEqual(['b']);

    await engine.publish('acme', 'kpi', { events: [{ type: 'y' }] }); // 5
    expect(tombstonesOf(engine, 'acme', 'kpi').size).toBe(0);
  });

  it('prunes tombstones when they expire by TTL', async () => {
    const { engine, clock } = engineAt({ historySize: 1000, historyTtlMs: 1000 });
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    await engine.publish('acme', 'kpi', { delete: ['a'] });
    expect(tombstonesOf(engine, 'acme', 'kpi').size).toBe(1);
    clock.now = T0 + 5000;
    expect(ok(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 2 })).deleted).toEqual([]);
    expect(tombstonesOf(engine, 'acme', 'kpi').size).toBe(0);
  });

  it('drops the tombstone of a re-created record', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    await engine.publish('acme', 'kpi', { delete: ['a'] });
    await engine.publish('acme', 'kpi', upsert(rec('a')));
    expect(tombstonesOf(engine, 'acme', 'kpi').size).toBe(0);
  });
});

describe('MemoryEngine: channels and listeners', () => {
  it('lists the channels of a tenant with seq and record count', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a'), rec('b')));
    await engine.publish('acme', 'kpi', { delete: ['a'] });
    await engine.publish('acme', 'fleet', { events: [{ type: 'x' }] });
    await engine.publish('globex', 'kpi', upsert(rec('z')));
    const channels = await engine.channels('acme');
    expect([...channels].sort((x, y) => x.channel.localeCompare(y.channel))).toEqual([
      { channel: 'fleet', seq: 1, records: 0 },
      { channel: 'kpi', seq: 2, records: 1 },
    ]);
    expect(await engine.channels('globex')).toEqual([{ channel: 'kpi', seq: 1, records: 1 }]);
  });

  it('emits every commit to onCommit listeners, in order, until disposed', async () => {
    const { engine } = engineAt();
    const seen: Commit[] = [];
    const other: number[] = [];
    const dispose = engine.onCommit((commit) => seen.push(commit));
    engine.onCommit((commit) => other.push(commit.seq));
    const returned = [];
    returned.push(await engine.publish('acme', 'kpi', upsert(rec('a'))));
    returned.push(await engine.publish('acme', 'kpi', { delete: ['a'] }));
    returned.push(await engine.publish('acme', 'fleet', { events: [{ type: 'x' }] }));
    expect(seen).toEqual(returned);
    expect(seen[0]).toBe(returned[0]);
    expect(seen.map((c) => `${c.channel}:${c.seq}`)).toEqual(['kpi:1', 'kpi:2', 'fleet:1']);
    expect(other).toEqual([1, 2, 1]);

    dispose();
    await engine.publish('acme', 'kpi', upsert(rec('b')));
    expect(seen).toHaveLength(3);
    expect(other).toEqual([1, 2, 1, 3]);
  });

  it('calls listeners synchronously, before publish resolves', async () => {
    const { engine } = engineAt();
    const order: string[] = [];
    engine.onCommit(() => order.push('listener'));
    const promise = engine.publish('acme', 'kpi', upsert(rec('a')));
    order.push('returned');
    await promise;
    expect(order).toEqual(['listener', 'returned']);
  });
});

describe('MemoryEngine: a publish is atomic', () => {
  /** A record nested far deeper than any recursion can follow (built iteratively). */
  function deepRecord(id: string, depth: number): ChannelRecord {
    let value: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < depth; i++) value = { a: value };
    return { id, deep: value } as unknown as ChannelRecord;
  }

  it('stores nothing, takes no seq and emits nothing when a later record cannot be merged', async () => {
    const { engine } = engineAt();
    const commits: Commit[] = [];
    engine.onCommit((commit) => commits.push(commit));
    expect(() => engine.publishSync('acme', 'kpi', upsert(rec('first', { v: 1 }), deepRecord('second', 100_000)))).toThrow(RangeError);

    expect(await engine.snapshot('acme', 'kpi')).toEqual({ epoch: engine.epoch, seq: 0, records: [], events: [] });
    expect(await engine.channels('acme')).toEqual([]);
    expect(commits).toEqual([]);
    expect((await engine.publish('acme', 'kpi', upsert(rec('first', { v: 1 })))).seq).toBe(1);
  });

  it('leaves an existing channel as it was: records, deletions, events, seq', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', { upsert: [rec('a', { v: 1 }), rec('b', { v: 1 })], events: [{ type: 'e1' }] });
    const before = await engine.snapshot('acme', 'kpi');

    // The upsert and the deletion are computed, then the event cannot be serialized.
    const failing = { upsert: [rec('a', { v: 2 })], delete: ['b'], events: [{ type: 'e2', data: { n: 1n } as never }] };
    expect(() => engine.publishSync('acme', 'kpi', failing)).toThrow(TypeError);
    expect(await engine.snapshot('acme', 'kpi')).toEqual(before);
    expect(await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 1 })).toEqual({
      ok: true,
      epoch: engine.epoch,
      seq: 1,
      records: [],
      deleted: [],
      events: [],
    });
    expect(tombstonesOf(engine, 'acme', 'kpi').size).toBe(0);
  });

  it('still merges repeated upserts of one id in order, each on top of the last', async () => {
    const { engine } = engineAt();
    await engine.publish('acme', 'kpi', upsert(rec('a', { x: 1 })));
    const commit = await engine.publish('acme', 'kpi', upsert(rec('a', { y: 2 }), rec('a', { x: null, z: 3 })));
    expect(commit.changes).toEqual([
      { id: 'a', before: { id: 'a', x: 1 }, after: { id: 'a', x: 1, y: 2 } },
      { id: 'a', before: { id: 'a', x: 1, y: 2 }, after: { id: 'a', y: 2, z: 3 } },
    ]);
    expect((await engine.snapshot('acme', 'kpi')).records).toEqual([{ id: 'a', y: 2, z: 3 }]);
  });
});

describe('MemoryEngine: history byte cap', () => {
  /** An event whose data is `size` characters of text. */
  const sized = (type: string, size: number) => ({ type, data: { text: 'x'.repeat(size) } });

  it('drops the oldest publishes once their events weigh more than the cap, so resuming from before them is a gap', async () => {
    const { engine } = engineAt({ ...WIDE, historyMaxBytes: 1000 });
    const weights: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const commit = await engine.publish('acme', 'alerts', { events: [sized(`e${i}`, 200)] });
      weights.push(Buffer.byteLength(JSON.stringify(commit.events)));
    }
    // Each publish weighs its events as one JSON array; three of them fit in 1000 bytes.
    expect(weights.every((w) => w > 250 && w < 333)).toBe(true);
    expect((await engine.snapshot('acme', 'alerts')).events.map((e) => e.type)).toEqual(['e3', 'e4', 'e5']);
    expect((await engine.since('acme', 'alerts', { epoch: engine.epoch, seq: 1 })).ok).toBe(false);
    expect(ok(await engine.since('acme', 'alerts', { epoch: engine.epoch, seq: 2 })).events.map((e) => e.type)).toEqual(['e3', 'e4', 'e5']);
  });

  it('lets a publish heavier than the cap on its own leave at once: its seq stands, nothing reaches back to it', async () => {
    const { engine } = engineAt({ ...WIDE, historyMaxBytes: 1000 });
    await engine.publish('acme', 'alerts', { events: [sized('small', 10)] });
    const heavy = await engine.publish('acme', 'alerts', { events: [sized('heavy', 2000)] });
    expect(heavy.events).toHaveLength(1);
    expect(await engine.snapshot('acme', 'alerts')).toMatchObject({ seq: 2, events: [] });
    expect((await engine.since('acme', 'alerts', { epoch: engine.epoch, seq: 1 })).ok).toBe(false);
    expect(ok(await engine.since('acme', 'alerts', { epoch: engine.epoch, seq: 2 })).seq).toBe(2);
  });

  it('weighs a publish without events as `[]`, 2 bytes', async () => {
    const { engine } = engineAt({ ...WIDE, historyMaxBytes: 1024 });
    for (let i = 1; i <= 1000; i++) await engine.publish('acme', 'kpi', upsert(rec('a', { v: i })));
    // 512 publishes of 2 bytes fit: 489…1000 are kept, so 488 is the oldest position answered.
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 488 })).ok).toBe(true);
    expect((await engine.since('acme', 'kpi', { epoch: engine.epoch, seq: 487 })).ok).toBe(false);
  });

  it('drops the tombstones of the publishes it drops', async () => {
    const { engine } = engineAt({ ...WIDE, historyMaxBytes: 1000 });
    await engine.publish('acme', 'kpi', upsert(rec('a'), rec('b')));
    await engine.publish('acme', 'kpi', { delete: ['a'] });
    expect(tombstonesOf(engine, 'acme', 'kpi').size).toBe(1);
    await engine.publish('acme', 'kpi', { events: [sized('heavy', 2000)] });
    expect(tombstonesOf(engine, 'acme', 'kpi').size).toBe(0);
  });
});

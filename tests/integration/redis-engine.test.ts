/**
 * The Redis engine against the in-memory engine as the reference model, on a real
 * redis-server: the same publishes must leave the same records, seqs, history answers and
 * channel lists. The Lua scripts merge JSON as text, so the values that trip JSON libraries
 * (long floats, big integers, escapes, empty arrays and objects) are generated on purpose.
 */
import fc from 'fast-check';
import { MemoryEngine } from '@/lib/engine/memory';
import { RedisEngine } from '@/lib/engine/redis/engine';
import type { ChannelEvent, Json, PublishInput } from '@/lib/protocol';
import { RedisLink } from '@/lib/redis/link';
import { startLocalRedis, type LocalRedis } from '@/lib/redis/local-server';
import { sortById } from '../helpers/channel-mirror';

jest.setTimeout(120_000);

let redis: LocalRedis;
let link: RedisLink;
let runs = 0;

beforeAll(async () => {
  redis = await startLocalRedis();
  link = new RedisLink(redis.url);
  await link.waitUntilUp(5000);
});
afterAll(async () => {
  await link.close();
  await redis.stop();
});

async function enginePair(historySize = 50, historyTtlMs = 60_000) {
  const options = { historySize, historyTtlMs };
  const engine = new RedisEngine({ ...options, link, prefix: `e${runs++}:` });
  expect(await engine.ready(5000)).toBe(true);
  return { redis: engine, memory: new MemoryEngine(options) };
}

const withoutTs = (events: ChannelEvent[]) => events.map(({ ts: _ts, ...rest }) => rest);
/** A value as it travels as JSON (the reference keeps -0 in memory; no client ever sees it). */
const wire = <T,>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(3.141592653589793, 0.1 + 0.2, 123456789012345680, -0, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER),
  fc.string(),
  fc.constantFrom('', '"', '\\', '\\"', '{"a":1}', '[', '}', 'é✓😀', '\u0000\u001f', '\u2028'),
  fc.boolean(),
);
const value: fc.Arbitrary<Json> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), tie('object')),
  object: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x y', '"q"', 'id2', '1'), tie('value'), { maxKeys: 4 }),
})).value as fc.Arbitrary<Json>;
const ids = fc.constantFrom('r1', 'r2', 'r3', 'r"4', 'r\\5');
const publish: fc.Arbitrary<PublishInput> = fc.record(
  {
    upsert: fc.array(fc.tuple(ids, fc.dictionary(fc.constantFrom('a', 'b', 'nested', 'list', '"k"'), value, { maxKeys: 4 })).map(([id, rest]) => ({ ...rest, id })), { maxLength: 3 }),
    delete: fc.array(ids, { maxLength: 2 }),
    events: fc.array(fc.record({ type: fc.constantFrom('alert.a', 'note'), priority: fc.constantFrom('low', 'normal', 'high', 'critical' as const), data: value }, { requiredKeys: ['type'] }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<PublishInput>;

describe('RedisEngine, compared with MemoryEngine', () => {
  it('the same publishes leave the same records, seqs and history answers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(publish, { minLength: 1, maxLength: 25 }), fc.nat(), async (inputs, positionSeed) => {
        const { redis: r, memory: m } = await enginePair(10);
        for (const input of inputs) {
          const [a, b] = await Promise.all([r.publish('t', 'ch', input), m.publish('t', 'ch', input)]);
          expect(a.seq).toBe(b.seq);
          expect(a.changes).toEqual(wire(b.changes));
          expect(withoutTs(a.events)).toEqual(wire(withoutTs(b.events)));
        }
        const [rs, ms] = await Promise.all([r.snapshot('t', 'ch'), m.snapshot('t', 'ch')]);
        expect(rs.seq).toBe(ms.seq);
        expect(sortById(rs.records)).toEqual(wire(sortById(ms.records)));
        expect(withoutTs(rs.events)).toEqual(wire(withoutTs(ms.events)));

        const from = positionSeed % (inputs.length + 1);
        const [rr, mr] = await Promise.all([r.since('t', 'ch', { epoch: rs.epoch, seq: from }), m.since('t', 'ch', { epoch: ms.epoch, seq: from })]);
        expect(rr.ok).toBe(mr.ok);
        if (rr.ok && mr.ok) {
          expect(sortById(rr.records)).toEqual(wire(sortById(mr.records)));
          expect([...rr.deleted].sort()).toEqual([...mr.deleted].sort());
          expect(withoutTs(rr.events)).toEqual(wire(withoutTs(mr.events)));
        }
        expect(await r.channels('t')).toEqual(await m.channels('t'));
        await r.close();
      }),
      { numRuns: 150 },
    );
  });

  it('keeps values exactly, through the Lua merge', async () => {
    const { redis: r } = await enginePair();
    const record = { id: 'x', pi: 3.141592653589793, sum: 0.1 + 0.2, big: 123456789012345680, tiny: 5e-324, empty: [], none: {}, text: 'a "quoted" \\ line\nbreak ✓' };
    await r.publish('t', 'exact', { upsert: [record] });
    await r.publish('t', 'exact', { upsert: [{ id: 'x', none: { inner: [] } }] });
    const { records } = await r.snapshot('t', 'exact');
    expect(records).toEqual([{ ...record, none: { inner: [] } }]);
    await r.close();
  });

  it('answers a position older than the history window with ok: false, like the reference', async () => {
    const { redis: r, memory: m } = await enginePair(3);
    for (let i = 0; i < 6; i++) {
      await r.publish('t', 'w', { upsert: [{ id: `k${i}`, i }] });
      await m.publish('t', 'w', { upsert: [{ id: `k${i}`, i }] });
    }
    const epoch = (await r.snapshot('t', 'w')).epoch;
    for (const seq of [0, 2, 3, 4, 6, 7]) {
      const [rr, mr] = await Promise.all([r.since('t', 'w', { epoch, seq }), m.since('t', 'w', { epoch: m.epoch, seq })]);
      expect({ seq, ok: rr.ok }).toEqual({ seq, ok: mr.ok });
    }
    expect((await r.since('t', 'w', { epoch: 'e_other', seq: 6 })).ok).toBe(false);
    await r.close();
  });

  it('shares concurrent reads of one channel, but never one that began before a publish', async () => {
    const { redis: r } = await enginePair();
    await r.publish('t', 'storm', { upsert: [{ id: 'a', v: 1 }] });
    const { default: Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    const scripts = async () => {
      const stats = await raw.info('commandstats');
      return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await scripts();
    const states = await Promise.all(Array.from({ length: 50 }, () => r.snapshot('t', 'storm')));
    expect(await scripts()).toBe(before + 1);
    expect(new Set(states).size).toBe(1);

    const early = r.snapshot('t', 'storm');
    await r.publish('t', 'storm', { upsert: [{ id: 'a', v: 2 }] });
    const late = await r.snapshot('t', 'storm');
    expect(late.records).toEqual([{ id: 'a', v: 2 }]);
    expect((await early).seq).toBeLessThanOrEqual(late.seq);
    await raw.quit();
    await r.close();
  });

  it('lets history expire by age', async () => {
    const { redis: r } = await enginePair(100, 150);
    await r.publish('t', 'ttl', { upsert: [{ id: 'a' }], events: [{ type: 'note' }] });
    const { epoch } = await r.snapshot('t', 'ttl');
    expect((await r.since('t', 'ttl', { epoch, seq: 0 })).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await r.since('t', 'ttl', { epoch, seq: 0 })).ok).toBe(false);
    expect((await r.since('t', 'ttl', { epoch, seq: 1 })).ok).toBe(true);
    expect((await r.snapshot('t', 'ttl')).events).toEqual([]);
    await r.close();
  });
});

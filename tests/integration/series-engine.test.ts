/**
 * Series (docs/protocol.md §13) in both engines, on a real redis-server for the Redis one:
 * after any burst of publishes the series equal a reference computed from the commits;
 * windows trim and the points cap holds; on Redis the series outlive the instance that wrote
 * them (and a Redis restart with persistence), and a new spec starts them afresh.
 */
import fc from 'fast-check';
import Redis from 'ioredis';
import { MemoryEngine } from '@/lib/engine/memory';
import { bucketOf, type SeriesData, type SeriesRequest } from '@/lib/engine/series';
import { seriesLookup, type SeriesSpec } from '@/lib/engine/series-spec';
import type { Commit, Engine, Recovery } from '@/lib/engine/types';
import type { ChannelRecord, Json, PublishInput } from '@/lib/protocol';
import { RedisEngine } from '@/lib/redis/engine';
import { KeyLayout } from '@/lib/redis/keys';
import { RedisLink } from '@/lib/redis/link';
import { startLocalRedis, type LocalRedis } from '@/scripts/lib/local-redis';
import { sleep } from '../helpers/http';
import { referenceRecords } from '../helpers/series-reference';

jest.setTimeout(120_000);

let redis: LocalRedis;
let link: RedisLink;
let raw: Redis;
let runs = 0;

beforeAll(async () => {
  redis = await startLocalRedis();
  link = new RedisLink(redis.url);
  await link.waitUntilUp(5000);
  raw = new Redis(redis.url);
});
afterAll(async () => {
  raw.disconnect();
  await link.close();
  await redis.stop();
});

type Kind = 'memory' | 'redis';

interface Made {
  engine: Engine;
  prefix: string;
  /** Points reserved now: the engine's budget, or the Redis counter. */
  points(): Promise<number>;
}

async function makeEngine(kind: Kind, spec: SeriesSpec, options: { seriesMaxPoints?: number; prefix?: string; link?: RedisLink } = {}): Promise<Made> {
  const series = seriesLookup([{ channel: 'kpi', series: spec }]);
  const base = { historySize: 1000, historyTtlMs: 600_000, series, seriesMaxPoints: options.seriesMaxPoints };
  const prefix = options.prefix ?? `s${runs++}:`;
  if (kind === 'memory') {
    const engine = new MemoryEngine(base);
    return { engine, prefix, points: async () => engine.seriesPoints.used };
  }
  const engine = new RedisEngine({ ...base, link: options.link ?? link, prefix });
  expect(await engine.ready(5000)).toBe(true);
  return { engine, prefix, points: async () => Number((await raw.get(new KeyLayout(prefix).seriesPoints)) ?? 0) };
}

/** A value as it travels as JSON. */
const wire = <T,>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The commits' records after each publish, for the reference. */
function statesOf(commits: Commit[]): Array<{ ts: number; state: Map<string, ChannelRecord> }> {
  const state = new Map<string, ChannelRecord>();
  return commits.map((commit) => {
    for (const change of commit.changes) {
      if (change.after) state.set(change.id, change.after);
      else state.delete(change.id);
    }
    return { ts: commit.ts, state: new Map(state) };
  });
}

/**
 * What a read must answer, computed from the publishes alone: per record and field, in each
 * bucket of the span, the value the last publish at or before the bucket's end left (null when
 * the record or the field was absent or not a number); records with no value left out.
 */
function reference(spec: SeriesSpec, commits: Commit[], series: SeriesData, request: SeriesRequest = {}): SeriesData {
  const publishes = statesOf(commits);
  const start = series.start / spec.resolutionMs;
  const now = series.end / spec.resolutionMs - 1;
  const fields = request.fields ? [...request.fields] : [...spec.fields];
  const keep = (id: string) => !request.records || (typeof request.records === 'function' ? request.records(id) : request.records.has(id));
  const records = referenceRecords(spec.resolutionMs, fields, publishes, start, now, keep);
  return wire({ resolutionMs: spec.resolutionMs, start: series.start, end: series.end, fields, records });
}

async function read(engine: Engine, request?: SeriesRequest): Promise<SeriesData> {
  const result = await engine.series('acme', 'kpi', request);
  if (!result) throw new Error('expected series');
  return result.series;
}

function ok(recovery: Recovery): Extract<Recovery, { ok: true }> {
  if (!recovery.ok) throw new Error('expected a recovery');
  return recovery;
}

const numberValue = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0.1 + 0.2, 123456789012345680, 5e-324, -0, 1e21, Number.MAX_SAFE_INTEGER, -1.7976931348623157e308),
);
const fieldValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: numberValue },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('12', '', 'x', true, [1], { n: 1 }) },
);
const ids = fc.constantFrom('q1', 'q2', 'q"3', 'q\\4', '__proto__');
const publishInput: fc.Arbitrary<PublishInput> = fc.record(
  {
    upsert: fc.array(
      fc.record({ id: ids, waiting: fieldValue, util: fieldValue, 'a "b"': fieldValue, other: fieldValue }, { requiredKeys: ['id'] }),
      { maxLength: 3 },
    ),
    delete: fc.array(ids, { maxLength: 1 }),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<PublishInput>;

/** 20 ms buckets over 10 buckets: a burst spans a few buckets, the pauses cross the window. */
const FAST: SeriesSpec = { fields: ['waiting', 'util', 'a "b"'], resolutionMs: 20, windowMs: 200 };

describe.each<Kind>(['memory', 'redis'])('series on the %s engine', (kind) => {
  it('equal the reference after any burst of publishes, with subsets, filters and `from`', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(publishInput, fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 70 }) })), { minLength: 1, maxLength: 25 }),
        fc.constantFrom<SeriesRequest>({}, { fields: ['util'] }, { fields: ['a "b"', 'waiting'], windowMs: 90 }, { records: new Set(['q1', 'q"3']) }, { records: (id: string) => id !== 'q1' }),
        fc.nat(),
        async (steps, request, cut) => {
          const { engine } = await makeEngine(kind, FAST);
          const commits: Commit[] = [];
          for (const [input, pause] of steps) {
            if (pause) await sleep(pause);
            commits.push(await engine.publish('acme', 'kpi', input));
          }
          const series = await read(engine, request);
          expect(wire(series)).toEqual(reference(FAST, commits, series, request));
          expect(series.end - series.start).toBe(FAST.resolutionMs * Math.min(10, Math.ceil((request.windowMs ?? 200) / 20)));

          // A recovery from any position: the buckets from its first missed publish on.
          const at = cut % commits.length;
          const recovery = ok(await engine.since('acme', 'kpi', { epoch: commits[at].epoch, seq: commits[at].seq }));
          if (at === commits.length - 1) expect(recovery.fromTs).toBeUndefined();
          else {
            expect(recovery.fromTs).toBe(commits[at + 1].ts);
            const missed = await read(engine, { from: recovery.fromTs });
            const nowBucket = missed.end / FAST.resolutionMs - 1;
            expect(missed.start).toBe(Math.max(nowBucket - 9, bucketOf(recovery.fromTs!, FAST.resolutionMs)) * FAST.resolutionMs);
            expect(wire(missed)).toEqual(reference(FAST, commits, missed));
          }
          await engine.close();
        },
      ),
      { numRuns: kind === 'redis' ? 60 : 100 },
    );
  });

  it('answers null for a channel without series, and the span alone before any publish', async () => {
    const { engine } = await makeEngine(kind, FAST);
    expect(engine.seriesSpec('acme', 'other')).toBeUndefined();
    expect(await engine.series('acme', 'other')).toBeNull();
    const empty = await engine.series('acme', 'kpi');
    expect(empty).toMatchObject({ seq: 0, series: { resolutionMs: 20, fields: FAST.fields, records: {} } });
    expect(empty!.series.end - empty!.series.start).toBe(200);
    await expect(engine.series('acme', 'kpi', { windowMs: 201 })).rejects.toThrow(RangeError);
    await engine.close();
  });

  it('carries values across the window, trims old buckets, and frees a deleted record\'s series after its window', async () => {
    const spec: SeriesSpec = { fields: ['waiting'], resolutionMs: 50, windowMs: 200 };
    const { engine, points } = await makeEngine(kind, spec);
    const commits: Commit[] = [];
    for (let i = 0; i < 6; i++) {
      commits.push(await engine.publish('acme', 'kpi', { upsert: [{ id: 'q1', waiting: i }, { id: 'q2', waiting: 10 * i }] }));
      await sleep(50);
    }
    let series = await read(engine);
    expect(series.records.q1.waiting).toHaveLength(4);
    expect(wire(series)).toEqual(reference(spec, commits, series));
    expect(series.records.q1.waiting.at(-1)).toBe(5);
    expect(await points()).toBe(2 * 4);

    commits.push(await engine.publish('acme', 'kpi', { delete: ['q2'] }));
    await sleep(300);
    series = await read(engine);
    // Unchanged for longer than the window: carried all through it.
    expect(series.records.q1.waiting).toEqual([5, 5, 5, 5]);
    expect(series.records.q2).toBeUndefined();
    // Freed by the next publish (the in-memory engine frees on reads too).
    expect(await points()).toBe(kind === 'memory' ? 4 : 2 * 4);
    commits.push(await engine.publish('acme', 'kpi', { upsert: [{ id: 'q3', note: 'x' }] }));
    expect(await points()).toBe(4);
    await engine.close();
  });

  it('holds PULSE_SERIES_MAX_POINTS: a series that would pass it is not started, and starts once room is freed', async () => {
    const spec: SeriesSpec = { fields: ['waiting', 'util'], resolutionMs: 50, windowMs: 250 };
    // 5 buckets × 2 fields = 10 points a ring: two fit in 25.
    const { engine, points } = await makeEngine(kind, spec, { seriesMaxPoints: 25 });
    await engine.publish('acme', 'kpi', { upsert: [{ id: 'q1', waiting: 1 }, { id: 'q2', waiting: 2 }, { id: 'q3', waiting: 3, util: 0.3 }] });
    expect(await points()).toBe(20);
    expect(Object.keys((await read(engine)).records).sort()).toEqual(['q1', 'q2']);
    await engine.publish('acme', 'kpi', { upsert: [{ id: 'q3', waiting: 4 }, { id: 'q1', waiting: 5 }] });
    expect((await read(engine)).records.q1.waiting.at(-1)).toBe(5);
    expect((await read(engine)).records.q3).toBeUndefined();

    await engine.publish('acme', 'kpi', { delete: ['q2'] });
    await sleep(350);
    await engine.publish('acme', 'kpi', { upsert: [{ id: 'q3', waiting: 6 }] });
    expect(await points()).toBe(20);
    // Started from the record as it is: the field the publish did not name included.
    expect((await read(engine)).records.q3.waiting.at(-1)).toBe(6);
    expect((await read(engine)).records.q3.util.at(-1)).toBe(0.3);
    await engine.close();
  });
});

describe('series on Redis', () => {
  const SPEC: SeriesSpec = { fields: ['waiting', 'util'], resolutionMs: 1000, windowMs: 60_000 };

  it('are read the same by every instance and outlive the one that wrote them', async () => {
    const writer = await makeEngine('redis', SPEC);
    const commits: Commit[] = [];
    for (let i = 0; i < 20; i++) commits.push(await writer.engine.publish('acme', 'kpi', { upsert: [{ id: `q${i % 4}`, waiting: i, util: i / 10 }] }));
    const before = await read(writer.engine);
    await writer.engine.close();

    // Another process: its own connections, nothing in memory.
    const otherLink = new RedisLink(redis.url);
    await otherLink.waitUntilUp(5000);
    const reader = await makeEngine('redis', SPEC, { prefix: writer.prefix, link: otherLink });
    const after = await read(reader.engine);
    expect(wire(after)).toEqual(reference(SPEC, commits, after));
    if (after.end === before.end) expect(after).toEqual(before);
    expect(Object.keys(after.records)).toHaveLength(4);
    await reader.engine.close();
    await otherLink.close();
  });

  it('survive a Redis restart with persistence', async () => {
    const durable = await startLocalRedis({ persistence: 'aof' });
    const durableLink = new RedisLink(durable.url);
    try {
      await durableLink.waitUntilUp(5000);
      const { engine, prefix } = await makeEngine('redis', SPEC, { link: durableLink, prefix: 'durable:' });
      const commits: Commit[] = [];
      for (let i = 0; i < 5; i++) commits.push(await engine.publish('acme', 'kpi', { upsert: [{ id: 'q1', waiting: i }] }));
      await durable.kill();
      await durable.restart();
      await durableLink.waitUntilUp(10_000);
      expect(await engine.ready(10_000)).toBe(true);
      const series = await read(engine);
      expect(wire(series)).toEqual(reference(SPEC, commits, series));
      expect(series.records.q1.waiting.at(-1)).toBe(4);
      expect(prefix).toBe('durable:');
      await engine.close();
    } finally {
      await durableLink.close();
      await durable.stop();
    }
  });

  it('start afresh under a changed spec, freeing the old rings a few per publish', async () => {
    const first = await makeEngine('redis', SPEC);
    const upserts = Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, waiting: i }));
    await first.engine.publish('acme', 'kpi', { upsert: upserts });
    expect(await first.points()).toBe(40 * 60 * 2);
    await first.engine.close();

    const changed: SeriesSpec = { fields: ['util'], resolutionMs: 1000, windowMs: 30_000 };
    const second = await makeEngine('redis', changed, { prefix: first.prefix });
    expect((await read(second.engine)).records).toEqual({});
    await second.engine.publish('acme', 'kpi', { upsert: [{ id: 'r1', util: 0.5 }] });
    // 32 of the 40 old rings freed by that publish, the 8 left by the next one.
    expect(await second.points()).toBe(8 * 120 + 30);
    await second.engine.publish('acme', 'kpi', { upsert: [{ id: 'r2', util: 0.25 }] });
    expect(await second.points()).toBe(2 * 30);
    expect(await raw.keys(`${first.prefix}*:s:1*`)).toEqual([]);
    expect(Object.keys((await read(second.engine)).records).sort()).toEqual(['r1', 'r2']);

    // A channel no longer declared frees its series too.
    const none = new RedisEngine({ historySize: 1000, historyTtlMs: 600_000, link, prefix: first.prefix });
    expect(await none.ready(5000)).toBe(true);
    expect(await none.series('acme', 'kpi')).toBeNull();
    await none.publish('acme', 'kpi', { upsert: [{ id: 'r3', util: 1 }] });
    expect(await second.points()).toBe(0);
    await second.engine.close();
    await none.close();
  });

  it('keeps a point in 8 bytes of a string allocated whole, about 9 with the allocator rounding', async () => {
    const spec: SeriesSpec = { fields: ['a', 'b', 'c', 'd', 'e'], resolutionMs: 100, windowMs: 90_000 };
    const { engine, prefix } = await makeEngine('redis', spec);
    // A ring filled over its whole window: its head moved far back (as if the record had
    // not changed for longer than the window), then a publish fills every bucket.
    await engine.publish('acme', 'kpi', { upsert: [{ id: 'q1', a: 1, b: 2, c: 3, d: 4, e: 5 }] });
    const ring = `${new KeyLayout(prefix).channel('acme', 'kpi').series}1:"q1"`;
    await raw.setrange(ring, 24, Buffer.alloc(8));
    await engine.publish('acme', 'kpi', { upsert: [{ id: 'q1', a: 2 }] });
    const bytes = Number(await raw.memory('USAGE', ring));
    const points = 900 * 5;
    expect(await raw.strlen(ring)).toBe(32 + 5 * 8 + points * 8);
    expect(bytes / points).toBeLessThan(10.5);
    await engine.close();
  });
});

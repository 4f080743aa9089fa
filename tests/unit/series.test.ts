/**
 * Series (docs/protocol.md §13) in their pure parts and in the in-memory engine, on a
 * hand-driven clock: bucketing, carry-forward, nulls, window trimming, the points cap, the
 * shape of a read, field subsets, record filters and `from`.
 */
import fc from 'fast-check';
import { MemoryEngine } from '@/lib/engine/memory';
import {
  assembleSeries,
  bucketOf,
  ChannelSeries,
  PointBudget,
  seriesRequestProblem,
  seriesRow,
  seriesSpan,
  type SeriesData,
  type SeriesRequest,
} from '@/lib/engine/series';
import { seriesLookup, type SeriesSpec } from '@/lib/engine/series-spec';
import type { EngineOptions, Recovery } from '@/lib/engine/types';
import type { ChannelRecord, PublishInput } from '@/lib/protocol/messages';
import { ConfigError, loadConfig } from '@/lib/config';
import { referenceRecords, type PublishedState } from '../helpers/series-reference';

/** A bucket boundary at 1 s resolution. */
const T0 = 1_767_225_600_000;
const SPEC: SeriesSpec = { fields: ['waiting', 'util'], resolutionMs: 1000, windowMs: 5000 };

function engineAt(spec: SeriesSpec = SPEC, options: Partial<EngineOptions> = {}) {
  const clock = { now: T0 };
  const series = seriesLookup([{ channel: 'kpi', series: spec }]);
  const engine = new MemoryEngine({ historySize: 1000, historyTtlMs: 3_600_000, series, ...options }, () => clock.now);
  const publish = (input: PublishInput) => engine.publishSync('acme', 'kpi', input);
  const read = (request?: SeriesRequest) => engine.seriesSync('acme', 'kpi', request)!.series;
  return { engine, clock, publish, read };
}

const rec = (id: string, fields: Record<string, unknown> = {}) => ({ id, ...fields }) as ChannelRecord;
const upsert = (...records: ChannelRecord[]): PublishInput => ({ upsert: records });

function ok(recovery: Recovery): Extract<Recovery, { ok: true }> {
  if (!recovery.ok) throw new Error('expected a recovery');
  return recovery;
}

describe('series: the pure parts', () => {
  it('buckets by floor(ts / resolution)', () => {
    expect(bucketOf(T0, 1000) * 1000).toBe(T0);
    expect(bucketOf(T0 + 999, 1000) * 1000).toBe(T0);
    expect(bucketOf(T0 + 1000, 1000) * 1000).toBe(T0 + 1000);
    expect(bucketOf(250, 100)).toBe(2);
  });

  it('reads a record\'s kept values as numbers, null where absent or not a number', () => {
    const row = seriesRow(rec('a', { waiting: 3, util: 'high' }), ['waiting', 'util', 'other']);
    expect(Array.from(row)).toEqual([3, NaN, NaN]);
    expect(Array.from(seriesRow(undefined, ['waiting']))).toEqual([NaN]);
    expect(Array.from(seriesRow(rec('a', { waiting: null, util: { n: 1 } }), ['waiting', 'util']))).toEqual([NaN, NaN]);
    // An inherited member is not a field of the record.
    expect(Array.from(seriesRow(rec('a'), ['toString']))).toEqual([NaN]);
  });

  it('spans the window up to the current bucket, no earlier than `from`', () => {
    const now = T0 + 12_345;
    expect(seriesSpan(SPEC, now, {})).toEqual({ start: bucketOf(T0, 1000) + 8, now: bucketOf(T0, 1000) + 12 });
    expect(seriesSpan(SPEC, now, { windowMs: 2000 })).toEqual({ start: bucketOf(T0, 1000) + 11, now: bucketOf(T0, 1000) + 12 });
    // Rounded up to whole buckets.
    expect(seriesSpan(SPEC, now, { windowMs: 1500 }).start).toBe(bucketOf(T0, 1000) + 11);
    expect(seriesSpan(SPEC, now, { from: T0 + 10_500 }).start).toBe(bucketOf(T0, 1000) + 10);
    // `from` before the window: the window; after now: the current bucket alone.
    expect(seriesSpan(SPEC, now, { from: T0 }).start).toBe(bucketOf(T0, 1000) + 8);
    expect(seriesSpan(SPEC, now, { from: T0 + 60_000 }).start).toBe(bucketOf(T0, 1000) + 12);
  });

  it('names what a request gets wrong', () => {
    expect(seriesRequestProblem(SPEC, {})).toBeUndefined();
    expect(seriesRequestProblem(SPEC, { fields: ['util'], windowMs: 5000 })).toBeUndefined();
    expect(seriesRequestProblem(SPEC, { fields: ['nope'] })).toMatch(/"nope" is not kept/);
    expect(seriesRequestProblem(SPEC, { fields: ['util', 'util'] })).toMatch(/named twice/);
    expect(seriesRequestProblem(SPEC, { fields: [] })).toMatch(/at least one/);
    expect(seriesRequestProblem(SPEC, { windowMs: 5001 })).toMatch(/windowMs/);
    expect(seriesRequestProblem(SPEC, { windowMs: 0 })).toMatch(/windowMs/);
    expect(seriesRequestProblem(SPEC, { windowMs: 1.5 })).toMatch(/windowMs/);
    expect(seriesRequestProblem(SPEC, { from: NaN })).toMatch(/from/);
  });

  it('assembles arrays of (end - start) / resolution entries, leaving out records without a value', () => {
    const ring = { first: 10, head: 11, value: (bucket: number, field: number) => (field === 0 ? bucket : NaN) };
    const empty = { first: 10, head: 11, value: () => NaN };
    const data = assembleSeries(1000, { start: 9, now: 13 }, ['a', 'b'], [0, 1], [['r', ring], ['none', empty]]);
    expect(data).toEqual({ resolutionMs: 1000, start: 9000, end: 14000, fields: ['a', 'b'], records: { r: { a: [null, 10, 11, 11, 11], b: [null, null, null, null, null] } } });
    expect(data.records.r.a).toHaveLength((data.end - data.start) / data.resolutionMs);
  });

  it('keeps ids and field names that are also Object.prototype names as plain data', () => {
    const ring = { first: 0, head: 0, value: () => 1 };
    const data = assembleSeries(1000, { start: 0, now: 0 }, ['__proto__'], [0], [['__proto__', ring], ['constructor', ring]]);
    expect(JSON.parse(JSON.stringify(data.records))).toEqual(JSON.parse('{"__proto__":{"__proto__":[1]},"constructor":{"__proto__":[1]}}'));
  });
});

describe('series in the in-memory engine', () => {
  it('keeps the last value of each bucket and carries it forward', () => {
    const { clock, publish, read } = engineAt();
    publish(upsert(rec('q1', { waiting: 1, util: 0.5 })));
    clock.now += 300;
    publish(upsert(rec('q1', { waiting: 2 })));
    clock.now += 1000; // bucket 1
    publish(upsert(rec('q1', { waiting: 3 })));
    clock.now += 2000; // bucket 3
    const data = read();
    expect(data).toEqual({
      resolutionMs: 1000,
      start: T0 - 1000,
      end: T0 + 4000,
      fields: ['waiting', 'util'],
      records: { q1: { waiting: [null, 2, 3, 3, 3], util: [null, 0.5, 0.5, 0.5, 0.5] } },
    });
  });

  it('is null where a record or a field did not exist or was not a number, and after a deletion', () => {
    const { clock, publish, read } = engineAt();
    publish(upsert(rec('q1', { waiting: 1 })));
    clock.now += 1000;
    publish(upsert(rec('q1', { waiting: 'many', util: 0.1 })));
    clock.now += 1000;
    publish(upsert(rec('q1', { waiting: 4, util: null })));
    clock.now += 1000;
    publish({ delete: ['q1'] });
    clock.now += 1000;
    expect(read().records.q1).toEqual({ waiting: [1, null, 4, null, null], util: [null, 0.1, null, null, null] });
  });

  it('drops buckets older than the window and releases a deleted record\'s series once its window passed', () => {
    const { engine, clock, publish, read } = engineAt();
    for (let i = 0; i < 8; i++) {
      publish(upsert(rec('q1', { waiting: i }), rec('q2', { waiting: 10 * i })));
      clock.now += 1000;
    }
    clock.now -= 1000;
    expect(read().records.q1.waiting).toEqual([3, 4, 5, 6, 7]);
    const full = engine.seriesPoints.used;
    expect(full).toBe(2 * 5 * 2);

    publish({ delete: ['q2'] });
    expect(read().records.q2.waiting).toEqual([30, 40, 50, 60, null]);
    clock.now += 4000;
    // Null all through the window: left out of reads, still kept while its last bucket is in the window.
    expect(read().records.q2).toBeUndefined();
    expect(engine.seriesPoints.used).toBe(full);
    clock.now += 1000;
    publish(upsert(rec('q3')));
    expect(engine.seriesPoints.used).toBe(full / 2);
    expect(read().records.q2).toBeUndefined();
    // A record whose values never changed is carried forward across the whole window.
    expect(read().records.q1.waiting).toEqual([7, 7, 7, 7, 7]);
  });

  it('fills a jump longer than the window with the carried value', () => {
    const { clock, publish, read } = engineAt();
    publish(upsert(rec('q1', { waiting: 1 })));
    clock.now += 60_000;
    publish(upsert(rec('q1', { waiting: 2 })));
    clock.now += 1000;
    expect(read().records.q1.waiting).toEqual([1, 1, 1, 2, 2]);
  });

  it('costs nothing for records without kept values and channels without a spec', () => {
    const { engine, publish } = engineAt();
    publish(upsert(rec('plain', { name: 'x' })));
    publish({ delete: ['plain'] });
    engine.publishSync('acme', 'other', upsert(rec('q1', { waiting: 1 })));
    expect(engine.seriesPoints.used).toBe(0);
    expect(engine.seriesSync('acme', 'other')).toBeNull();
    expect(engine.seriesSpec('acme', 'other')).toBeUndefined();
  });

  it('answers a channel that keeps series but has none yet with the span and no records', () => {
    const { engine } = engineAt();
    expect(engine.seriesSync('acme', 'kpi')).toEqual({
      epoch: engine.epoch,
      seq: 0,
      series: { resolutionMs: 1000, start: T0 - 4000, end: T0 + 1000, fields: ['waiting', 'util'], records: {} },
    });
  });

  it('returns a subset of fields in the order asked, over a shorter window', () => {
    const { clock, publish, read } = engineAt();
    publish(upsert(rec('q1', { waiting: 1, util: 0.5 })));
    clock.now += 1000;
    publish(upsert(rec('q1', { waiting: 2, util: 0.6 })));
    const data = read({ fields: ['util'], windowMs: 2000 });
    expect(data).toEqual({ resolutionMs: 1000, start: T0, end: T0 + 2000, fields: ['util'], records: { q1: { util: [0.5, 0.6] } } });
  });

  it('applies the record filter, as ids or as a test', () => {
    const { publish, read } = engineAt();
    publish(upsert(rec('q1', { waiting: 1 }), rec('q2', { waiting: 2 }), rec('q3', { waiting: 3 })));
    expect(Object.keys(read({ records: new Set(['q2', 'nope']) }).records)).toEqual(['q2']);
    expect(Object.keys(read({ records: (id) => id !== 'q2' }).records).sort()).toEqual(['q1', 'q3']);
  });

  it('reads from the bucket of `from` on, and tells the time of the first missed publish', async () => {
    const { engine, clock, publish, read } = engineAt();
    const first = publish(upsert(rec('q1', { waiting: 1 })));
    clock.now += 1500;
    publish(upsert(rec('q1', { waiting: 2 })));
    clock.now += 1000;
    publish(upsert(rec('q1', { waiting: 3 })));
    const recovery = ok(await engine.since('acme', 'kpi', { epoch: first.epoch, seq: first.seq }));
    expect(recovery.fromTs).toBe(T0 + 1500);
    const data = read({ from: recovery.fromTs });
    expect(data.start).toBe(T0 + 1000);
    expect(data.records.q1.waiting).toEqual([2, 3]);
    // Nothing missed: no time.
    expect(ok(await engine.since('acme', 'kpi', { epoch: first.epoch, seq: 3 })).fromTs).toBeUndefined();
  });

  it('refuses a request that does not fit the spec', () => {
    const { engine } = engineAt();
    expect(() => engine.seriesSync('acme', 'kpi', { fields: ['nope'] })).toThrow(RangeError);
  });

  it('does not start a series past PULSE_SERIES_MAX_POINTS, and starts it once room is freed', () => {
    // Each ring reserves 5 buckets × 2 fields = 10 points: two fit.
    const { engine, clock, publish, read } = engineAt(SPEC, { seriesMaxPoints: 25 });
    publish(upsert(rec('q1', { waiting: 1 }), rec('q2', { waiting: 2 }), rec('q3', { waiting: 3 })));
    expect(engine.seriesPoints).toEqual({ used: 20, max: 25, refused: 1 });
    expect(Object.keys(read().records).sort()).toEqual(['q1', 'q2']);
    // What is kept is never dropped for a newcomer.
    clock.now += 1000;
    publish(upsert(rec('q1', { waiting: 5 }), rec('q3', { waiting: 6 })));
    expect(read().records.q1.waiting).toEqual([null, null, null, 1, 5]);
    expect(read().records.q3).toBeUndefined();

    publish({ delete: ['q2'] });
    clock.now += 5000;
    publish(upsert(rec('q3', { waiting: 7 })));
    expect(engine.seriesPoints.used).toBe(20);
    expect(read().records.q3.waiting).toEqual([null, null, null, null, 7]);
  });

  it('keeps a tenant\'s series apart from another tenant\'s', () => {
    const { engine, publish } = engineAt();
    publish(upsert(rec('q1', { waiting: 1 })));
    engine.publishSync('other', 'kpi', upsert(rec('q9', { waiting: 9 })));
    expect(Object.keys(engine.seriesSync('other', 'kpi')!.series.records)).toEqual(['q9']);
  });

  it('records the final state of a record changed twice in one publish', () => {
    const { publish, read } = engineAt();
    publish(upsert(rec('q1', { waiting: 1 })));
    publish({ upsert: [rec('q1', { waiting: 2 }), rec('q1', { waiting: 3 })], delete: [] });
    publish({ upsert: [rec('q2', { waiting: 4 })], delete: ['q2'] });
    const data = read();
    expect(data.records.q1.waiting.at(-1)).toBe(3);
    expect(data.records.q2).toBeUndefined();
  });
});

/** The series a reference computes from the publishes: per record, the last row at or before each bucket. */
function reference(spec: SeriesSpec, publishes: PublishedState[], now: number): SeriesData['records'] {
  return referenceRecords(spec.resolutionMs, spec.fields, publishes, now - spec.windowMs / spec.resolutionMs + 1, now);
}

describe('series in the in-memory engine, against a reference', () => {
  const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.constant('text'));
  const step = fc.record({
    advance: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2500 }), fc.integer({ min: 5000, max: 20_000 })),
    upsert: fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), waiting: value, util: value }, { requiredKeys: ['id'] }), { maxLength: 3 }),
    delete: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 1 }),
  });

  it('equals the reference after any run of publishes', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 12_000 }), (steps, wait) => {
        const { engine, clock, publish, read } = engineAt();
        const publishes: Array<{ ts: number; state: Map<string, ChannelRecord> }> = [];
        for (const { advance, upsert: upserts, delete: deletions } of steps) {
          clock.now += advance;
          const commit = publish({ upsert: upserts as ChannelRecord[], delete: deletions });
          const state = new Map(engine.snapshotSync('acme', 'kpi').records.map((r) => [r.id, r] as const));
          publishes.push({ ts: commit.ts, state });
        }
        clock.now += wait;
        const data = read();
        const now = bucketOf(clock.now, SPEC.resolutionMs);
        expect(data.end).toBe((now + 1) * SPEC.resolutionMs);
        expect(JSON.parse(JSON.stringify(data.records))).toEqual(JSON.parse(JSON.stringify(reference(SPEC, publishes, now))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('PULSE_SERIES_MAX_POINTS', () => {
  it('defaults to 2,000,000 and takes any whole number of points', () => {
    expect(loadConfig({}).seriesMaxPoints).toBe(2_000_000);
    expect(loadConfig({ PULSE_SERIES_MAX_POINTS: '0' }).seriesMaxPoints).toBe(0);
    expect(() => loadConfig({ PULSE_SERIES_MAX_POINTS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ PULSE_SERIES_MAX_POINTS: 'many' })).toThrow(ConfigError);
  });
});

describe('ChannelSeries on its own', () => {
  it('gives back every point when released', () => {
    const budget = new PointBudget(100);
    const series = new ChannelSeries(SPEC, budget);
    series.update(T0, 'a', undefined, rec('a', { waiting: 1 }));
    series.update(T0, 'b', undefined, rec('b', { util: 1 }));
    expect(budget.used).toBe(20);
    expect(series.points).toBe(20);
    series.release();
    expect(budget.used).toBe(0);
    expect(series.read(T0).records).toEqual({});
  });

  it('writes a clock that stepped back into the latest bucket', () => {
    const series = new ChannelSeries(SPEC, new PointBudget(Infinity));
    series.update(T0 + 2000, 'a', undefined, rec('a', { waiting: 1 }));
    series.update(T0 + 1000, 'a', rec('a', { waiting: 1 }), rec('a', { waiting: 2 }));
    expect(series.read(T0 + 2000).records.a.waiting).toEqual([null, null, null, null, 2]);
  });
});

/**
 * Series as pages embed them (lib/store/series-runs.ts): run-length encoded where that is
 * shorter, and given back exactly, so the store hydrates the same lines from a page as from
 * the wire.
 */
import type { SeriesPayload } from '@/lib/protocol/messages';
import { createPulseStore, fromInitial, seriesLine } from '@/lib/store';
import { expandRuns, packSeries, runLengths, unpackSeries } from '@/lib/store/series-runs';
import type { InitialSnapshot } from '@/lib/store/types';

type Value = number | null;

/** A line that holds each value for a while, as a series carries values forward. */
function steppy(length: number, seed: number): Value[] {
  const values: Value[] = [];
  let value: Value = null;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    if (seed % 7 === 0) value = seed % 3 === 0 ? null : Math.round((seed % 1000) - 500) / 8;
    values.push(value);
  }
  return values;
}

const PAYLOAD: SeriesPayload = {
  resolutionMs: 1000,
  start: 1_767_225_600_000,
  end: 1_767_225_600_000 + 900_000,
  fields: ['waiting', 'util'],
  records: {
    q1: { waiting: steppy(900, 1), util: steppy(900, 2) },
    // changes every bucket: kept plain, the runs would be twice as long
    q2: { waiting: Array.from({ length: 900 }, (_, i) => i), util: steppy(900, 3) },
  },
};

describe('runLengths and expandRuns', () => {
  it('write runs of one value as [value, count] and give them back', () => {
    expect(runLengths([null, null, 4, 4, 4, 5])).toEqual([null, 2, 4, 3, 5, 1]);
    expect(expandRuns([null, 2, 4, 3, 5, 1])).toEqual([null, null, 4, 4, 4, 5]);
    expect(runLengths([])).toEqual([]);
    expect(expandRuns([])).toEqual([]);
  });

  it('give back every value exactly, nulls, negatives and fractions included', () => {
    for (let seed = 1; seed < 40; seed++) {
      const values = steppy(500, seed);
      expect(expandRuns(runLengths(values))).toEqual(values);
    }
    const odd = [0.1 + 0.2, 0.30000000000000004, -1e-300, 1e21, -0, 0, 5e-324];
    const back = expandRuns(runLengths(odd));
    back.forEach((value, i) => expect(Object.is(value, odd[i])).toBe(true));
  });

  it('stop at a count that is not a whole number from 1', () => {
    expect(expandRuns([1, 2, 3, 0, 4, 1])).toEqual([1, 1]);
    expect(expandRuns([1, 2, 3, 1.5])).toEqual([1, 1]);
    expect(expandRuns([1, 2, 3, null])).toEqual([1, 1]);
    expect(expandRuns([1, 2, 3])).toEqual([1, 1]);
  });
});

describe('packSeries and unpackSeries', () => {
  it('give back the payload exactly, through JSON as a page embeds it', () => {
    const packed = JSON.parse(JSON.stringify(packSeries(PAYLOAD)));
    expect(unpackSeries(packed)).toEqual(PAYLOAD);
  });

  it('pack a line only when its runs are shorter than its buckets', () => {
    const packed = packSeries(PAYLOAD);
    expect(Object.keys(packed.runs).sort()).toEqual(['q1', 'q2']);
    expect(Object.keys(packed.runs.q1!).sort()).toEqual(['util', 'waiting']);
    expect(Object.keys(packed.runs.q2!)).toEqual(['util']);
    expect(packed.plain).toEqual({ q2: { waiting: PAYLOAD.records.q2!.waiting } });
    // never longer than the payload: each line at most as many entries as buckets
    for (const lines of [packed.plain, packed.runs]) for (const line of Object.values(lines).flatMap(Object.values)) expect(line.length).toBeLessThanOrEqual(900);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(PAYLOAD).length / 2);
  });

  it('leave the payload as it was, and keep ids such as __proto__ as ordinary keys', () => {
    const payload: SeriesPayload = JSON.parse('{"resolutionMs":1000,"start":0,"end":4000,"fields":["v"],"records":{"__proto__":{"v":[1,1,1,2]},"a":{"v":[null,null,3,3]}}}');
    const copy = JSON.parse(JSON.stringify(payload));
    const packed = JSON.parse(JSON.stringify(packSeries(payload)));
    expect(payload).toEqual(copy);
    const back = unpackSeries(packed);
    expect(Object.getPrototypeOf(back.records)).toBeNull();
    expect(Object.keys(back.records).sort()).toEqual(['__proto__', 'a']);
    expect(back.records['__proto__']!.v).toEqual([1, 1, 1, 2]);
  });

  it('return a payload that is not packed as it is', () => {
    expect(unpackSeries(PAYLOAD)).toBe(PAYLOAD);
  });
});

describe('the store', () => {
  const snapshot = (series: InitialSnapshot['series']): InitialSnapshot => ({
    channel: 'queues',
    epoch: 'e1',
    seq: 7,
    records: [
      { id: 'q1', waiting: 3 },
      { id: 'q2', waiting: 899 },
    ],
    at: PAYLOAD.end - 500,
    series,
  });

  it('hydrates the same lines from packed series as from the payload', () => {
    const packed = JSON.parse(JSON.stringify(packSeries(PAYLOAD)));
    const fromPacked = fromInitial(snapshot(packed), { now: 0 });
    const fromPlain = fromInitial(snapshot(PAYLOAD), { now: 0 });
    expect(fromPacked.series).toEqual(fromPlain.series);
    for (const id of ['q1', 'q2'])
      for (const field of PAYLOAD.fields) expect(seriesLine(fromPacked, id, field)).toEqual(seriesLine(fromPlain, id, field));

    // and through `hydrate`, over a view already held
    const store = createPulseStore({ initial: [snapshot(undefined)] });
    store.getState().hydrate({ ...snapshot(packed), seq: 8 });
    expect(store.getState().channels.queues!.series).toEqual(fromPlain.series);
  });
});

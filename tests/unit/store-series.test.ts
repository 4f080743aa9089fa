/**
 * Series in the store (docs/protocol.md §13): a snapshot's series replace the view's, a delta
 * with `ts` writes its records' values to the bucket of `ts`, a recovery delta fills the span it
 * covers; lines are read with the last value carried forward, and unchanged lines keep their
 * identity. Aggregates combine lines bucket by bucket.
 */
import type { ChannelRecord, DeltaMessage, SeriesPayload, SnapshotMessage } from '@/lib/protocol/messages';
import {
  aggregateSeries,
  applyDelta,
  applySnapshot,
  createAggregateSelector,
  createPulseStore,
  fromInitial,
  seriesLine,
  seriesLines,
  type ChannelData,
  type SeriesLine,
} from '@/lib/store';

const RES = 1000;
/** A bucket boundary. */
const T0 = 1_700_000_000_000;
/** Start of bucket `n` after T0. */
const at = (n: number) => T0 + n * RES;

function payload(first: number, buckets: number, records: SeriesPayload['records'], fields = ['waiting', 'util']): SeriesPayload {
  return { resolutionMs: RES, start: at(first), end: at(first + buckets), fields, records };
}

function snap(seq: number, records: ChannelRecord[], series?: SeriesPayload): SnapshotMessage {
  return { type: 'snapshot', channel: 'backlog', epoch: 'e1', seq, records, events: [], gap: false, ...(series ? { series } : {}) };
}

function delta(seq: number, body: Partial<DeltaMessage>): DeltaMessage {
  return { type: 'delta', channel: 'backlog', epoch: 'e1', prevSeq: seq - 1, seq, ...body };
}

/** q1 and q2 over buckets 0..4 (the window is 5 buckets, the current one is 4). */
function base(): ChannelData {
  return applySnapshot(
    undefined,
    snap(
      10,
      [
        { id: 'q1', waiting: 4, util: 0.5 },
        { id: 'q2', waiting: 7 },
        { id: 'q3', name: 'no numbers' },
      ],
      payload(0, 5, {
        q1: { waiting: [1, 2, 3, 3, 4], util: [null, null, 0.5, 0.5, 0.5] },
        q2: { waiting: [7, 7, 7, 7, 7], util: [null, null, null, null, null] },
      }),
    ),
    { now: T0 },
  );
}

const values = (line: SeriesLine | null) => line && [...line.values];

describe('snapshot series', () => {
  it('replace the view’s series; lines read as the payload, nulls where there was no number', () => {
    const state = base();
    expect(seriesLine(state, 'q1', 'waiting')).toEqual({ start: at(0), resolutionMs: RES, values: [1, 2, 3, 3, 4] });
    expect(values(seriesLine(state, 'q1', 'util'))).toEqual([null, null, 0.5, 0.5, 0.5]);
    expect(values(seriesLine(state, 'q3', 'waiting'))).toEqual([null, null, null, null, null]);
    expect(values(seriesLine(state, 'nobody', 'waiting'))).toEqual([null, null, null, null, null]);
    // not kept, or no series at all
    expect(seriesLine(state, 'q1', 'name')).toBeNull();
    expect(seriesLine(applySnapshot(undefined, snap(1, [{ id: 'q1', waiting: 1 }])), 'q1', 'waiting')).toBeNull();
    expect(seriesLine(undefined, 'q1', 'waiting')).toBeNull();
  });

  it('a later snapshot’s series replace them; one without series leaves them', () => {
    const state = base();
    const without = applySnapshot(state, snap(11, [{ id: 'q1', waiting: 9 }]));
    expect(without.series).toBe(state.series);
    const replaced = applySnapshot(state, snap(12, [{ id: 'q1', waiting: 9 }], payload(3, 5, { q1: { waiting: [3, 4, 9, 9, 9] } })));
    expect(replaced.series?.start).toBe(at(3));
    expect(values(seriesLine(replaced, 'q1', 'waiting'))).toEqual([3, 4, 9, 9, 9]);
    expect(values(seriesLine(replaced, 'q2', 'waiting'))).toEqual([null, null, null, null, null]);
  });

  it('from a server render: fromInitial and the store’s initial carry them', () => {
    const series = payload(0, 5, { q1: { waiting: [1, 2, 3, 3, 4] } });
    const initial = { channel: 'backlog', epoch: 'e1', seq: 3, records: [{ id: 'q1', waiting: 4 }], series };
    expect(values(seriesLine(fromInitial(initial), 'q1', 'waiting'))).toEqual([1, 2, 3, 3, 4]);
    const store = createPulseStore({ initial: [initial] });
    expect(values(seriesLine(store.getState().channels.backlog, 'q1', 'waiting'))).toEqual([1, 2, 3, 3, 4]);
  });
});

describe('live deltas with ts', () => {
  it('write to the bucket of ts: the current bucket is overwritten, a later one moves the window', () => {
    let state = applyDelta(base(), delta(11, { upsert: [{ id: 'q1', waiting: 5 }], ts: at(4) + 300 }));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([1, 2, 3, 3, 5]);
    state = applyDelta(state, delta(12, { upsert: [{ id: 'q1', waiting: 6 }], ts: at(5) + 10 }));
    const line = seriesLine(state, 'q1', 'waiting')!;
    expect(line.start).toBe(at(1));
    expect([...line.values]).toEqual([2, 3, 3, 5, 6]);
    expect(state.series?.end).toBe(at(6));
  });

  it('carry every record’s last value over skipped buckets, and fields a patch leaves alone', () => {
    const state = applyDelta(base(), delta(11, { upsert: [{ id: 'q1', waiting: 8 }], ts: at(7) }));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([3, 4, 4, 4, 8]);
    expect(values(seriesLine(state, 'q1', 'util'))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]); // not in the patch: carried
    expect(values(seriesLine(state, 'q2', 'waiting'))).toEqual([7, 7, 7, 7, 7]); // not in the delta: carried
  });

  it('give null from the bucket of a deletion, of a field removed by the patch, or of a value that is not a number', () => {
    let state = applyDelta(base(), delta(11, { delete: ['q2'], upsert: [{ id: 'q1', util: null }], ts: at(5) }));
    expect(values(seriesLine(state, 'q2', 'waiting'))).toEqual([7, 7, 7, 7, null]);
    expect(values(seriesLine(state, 'q1', 'util'))).toEqual([null, 0.5, 0.5, 0.5, null]);
    state = applyDelta(state, delta(12, { upsert: [{ id: 'q1', waiting: 'many' as unknown as number }], ts: at(6) }));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([3, 3, 4, 4, null]);
    // a record that comes back starts again
    state = applyDelta(state, delta(13, { upsert: [{ id: 'q2', waiting: 1 }], ts: at(7) }));
    expect(values(seriesLine(state, 'q2', 'waiting'))).toEqual([7, 7, null, null, 1]);
  });

  it('start a line for a record that appears, nulls before it', () => {
    const state = applyDelta(base(), delta(11, { upsert: [{ id: 'q9', waiting: 2 }], ts: at(6) }));
    expect(values(seriesLine(state, 'q9', 'waiting'))).toEqual([null, null, null, null, 2]);
    expect(values(seriesLine(state, 'q9', 'util'))).toEqual([null, null, null, null, null]);
  });

  it('drop buckets older than the window, and forget records with no number left in it', () => {
    let state = applyDelta(base(), delta(11, { delete: ['q2'], ts: at(5) }));
    expect(Object.keys(state.series!.records).sort()).toEqual(['q1', 'q2']);
    state = applyDelta(state, delta(12, { upsert: [{ id: 'q1', waiting: 1 }], ts: at(20) }));
    expect(state.series!.start).toBe(at(16));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([4, 4, 4, 4, 1]);
    expect(state.series!.records.q1!.waiting!.values.length).toBeLessThanOrEqual(5);
    expect(Object.keys(state.series!.records)).toEqual(['q1']);
    expect(values(seriesLine(state, 'q2', 'waiting'))).toEqual([null, null, null, null, null]);
  });

  it('a ts behind the current bucket writes to the current bucket', () => {
    const state = applyDelta(base(), delta(11, { upsert: [{ id: 'q1', waiting: 5 }], ts: at(2) }));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([1, 2, 3, 3, 5]);
    expect(state.series!.end).toBe(at(5));
  });

  it('a delta without ts leaves the series alone', () => {
    const before = base();
    const after = applyDelta(before, delta(11, { upsert: [{ id: 'q1', waiting: 50 }] }));
    expect(after.series).toBe(before.series);
  });

  it('keep the identity of every line a delta did not change, and copy only what it touched', () => {
    const before = base();
    const q2 = seriesLine(before, 'q2', 'waiting');
    const q1util = seriesLine(before, 'q1', 'util');
    const after = applyDelta(before, delta(11, { upsert: [{ id: 'q1', waiting: 5 }, { id: 'q2', name: 'renamed' }], ts: at(4) + 500 }));
    expect(seriesLine(after, 'q2', 'waiting')).toBe(q2);
    expect(seriesLine(after, 'q1', 'util')).toBe(q1util);
    expect(seriesLine(after, 'q1', 'waiting')).not.toBe(seriesLine(before, 'q1', 'waiting'));
    expect(after.series!.records.q2).toBe(before.series!.records.q2);
    expect(after.series!.records.q1!.util).toBe(before.series!.records.q1!.util);
    // the same state read twice: the same line
    expect(seriesLine(after, 'q1', 'waiting')).toBe(seriesLine(after, 'q1', 'waiting'));
    // a value equal to the held one changes nothing at all
    const same = applyDelta(after, delta(12, { upsert: [{ id: 'q1', waiting: 5 }], ts: at(4) + 900 }));
    expect(same.series).toBe(after.series);
  });

  it('a new bucket moves every line, but copies no track of a record it did not touch', () => {
    const before = base();
    const after = applyDelta(before, delta(11, { upsert: [{ id: 'q1', waiting: 5 }], ts: at(5) }));
    expect(after.series!.records.q2).toBe(before.series!.records.q2);
    expect(seriesLine(after, 'q2', 'waiting')).not.toBe(seriesLine(before, 'q2', 'waiting'));
  });
});

describe('recovery deltas', () => {
  it('fill exactly the span they cover, keep what came before, then write the delta’s values', () => {
    // Held: buckets 0..4. Missed: publishes in buckets 6 and 7; the recovery is read in bucket 8.
    const recovery = delta(15, {
      prevSeq: 10,
      recovery: true,
      upsert: [{ id: 'q1', waiting: 9, util: 0.7 }],
      delete: ['q2'],
      ts: at(8) + 200,
      series: payload(6, 3, { q1: { waiting: [8, 9, 9], util: [0.6, 0.7, 0.7] } }),
    });
    const state = applyDelta(base(), recovery);
    expect(state.series!.start).toBe(at(4));
    expect(state.series!.end).toBe(at(9));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([4, 4, 8, 9, 9]);
    expect(values(seriesLine(state, 'q1', 'util'))).toEqual([0.5, 0.5, 0.6, 0.7, 0.7]);
    // gone before the span: null throughout it
    expect(values(seriesLine(state, 'q2', 'waiting'))).toEqual([7, 7, null, null, null]);
  });

  it('after live data, replace the span’s buckets the client already wrote', () => {
    let state = applyDelta(base(), delta(11, { upsert: [{ id: 'q1', waiting: 5 }], ts: at(5) }));
    state = applyDelta(state, delta(14, { prevSeq: 11, recovery: true, upsert: [{ id: 'q1', waiting: 6, util: 0.5 }], ts: at(6), series: payload(5, 2, { q1: { waiting: [5.5, 6], util: [0.5, 0.5] }, q2: { waiting: [7, 7] } }) }));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([3, 3, 4, 5.5, 6]);
    expect(values(seriesLine(state, 'q2', 'waiting'))).toEqual([7, 7, 7, 7, 7]);
  });

  it('start the series when none were held', () => {
    const state = applyDelta(applySnapshot(undefined, snap(10, [{ id: 'q1', waiting: 1 }])), delta(11, { recovery: true, upsert: [{ id: 'q1', waiting: 2 }], ts: at(1), series: payload(0, 2, { q1: { waiting: [1, 2] } }) }));
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([1, 2]);
  });
});

describe('aggregates', () => {
  const line = (start: number, vals: Array<number | null>): SeriesLine => ({ start: at(start), resolutionMs: RES, values: vals });

  it('combine per bucket, null where no line has a value', () => {
    const lines = [line(0, [1, null, 3, null]), line(0, [5, 2, null, null]), line(0, [null, 4, 6, null])];
    expect(aggregateSeries(lines, 'sum').values).toEqual([6, 6, 9, null]);
    expect(aggregateSeries(lines, 'avg').values).toEqual([3, 3, 4.5, null]);
    expect(aggregateSeries(lines, 'min').values).toEqual([1, 2, 3, null]);
    expect(aggregateSeries(lines, 'max').values).toEqual([5, 4, 6, null]);
    expect(aggregateSeries(lines, 'count').values).toEqual([2, 2, 2, null]);
    expect(aggregateSeries(lines, 'sum')).toMatchObject({ start: at(0), resolutionMs: RES });
  });

  it('align lines by their start, spanning all of them', () => {
    const sum = aggregateSeries([line(0, [1, 1, 1]), line(2, [10, 10])], 'sum');
    expect(sum).toEqual({ start: at(0), resolutionMs: RES, values: [1, 1, 11, 10] });
    expect(aggregateSeries([], 'sum').values).toEqual([]);
    expect(() => aggregateSeries([line(0, [1]), { start: 0, resolutionMs: 500, values: [1] }], 'sum')).toThrow(RangeError);
  });

  it('over a view: every record its series hold, or the ids given; the same object while its lines are', () => {
    const state = base();
    const select = createAggregateSelector();
    const total = select(state, 'waiting', 'sum')!;
    expect([...total.values]).toEqual([8, 9, 10, 10, 11]);
    expect(select(state, 'waiting', 'sum', ['q1', 'q3'])?.values).toEqual([1, 2, 3, 3, 4]);
    expect(seriesLines(state, 'waiting')).toHaveLength(2);
    expect(select(state, 'name', 'sum')).toBeNull();

    const other = createAggregateSelector();
    const first = other(state, 'waiting', 'sum');
    // a delta that changes only util leaves the waiting total the same object
    const next = applyDelta(state, delta(11, { upsert: [{ id: 'q1', util: 0.9 }], ts: at(4) + 100 }));
    expect(other(next, 'waiting', 'sum')).toBe(first);
    expect(other(state, 'waiting', 'sum')).toBe(first);
    const moved = applyDelta(next, delta(12, { upsert: [{ id: 'q2', waiting: 1 }], ts: at(4) + 200 }));
    expect(other(moved, 'waiting', 'sum')?.values).toEqual([8, 9, 10, 10, 5]);
  });
});

describe('the store', () => {
  it('keeps series through its actions, and drops them when the channel keeps none', () => {
    const store = createPulseStore({ now: () => T0 });
    const key = 'backlog';
    store.getState().ingestSnapshot(snap(10, [{ id: 'q1', waiting: 4 }], payload(0, 5, { q1: { waiting: [1, 2, 3, 3, 4] } })), 'socket', key);
    store.getState().ingestDelta(delta(11, { upsert: [{ id: 'q1', waiting: 5 }], ts: at(5) }), key);
    expect(values(seriesLine(store.getState().channels[key], 'q1', 'waiting'))).toEqual([2, 3, 3, 4, 5]);
    const before = store.getState().channels[key];
    store.getState().setSeriesKept(key, true);
    expect(store.getState().channels[key]).toBe(before);
    store.getState().setSeriesKept(key, false);
    expect(store.getState().channels[key]).toMatchObject({ noSeries: true, series: null });
  });
});

describe('after polling', () => {
  it('a recovery delta no newer than polled records still fills its series', () => {
    // polled over HTTP while the socket was away: seq 15, no series
    const polled = applySnapshot(base(), snap(15, [{ id: 'q1', waiting: 9, util: 0.5 }, { id: 'q2', waiting: 7 }]));
    expect(values(seriesLine(polled, 'q1', 'waiting'))).toEqual([1, 2, 3, 3, 4]); // kept, not advanced
    const recovery = delta(15, { prevSeq: 10, recovery: true, upsert: [{ id: 'q1', waiting: 9, util: 0.5 }], ts: at(6), series: payload(5, 2, { q1: { waiting: [8, 9] }, q2: { waiting: [7, 7] } }) });
    const state = applyDelta(polled, recovery);
    expect(state.seq).toBe(15);
    expect(state.records).toBe(polled.records);
    expect(values(seriesLine(state, 'q1', 'waiting'))).toEqual([3, 3, 4, 8, 9]);
  });
});

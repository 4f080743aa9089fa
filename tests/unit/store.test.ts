import type { ChannelEvent, ChannelRecord, DeltaMessage, SnapshotMessage } from '@/lib/protocol/messages';
import {
  applyDelta,
  applySnapshot,
  changedFields,
  channelStatus,
  createPulseStore,
  emptyChannel,
  expireChanges,
  fromInitial,
  newestUpdate,
  recordList,
  selectChannel,
  selectRecord,
  viewStoreKey,
  type ChannelData,
} from '@/lib/store';

const T0 = 1_700_000_000_000;

function snap(seq: number, records: ChannelRecord[], events: ChannelEvent[] = [], epoch = 'e1'): SnapshotMessage {
  return { type: 'snapshot', channel: 'kpi', epoch, seq, records, events, gap: false };
}

function delta(prevSeq: number, seq: number, body: Partial<DeltaMessage> = {}, epoch = 'e1'): DeltaMessage {
  return { type: 'delta', channel: 'kpi', epoch, prevSeq, seq, ...body };
}

function event(seq: number, type = 'alert', priority: ChannelEvent['priority'] = 'normal'): ChannelEvent {
  return { seq, ts: T0 + seq, type, priority };
}

const base = (): ChannelData =>
  applySnapshot(
    undefined,
    snap(10, [
      { id: 'q1', waiting: 12, sla: 'ok', meta: { org: 'emea', dept: 'sales' } },
      { id: 'q2', waiting: 3, sla: 'ok' },
      { id: 'q3', waiting: 0 },
    ]),
    { now: T0 },
  );

describe('applySnapshot', () => {
  it('replaces the state: records by id, order, position, update time', () => {
    const state = base();
    expect(state.epoch).toBe('e1');
    expect(state.seq).toBe(10);
    expect(state.order).toEqual(['q1', 'q2', 'q3']);
    expect(state.records.q2).toEqual({ id: 'q2', waiting: 3, sla: 'ok' });
    expect(state.updatedAt).toBe(T0);
    expect(state.changed).toEqual({});
    expect(recordList(state).map((r) => r.id)).toEqual(['q1', 'q2', 'q3']);
  });

  it('keeps the identity of records equal to those held and marks the ones that differ', () => {
    const before = base();
    const after = applySnapshot(
      before,
      snap(20, [
        { id: 'q1', waiting: 12, sla: 'ok', meta: { org: 'emea', dept: 'sales' } },
        { id: 'q2', waiting: 5 },
        { id: 'q4', waiting: 1 },
      ]),
      { now: T0 + 5 },
    );
    expect(after.records.q1).toBe(before.records.q1);
    expect(after.records.q2).toEqual({ id: 'q2', waiting: 5 });
    expect(after.records.q3).toBeUndefined();
    expect(after.order).toEqual(['q1', 'q2', 'q4']);
    expect(after.changed).toEqual({ q2: { at: T0 + 5, fields: ['waiting', 'sla'] } });
  });

  it('returns the same records and order objects for an identical snapshot', () => {
    const before = base();
    const after = applySnapshot(before, snap(10, Object.values(before.records).map((r) => ({ ...r }))), { now: T0 + 1 });
    expect(after.records).toBe(before.records);
    expect(after.order).toBe(before.order);
    expect(recordList(after)).toBe(recordList(before));
  });

  it('records the gap flag and caps events, newest last', () => {
    const events = Array.from({ length: 150 }, (_, i) => event(i + 1));
    const state = applySnapshot(undefined, { ...snap(150, [], events), gap: true }, { now: T0 });
    expect(state.gap).toBe(true);
    expect(state.events).toHaveLength(100);
    expect(state.events[0]!.seq).toBe(51);
    expect(state.events.at(-1)!.seq).toBe(150);
  });

  it('counts events beyond the held seq as received news, and none for a first snapshot', () => {
    const first = applySnapshot(undefined, snap(5, [], [event(4), event(5)]), { now: T0 });
    expect(first.eventsReceived).toBe(0);
    const later = applySnapshot(first, snap(8, [], [event(4), event(5), event(7), event(8)]), { now: T0 });
    expect(later.eventsReceived).toBe(2);
    const otherEpoch = applySnapshot(later, snap(2, [], [event(1), event(2)], 'e2'), { now: T0 });
    expect(otherEpoch.eventsReceived).toBe(2);
  });
});

describe('applyDelta', () => {
  it('merges patches with JSON Merge Patch semantics (null removes a field, objects merge)', () => {
    const state = applyDelta(base(), delta(10, 11, { upsert: [{ id: 'q1', waiting: 14, sla: null, meta: { dept: null, queue: 'q' } }] }), { now: T0 + 1 });
    expect(state.records.q1).toEqual({ id: 'q1', waiting: 14, meta: { org: 'emea', queue: 'q' } });
    expect(state.seq).toBe(11);
    expect(state.updatedAt).toBe(T0 + 1);
  });

  it('keeps the identity of untouched records and of the order when nobody came or went', () => {
    const before = base();
    const after = applyDelta(before, delta(10, 11, { upsert: [{ id: 'q2', waiting: 4 }] }), { now: T0 + 1 });
    expect(after.records).not.toBe(before.records);
    expect(after.records.q1).toBe(before.records.q1);
    expect(after.records.q3).toBe(before.records.q3);
    expect(after.records.q2).not.toBe(before.records.q2);
    expect(after.order).toBe(before.order);
    // The record list is rebuilt (a record changed) but holds the same untouched objects.
    expect(recordList(after)[0]).toBe(recordList(before)[0]);
  });

  it('leaves the state untouched (records, marks) for a patch that changes nothing', () => {
    const before = base();
    const after = applyDelta(before, delta(10, 11, { upsert: [{ id: 'q2', waiting: 3 }] }), { now: T0 + 1 });
    expect(after.records).toBe(before.records);
    expect(after.changed).toBe(before.changed);
    expect(after.seq).toBe(11);
  });

  it('creates records that are new (appended to the order, nulls dropped) and deletes ids', () => {
    const state = applyDelta(
      base(),
      delta(10, 12, { upsert: [{ id: 'q9', waiting: 7, gone: null }], delete: ['q2', 'nope'] }),
      { now: T0 + 2 },
    );
    expect(state.records.q9).toEqual({ id: 'q9', waiting: 7 });
    expect(state.records.q2).toBeUndefined();
    expect(state.order).toEqual(['q1', 'q3', 'q9']);
    expect(state.changed.q9).toEqual({ at: T0 + 2, fields: ['waiting'], added: true });
  });

  it('with recovery: true replaces whole records, so fields removed meanwhile disappear', () => {
    const state = applyDelta(base(), delta(10, 15, { recovery: true, upsert: [{ id: 'q1', waiting: 2 }] }), { now: T0 + 3 });
    expect(state.records.q1).toEqual({ id: 'q1', waiting: 2 });
    expect(state.changed.q1!.fields.sort()).toEqual(['meta', 'sla', 'waiting']);
    // The same entry as a plain patch would have kept the other fields.
    const merged = applyDelta(base(), delta(10, 15, { upsert: [{ id: 'q1', waiting: 2 }] }));
    expect(merged.records.q1).toMatchObject({ sla: 'ok', meta: { org: 'emea' } });
  });

  it('a recovery entry equal to the held record keeps its identity', () => {
    const before = base();
    const after = applyDelta(before, delta(10, 15, { recovery: true, upsert: [{ id: 'q2', sla: 'ok', waiting: 3 }] }));
    expect(after.records.q2).toBe(before.records.q2);
    expect(after.changed).toEqual({});
  });

  it('appends events in seq order, keeps the newest 100, and skips events already held', () => {
    let state = applySnapshot(undefined, snap(3, [], [event(2), event(3)]), { now: T0 });
    state = applyDelta(state, delta(3, 6, { events: [event(6, 'b'), event(5, 'a'), event(3, 'old')] }));
    expect(state.events.map((e) => e.seq)).toEqual([2, 3, 5, 6]);
    expect(state.eventsReceived).toBe(2);

    state = applyDelta(state, delta(6, 206, { events: Array.from({ length: 200 }, (_, i) => event(7 + i)) }));
    expect(state.events).toHaveLength(100);
    expect(state.events[0]!.seq).toBe(107);
    expect(state.events.at(-1)!.seq).toBe(206);
    expect(state.eventsReceived).toBe(202);
  });

  it('ignores a delta no newer than the state (same epoch), returning the same object', () => {
    const state = base();
    expect(applyDelta(state, delta(9, 10, { upsert: [{ id: 'q1', waiting: 99 }] }))).toBe(state);
    expect(applyDelta(state, delta(5, 8))).toBe(state);
  });

  it('applies an empty delta as a position change only', () => {
    const before = base();
    const after = applyDelta(before, delta(10, 13));
    expect(after.seq).toBe(13);
    expect(after.records).toBe(before.records);
    expect(after.events).toBe(before.events);
  });

  it('starts from an empty channel when there is no state', () => {
    const state = applyDelta(undefined, delta(0, 1, { upsert: [{ id: 'a', x: 1 }] }));
    expect(state.order).toEqual(['a']);
    expect(state.channel).toBe('kpi');
  });

  it('treats ids like __proto__ and constructor as ordinary keys', () => {
    const state = applyDelta(emptyChannel('kpi'), delta(0, 1, { upsert: [{ id: '__proto__', x: 1 }, { id: 'constructor', y: 2 }] }));
    expect(state.order).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(state.records)).toBeNull();
    expect(recordList(state)).toEqual([{ id: '__proto__', x: 1 }, { id: 'constructor', y: 2 }]);
    const next = applyDelta(state, delta(1, 2, { delete: ['__proto__'] }));
    expect(next.order).toEqual(['constructor']);
    expect(applyDelta(emptyChannel('kpi'), delta(0, 1, { delete: ['toString'] })).order).toEqual([]);
  });

  it('does not mutate its inputs', () => {
    const state = base();
    const frozenRecords = JSON.stringify(state.records);
    const message = delta(10, 11, { upsert: [{ id: 'q1', sla: null }], delete: ['q3'], events: [event(11)] });
    const frozenMessage = JSON.stringify(message);
    applyDelta(state, message);
    expect(JSON.stringify(state.records)).toBe(frozenRecords);
    expect(state.order).toEqual(['q1', 'q2', 'q3']);
    expect(JSON.stringify(message)).toBe(frozenMessage);
  });
});

describe('flash bookkeeping', () => {
  it('marks which records and which fields changed, and when', () => {
    let state = applyDelta(base(), delta(10, 11, { upsert: [{ id: 'q1', waiting: 13 }, { id: 'q2', sla: 'late', extra: true }] }), { now: T0 + 100 });
    expect(state.changed).toEqual({
      q1: { at: T0 + 100, fields: ['waiting'] },
      q2: { at: T0 + 100, fields: ['sla', 'extra'] },
    });
    state = applyDelta(state, delta(11, 12, { upsert: [{ id: 'q1', waiting: 14 }] }), { now: T0 + 700 });
    expect(state.changed.q1).toEqual({ at: T0 + 700, fields: ['waiting'] });
    expect(state.changed.q2!.at).toBe(T0 + 100);
  });

  it('drops the mark of a deleted record', () => {
    let state = applyDelta(base(), delta(10, 11, { upsert: [{ id: 'q1', waiting: 13 }] }), { now: T0 });
    state = applyDelta(state, delta(11, 12, { delete: ['q1'] }), { now: T0 + 1 });
    expect(state.changed).toEqual({});
  });

  it('expires marks made at or before the cutoff, and returns the same object when none expire', () => {
    let state = applyDelta(base(), delta(10, 11, { upsert: [{ id: 'q1', waiting: 13 }] }), { now: T0 });
    state = applyDelta(state, delta(11, 12, { upsert: [{ id: 'q2', waiting: 9 }] }), { now: T0 + 500 });
    expect(expireChanges(state, T0 - 1)).toBe(state);
    const expired = expireChanges(state, T0 + 100);
    expect(Object.keys(expired.changed)).toEqual(['q2']);
    expect(expired.records).toBe(state.records);
    expect(recordList(expired)).toBe(recordList(state));
  });

  it('changedFields covers added, altered and removed fields but never id', () => {
    expect(changedFields({ id: 'a', x: 1, y: { z: 1 }, gone: 1 }, { id: 'a', x: 1, y: { z: 2 }, added: 0 })).toEqual(['y', 'gone', 'added']);
  });
});

describe('fromInitial and channelStatus', () => {
  it('builds a channel from a server-rendered snapshot, with its render time as the last update', () => {
    const data = fromInitial({ channel: 'kpi', epoch: 'e1', seq: 4, records: [{ id: 'a' }], at: 123 });
    expect(data).toMatchObject({ epoch: 'e1', seq: 4, order: ['a'], events: [], updatedAt: 123, live: false });
    expect(fromInitial({ channel: 'kpi', epoch: 'e1', seq: 4, records: [] }).updatedAt).toBeNull();
  });

  it('derives a view status from the connection state and the channel', () => {
    const live = { ...base(), live: true };
    expect(channelStatus('open', live)).toBe('live');
    expect(channelStatus('open', base())).toBe('loading');
    expect(channelStatus('open', undefined)).toBe('loading');
    expect(channelStatus('connecting', live)).toBe('loading');
    expect(channelStatus('fallback', live)).toBe('polling');
    expect(channelStatus('reconnecting', live)).toBe('reconnecting');
    expect(channelStatus('idle', undefined)).toBe('idle');
  });

  it('reads the newest update of every view held, null before any', () => {
    expect(newestUpdate({ channels: {} })).toBeNull();
    const at = (updatedAt: number | null): ChannelData => ({ ...base(), updatedAt });
    expect(newestUpdate({ channels: { kpi: at(null), fleet: at(null) } })).toBeNull();
    expect(newestUpdate({ channels: { kpi: at(5), 'fleet\u0000v': at(9), x: at(null) } })).toBe(9);
  });
});

describe('createPulseStore', () => {
  it('creates independent stores (no shared module state)', () => {
    const a = createPulseStore();
    const b = createPulseStore();
    a.getState().ingestSnapshot(snap(1, [{ id: 'x' }]));
    expect(Object.keys(a.getState().channels)).toEqual(['kpi']);
    expect(Object.keys(b.getState().channels)).toEqual([]);
  });

  it('starts with initial snapshots, also as its initial state (for hydration)', () => {
    const store = createPulseStore({ initial: [{ channel: 'kpi', epoch: 'e1', seq: 7, records: [{ id: 'a', v: 1 }], at: 5 }] });
    expect(store.getInitialState().channels.kpi).toMatchObject({ seq: 7, updatedAt: 5 });
    expect(store.getState().channels.kpi!.records.a).toEqual({ id: 'a', v: 1 });
  });

  it('applies socket data, marks it live, and stamps the store clock', () => {
    let now = T0;
    const store = createPulseStore({ now: () => now });
    store.getState().ingestSnapshot(snap(1, [{ id: 'a', v: 1 }]));
    now += 10;
    store.getState().ingestDelta(delta(1, 2, { upsert: [{ id: 'a', v: 2 }] }));
    const kpi = store.getState().channels.kpi!;
    expect(kpi).toMatchObject({ seq: 2, live: true, updatedAt: T0 + 10 });
    expect(kpi.changed.a).toEqual({ at: T0 + 10, fields: ['v'] });
    store.getState().markNotLive();
    expect(store.getState().channels.kpi!.live).toBe(false);
  });

  it('takes polled and server-rendered snapshots only when newer than what it holds', () => {
    const store = createPulseStore();
    store.getState().ingestSnapshot(snap(5, [{ id: 'a', v: 5 }]));
    store.getState().ingestSnapshot(snap(4, [{ id: 'a', v: 4 }]), 'poll');
    store.getState().hydrate({ channel: 'kpi', epoch: 'e1', seq: 5, records: [{ id: 'a', v: 0 }] });
    expect(store.getState().channels.kpi!.records.a).toEqual({ id: 'a', v: 5 });

    store.getState().ingestSnapshot(snap(9, [{ id: 'a', v: 9 }]), 'poll');
    expect(store.getState().channels.kpi).toMatchObject({ seq: 9, live: false });

    // Another epoch: taken over polled data, refused over live socket data.
    store.getState().ingestSnapshot(snap(1, [{ id: 'a', v: 1 }], [], 'e2'), 'poll');
    expect(store.getState().channels.kpi!.epoch).toBe('e2');
    store.getState().ingestSnapshot(snap(3, [{ id: 'a', v: 3 }], [], 'e2'));
    store.getState().ingestSnapshot(snap(50, [{ id: 'a', v: 50 }], [], 'e3'), 'poll');
    expect(store.getState().channels.kpi).toMatchObject({ epoch: 'e2', seq: 3 });
  });

  it('does not notify subscribers when nothing changed', () => {
    const store = createPulseStore();
    store.getState().ingestSnapshot(snap(5, [{ id: 'a' }]));
    const listener = jest.fn();
    store.subscribe(listener);
    store.getState().ingestDelta(delta(3, 5));
    store.getState().expireChanges(1000);
    store.getState().markNotLive();
    store.getState().markNotLive();
    store.getState().setRecovered('kpi', true);
    store.getState().setRecovered('kpi', true);
    expect(listener).toHaveBeenCalledTimes(2); // markNotLive once, setRecovered once
  });

  it('keeps other channels identical when one changes', () => {
    const store = createPulseStore();
    store.getState().ingestSnapshot(snap(1, [{ id: 'a' }]));
    store.getState().ingestSnapshot({ ...snap(1, [{ id: 'b' }]), channel: 'fleet' });
    const fleet = store.getState().channels.fleet;
    store.getState().ingestDelta(delta(1, 2, { upsert: [{ id: 'a', v: 1 }] }));
    expect(store.getState().channels.fleet).toBe(fleet);
  });

  it('expires change marks by age and records subscription errors', () => {
    let now = T0;
    const store = createPulseStore({ now: () => now });
    store.getState().ingestSnapshot(snap(1, [{ id: 'a', v: 1 }]));
    store.getState().ingestDelta(delta(1, 2, { upsert: [{ id: 'a', v: 2 }] }));
    now += 999;
    store.getState().expireChanges(1000);
    expect(store.getState().channels.kpi!.changed.a).toBeDefined();
    now += 1;
    store.getState().expireChanges(1000);
    expect(store.getState().channels.kpi!.changed.a).toBeUndefined();

    store.getState().setError('kpi', { code: 'FORBIDDEN', message: 'no' });
    expect(store.getState().channels.kpi!.error).toEqual({ code: 'FORBIDDEN', message: 'no' });
    store.getState().ingestDelta(delta(2, 3));
    expect(store.getState().channels.kpi!.error).toBeNull();
  });
});

describe('the store per view', () => {
  const OFFLINE = { where: { status: 'offline' } };
  const offlineKey = viewStoreKey('fleet', { filter: OFFLINE });
  const pacedKey = viewStoreKey('fleet', { intervalMs: 5000 });
  const fleetSnap = (seq: number, ids: string[], view?: string): SnapshotMessage => ({
    type: 'snapshot',
    channel: 'fleet',
    ...(view ? { view } : {}),
    epoch: 'e1',
    seq,
    records: ids.map((id) => ({ id })),
    events: [],
    gap: false,
  });

  it('keeps the records of each view of a channel apart, by key', () => {
    const store = createPulseStore({ now: () => T0 });
    store.getState().ingestSnapshot(fleetSnap(5, ['a', 'b', 'c']));
    store.getState().ingestSnapshot(fleetSnap(5, ['b'], 'v-whatever'), 'socket', offlineKey);
    store.getState().ingestDelta({ type: 'delta', channel: 'fleet', epoch: 'e1', prevSeq: 5, seq: 6, delete: ['b'] }, offlineKey);
    store.getState().ingestSnapshot(fleetSnap(6, ['a']), 'socket', pacedKey);
    const state = store.getState();
    expect(recordList(state.channels.fleet).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(recordList(state.channels[offlineKey]).map((r) => r.id)).toEqual([]);
    expect(recordList(state.channels[pacedKey]).map((r) => r.id)).toEqual(['a']);
    expect(state.channels[offlineKey]!.channel).toBe('fleet');
    expect(selectRecord(state, 'fleet', 'b')).toEqual({ id: 'b' });
    expect(selectRecord(state, offlineKey, 'b')).toBeUndefined();
    expect(selectChannel(state, pacedKey)?.seq).toBe(6);
  });

  it('maps server-rendered snapshots to the view their filter and pace name', () => {
    const store = createPulseStore({
      initial: [
        { channel: 'fleet', epoch: 'e1', seq: 3, records: [{ id: 'a' }] },
        { channel: 'fleet', filter: OFFLINE, epoch: 'e1', seq: 4, records: [{ id: 'z' }] },
      ],
    });
    expect(Object.keys(store.getState().channels).sort()).toEqual(['fleet', offlineKey].sort());
    store.getState().hydrate({ channel: 'fleet', filter: { where: { status: 'offline' } }, epoch: 'e1', seq: 7, records: [{ id: 'y' }] });
    store.getState().hydrate({ channel: 'fleet', intervalMs: 5000, epoch: 'e1', seq: 7, records: [{ id: 'p' }] });
    expect(recordList(store.getState().channels[offlineKey]).map((r) => r.id)).toEqual(['y']);
    expect(recordList(store.getState().channels[pacedKey]).map((r) => r.id)).toEqual(['p']);
    expect(recordList(store.getState().channels.fleet).map((r) => r.id)).toEqual(['a']);
  });

  it('marks a view paused and resumed, notifying only on change, and reports the status', () => {
    const store = createPulseStore();
    store.getState().ingestSnapshot(fleetSnap(5, ['a']), 'socket', offlineKey);
    const listener = jest.fn();
    store.subscribe(listener);
    store.getState().setPaused(offlineKey, true);
    store.getState().setPaused(offlineKey, true);
    expect(listener).toHaveBeenCalledTimes(1);
    const paused = store.getState().channels[offlineKey]!;
    expect(paused).toMatchObject({ paused: true, seq: 5 });
    expect(channelStatus('open', paused)).toBe('paused');
    expect(channelStatus('reconnecting', paused)).toBe('paused');
    expect(channelStatus('closed', paused)).toBe('closed');
    expect(channelStatus('idle', paused)).toBe('idle');
    store.getState().setPaused(offlineKey, false);
    expect(channelStatus('open', store.getState().channels[offlineKey])).toBe('live');
    // a view nothing arrived for yet is created on pause
    store.getState().setPaused('kpi', true);
    expect(store.getState().channels.kpi).toMatchObject({ channel: 'kpi', paused: true, epoch: null });
    store.getState().setPaused('alerts', false);
    expect(store.getState().channels.alerts).toBeUndefined();
  });
});

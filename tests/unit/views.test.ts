import type { Recovery, RecordChange } from '@/lib/engine/types';
import { compileFilter, MATCH_ALL } from '@/lib/hub/filter';
import { recoveryDelta, snapshotView, windowDelta } from '@/lib/hub/views';
import type { ChannelEvent, ChannelRecord, Priority } from '@/lib/protocol/messages';

const rec = (id: string, fields: Record<string, unknown> = {}) => ({ id, ...fields }) as ChannelRecord;
const change = (id: string, before: ChannelRecord | undefined, after: ChannelRecord | undefined): RecordChange => ({
  id,
  before,
  after,
});
const event = (seq: number, type: string, priority: Priority = 'normal'): ChannelEvent => ({ seq, ts: 1000 + seq, type, priority });

/** Online records only, projected to `load`, high-priority `alert.*` events only. */
const online = compileFilter({ where: { status: 'online' }, fields: ['load'], eventTypes: ['alert.*'], minPriority: 'high' });

describe('windowDelta', () => {
  it('sends a record entering the view whole (projected)', () => {
    const delta = windowDelta(
      [
        change('v1', rec('v1', { status: 'offline', load: 1, lat: 5 }), rec('v1', { status: 'online', load: 2, lat: 5 })),
        change('v2', undefined, rec('v2', { status: 'online', load: 3, lat: 6 })),
      ],
      [],
      online,
    );
    expect(delta).toEqual({
      upsert: [
        { id: 'v1', load: 2 },
        { id: 'v2', load: 3 },
      ],
    });
  });

  it('sends a new record whole even when nothing changed in the projection since an earlier version', () => {
    // Entering the view: the client has no copy, so a patch would not do.
    const delta = windowDelta([change('v1', rec('v1', { status: 'offline', load: 2 }), rec('v1', { status: 'online', load: 2 }))], [], online);
    expect(delta).toEqual({ upsert: [{ id: 'v1', load: 2 }] });
  });

  it('deletes a record leaving the view or deleted while visible', () => {
    const delta = windowDelta(
      [
        change('v1', rec('v1', { status: 'online', load: 1 }), rec('v1', { status: 'offline', load: 1 })),
        change('v2', rec('v2', { status: 'online', load: 1 }), undefined),
      ],
      [],
      online,
    );
    expect(delta).toEqual({ delete: ['v1', 'v2'] });
  });

  it('ignores deletions of records the view never saw', () => {
    expect(windowDelta([change('v1', rec('v1', { status: 'offline' }), undefined)], [], online)).toBeNull();
  });

  it('sends a minimal merge patch of projected fields for a record staying in view', () => {
    const delta = windowDelta(
      [change('v1', rec('v1', { status: 'online', load: 1, lat: 5, lon: 6 }), rec('v1', { status: 'online', load: 2, lat: 7, lon: 6 }))],
      [],
      online,
    );
    expect(delta).toEqual({ upsert: [{ id: 'v1', load: 2 }] });
  });

  it('patches nested changes and removals minimally without a projection', () => {
    const delta = windowDelta(
      [change('q1', rec('q1', { waiting: 12, sla: 'ok', geo: { lat: 1, lon: 2 } }), rec('q1', { waiting: 14, geo: { lat: 1, lon: 3 } }))],
      [],
      MATCH_ALL,
    );
    expect(delta).toEqual({ upsert: [{ id: 'q1', waiting: 14, sla: null, geo: { lon: 3 } }] });
  });

  it('returns null when only invisible fields or invisible records changed', () => {
    expect(
      windowDelta(
        [
          change('v1', rec('v1', { status: 'online', load: 1, lat: 5 }), rec('v1', { status: 'online', load: 1, lat: 9 })),
          change('v2', rec('v2', { status: 'offline', load: 1 }), rec('v2', { status: 'offline', load: 5 })),
          change('v3', undefined, rec('v3', { status: 'offline' })),
        ],
        [],
        online,
      ),
    ).toBeNull();
  });

  it('sends nothing for a record created and deleted inside the window', () => {
    expect(windowDelta([change('v1', undefined, undefined)], [], online)).toBeNull();
    expect(windowDelta([change('v1', undefined, undefined)], [], MATCH_ALL)).toBeNull();
  });

  it('filters events and keeps their order', () => {
    const events = [
      event(1, 'alert.sla', 'high'),
      event(2, 'alert.sla', 'low'),
      event(3, 'info', 'critical'),
      event(4, 'alert.down', 'critical'),
    ];
    expect(windowDelta([], events, online)).toEqual({ events: [events[0], events[3]] });
    expect(windowDelta([], events, MATCH_ALL)).toEqual({ events });
    expect(windowDelta([], [events[1], events[2]], online)).toBeNull();
  });

  it('combines upserts, deletes and events, omitting empty arrays', () => {
    const delta = windowDelta(
      [
        change('v1', undefined, rec('v1', { status: 'online', load: 1 })),
        change('v2', rec('v2', { status: 'online', load: 1 }), undefined),
      ],
      [event(3, 'alert.x', 'high')],
      online,
    );
    expect(delta).toEqual({ upsert: [{ id: 'v1', load: 1 }], delete: ['v2'], events: [event(3, 'alert.x', 'high')] });
    const onlyUpsert = windowDelta([change('v1', undefined, rec('v1', { status: 'online' }))], [], online)!;
    expect(Object.keys(onlyUpsert)).toEqual(['upsert']);
  });

  it('accepts any iterable of changes (a Map of the window)', () => {
    const window = new Map([['v1', change('v1', undefined, rec('v1', { status: 'online', load: 1 }))]]);
    expect(windowDelta(window.values(), [], online)).toEqual({ upsert: [{ id: 'v1', load: 1 }] });
  });
});

describe('recoveryDelta', () => {
  const recovery = (fields: Partial<Extract<Recovery, { ok: true }>>): Extract<Recovery, { ok: true }> => ({
    ok: true,
    epoch: 'e_x',
    seq: 9,
    records: [],
    deleted: [],
    events: [],
    ...fields,
  });

  it('sends visible records whole (projected) and deletes the rest', () => {
    const delta = recoveryDelta(
      recovery({
        records: [rec('v1', { status: 'online', load: 1, lat: 2 }), rec('v2', { status: 'offline', load: 3 })],
        deleted: ['v3'],
      }),
      online,
    );
    expect(delta).toEqual({ upsert: [{ id: 'v1', load: 1 }], delete: ['v3', 'v2'] });
  });

  it('sends whole records without a filter', () => {
    const record = rec('q1', { waiting: 3, geo: { lat: 1 } });
    expect(recoveryDelta(recovery({ records: [record], deleted: ['q2'] }), MATCH_ALL)).toEqual({ upsert: [record], delete: ['q2'] });
  });

  it('filters events and keeps their order', () => {
    const events = [event(3, 'alert.a', 'high'), event(4, 'other', 'high'), event(5, 'alert.b', 'critical'), event(6, 'alert.c', 'low')];
    expect(recoveryDelta(recovery({ events }), online)).toEqual({ events: [events[0], events[2]] });
  });

  it('is an empty object when nothing happened', () => {
    expect(recoveryDelta(recovery({}), online)).toEqual({});
    expect(recoveryDelta(recovery({ events: [event(3, 'other', 'low')] }), online)).toEqual({});
  });

  it('does not modify the recovery it reads', () => {
    const input = recovery({ records: [rec('v2', { status: 'offline' })], deleted: ['v3'] });
    recoveryDelta(input, online);
    expect(input.deleted).toEqual(['v3']);
  });
});

describe('snapshotView', () => {
  const state = {
    epoch: 'e_x',
    seq: 10,
    records: [rec('v1', { status: 'online', load: 1, lat: 1 }), rec('v2', { status: 'offline', load: 2 }), rec('v3', { status: 'online', load: 3 })],
    events: [
      event(1, 'alert.a', 'high'),
      event(2, 'alert.b', 'low'),
      event(3, 'alert.c', 'critical'),
      event(4, 'other', 'critical'),
      event(5, 'alert.d', 'high'),
      event(6, 'alert.e', 'normal'),
    ],
  };

  it('keeps visible records, projected', () => {
    expect(snapshotView(state, online, 50).records).toEqual([
      { id: 'v1', load: 1 },
      { id: 'v3', load: 3 },
    ]);
  });

  it('keeps the last N events passing the filter, oldest first', () => {
    expect(snapshotView(state, online, 50).events.map((e) => e.seq)).toEqual([1, 3, 5]);
    expect(snapshotView(state, online, 2).events.map((e) => e.seq)).toEqual([3, 5]);
    expect(snapshotView(state, online, 0).events).toEqual([]);
    expect(snapshotView(state, MATCH_ALL, 3).events.map((e) => e.seq)).toEqual([4, 5, 6]);
  });

  it('returns records as they are without a filter', () => {
    const view = snapshotView(state, MATCH_ALL, 50);
    expect(view.records).toEqual(state.records);
    expect(view.events).toEqual(state.events);
  });

  it('does not reorder the state it reads', () => {
    snapshotView(state, MATCH_ALL, 3);
    expect(state.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps the most recent events that fit in the byte cap, each weighing its JSON', () => {
    const weight = (e: ChannelEvent) => Buffer.byteLength(JSON.stringify(e));
    const [e4, e5, e6] = state.events.slice(3);
    expect(snapshotView(state, MATCH_ALL, 50, weight(e5) + weight(e6)).events.map((e) => e.seq)).toEqual([5, 6]);
    expect(snapshotView(state, MATCH_ALL, 50, weight(e4) + weight(e5) + weight(e6) - 1).events.map((e) => e.seq)).toEqual([5, 6]);
    expect(snapshotView(state, MATCH_ALL, 50, weight(e6) - 1).events).toEqual([]);
    // Only the events the view passes count; the count cap still applies.
    expect(snapshotView(state, online, 50, 10_000).events.map((e) => e.seq)).toEqual([1, 3, 5]);
    expect(snapshotView(state, online, 1, 10_000).events.map((e) => e.seq)).toEqual([5]);
  });

  it('ends the list at the first event that does not fit, leaving no holes', () => {
    const big: ChannelEvent = { ...event(5, 'big'), data: { text: 'x'.repeat(500) } };
    const withBig = { ...state, events: [event(3, 'a'), event(4, 'b'), big, event(6, 'c')] };
    expect(snapshotView(withBig, MATCH_ALL, 50, 300).events.map((e) => e.seq)).toEqual([6]);
  });
});

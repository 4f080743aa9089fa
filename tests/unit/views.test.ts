import type { Recovery, RecordChange } from '@/lib/engine/types';
import { compileFilter, MATCH_ALL } from '@/lib/hub/filter';
import { PacedWindows } from '@/lib/hub/pace';
import { mergeChanges, recoveryDelta, snapshotView, windowDelta, type BatchWindow } from '@/lib/hub/views';
import { applyMergePatch } from '@/lib/protocol/merge-patch';
import type { Json } from '@/lib/protocol';
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

/** Commits as `RecordChange` lists, merged into windows the way the broadcaster merges them. */
function merged(...spans: RecordChange[][]): Map<string, RecordChange> {
  const into = new Map<string, RecordChange>();
  for (const span of spans) mergeChanges(into, span);
  return into;
}

describe('mergeChanges: several windows as one (pace)', () => {
  const all = MATCH_ALL;

  it('keeps only the latest fields of a record, a field set then removed ending as null', () => {
    const v0 = rec('q1', { waiting: 1, sla: 'ok' });
    const v1 = rec('q1', { waiting: 2, sla: 'ok', extra: 1 });
    const v2 = rec('q1', { waiting: 3, extra: 1 });
    const v3 = rec('q1', { waiting: 3 });
    const changes = merged([change('q1', v0, v1)], [change('q1', v1, v2)], [change('q1', v2, v3)]);
    expect(windowDelta(changes.values(), [], all)).toEqual({ upsert: [{ id: 'q1', waiting: 3, sla: null }] });
  });

  it('sends a record created then updated whole, and says nothing of one created then deleted', () => {
    const changes = merged(
      [change('new', undefined, rec('new', { a: 1 })), change('brief', undefined, rec('brief', { a: 1 }))],
      [change('new', rec('new', { a: 1 }), rec('new', { a: 1, b: 2 })), change('brief', rec('brief', { a: 1 }), undefined)],
    );
    expect(windowDelta(changes.values(), [], all)).toEqual({ upsert: [{ id: 'new', a: 1, b: 2 }] });
  });

  it('deletes a record that was visible at the start and is gone at the end', () => {
    const changes = merged([change('q1', rec('q1', { a: 1 }), rec('q1', { a: 2 }))], [change('q1', rec('q1', { a: 2 }), undefined)]);
    expect(windowDelta(changes.values(), [], all)).toEqual({ delete: ['q1'] });
  });

  it('does not mention a record that entered the view and left it again', () => {
    const changes = merged(
      [change('v1', rec('v1', { status: 'offline', load: 1 }), rec('v1', { status: 'online', load: 2 }))],
      [change('v1', rec('v1', { status: 'online', load: 2 }), rec('v1', { status: 'offline', load: 3 }))],
    );
    expect(windowDelta(changes.values(), [], online)).toBeNull();
  });

  it('patches a record that left the view and came back against what the client still holds', () => {
    const changes = merged(
      [change('v1', rec('v1', { status: 'online', load: 1, x: 1 }), rec('v1', { status: 'offline', load: 1 }))],
      [change('v1', rec('v1', { status: 'offline', load: 1 }), rec('v1', { status: 'online', load: 5 }))],
    );
    expect(windowDelta(changes.values(), [], online)).toEqual({ upsert: [{ id: 'v1', load: 5 }] });
    expect(windowDelta(changes.values(), [], all)).toEqual({ upsert: [{ id: 'v1', load: 5, x: null }] });
  });

  it('leaves the changes it merges from untouched', () => {
    const first = [change('q1', rec('q1', { a: 1 }), rec('q1', { a: 2 }))];
    const second = [change('q1', rec('q1', { a: 2 }), rec('q1', { a: 3 }))];
    merged(first, second);
    expect(first[0].after).toEqual(rec('q1', { a: 2 }));
  });

  it('randomized: the merged delta takes the view at the start to the view at the end', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const filters = [MATCH_ALL, online, compileFilter({ where: { load: { gte: 2 } } }), compileFilter({ fields: ['meta'] })];
    const randomRecord = (id: string): ChannelRecord | undefined => {
      if (random() < 0.2) return undefined;
      const record: ChannelRecord = { id };
      if (random() < 0.7) record.status = pick(['online', 'offline']);
      if (random() < 0.7) record.load = Math.floor(random() * 4);
      if (random() < 0.5) record.meta = random() < 0.5 ? { zone: pick(['n', 's']) } : { zone: 'n', depth: { x: Math.floor(random() * 3) } };
      return record;
    };
    for (let run = 0; run < 150; run++) {
      const ids = ['a', 'b', 'c', 'd'];
      const start = new Map(ids.map((id) => [id, randomRecord(id)]));
      const current = new Map(start);
      const windows: RecordChange[][] = [];
      for (let w = 0, count = 1 + Math.floor(random() * 5); w < count; w++) {
        const window = new Map<string, RecordChange>();
        for (let c = 0, commits = Math.floor(random() * 4); c < commits; c++) {
          const id = pick(ids);
          const after = randomRecord(id);
          mergeChanges(window, [change(id, current.get(id), after)]);
          current.set(id, after);
        }
        windows.push([...window.values()]);
      }
      for (const filter of filters) {
        const view = (records: Map<string, ChannelRecord | undefined>) => {
          const visible = new Map<string, Json>();
          for (const [id, record] of records) if (record && filter.matches(record)) visible.set(id, filter.project(record) as unknown as Json);
          return visible;
        };
        const client = view(start);
        const delta = windowDelta(merged(...windows).values(), [], filter) ?? {};
        for (const id of delta.delete ?? []) {
          expect(client.has(id)).toBe(true);
          client.delete(id);
        }
        for (const entry of delta.upsert ?? []) client.set(entry.id, applyMergePatch(client.get(entry.id), entry as unknown as Json));
        expect(client).toEqual(view(current));
        // Nothing is mentioned that was invisible both at the start and at the end.
        const mentioned = [...(delta.delete ?? []), ...(delta.upsert ?? []).map((entry) => entry.id)];
        for (const id of mentioned) expect(view(start).has(id) || view(current).has(id)).toBe(true);
      }
    }
  });
});

describe('PacedWindows', () => {
  const KEY = 'acme/fleet';
  const window = (startSeq: number, endSeq: number, changes: RecordChange[], events: ChannelEvent[] = [], epoch = 'e1'): BatchWindow => ({
    key: KEY,
    tenant: 'acme',
    channel: 'fleet',
    epoch,
    startSeq,
    endSeq,
    firstTs: 1000 + startSeq,
    changes: merged(changes),
    events,
  });

  it('merges consecutive batch windows into one pending window per pace, each with its own copy', () => {
    const paced = new PacedWindows();
    const first = window(0, 2, [change('q1', undefined, rec('q1', { a: 1 }))], [event(2, 'e')]);
    const slow = paced.absorb(first, 5000);
    const fast = paced.absorb(first, 1000);
    paced.absorb(window(2, 3, [change('q1', rec('q1', { a: 1 }), rec('q1', { a: 2 }))], [event(3, 'f')]), 5000);
    expect(slow.pending).toMatchObject({ startSeq: 0, endSeq: 3, firstTs: 1000, events: [event(2, 'e'), event(3, 'f')] });
    expect([...slow.pending!.changes.values()]).toEqual([change('q1', undefined, rec('q1', { a: 2 }))]);
    // The other pace did not see the second window, and its copy was not touched by the merge.
    expect(fast.pending).toMatchObject({ startSeq: 0, endSeq: 2, events: [event(2, 'e')] });
    expect([...fast.pending!.changes.values()]).toEqual([change('q1', undefined, rec('q1', { a: 1 }))]);
    expect(first.changes.get('q1')!.after).toEqual(rec('q1', { a: 1 }));
    expect([...paced.of(KEY)]).toEqual([slow, fast]);
  });

  it('is due once its interval passed since it last went out, and only with something pending', () => {
    const paced = new PacedWindows();
    const group = paced.absorb(window(0, 1, [change('q1', undefined, rec('q1'))]), 1000);
    expect(paced.isDue(group, 0)).toBe(true);
    expect(paced.take(group, 500)).toMatchObject({ startSeq: 0, endSeq: 1 });
    expect(paced.isDue(group, 600)).toBe(false);
    paced.absorb(window(1, 2, [change('q1', rec('q1'), rec('q1', { a: 1 }))]), 1000);
    expect(paced.isDue(group, 1499)).toBe(false);
    expect(paced.isDue(group, 1500)).toBe(true);
    expect(paced.take(group, 1500)).toMatchObject({ startSeq: 1, endSeq: 2 });
    expect(paced.take(group, 9999)).toBeNull();
    expect(paced.isDue(group, 9999)).toBe(false);
    expect(group.flushedAt).toBe(1500);
  });

  it('starts over from a window that does not continue the pending one', () => {
    const paced = new PacedWindows();
    const group = paced.absorb(window(0, 2, [change('q1', undefined, rec('q1'))]), 1000);
    paced.absorb(window(5, 6, [change('q2', undefined, rec('q2'))]), 1000);
    expect(group.pending).toMatchObject({ startSeq: 5, endSeq: 6 });
    expect([...group.pending!.changes.keys()]).toEqual(['q2']);
    paced.absorb(window(6, 7, [change('q3', undefined, rec('q3'))], [], 'e2'), 1000);
    expect(group.pending).toMatchObject({ epoch: 'e2', startSeq: 6, endSeq: 7 });
  });

  it('forgets the groups of paces nobody holds any more', () => {
    const paced = new PacedWindows();
    paced.absorb(window(0, 1, []), 1000);
    paced.absorb(window(0, 1, []), 5000);
    paced.sweep(() => new Map([[5000, 1]]));
    expect([...paced.of(KEY)].map((group) => group.intervalMs)).toEqual([5000]);
    expect(paced.pending(KEY, 1000)).toBeNull();
    paced.sweep(() => undefined);
    expect(paced.has(KEY)).toBe(false);
  });
});

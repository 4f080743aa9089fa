/**
 * `encodeDelta` writes the same bytes as `JSON.stringify` of the delta message (the wire does
 * not change), while serializing each shared upsert entry once per flush.
 */
import type { RecordChange } from '@/lib/engine/types';
import { compileFilter, MATCH_ALL } from '@/lib/hub/filter';
import { encodeDelta, windowDelta, type DeltaContent } from '@/lib/hub/views';
import type { ChannelEvent, ChannelRecord } from '@/lib/protocol/messages';

/** What the broadcaster serialized before: the message object, whole. */
function reference(channel: string, view: string | undefined, epoch: string, prevSeq: number, seq: number, content: DeltaContent, ts?: number): string {
  return JSON.stringify({ type: 'delta', channel, ...(view === undefined ? {} : { view }), epoch, prevSeq, seq, ...(ts === undefined ? {} : { ts }), ...content });
}

const events: ChannelEvent[] = [{ seq: 9, ts: 1700000000123, type: 'alert.raised', priority: 'high', data: { text: 'é "quoted" \u2028' } }];

describe('encodeDelta', () => {
  const cases: Array<[string, DeltaContent, string | undefined, number | undefined]> = [
    ['upserts only', { upsert: [{ id: 'v1', load: 2 }, { id: 'v2', load: 0.1 + 0.2, name: 'ünïcode ✓' }] }, undefined, undefined],
    ['a view name and ts', { upsert: [{ id: 'v1', nested: { a: [1, null, { b: true }] } }] }, 'map "left"', 1700000000999],
    ['an empty view name', { delete: ['v3'] }, '', undefined],
    ['deletions and events without upserts', { delete: ['v3', 'v4'], events }, undefined, 5],
    ['everything', { upsert: [{ id: 'v1', x: null }], delete: ['v2'], events }, 'v', 0],
    // Integer-like keys come first in a JS object's order, and JSON.stringify follows it.
    ['integer-like keys', { upsert: [{ id: 'v1', '10': 1, b: 2, '2': 3 } as ChannelRecord] }, undefined, undefined],
  ];
  it.each(cases)('writes the bytes JSON.stringify would: %s', (_name, content, view, ts) => {
    const bytes = encodeDelta('fleet/ä', view, 'e_x"y', 41, 42, content, ts, new Map());
    expect(bytes.toString('utf8')).toBe(reference('fleet/ä', view, 'e_x"y', 41, 42, content, ts));
  });

  it('serializes an entry shared by the views of a flush once', () => {
    const before = { id: 'v1', status: 'online', load: 1 } as ChannelRecord;
    const after = { id: 'v1', status: 'online', load: 2 } as ChannelRecord;
    const changes: RecordChange[] = [{ id: 'v1', before, after }];
    const patches = new Map<RecordChange, ChannelRecord | null>();
    const online = compileFilter({ where: { status: 'online' } });
    const a = windowDelta(changes, [], MATCH_ALL, patches)!;
    const b = windowDelta(changes, [], online, patches)!;
    expect(b.upsert![0]).toBe(a.upsert![0]);
    const fragments = new Map<object, string>();
    const first = encodeDelta('fleet', undefined, 'e', 1, 2, a, undefined, fragments);
    const second = encodeDelta('fleet', 'mine', 'e', 1, 2, b, 123, fragments);
    expect(fragments.size).toBe(1);
    expect(JSON.parse(first.toString())).toEqual({ type: 'delta', channel: 'fleet', epoch: 'e', prevSeq: 1, seq: 2, upsert: [{ id: 'v1', load: 2 }] });
    expect(second.toString()).toBe(reference('fleet', 'mine', 'e', 1, 2, b, 123));
  });

  it('throws for a value JSON cannot carry, as JSON.stringify does', () => {
    expect(() => encodeDelta('c', undefined, 'e', 0, 1, { upsert: [{ id: 'v1', n: BigInt(1) } as unknown as ChannelRecord] }, undefined, new Map())).toThrow(TypeError);
  });
});

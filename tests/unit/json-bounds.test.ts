import { ErrorCode } from '@/lib/protocol/codes';
import { JSON_LIMITS } from '@/lib/protocol/json-bounds';
import type { ChannelRecord, PublishInput } from '@/lib/protocol/messages';
import { checkPublishJson, MAX_PUBLISH_ITEMS, parseClientFrame, publishBodySchema, type ParseResult } from '@/lib/protocol/parse';

/** `depth` levels of `{"a":…}` around `inner`, as text: deep values are built as text, never as objects to stringify. */
const nestedText = (depth: number, inner = '1') => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

/** A value `depth` levels deep (the outermost object is level 1), for the shallow cases. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function refusal(result: ParseResult) {
  if (result.ok) throw new Error('expected a refusal, got ok');
  expect(result.code).toBe(ErrorCode.INVALID_MESSAGE);
  return result;
}

describe('socket frames are bounded before anything reads them', () => {
  it('refuses a 36 KB nested event, naming the depth limit and keeping the ref for the reply', () => {
    const data = nestedText(6000);
    expect(data.length).toBeGreaterThan(36_000);
    const result = refusal(parseClientFrame(`{"type":"publish","ref":7,"channel":"alerts","events":[{"type":"x","data":${data}}]}`));
    expect(result.message).toBe(`frame is nested deeper than ${JSON_LIMITS.maxDepth} levels`);
    expect(result.ref).toBe(7);
    expect(result.claimedType).toBe('publish');
  });

  it('refuses a record nested 5,000 deep', () => {
    const result = refusal(parseClientFrame(`{"type":"publish","ref":"r","channel":"kpi","upsert":[{"id":"q1","x":${nestedText(5000)}}]}`));
    expect(result.message).toMatch(/nested deeper than 32 levels/);
    expect(result.ref).toBe('r');
  });

  it('counts depth from the frame: a record may nest up to the 32nd level of the frame, not one more', () => {
    // frame (1) → upsert array (2) → record (3) → x at levels 4…
    const frame = (levels: number) => JSON.stringify({ type: 'publish', channel: 'kpi', upsert: [{ id: 'q1', x: nested(levels) }] });
    expect(parseClientFrame(frame(29)).ok).toBe(true);
    expect(refusal(parseClientFrame(frame(30))).message).toMatch(/deeper than 32 levels/);
  });

  it('refuses numbers beyond the double range (1e309 would be stored as Infinity)', () => {
    const result = refusal(parseClientFrame('{"type":"publish","ref":1,"channel":"kpi","upsert":[{"id":"q1","v":1e309}]}'));
    expect(result.message).toMatch(/not finite/);
    expect(result.ref).toBe(1);
  });

  it('refuses strings and values past their limits', () => {
    const long = 'x'.repeat(JSON_LIMITS.maxStringLength + 1);
    expect(refusal(parseClientFrame(JSON.stringify({ type: 'publish', channel: 'kpi', upsert: [{ id: 'q1', s: long }] }))).message).toMatch(
      /string longer than 65536 characters/,
    );
    const many = JSON.stringify({ type: 'publish', channel: 'kpi', upsert: [{ id: 'q1', list: new Array(JSON_LIMITS.maxNodes).fill(0) }] });
    expect(refusal(parseClientFrame(many)).message).toMatch(/more than 100000 JSON values/);
  });

  it('bounds every message type, not only publish (a deep filter is refused before the filter is read)', () => {
    const result = refusal(parseClientFrame(`{"type":"subscribe","ref":2,"channel":"kpi","filter":{"where":${nestedText(100)}}}`));
    expect(result.message).toMatch(/nested deeper than 32 levels/);
    expect(result.ref).toBe(2);
  });

  it('gives no ref when the deep frame has none, or a ref of the wrong shape', () => {
    expect(refusal(parseClientFrame(`[${nestedText(40)}]`)).ref).toBeUndefined();
    expect(refusal(parseClientFrame(`{"type":"ping","ref":{"x":1},"deep":${nestedText(40)}}`)).ref).toBeUndefined();
  });
});

describe('items per publish', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);

  it(`accepts ${MAX_PUBLISH_ITEMS} upserts, deletions and events, and refuses one more of each, naming the limit`, () => {
    expect(MAX_PUBLISH_ITEMS).toBe(10_000);
    const upserts = (n: number) => ids(n).map((id) => ({ id }));
    const events = (n: number) => ids(n).map(() => ({ type: 'e' }));
    expect(parseClientFrame(JSON.stringify({ type: 'publish', channel: 'kpi', upsert: upserts(MAX_PUBLISH_ITEMS) })).ok).toBe(true);
    expect(parseClientFrame(JSON.stringify({ type: 'publish', channel: 'kpi', delete: ids(MAX_PUBLISH_ITEMS) })).ok).toBe(true);
    expect(parseClientFrame(JSON.stringify({ type: 'publish', channel: 'kpi', events: events(MAX_PUBLISH_ITEMS) })).ok).toBe(true);

    expect(refusal(parseClientFrame(JSON.stringify({ type: 'publish', ref: 1, channel: 'kpi', upsert: upserts(MAX_PUBLISH_ITEMS + 1) }))).message).toBe(
      'publish: upsert: at most 10000 upserts per publish',
    );
    expect(refusal(parseClientFrame(JSON.stringify({ type: 'publish', channel: 'kpi', delete: ids(MAX_PUBLISH_ITEMS + 1) }))).message).toBe(
      'publish: delete: at most 10000 deletions per publish',
    );
    expect(refusal(parseClientFrame(JSON.stringify({ type: 'publish', channel: 'kpi', events: events(MAX_PUBLISH_ITEMS + 1) }))).message).toBe(
      'publish: events: at most 10000 events per publish',
    );
  });

  it('applies to the shared publish body (HTTP and server code) as well', () => {
    const result = publishBodySchema.safeParse({ upsert: ids(MAX_PUBLISH_ITEMS + 1).map((id) => ({ id })) });
    expect(result.success).toBe(false);
  });
});

describe('checkPublishJson: publishes from server code', () => {
  it('accepts plain JSON, ignoring parts and event data given as undefined', () => {
    const input: PublishInput = { upsert: [{ id: 'q1', waiting: 3 }], delete: undefined, events: [{ type: 'e', data: undefined }] };
    expect(checkPublishJson(input)).toEqual({ ok: true });
  });

  it('counts depth as in an HTTP body: the body is level 1, a record level 3', () => {
    const withDepth = (levels: number): PublishInput => ({ upsert: [{ id: 'q1', x: nested(levels) } as unknown as ChannelRecord] });
    expect(checkPublishJson(withDepth(29))).toEqual({ ok: true });
    expect(checkPublishJson(withDepth(30))).toEqual({ ok: false, message: 'publish is nested deeper than 32 levels' });
  });

  it('refuses what JSON cannot carry: BigInt, non-finite numbers, class instances, cycles', () => {
    const record = (value: unknown) => ({ upsert: [{ id: 'q1', value } as unknown as ChannelRecord] });
    expect(checkPublishJson(record(1n))).toEqual({ ok: false, message: 'publish holds a bigint, which is not JSON' });
    expect(checkPublishJson(record(Infinity)).ok).toBe(false);
    expect(checkPublishJson(record(new Date(0)))).toEqual({ ok: false, message: 'publish holds an object that is not plain JSON' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(checkPublishJson(record(cycle))).toEqual({ ok: false, message: 'publish is nested deeper than 32 levels' });
    expect(checkPublishJson({ events: [{ type: 'e', data: { n: 1n } as never }] }).ok).toBe(false);
  });
});

/**
 * The Redis engine against the in-memory engine as the reference model, on a real
 * redis-server: the same publishes must leave the same records, seqs, history answers and
 * channel lists. The Lua scripts merge JSON as text, so the values that trip JSON libraries
 * (long floats, big integers, escapes, empty arrays and objects) are generated on purpose.
 *
 * The publish script also keeps the JSON bounds on its own (nesting), whatever reaches it, and
 * caps the history's bytes like the reference.
 */
import fc from 'fast-check';
import Redis from 'ioredis';
import { MemoryEngine } from '@/lib/engine/memory';
import { RedisEngine } from '@/lib/redis/engine';
import { KeyLayout } from '@/lib/redis/keys';
import { EngineRefusalError, type EngineOptions } from '@/lib/engine/types';
import { asHubError } from '@/lib/hub/errors';
import { ErrorCode, HTTP_STATUS, type ChannelEvent, type Json, type PublishInput } from '@/lib/protocol';
import { checkJson, JSON_LIMITS } from '@/lib/protocol/json-bounds';
import { RedisLink } from '@/lib/redis/link';
import { startLocalRedis, type LocalRedis } from '@/scripts/lib/local-redis';
import { sortById } from '../helpers/channel-mirror';
import { bearer, connectPublisher, http, publishOk, sleep, subscribe } from '../helpers/http';
import { startTestServer, TEST_API_KEY, TEST_SECRET } from '../helpers/server';

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

async function enginePair(historySize = 50, historyTtlMs = 60_000, historyMaxBytes?: number) {
  const options: EngineOptions = { historySize, historyTtlMs, historyMaxBytes };
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
      fc.asyncProperty(fc.array(publish, { minLength: 1, maxLength: 25 }), fc.nat(), fc.constantFrom(undefined, 150, 600), async (inputs, positionSeed, maxBytes) => {
        const { redis: r, memory: m } = await enginePair(10, 60_000, maxBytes);
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

/** `depth` objects, each the only member `n` of the one around it, around `leaf`. */
function nested(depth: number, leaf: Json = 1): Json {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { n: value };
  return value;
}

/** A record nested `depth` levels deep, the record itself being the first. */
const deepRecord = (id: string, depth: number) => ({ id, ...(nested(depth) as object) });

/** What a channel holds, to compare before and after a refused publish. */
async function channelState(engine: RedisEngine, channel: string) {
  const state = await engine.snapshot('t', channel);
  const recovery = await engine.since('t', channel, { epoch: state.epoch, seq: 0 });
  return { state, recovery };
}

async function refusal(publishing: Promise<unknown>): Promise<EngineRefusalError> {
  const error = await publishing.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(EngineRefusalError);
  return error as EngineRefusalError;
}

describe('RedisEngine, nesting bounds in the publish script', () => {
  it('refuses records and events thousands of levels deep, leaving the channel as it was', async () => {
    const { redis: r } = await enginePair();
    await r.publish('t', 'deep', { upsert: [{ id: 'a', v: 1 }], events: [{ type: 'note', data: { ok: true } }] });
    const before = await channelState(r, 'deep');

    const inputs: PublishInput[] = [
      { upsert: [deepRecord('a', 3000)] },
      { upsert: [deepRecord('x', 3000), deepRecord('y', 3000), deepRecord('z', 3000)] },
      { upsert: [{ id: 'list', v: [nested(3000)] }] },
      { events: [{ type: 'note', data: nested(3000) }] },
      // So deep that JSON.stringify overflows the stack before anything reaches Redis.
      { upsert: [deepRecord('b', 100_000)] },
    ];
    for (const input of inputs) {
      const error = await refusal(r.publish('t', 'deep', input));
      expect(error.message).toMatch(/^publish: (upsert|events)\[0\] is nested deeper than 32 levels$/);
    }
    expect(await channelState(r, 'deep')).toEqual(before);
    expect(await r.channels('t')).toEqual([{ channel: 'deep', seq: 1, records: 1 }]);

    // Redis is free right away: another channel's publish goes through.
    expect((await r.publish('t', 'other', { upsert: [{ id: 'o' }] })).seq).toBe(1);
    await r.close();
  });

  it('stores nothing of a publish whose second record is too deep', async () => {
    const { redis: r } = await enginePair();
    await r.publish('t', 'atomic', { upsert: [{ id: 'a', v: 1 }] });
    const before = await channelState(r, 'atomic');

    const error = await refusal(
      r.publish('t', 'atomic', {
        upsert: [{ id: 'a', v: 2 }, { id: 'new', v: 1 }, deepRecord('bad', 3000)],
        delete: ['a'],
        events: [{ type: 'note' }],
      }),
    );
    expect(error.message).toBe('publish: upsert[2] is nested deeper than 32 levels');
    expect(await channelState(r, 'atomic')).toEqual(before);
    expect((await r.publish('t', 'atomic', { upsert: [{ id: 'a', v: 3 }] })).seq).toBe(2);
    await r.close();
  });

  it('draws the line where checkJson does: 32 levels of objects and arrays, the record being the first', async () => {
    const shape = fc.array(fc.constantFrom('object' as const, 'array' as const), { minLength: 28, maxLength: 36 });
    const { redis: r } = await enginePair();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(shape, fc.boolean(), async (levels, asEvent) => {
        let value: Json = 'leaf';
        for (const kind of levels) value = kind === 'object' ? { k: value, s: 'x' } : ['x', value];
        const id = `r${n++}`;
        const input: PublishInput = asEvent ? { events: [{ type: 'note', data: value }] } : { upsert: [{ id, v: value }] };
        // What the script sees: the record (or the event) is the first level.
        const legal = checkJson(asEvent ? { type: 'note', data: value } : { id, v: value }).ok;
        const outcome = await r.publish('t', 'line', input).then(
          () => 'stored',
          (error: unknown) => (error instanceof EngineRefusalError ? 'refused' : String(error)),
        );
        expect(outcome).toBe(legal ? 'stored' : 'refused');
        if (legal && !asEvent) {
          expect((await r.snapshot('t', 'line')).records.find((record) => record.id === id)).toEqual(wire({ id, v: value }));
        }
      }),
      { numRuns: 60 },
    );
    await r.close();
  });

  it('merges a large record at the full depth exactly like the reference', async () => {
    const { redis: r, memory: m } = await enginePair();
    /** 32 levels, each with 200 members of every kind (as deep as the level allows) beside the next level's object. */
    const level = (depth: number, salt: string): Record<string, Json> => {
      const members: Record<string, Json> = {};
      for (let i = 0; i < 200; i++) {
        const kinds: Json[] = [i, `${salt} "${i}" \\ é`, i % 2 === 0, 1 / 3 + i];
        if (depth <= 29) kinds.push([i, { x: [] }], { a: i, b: {} });
        members[`k${i}`] = kinds[i % kinds.length];
      }
      if (depth < 32) members.next = level(depth + 1, salt);
      return members;
    };
    const record = { ...level(1, 'one'), id: 'big' };
    expect(checkJson(record).ok).toBe(true);
    const patchLevel = (depth: number): Record<string, Json> => {
      const members: Record<string, Json> = { k0: null, k1: `changed ${depth}`, k3: depth < 32 ? { a: null, c: depth } : depth, added: depth < 32 ? [depth] : depth };
      if (depth === 16) members.k7 = { now: 'an object' };
      if (depth === 17) members.k5 = { a: 'replaces an object', b: null };
      if (depth < 32) members.next = patchLevel(depth + 1);
      return members;
    };
    const inputs: PublishInput[] = [
      { upsert: [record] },
      { upsert: [{ ...patchLevel(1), id: 'big' }] },
      // The same patch again changes nothing.
      { upsert: [{ ...patchLevel(1), id: 'big' }] },
      { upsert: [{ id: 'big', next: { next: { next: null } } }] },
    ];
    for (const input of inputs) {
      const [a, b] = await Promise.all([r.publish('t', 'large', input), m.publish('t', 'large', input)]);
      expect(a.changes).toEqual(wire(b.changes));
    }
    const [rs, ms] = await Promise.all([r.snapshot('t', 'large'), m.snapshot('t', 'large')]);
    expect(rs.records).toEqual(wire(ms.records));
    await r.close();
  });

  it('refuses a publish to a record stored too deep before the bounds, naming it, as a 400 and an INVALID_MESSAGE reply', async () => {
    const prefix = 'hub-bounds:';
    const server = await startTestServer({ REDIS_URL: redis.url, PULSE_REDIS_PREFIX: prefix, PULSE_API_KEY: TEST_API_KEY });
    const raw = new Redis(redis.url);
    const pub = await connectPublisher(server.wsUrl, TEST_SECRET);
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const publish = (body: unknown) => http(base, 'POST', '/api/channels/legacy/publish', { headers: bearer(TEST_API_KEY), body });
      expect((await publish({ upsert: [{ id: 'fine', v: 1 }] })).status).toBe(200);
      // A record written before the bounds existed, as the old script would have stored it.
      await raw.hset(new KeyLayout(prefix).channel('demo', 'legacy').records, JSON.stringify('old'), JSON.stringify(deepRecord('old', 40)));

      const answer = await publish({ upsert: [{ id: 'old', v: 2 }] });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_MESSAGE');
      expect(answer.body.error.message).toBe('publish: the stored record "old" is nested deeper than 32 levels');
      const reply = await pub.request({ type: 'publish', channel: 'legacy', upsert: [{ id: 'fine', v: 2 }, { id: 'old', v: 2 }] });
      expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });

      // Nothing of either publish was applied; the rest of the channel still takes publishes.
      const snapshot = await http(base, 'GET', '/api/channels/legacy/snapshot', { headers: bearer(TEST_API_KEY) });
      expect(snapshot.body.seq).toBe(1);
      expect(snapshot.body.records.find((record: { id: string }) => record.id === 'fine')).toEqual({ id: 'fine', v: 1 });
      expect((await publish({ upsert: [{ id: 'fine', v: 3 }] })).status).toBe(200);
    } finally {
      await pub.close();
      await raw.quit();
      await server.close();
    }
  });

  it('is mapped to INVALID_MESSAGE with HTTP 400 by the hub', () => {
    const mapped = asHubError(new EngineRefusalError(`publish: upsert[0] is nested deeper than ${JSON_LIMITS.maxDepth} levels`));
    expect(mapped?.code).toBe(ErrorCode.INVALID_MESSAGE);
    expect(mapped?.status ?? HTTP_STATUS[mapped!.code]).toBe(400);
    expect(mapped?.message).toBe('publish: upsert[0] is nested deeper than 32 levels');
  });
});

describe('RedisEngine, history byte cap', () => {
  const note = (size: number) => ({ events: [{ type: 'note', data: 'x'.repeat(size) }] });

  it('drops the oldest publishes past the byte cap, like the reference', async () => {
    const { redis: r, memory: m } = await enginePair(100, 60_000, 1000);
    for (let i = 0; i < 8; i++) {
      await r.publish('t', 'bytes', note(200));
      await m.publish('t', 'bytes', note(200));
    }
    const rs = await r.snapshot('t', 'bytes');
    const ms = await m.snapshot('t', 'bytes');
    expect(rs.events.map((event) => event.seq)).toEqual(ms.events.map((event) => event.seq));
    expect(rs.events.length).toBeGreaterThan(0);
    expect(rs.events.length).toBeLessThan(8);
    for (let seq = 0; seq <= 8; seq++) {
      const [rr, mr] = await Promise.all([r.since('t', 'bytes', { epoch: rs.epoch, seq }), m.since('t', 'bytes', { epoch: m.epoch, seq })]);
      expect({ seq, ok: rr.ok }).toEqual({ seq, ok: mr.ok });
    }
    expect((await r.since('t', 'bytes', { epoch: rs.epoch, seq: 0 })).ok).toBe(false);

    // A publish heavier than the cap on its own leaves the history at once.
    await r.publish('t', 'bytes', note(2000));
    const { epoch, seq, events } = await r.snapshot('t', 'bytes');
    expect(seq).toBe(9);
    expect(events).toEqual([]);
    expect((await r.since('t', 'bytes', { epoch, seq: 8 })).ok).toBe(false);
    expect((await r.since('t', 'bytes', { epoch, seq: 9 })).ok).toBe(true);
    await r.close();
  });

  it('keeps the byte total in step with the stream, and rebuilds it for a history kept before it was counted', async () => {
    const { redis: r } = await enginePair(5, 60_000, 10_000);
    const raw = new Redis(redis.url);
    const keys = r.keys.channel('t', 'count');
    const streamBytes = async () => (await raw.xrange(keys.history, '-', '+')).reduce((sum, [, fields]) => sum + Buffer.byteLength(fields[3]), 0);
    for (let i = 0; i < 9; i++) await r.publish('t', 'count', i % 3 === 0 ? { upsert: [{ id: 'a', i }] } : note(10 + i * 7));
    expect(await raw.xlen(keys.history)).toBe(5);
    expect(Number(await raw.hget(keys.meta, 'hbytes'))).toBe(await streamBytes());

    await raw.hdel(keys.meta, 'hbytes');
    await r.publish('t', 'count', note(5));
    expect(Number(await raw.hget(keys.meta, 'hbytes'))).toBe(await streamBytes());
    await raw.quit();
    await r.close();
  });
});

describe('RedisEngine, positions it remembers', () => {
  it('forgets channels nobody watches here once they are idle, and keeps watched ones however quiet', async () => {
    const engine = new RedisEngine({ historySize: 50, historyTtlMs: 60_000, link, prefix: `e${runs++}:`, checkIntervalMs: 20, knownIdleMs: 300 });
    try {
      expect(await engine.ready(5000)).toBe(true);
      await engine.publish('t', 'published', { upsert: [{ id: 'a' }] });
      await engine.snapshot('t', 'read');
      await engine.watch('t', 'watched');
      await engine.snapshot('t', 'watched');
      expect(engine.knownChannels).toBe(3);
      // 'read' is read again and again: only 'published' goes idle.
      const deadline = Date.now() + 5000;
      while (engine.knownChannels > 2 && Date.now() < deadline) {
        await engine.snapshot('t', 'read');
        await sleep(50);
      }
      expect(engine.knownChannels).toBe(2);
      // Left alone, 'read' goes too; 'watched' stays however long it is quiet.
      while (engine.knownChannels > 1 && Date.now() < deadline) await sleep(25);
      expect(engine.knownChannels).toBe(1);
      await sleep(900);
      expect(engine.knownChannels).toBe(1);
      // Forgotten is no loss: the next publish continues the channel where Redis has it.
      expect(await engine.publish('t', 'published', { upsert: [{ id: 'b' }] })).toMatchObject({ seq: 2 });
      expect(engine.knownChannels).toBe(2);
    } finally {
      engine.unwatch('t', 'watched');
      await engine.close();
    }
  });
});

describe('A hub on the Redis engine, with byte caps on history and snapshots', () => {
  it('drops the oldest publishes past PULSE_HISTORY_MAX_BYTES and carries only the newest events that fit in a snapshot', async () => {
    const server = await startTestServer({
      REDIS_URL: redis.url,
      PULSE_REDIS_PREFIX: 'hub-bytes:',
      PULSE_HISTORY_MAX_BYTES: '4096',
      PULSE_SNAPSHOT_EVENTS_MAX_BYTES: '2048',
    });
    const client = await connectPublisher(server.wsUrl, TEST_SECRET);
    try {
      // Eight publishes of one event of about 900 bytes each: four fit in the history, two in a snapshot.
      for (let i = 1; i <= 8; i++) await publishOk(client, 'heavy', { events: [{ type: `e${i}`, data: { text: 'x'.repeat(820) } }] });
      const snapshot = (await http(`http://127.0.0.1:${server.port}`, 'GET', '/api/channels/heavy/snapshot')).body;
      expect(snapshot.seq).toBe(8);
      expect(snapshot.events.map((event: { type: string }) => event.type)).toEqual(['e7', 'e8']);

      const early = await subscribe(client, 'heavy', { since: { epoch: snapshot.epoch, seq: 2 } });
      expect(early.reply.recovered).toBe(false);
      expect(early.first).toMatchObject({ type: 'snapshot', seq: 8, gap: true });
      const recent = await subscribe(client, 'heavy', { since: { epoch: snapshot.epoch, seq: 5 } });
      expect(recent.reply.recovered).toBe(true);
      expect(recent.first.events.map((event: { type: string }) => event.type)).toEqual(['e6', 'e7', 'e8']);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

import { ErrorCode } from '@/lib/protocol/codes';
import { isUsableRef, parseClientFrame, parseClientMessage, type ParseResult } from '@/lib/protocol/parse';

const frame = (value: unknown) => parseClientFrame(JSON.stringify(value));

function expectOk(result: ParseResult) {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.message;
}

function expectFailure(result: ParseResult, code: ErrorCode) {
  if (result.ok) throw new Error(`expected ${code}, got ok`);
  expect(result.code).toBe(code);
  expect(result.message.length).toBeGreaterThan(0);
  return result;
}

describe('valid messages', () => {
  it('auth, with and without a token', () => {
    expect(expectOk(frame({ type: 'auth', ref: 1, token: 'a.b.c' }))).toEqual({ type: 'auth', ref: 1, token: 'a.b.c' });
    expect(expectOk(frame({ type: 'auth' }))).toEqual({ type: 'auth' });
  });

  it('subscribe, with filter and since', () => {
    const message = expectOk(
      frame({
        type: 'subscribe',
        ref: 'r-3',
        channel: 'fleet',
        filter: {
          where: { status: 'online', load: { gte: 0.5 } },
          bounds: { north: 41, south: 40, east: -73, west: -75 },
          fields: ['lat', 'lon', 'status'],
        },
        since: { epoch: 'e_x1', seq: 42 },
      }),
    );
    expect(message).toEqual({
      type: 'subscribe',
      ref: 'r-3',
      channel: 'fleet',
      filter: {
        where: { status: 'online', load: { gte: 0.5 } },
        bounds: { north: 41, south: 40, east: -73, west: -75 },
        fields: ['lat', 'lon', 'status'],
      },
      since: { epoch: 'e_x1', seq: 42 },
    });
  });

  it('subscribe without a filter, or with a null one, gets the empty filter', () => {
    expect(expectOk(frame({ type: 'subscribe', channel: 'kpi' }))).toEqual({ type: 'subscribe', channel: 'kpi', filter: {} });
    expect(expectOk(frame({ type: 'subscribe', channel: 'kpi', filter: null }))).toEqual({ type: 'subscribe', channel: 'kpi', filter: {} });
  });

  it('unsubscribe, resync and ping', () => {
    expect(expectOk(frame({ type: 'unsubscribe', ref: 4, channel: 'kpi' }))).toEqual({ type: 'unsubscribe', ref: 4, channel: 'kpi' });
    expect(expectOk(frame({ type: 'resync', ref: 5, channel: 'fleet:eu' }))).toEqual({ type: 'resync', ref: 5, channel: 'fleet:eu' });
    expect(expectOk(frame({ type: 'ping', ref: 6 }))).toEqual({ type: 'ping', ref: 6 });
  });

  it('publish with upserts, deletes and events, keeping every record field', () => {
    const message = expectOk(
      frame({
        type: 'publish',
        ref: 7,
        channel: 'kpi',
        upsert: [{ id: 'q1', waiting: 14, nested: { a: null }, tags: ['x'] }],
        delete: ['q9'],
        events: [{ type: 'alert.sla', priority: 'high', data: { queue: 'q1' } }, { type: 'note' }],
      }),
    );
    expect(message).toEqual({
      type: 'publish',
      ref: 7,
      channel: 'kpi',
      upsert: [{ id: 'q1', waiting: 14, nested: { a: null }, tags: ['x'] }],
      delete: ['q9'],
      events: [{ type: 'alert.sla', priority: 'high', data: { queue: 'q1' } }, { type: 'note' }],
    });
  });

  it('publish with only events, only deletes or only upserts', () => {
    expectOk(frame({ type: 'publish', channel: 'kpi', events: [{ type: 'x' }] }));
    expectOk(frame({ type: 'publish', channel: 'kpi', delete: ['a'] }));
    expectOk(frame({ type: 'publish', channel: 'kpi', upsert: [{ id: 'a' }] }));
  });

  it('ignores unknown extra fields', () => {
    expect(expectOk(frame({ type: 'ping', ref: 1, extra: true }))).toEqual({ type: 'ping', ref: 1 });
    expect(expectOk(frame({ type: 'unsubscribe', channel: 'kpi', other: 1 }))).toEqual({ type: 'unsubscribe', channel: 'kpi' });
  });

  it('accepts every channel-name character and the length limits', () => {
    expectOk(frame({ type: 'resync', channel: 'aZ09_.:-' }));
    expectOk(frame({ type: 'resync', channel: 'a' }));
    expectOk(frame({ type: 'resync', channel: 'c'.repeat(128) }));
  });

  it('accepts refs that are integers (negative and zero included) or strings up to 64 characters', () => {
    for (const ref of [0, -5, 2 ** 53 - 1, '', 'x'.repeat(64)]) {
      expect(expectOk(frame({ type: 'ping', ref }))).toEqual({ type: 'ping', ref });
    }
  });

  it('accepts record ids of 1 and 128 characters', () => {
    expectOk(frame({ type: 'publish', channel: 'kpi', upsert: [{ id: 'a' }, { id: 'i'.repeat(128) }] }));
    expectOk(frame({ type: 'publish', channel: 'kpi', delete: ['i'.repeat(128)] }));
  });

  it('parseClientMessage takes an already-decoded value', () => {
    expect(expectOk(parseClientMessage({ type: 'ping', ref: 1 }))).toEqual({ type: 'ping', ref: 1 });
  });
});

describe('frames that are not messages', () => {
  it('refuses text that is not JSON', () => {
    const result = expectFailure(parseClientFrame('{"type":"ping"'), ErrorCode.INVALID_MESSAGE);
    expect(result.ref).toBeUndefined();
    expectFailure(parseClientFrame(''), ErrorCode.INVALID_MESSAGE);
  });

  it('refuses JSON that is not an object', () => {
    for (const text of ['[]', '[{"type":"ping"}]', 'null', '"ping"', '42', 'true']) {
      expect(expectFailure(parseClientFrame(text), ErrorCode.INVALID_MESSAGE).ref).toBeUndefined();
    }
  });

  it('refuses a missing or non-string type, reporting the ref', () => {
    expect(expectFailure(frame({ ref: 3 }), ErrorCode.INVALID_MESSAGE).ref).toBe(3);
    expect(expectFailure(frame({ type: 5, ref: 'a' }), ErrorCode.INVALID_MESSAGE).ref).toBe('a');
  });

  it('refuses an unknown type, reporting the ref and the claimed type', () => {
    for (const type of ['bogus', 'welcome', 'reply', 'toString', '__proto__', 'constructor']) {
      const result = expectFailure(frame({ type, ref: 3 }), ErrorCode.INVALID_MESSAGE);
      expect(result.ref).toBe(3);
      expect(result.claimedType).toBe(type);
    }
  });
});

describe('refs', () => {
  it.each([
    ['a float', 1.5],
    ['a 65-character string', 'x'.repeat(65)],
    ['an object', { id: 1 }],
    ['an array', [1]],
    ['null', null],
    ['a boolean', true],
    ['an unsafe integer', 2 ** 53 + 2],
  ])('refuses %s as ref, without reporting it back', (_label, ref) => {
    const result = expectFailure(frame({ type: 'ping', ref }), ErrorCode.INVALID_MESSAGE);
    expect(result.ref).toBeUndefined();
    expect(result.claimedType).toBe('ping');
    expect(result.message).toMatch(/ref/);
  });

  it('isUsableRef agrees', () => {
    expect(isUsableRef(1)).toBe(true);
    expect(isUsableRef('x'.repeat(64))).toBe(true);
    expect(isUsableRef('x'.repeat(65))).toBe(false);
    expect(isUsableRef(1.5)).toBe(false);
    expect(isUsableRef(Number.NaN)).toBe(false);
    expect(isUsableRef(undefined)).toBe(false);
  });
});

describe('wrong field shapes', () => {
  it.each([
    ['auth token not a string', { type: 'auth', token: 5 }],
    ['subscribe without channel', { type: 'subscribe' }],
    ['subscribe channel not a string', { type: 'subscribe', channel: 7 }],
    ['since without epoch', { type: 'subscribe', channel: 'kpi', since: { seq: 1 } }],
    ['since with a negative seq', { type: 'subscribe', channel: 'kpi', since: { epoch: 'e', seq: -1 } }],
    ['since with a fractional seq', { type: 'subscribe', channel: 'kpi', since: { epoch: 'e', seq: 1.5 } }],
    ['since with an empty epoch', { type: 'subscribe', channel: 'kpi', since: { epoch: '', seq: 1 } }],
    ['since not an object', { type: 'subscribe', channel: 'kpi', since: 5 }],
    ['unsubscribe without channel', { type: 'unsubscribe' }],
    ['resync without channel', { type: 'resync' }],
    ['upsert not an array', { type: 'publish', channel: 'kpi', upsert: { id: 'a' } }],
    ['upsert entry not an object', { type: 'publish', channel: 'kpi', upsert: [1] }],
    ['delete not an array', { type: 'publish', channel: 'kpi', delete: 'a' }],
    ['delete entry not a string', { type: 'publish', channel: 'kpi', delete: [1] }],
    ['events not an array', { type: 'publish', channel: 'kpi', events: { type: 'x' } }],
    ['event without type', { type: 'publish', channel: 'kpi', events: [{ data: 1 }] }],
    ['event with an empty type', { type: 'publish', channel: 'kpi', events: [{ type: '' }] }],
    ['event with an unknown priority', { type: 'publish', channel: 'kpi', events: [{ type: 'x', priority: 'urgent' }] }],
  ])('refuses %s as INVALID_MESSAGE, with the ref', (_label, message) => {
    const result = expectFailure(frame({ ...message, ref: 11 }), ErrorCode.INVALID_MESSAGE);
    expect(result.ref).toBe(11);
    expect(result.claimedType).toBe(message.type);
  });

  it('names the message type and the offending field', () => {
    const result = expectFailure(frame({ type: 'subscribe', channel: 'kpi', since: { epoch: 'e', seq: -1 } }), ErrorCode.INVALID_MESSAGE);
    expect(result.message).toMatch(/^subscribe: since\.seq/);
  });
});

describe('channel names', () => {
  it.each([
    ['empty', ''],
    ['129 characters', 'c'.repeat(129)],
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['a star', 'kpi*'],
    ['non-ASCII', 'kpï'],
    ['a newline', 'kpi\n'],
  ])('refuses a channel name with %s', (_label, channel) => {
    for (const type of ['subscribe', 'unsubscribe', 'resync'] as const) {
      expect(expectFailure(frame({ type, ref: 1, channel }), ErrorCode.INVALID_MESSAGE).ref).toBe(1);
    }
    expectFailure(frame({ type: 'publish', channel, events: [{ type: 'x' }] }), ErrorCode.INVALID_MESSAGE);
  });
});

describe('publish rules', () => {
  it('refuses records without an id or with a bad one', () => {
    for (const record of [{}, { id: '' }, { id: 'i'.repeat(129) }, { id: 5 }, { id: null }]) {
      expectFailure(frame({ type: 'publish', channel: 'kpi', upsert: [record] }), ErrorCode.INVALID_MESSAGE);
    }
    expectFailure(frame({ type: 'publish', channel: 'kpi', delete: [''] }), ErrorCode.INVALID_MESSAGE);
    expectFailure(frame({ type: 'publish', channel: 'kpi', delete: ['i'.repeat(129)] }), ErrorCode.INVALID_MESSAGE);
  });

  it('refuses an empty publish', () => {
    expectFailure(frame({ type: 'publish', ref: 1, channel: 'kpi' }), ErrorCode.INVALID_MESSAGE);
    const result = expectFailure(frame({ type: 'publish', ref: 1, channel: 'kpi', upsert: [], delete: [], events: [] }), ErrorCode.INVALID_MESSAGE);
    expect(result.ref).toBe(1);
  });

  it('refuses an id that is both upserted and deleted, naming it', () => {
    const result = expectFailure(
      frame({ type: 'publish', ref: 2, channel: 'kpi', upsert: [{ id: 'a' }, { id: 'b' }], delete: ['c', 'b'] }),
      ErrorCode.INVALID_MESSAGE,
    );
    expect(result.message).toContain('b');
    expect(result.ref).toBe(2);
    expectOk(frame({ type: 'publish', channel: 'kpi', upsert: [{ id: 'a' }], delete: ['b'] }));
  });
});

describe('filters', () => {
  const subscribe = (filter: unknown) => frame({ type: 'subscribe', ref: 'f', channel: 'fleet', filter });

  it.each([
    ['an unknown filter key', { colour: 'red' }],
    ['an unknown operator', { where: { a: { like: 'x' } } }],
    ['an empty operator object', { where: { a: {} } }],
    ['an object as equality value', { where: { a: { nested: 1 } } }],
    ['an array as equality value', { where: { a: [1] } }],
    ['a boolean for gt', { where: { a: { gt: true } } }],
    ['null for lte', { where: { a: { lte: null } } }],
    ['in not an array', { where: { a: { in: 'x' } } }],
    ['in holding an object', { where: { a: { in: [{}] } } }],
    ['an empty field path', { where: { '': 1 } }],
    ['where not an object', { where: [1] }],
    ['north above 90', { bounds: { north: 91, south: 0, east: 0, west: 0 } }],
    ['south below -90', { bounds: { north: 0, south: -91, east: 0, west: 0 } }],
    ['east above 180', { bounds: { north: 1, south: 0, east: 181, west: 0 } }],
    ['west below -180', { bounds: { north: 1, south: 0, east: 0, west: -181 } }],
    ['south > north', { bounds: { north: 40, south: 41, east: 0, west: 0 } }],
    ['a missing bound', { bounds: { north: 1, south: 0, east: 0 } }],
    ['an extra bound key', { bounds: { north: 1, south: 0, east: 0, west: 0, up: 1 } }],
    ['a string bound', { bounds: { north: '1', south: 0, east: 0, west: 0 } }],
    ['an unknown priority', { minPriority: 'urgent' }],
    ['ids not an array', { ids: 'a' }],
    ['an empty id', { ids: [''] }],
    ['fields holding a number', { fields: [1] }],
    ['an empty event type', { eventTypes: [''] }],
    ['a string filter', 'status=online'],
    ['an array filter', []],
  ])('refuses %s with BAD_FILTER and the ref', (_label, filter) => {
    const result = expectFailure(subscribe(filter), ErrorCode.BAD_FILTER);
    expect(result.ref).toBe('f');
    expect(result.claimedType).toBe('subscribe');
    expect(result.message).toMatch(/^filter /);
  });

  it('accepts every operator, bounds crossing the antimeridian and all keys together', () => {
    const filter = {
      ids: ['a'],
      where: { s: { in: ['a', null, 1, true], ne: null }, n: { gt: 1, gte: 1, lt: 'z', lte: 'z' }, 'a.b': null, f: false },
      bounds: { north: 10, south: -10, east: -170, west: 170 },
      fields: ['s'],
      eventTypes: ['alert.*'],
      minPriority: 'critical',
    };
    expect(expectOk(subscribe(filter))).toMatchObject({ filter });
  });

  it('reports an invalid channel before a bad filter', () => {
    expectFailure(frame({ type: 'subscribe', channel: 'bad name', filter: { colour: 1 } }), ErrorCode.INVALID_MESSAGE);
  });
});

test('refuses filter keys that zod would drop without a word, such as a where key named __proto__', () => {
  // JSON.parse makes "__proto__" an own key; a where condition under it must not vanish silently.
  for (const text of [
    '{"type":"subscribe","ref":"p","channel":"fleet","filter":{"where":{"__proto__":{"in":[1]}}}}',
    '{"type":"subscribe","ref":"p","channel":"fleet","filter":{"where":{"status":"online","__proto__":1}}}',
    '{"type":"subscribe","ref":"p","channel":"fleet","filter":{"where":{"load":{"gte":1,"__proto__":{}}}}}',
    '{"type":"subscribe","ref":"p","channel":"fleet","filter":{"__proto__":{"where":{}}}}',
  ]) {
    const result = expectFailure(parseClientFrame(text), ErrorCode.BAD_FILTER);
    expect(result.ref).toBe('p');
    expect(result.message).toMatch(/^filter (where\.)?(load\.)?__proto__/);
  }
  // Names that merely look special stay ordinary field paths.
  expect(expectOk(frame({ type: 'subscribe', channel: 'fleet', filter: { where: { constructor: 1, toString: 'x' } } }))).toMatchObject({
    filter: { where: { constructor: 1, toString: 'x' } },
  });
});

describe('views and pace (docs/protocol.md §12)', () => {
  it('takes view on subscribe, unsubscribe and resync, and intervalMs on subscribe', () => {
    expect(expectOk(frame({ type: 'subscribe', ref: 1, channel: 'fleet', view: 'map', intervalMs: 1000 }))).toEqual({
      type: 'subscribe',
      ref: 1,
      channel: 'fleet',
      filter: {},
      view: 'map',
      intervalMs: 1000,
    });
    expect(expectOk(frame({ type: 'unsubscribe', channel: 'fleet', view: 'map' }))).toEqual({ type: 'unsubscribe', channel: 'fleet', view: 'map' });
    expect(expectOk(frame({ type: 'resync', channel: 'fleet', view: 'a.B_9:-' }))).toEqual({ type: 'resync', channel: 'fleet', view: 'a.B_9:-' });
  });

  it('accepts view names of 1 and 64 characters', () => {
    expectOk(frame({ type: 'subscribe', channel: 'kpi', view: 'v' }));
    expectOk(frame({ type: 'subscribe', channel: 'kpi', view: 'v'.repeat(64) }));
  });

  it.each([
    ['empty', ''],
    ['too long', 'v'.repeat(65)],
    ['holding a space', 'a b'],
    ['holding a slash', 'a/b'],
    ['not ASCII', 'carte-é'],
    ['a number', 7],
    ['null', null],
  ])('refuses a view (%s) with INVALID_MESSAGE on every request that takes one', (_, view) => {
    for (const type of ['subscribe', 'unsubscribe', 'resync']) {
      const result = expectFailure(frame({ type, ref: 3, channel: 'kpi', view }), ErrorCode.INVALID_MESSAGE);
      expect(result.ref).toBe(3);
      expect(result.message).toMatch(/^\w+: view: /);
    }
  });

  it('accepts intervalMs from the batch interval to 60000', () => {
    const options = { minIntervalMs: 100 };
    for (const intervalMs of [100, 101, 5000, 60_000]) {
      expect(expectOk(parseClientFrame(JSON.stringify({ type: 'subscribe', channel: 'kpi', intervalMs }), options))).toMatchObject({ intervalMs });
    }
  });

  it.each([
    ['below the batch interval', 99],
    ['zero', 0],
    ['negative', -1000],
    ['above 60000', 60_001],
    ['not an integer', 1000.5],
    ['a string', '1000'],
    ['null', null],
  ])('refuses intervalMs (%s) with INVALID_MESSAGE', (_, intervalMs) => {
    const result = expectFailure(parseClientFrame(JSON.stringify({ type: 'subscribe', ref: 'p', channel: 'kpi', intervalMs }), { minIntervalMs: 100 }), ErrorCode.INVALID_MESSAGE);
    expect(result.ref).toBe('p');
    expect(result.message).toMatch(/^subscribe: intervalMs: /);
  });

  it('names the batch interval as the lower bound', () => {
    const result = expectFailure(parseClientFrame('{"type":"subscribe","channel":"kpi","intervalMs":50}', { minIntervalMs: 100 }), ErrorCode.INVALID_MESSAGE);
    expect(result.message).toBe("subscribe: intervalMs: must be at least 100 (the server's batch interval)");
  });

  it('checks a bad view or intervalMs before the filter', () => {
    expectFailure(frame({ type: 'subscribe', channel: 'kpi', view: '', filter: { nope: 1 } }), ErrorCode.INVALID_MESSAGE);
  });
});

/**
 * docs/protocol.md §6: subscriptions and filters, end to end over sockets. Every filter key in
 * snapshots and deltas, filter transitions (enter whole, leave as delete), projection,
 * BAD_FILTER, resubscribe, unsubscribe, NOT_SUBSCRIBED and SUBSCRIPTION_LIMIT.
 */
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';
import { connectPublisher, publishOk, sleep, subscribe } from '../helpers/http';

let server: TestServer;
let pub: TestClient;
let client: TestClient;
beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '10', PULSE_MAX_SUBSCRIPTIONS: '3' });
  pub = await connectPublisher(server.wsUrl, TEST_SECRET);
});
afterAll(async () => {
  await pub.close();
  await server.close();
});
beforeEach(async () => {
  client = await TestClient.connect(server.wsUrl);
});
afterEach(async () => {
  await client.close();
});

let counter = 0;
const fresh = (prefix = 'f') => `${prefix}-${++counter}`;

const RECORDS = [
  { id: 'r1', status: 'online', load: 0.7, org: { dept: 'ops', size: 3 }, lat: 40.5, lon: -74, ts: '2026-01-02T00:00:00Z', flag: true },
  { id: 'r2', status: 'offline', load: 0.2, org: { dept: 'ops' }, lat: 40.1, lon: -74.9, ts: '2025-12-31T00:00:00Z', flag: false },
  { id: 'r3', status: 'online', load: '0.9', org: { dept: 'sales' }, lat: '40.5', lon: -74 },
  { id: 'r4', load: 0.5, lat: 10, lon: 179.5 },
  { id: 'r5', status: 'online', load: 1, lat: 10, lon: -179.5, tags: ['x'] },
];

const ids = (records: Msg[] | undefined) => (records ?? []).map((r) => r.id).sort();

describe('record filters: the snapshot holds exactly the matching records', () => {
  let channel: string;
  beforeAll(async () => {
    channel = fresh('data');
    await publishOk(pub, channel, { upsert: RECORDS });
  });

  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['no filter', {}, ['r1', 'r2', 'r3', 'r4', 'r5']],
    ['ids', { ids: ['r1', 'r3', 'zz'] }, ['r1', 'r3']],
    ['equality with a string', { where: { status: 'online' } }, ['r1', 'r3', 'r5']],
    ['equality with a number', { where: { load: 0.5 } }, ['r4']],
    ['equality with true', { where: { flag: true } }, ['r1']],
    ['equality with false', { where: { flag: false } }, ['r2']],
    ['a dotted path', { where: { 'org.dept': 'ops' } }, ['r1', 'r2']],
    ['equality with null (a missing field)', { where: { status: null } }, ['r4']],
    ['a dotted path to a missing field, equal to null', { where: { 'org.dept': null } }, ['r4', 'r5']],
    ['in', { where: { status: { in: ['offline', 'maintenance'] } } }, ['r2']],
    ['ne (a missing field matches)', { where: { status: { ne: 'online' } } }, ['r2', 'r4']],
    ['ne null (present fields)', { where: { status: { ne: null } } }, ['r1', 'r2', 'r3', 'r5']],
    ['gt on numbers (a string never matches a number)', { where: { load: { gt: 0.5 } } }, ['r1', 'r5']],
    ['gte', { where: { load: { gte: 0.5 } } }, ['r1', 'r4', 'r5']],
    ['lt', { where: { load: { lt: 0.5 } } }, ['r2']],
    ['lte', { where: { load: { lte: 0.5 } } }, ['r2', 'r4']],
    ['several operators combine with AND', { where: { load: { gte: 0.5, lt: 1 } } }, ['r1', 'r4']],
    ['gte on strings compares lexicographically', { where: { load: { gte: '0.5' } } }, ['r3']],
    ['ISO timestamps', { where: { ts: { gte: '2026-01-01T00:00:00Z' } } }, ['r1']],
    ['a nested number', { where: { 'org.size': { gt: 2 } } }, ['r1']],
    ['several conditions combine with AND', { where: { status: 'online', load: { gte: 0.5 } } }, ['r1', 'r5']],
    ['an array-valued field never equals a scalar', { where: { tags: 'x' } }, []],
    ['bounds (a record without numeric lat/lon is outside)', { bounds: { north: 41, south: 40, east: -73, west: -75 } }, ['r1', 'r2']],
    ['bounds across the antimeridian', { bounds: { north: 20, south: 0, east: -179, west: 179 } }, ['r4', 'r5']],
    ['bounds east of 179', { bounds: { north: 20, south: 0, east: 180, west: 179 } }, ['r4']],
    ['bounds edges included', { bounds: { north: 40.5, south: 40.5, east: -74, west: -74 } }, ['r1']],
    ['ids and where and bounds together', { ids: ['r1', 'r2', 'r3'], where: { 'org.dept': 'ops' }, bounds: { north: 41, south: 40.2, east: -73, west: -75 } }, ['r1']],
    ['event-only keys leave records alone', { eventTypes: ['x'], minPriority: 'critical' }, ['r1', 'r2', 'r3', 'r4', 'r5']],
    ['nin (a missing field matches)', { where: { status: { nin: ['online'] } } }, ['r2', 'r4']],
    ['nin listing null refuses a missing field', { where: { status: { nin: ['online', null] } } }, ['r2']],
    ['nin on a dotted path', { where: { 'org.dept': { nin: ['ops'] } } }, ['r3', 'r4', 'r5']],
    ['nin is strict about types', { where: { load: { nin: [0.2, 0.5, 1, '0.7'] } } }, ['r1', 'r3']],
    ['or: at least one alternative', { or: [{ status: 'offline' }, { load: { gte: 1 } }] }, ['r2', 'r5']],
    ['or combines with where by AND', { where: { status: 'online' }, or: [{ 'org.dept': 'ops' }, { load: { gte: 1 } }] }, ['r1', 'r5']],
    ['or alternatives AND their own conditions, nin included', { or: [{ status: { nin: ['online'] }, load: { lt: 0.5 } }, { tags: { ne: null } }] }, ['r2', 'r5']],
    ['or with ids and bounds', { ids: ['r1', 'r2', 'r4'], bounds: { north: 41, south: 0, east: 180, west: -180 }, or: [{ flag: true }, { status: null }] }, ['r1', 'r4']],
    ['or with an empty alternative holds for all', { or: [{ status: 'nobody' }, {}] }, ['r1', 'r2', 'r3', 'r4', 'r5']],
  ];

  it.each(cases)('%s', async (_name, filter, expected) => {
    const { reply, first } = await subscribe(client, channel, { filter });
    expect(reply).toMatchObject({ ok: true, channel, recovered: false });
    expect(first.type).toBe('snapshot');
    expect(ids(first.records)).toEqual(expected);
    // The same view over HTTP.
    const res = await fetch(`${server.url}/api/channels/${channel}/snapshot?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    expect(ids(((await res.json()) as Msg).records)).toEqual(expected);
  });
});

describe('record filters in deltas', () => {
  it('sends records entering the filter whole, leaving ones as deletes, and changes inside as patches', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'a', status: 'online', load: 0.9, name: 'A', deep: { x: 1 } }, { id: 'b', status: 'offline', load: 0.1, name: 'B' }] });
    const { first } = await subscribe(client, channel, { filter: { where: { status: 'online' } } }, 50);
    expect(first.records).toEqual([{ id: 'a', status: 'online', load: 0.9, name: 'A', deep: { x: 1 } }]);
    let seq = first.seq;
    const nextDelta = async () => {
      const delta = await client.next((m) => m.type === 'delta');
      expect(delta.prevSeq).toBe(seq);
      seq = delta.seq;
      return delta;
    };

    // b enters: it comes whole, although only `status` changed.
    await publishOk(pub, channel, { upsert: [{ id: 'b', status: 'online' }] });
    expect(await nextDelta()).toMatchObject({ upsert: [{ id: 'b', status: 'online', load: 0.1, name: 'B' }] });
    // a changes inside: a patch.
    await publishOk(pub, channel, { upsert: [{ id: 'a', load: 0.8, deep: { x: null } }] });
    expect((await nextDelta()).upsert).toEqual([{ id: 'a', load: 0.8, deep: { x: null } }]);
    // a leaves: a delete, although the record still exists.
    await publishOk(pub, channel, { upsert: [{ id: 'a', status: 'offline' }] });
    const left = await nextDelta();
    expect(left.delete).toEqual(['a']);
    expect(left.upsert).toBeUndefined();
    // Changes outside the filter send nothing.
    await publishOk(pub, channel, { upsert: [{ id: 'a', load: 0.1 }, { id: 'c', status: 'offline' }] });
    expect(await client.nothing((m) => m.type === 'delta', 100)).toBe(true);
    // Deleting a record outside the filter sends nothing; deleting one inside sends a delete.
    await publishOk(pub, channel, { delete: ['c'] });
    expect(await client.nothing((m) => m.type === 'delta', 100)).toBe(true);
    await publishOk(pub, channel, { delete: ['b'] });
    expect((await nextDelta()).delete).toEqual(['b']);
    // a comes back in, whole, with what changed while it was outside.
    await publishOk(pub, channel, { upsert: [{ id: 'a', status: 'online' }] });
    expect((await nextDelta()).upsert).toEqual([{ id: 'a', status: 'online', load: 0.1, name: 'A', deep: {} }]);
  });

  it('moves records in and out of bounds', async () => {
    const channel = fresh();
    const bounds = { north: 10, south: -10, east: -170, west: 170 };
    await publishOk(pub, channel, { upsert: [{ id: 'v1', lat: 0, lon: 175 }, { id: 'v2', lat: 0, lon: 0 }] });
    const { first } = await subscribe(client, channel, { filter: { bounds } }, 50);
    expect(ids(first.records)).toEqual(['v1']);
    await publishOk(pub, channel, { upsert: [{ id: 'v1', lon: -175 }, { id: 'v2', lon: 171 }] });
    const crossed = await client.next((m) => m.type === 'delta');
    expect(crossed.upsert).toEqual([{ id: 'v1', lon: -175 }, { id: 'v2', lat: 0, lon: 171 }]);
    await publishOk(pub, channel, { upsert: [{ id: 'v1', lat: 11 }, { id: 'v2', lon: null }] });
    expect((await client.next((m) => m.type === 'delta')).delete).toEqual(['v1', 'v2']);
  });

  it('projects snapshots and deltas to `fields` (and id)', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'p', lat: 1, lon: 2, status: 'on', battery: 90, nested: { a: 1 } }] });
    const { first } = await subscribe(client, channel, { filter: { fields: ['lat', 'lon', 'status', 'missing'] } }, 50);
    expect(first.records).toEqual([{ id: 'p', lat: 1, lon: 2, status: 'on' }]);
    // A change to a field outside the projection is not sent at all.
    await publishOk(pub, channel, { upsert: [{ id: 'p', battery: 80, nested: { a: 2 } }] });
    expect(await client.nothing((m) => m.type === 'delta', 100)).toBe(true);
    await publishOk(pub, channel, { upsert: [{ id: 'p', battery: 70, lat: 5, status: null }] });
    expect((await client.next((m) => m.type === 'delta')).upsert).toEqual([{ id: 'p', lat: 5, status: null }]);
    await publishOk(pub, channel, { upsert: [{ id: 'p', missing: 'now here' }, { id: 'q', lat: 0, battery: 1 }] });
    expect((await client.next((m) => m.type === 'delta')).upsert).toEqual([{ id: 'p', missing: 'now here' }, { id: 'q', lat: 0 }]);
  });

  it('filters on fields it does not project', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'a', status: 'online', load: 1 }, { id: 'b', status: 'offline', load: 2 }] });
    const { first } = await subscribe(client, channel, { filter: { where: { status: 'online' }, fields: ['load'] } }, 50);
    expect(first.records).toEqual([{ id: 'a', load: 1 }]);
    await publishOk(pub, channel, { upsert: [{ id: 'b', status: 'online' }, { id: 'a', status: 'offline' }] });
    const delta = await client.next((m) => m.type === 'delta');
    expect(delta.upsert).toEqual([{ id: 'b', load: 2 }]);
    expect(delta.delete).toEqual(['a']);
  });
});

describe('or and nin in deltas: exact enter and leave transitions', () => {
  it('sends a record entering through any alternative whole, and one leaving every alternative as a delete', async () => {
    const channel = fresh();
    const filter = { where: { kind: 'node' }, or: [{ status: 'offline' }, { battery: { lt: 20 } }] };
    await publishOk(pub, channel, {
      upsert: [
        { id: 'a', kind: 'node', status: 'online', battery: 90, name: 'A' },
        { id: 'b', kind: 'node', status: 'offline', battery: 50, name: 'B' },
        { id: 'c', kind: 'hub', status: 'offline', battery: 5 },
      ],
    });
    const { first } = await subscribe(client, channel, { filter }, 50);
    expect(first.records).toEqual([{ id: 'b', kind: 'node', status: 'offline', battery: 50, name: 'B' }]);
    let seq = first.seq;
    const nextDelta = async () => {
      const delta = await client.next((m) => m.type === 'delta');
      expect(delta.prevSeq).toBe(seq);
      seq = delta.seq;
      return delta;
    };

    // a enters through the second alternative: whole, although only `battery` changed.
    await publishOk(pub, channel, { upsert: [{ id: 'a', battery: 10 }] });
    expect(await nextDelta()).toMatchObject({ upsert: [{ id: 'a', kind: 'node', status: 'online', battery: 10, name: 'A' }] });
    // a now matches both alternatives, then only the first: still inside, so patches.
    await publishOk(pub, channel, { upsert: [{ id: 'a', status: 'offline' }] });
    expect((await nextDelta()).upsert).toEqual([{ id: 'a', status: 'offline' }]);
    await publishOk(pub, channel, { upsert: [{ id: 'a', battery: 90 }] });
    expect((await nextDelta()).upsert).toEqual([{ id: 'a', battery: 90 }]);
    // b trades one alternative for the other in one publish: it never left, so a patch.
    await publishOk(pub, channel, { upsert: [{ id: 'b', status: 'online', battery: 5 }] });
    expect((await nextDelta()).upsert).toEqual([{ id: 'b', status: 'online', battery: 5 }]);
    // a leaves every alternative: a delete, although the record still exists.
    await publishOk(pub, channel, { upsert: [{ id: 'a', status: 'online' }] });
    const left = await nextDelta();
    expect(left.delete).toEqual(['a']);
    expect(left.upsert).toBeUndefined();
    // Failing the AND-ed where is leaving too, whatever the alternatives say.
    await publishOk(pub, channel, { upsert: [{ id: 'b', kind: 'hub' }] });
    expect((await nextDelta()).delete).toEqual(['b']);
    // Changes outside the view send nothing: c matches both alternatives but not the where.
    await publishOk(pub, channel, { upsert: [{ id: 'c', battery: 4 }, { id: 'a', name: 'A2' }] });
    expect(await client.nothing((m) => m.type === 'delta', 100)).toBe(true);
    // a comes back in through the first alternative, whole, with what changed while it was out.
    await publishOk(pub, channel, { upsert: [{ id: 'a', status: 'offline' }] });
    expect((await nextDelta()).upsert).toEqual([{ id: 'a', kind: 'node', status: 'offline', battery: 90, name: 'A2' }]);
  });

  it('lets nin see a record without the field, and moves it out and back as the field comes and goes', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'n', v: 1 }, { id: 'm', zone: 'x', v: 1 }] });
    const { first } = await subscribe(client, channel, { filter: { where: { zone: { nin: ['x', 'y'] } } } }, 50);
    expect(first.records).toEqual([{ id: 'n', v: 1 }]);
    await publishOk(pub, channel, { upsert: [{ id: 'n', zone: 'y' }, { id: 'm', zone: 'z' }] });
    const swapped = await client.next((m) => m.type === 'delta');
    expect(swapped.upsert).toEqual([{ id: 'm', zone: 'z', v: 1 }]);
    expect(swapped.delete).toEqual(['n']);
    // Removing the field brings n back, whole.
    await publishOk(pub, channel, { upsert: [{ id: 'n', zone: null }] });
    expect((await client.next((m) => m.type === 'delta' && m.prevSeq === swapped.seq)).upsert).toEqual([{ id: 'n', v: 1 }]);
  });

  it('serves two spellings of one or / nin filter the same bytes', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'a', s: 'on', n: 1 }] });
    const other = await TestClient.connect(server.wsUrl);
    const a = { where: { s: { nin: ['off', 'gone'] } }, or: [{ n: { lt: 5 } }, { hot: true }] };
    const b = { or: [{ hot: true }, { n: { lt: 5 } }, { hot: true }], where: { s: { nin: ['gone', 'off'] } } };
    await subscribe(client, channel, { filter: a }, 50);
    await subscribe(other, channel, { filter: b }, 50);
    const frames = [client, other].map((socket) => {
      const texts: string[] = [];
      socket.socket.on('message', (data) => texts.push(data.toString()));
      return texts;
    });
    const { seq } = await publishOk(pub, channel, { upsert: [{ id: 'a', n: 2 }, { id: 'b', s: 'on', hot: true }, { id: 'c', s: 'off', hot: true }] });
    const [mine] = await Promise.all([client, other].map((socket) => socket.next((m) => m.type === 'delta' && m.seq === seq)));
    expect(mine.upsert).toEqual([{ id: 'a', n: 2 }, { id: 'b', s: 'on', hot: true }]);
    expect(frames[0]).toHaveLength(1);
    expect(frames[1]).toEqual(frames[0]);
    await other.close();
  });
});

describe('event filters', () => {
  it('passes events by eventTypes (exact and prefix*) and minPriority, in snapshots and deltas', async () => {
    const events = [
      { type: 'alert.sla', priority: 'high' },
      { type: 'alert.cpu', priority: 'low' },
      { type: 'alerts', priority: 'critical' },
      { type: 'note' },
      { type: 'alert', priority: 'normal' },
    ];
    const types = (list: Msg[] | undefined) => (list ?? []).map((e) => e.type);
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ eventTypes: ['note'] }, ['note']],
      [{ eventTypes: ['alert.*'] }, ['alert.sla', 'alert.cpu']],
      [{ eventTypes: ['alert*'] }, ['alert.sla', 'alert.cpu', 'alerts', 'alert']],
      [{ eventTypes: ['alert', 'note'] }, ['note', 'alert']],
      [{ minPriority: 'low' }, ['alert.sla', 'alert.cpu', 'alerts', 'note', 'alert']],
      [{ minPriority: 'normal' }, ['alert.sla', 'alerts', 'note', 'alert']],
      [{ minPriority: 'high' }, ['alert.sla', 'alerts']],
      [{ minPriority: 'critical' }, ['alerts']],
      [{ eventTypes: ['alert.*'], minPriority: 'high' }, ['alert.sla']],
      [{ eventTypes: [] }, []],
      [{ where: { x: 1 } }, ['alert.sla', 'alert.cpu', 'alerts', 'note', 'alert']],
    ];
    for (const [filter, expected] of cases) {
      const channel = fresh();
      await publishOk(pub, channel, { events });
      const { first } = await subscribe(client, channel, { filter }, 50);
      expect(types(first.events)).toEqual(expected);
      const last = await publishOk(pub, channel, { events });
      if (expected.length === 0) {
        expect(await client.nothing((m) => m.type === 'delta', 100)).toBe(true);
      } else {
        const delta = await client.next((m) => m.type === 'delta' && m.seq === last.seq);
        expect(types(delta.events)).toEqual(expected);
      }
      await client.request({ type: 'unsubscribe', channel });
    }
  });
});

describe('BAD_FILTER', () => {
  const bad: Array<[string, unknown]> = [
    ['an unknown key', { colour: 'red' }],
    ['a filter that is a string', 'status=online'],
    ['a filter that is an array', [{ ids: ['a'] }]],
    ['ids that are not an array', { ids: 'a' }],
    ['ids that are not strings', { ids: [1] }],
    ['where that is not an object', { where: ['status'] }],
    ['an unknown operator', { where: { load: { between: [1, 2] } } }],
    ['an operator object with an unknown extra', { where: { load: { gt: 1, foo: 2 } } }],
    ['an empty operator object', { where: { load: {} } }],
    ['an array value', { where: { status: ['online'] } }],
    ['gt with a boolean', { where: { load: { gt: true } } }],
    ['in that is not an array', { where: { status: { in: 'online' } } }],
    ['in with an object', { where: { status: { in: [{}] } } }],
    ['ne with an object', { where: { status: { ne: { a: 1 } } } }],
    ['a latitude over 90', { bounds: { north: 91, south: 0, east: 1, west: 0 } }],
    ['a latitude under -90', { bounds: { north: 0, south: -90.5, east: 1, west: 0 } }],
    ['a longitude over 180', { bounds: { north: 1, south: 0, east: 181, west: 0 } }],
    ['a longitude under -180', { bounds: { north: 1, south: 0, east: 1, west: -181 } }],
    ['south above north', { bounds: { north: 0, south: 1, east: 1, west: 0 } }],
    ['a missing bound', { bounds: { north: 1, south: 0, east: 1 } }],
    ['bounds as strings', { bounds: { north: '1', south: 0, east: 1, west: 0 } }],
    ['an unknown bounds key', { bounds: { north: 1, south: 0, east: 1, west: 0, up: 3 } }],
    ['fields that are not an array', { fields: 'lat' }],
    ['fields that are not strings', { fields: [1] }],
    ['eventTypes that are not strings', { eventTypes: [1] }],
    ['an unknown priority', { minPriority: 'urgent' }],
    ['a priority that is a number', { minPriority: 2 }],
    ['an empty or', { or: [] }],
    ['more than 16 or alternatives', { or: Array.from({ length: 17 }, (_, i) => ({ n: i })) }],
    ['or that is not an array', { or: { status: 'online' } }],
    ['or that is null', { or: null }],
    ['an or alternative that is a string', { or: ['status'] }],
    ['an or alternative that is null', { or: [{ a: 1 }, null] }],
    ['an or alternative that is an array', { or: [[{ a: 1 }]] }],
    ['an unknown operator inside or', { or: [{ a: 1 }, { load: { between: [1, 2] } }] }],
    ['an empty operator object inside or', { or: [{ load: {} }] }],
    ['an array value inside or', { or: [{ status: ['online'] }] }],
    ['an or alternative with more than 64 conditions', { or: [Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, i]))] }],
    ['nin that is not an array', { where: { status: { nin: 'online' } } }],
    ['nin with an object', { where: { status: { nin: [{}] } } }],
    ['nin with more than 1000 values', { where: { status: { nin: Array.from({ length: 1001 }, (_, i) => i) } } }],
    ['nin that is not an array inside or', { or: [{ status: { nin: 'online' } }] }],
  ];

  it.each(bad)('refuses %s', async (_name, filter) => {
    const channel = fresh();
    const { first } = await subscribe(client, channel, {}, 50);
    const reply = await client.request({ type: 'subscribe', channel, filter });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_FILTER', message: expect.any(String) } });
    // The refused request changed nothing: the old subscription goes on, unfiltered.
    await publishOk(pub, channel, { upsert: [{ id: 'still-here' }] });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ prevSeq: first.seq, upsert: [{ id: 'still-here' }] });
    expect(client.received.filter((m) => m.type === 'snapshot')).toHaveLength(1);
  });
});

describe('subscriptions', () => {
  it('replaces a subscription when subscribing again, with a fresh snapshot for the new filter', async () => {
    const channel = fresh();
    await publishOk(pub, channel, { upsert: [{ id: 'a', g: 1 }, { id: 'b', g: 2 }], events: [{ type: 'x' }, { type: 'y' }] });
    const { first } = await subscribe(client, channel, { filter: { where: { g: 1 }, eventTypes: ['x'] } }, 50);
    expect(ids(first.records)).toEqual(['a']);
    const { reply, first: second } = await subscribe(client, channel, { filter: { where: { g: 2 } } }, 50);
    expect(reply).toMatchObject({ ok: true, channel, recovered: false });
    expect(second).toMatchObject({ type: 'snapshot', gap: false, seq: 1, records: [{ id: 'b', g: 2 }] });
    expect(second.events.map((e: Msg) => e.type)).toEqual(['x', 'y']);
    // Only the new filter applies now, and only one subscription delivers.
    await publishOk(pub, channel, { upsert: [{ id: 'a', v: 1 }] });
    await publishOk(pub, channel, { upsert: [{ id: 'b', v: 1 }] });
    const delta = await client.next((m) => m.type === 'delta');
    expect(delta.upsert).toEqual([{ id: 'b', v: 1 }]);
    await sleep(50);
    expect(client.received.filter((m) => m.type === 'delta')).toHaveLength(1);
    // Without a filter, it sees everything again.
    const { first: third } = await subscribe(client, channel);
    expect(ids(third.records)).toEqual(['a', 'b']);
  });

  it('stops deliveries after unsubscribe; unsubscribe and resync of a channel not subscribed are NOT_SUBSCRIBED', async () => {
    const channel = fresh();
    await subscribe(client, channel);
    expect(await client.request({ type: 'unsubscribe', channel })).toEqual({ type: 'reply', ref: expect.any(Number), ok: true, channel });
    await publishOk(pub, channel, { upsert: [{ id: 'a' }] });
    expect(await client.nothing((m) => m.type === 'delta' || m.type === 'snapshot', 100)).toBe(true);
    for (const type of ['unsubscribe', 'resync']) {
      expect(await client.request({ type, channel })).toMatchObject({ ok: false, error: { code: 'NOT_SUBSCRIBED' } });
      expect(await client.request({ type, channel: 'never-subscribed' })).toMatchObject({ ok: false, error: { code: 'NOT_SUBSCRIBED' } });
    }
    // Subscribing again works as new.
    const { first } = await subscribe(client, channel, {}, 50);
    expect(first).toMatchObject({ type: 'snapshot', seq: 1, records: [{ id: 'a' }] });
  });

  it('refuses more than PULSE_MAX_SUBSCRIPTIONS channels with SUBSCRIPTION_LIMIT', async () => {
    const [a, b, c, d] = [fresh(), fresh(), fresh(), fresh()];
    for (const channel of [a, b, c]) await subscribe(client, channel);
    expect(await client.request({ type: 'subscribe', channel: d })).toMatchObject({ ok: false, error: { code: 'SUBSCRIPTION_LIMIT' } });
    // Resubscribing to a channel already held is not a new one.
    expect(await client.request({ type: 'subscribe', channel: a, filter: { ids: ['x'] } })).toMatchObject({ ok: true });
    await client.request({ type: 'unsubscribe', channel: b });
    expect(await client.request({ type: 'subscribe', channel: d })).toMatchObject({ ok: true });
    // The limit is per connection.
    const other = await TestClient.connect(server.wsUrl);
    for (const channel of [a, b, c]) expect(await other.request({ type: 'subscribe', channel })).toMatchObject({ ok: true });
    await other.close();
  });
});

describe('filter size (docs/operations.md, "Limits")', () => {
  /** `count` distinct ids of `length` characters. */
  const idList = (count: number, length: number) => Array.from({ length: count }, (_, i) => `${i}`.padStart(length, 'i'));

  it('refuses a filter over 65536 bytes (10,000 ids of 84 characters) with BAD_FILTER naming the limit; the old subscription goes on', async () => {
    const channel = fresh();
    const { first } = await subscribe(client, channel, {}, 50);
    const reply = await client.request({ type: 'subscribe', channel, filter: { ids: idList(10_000, 84) } });
    expect(reply).toEqual({
      type: 'reply',
      ref: expect.any(Number),
      ok: false,
      error: { code: 'BAD_FILTER', message: expect.stringMatching(/^filter is \d+ bytes as JSON, over the limit of 65536 bytes per subscription$/) },
    });
    await publishOk(pub, channel, { upsert: [{ id: 'still-here' }] });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ prevSeq: first.seq, upsert: [{ id: 'still-here' }] });
  });

  it('keeps a few hundred ids working', async () => {
    const channel = fresh();
    const wanted = idList(500, 36);
    await publishOk(pub, channel, { upsert: [...wanted.slice(0, 3), 'other'].map((id) => ({ id })) });
    const { first } = await subscribe(client, channel, { filter: { ids: wanted } });
    expect(ids(first.records)).toEqual(wanted.slice(0, 3).sort());
  });

  describe('PULSE_MAX_FILTER_BYTES_PER_CONNECTION=100000', () => {
    let limited: TestServer;
    let socket: TestClient;
    beforeAll(async () => {
      limited = await startTestServer({ PULSE_MAX_FILTER_BYTES_PER_CONNECTION: '100000' });
    });
    afterAll(() => limited.close());
    beforeEach(async () => {
      socket = await TestClient.connect(limited.wsUrl);
    });
    afterEach(() => socket.close());

    // About 60 KB each: under the per-subscription limit, two of them over the connection's.
    const big = () => ({ ids: idList(600, 100) });

    it('refuses a subscription that would take the connection over its total, naming the limit', async () => {
      await subscribe(socket, 'big-a', { filter: big() });
      const refused = await socket.request({ type: 'subscribe', channel: 'big-b', filter: big() });
      expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_FILTER', message: expect.stringContaining('over the limit of 100000 bytes per connection') } });
      // Small filters still fit beside it.
      await subscribe(socket, 'small', { filter: { ids: ['a'] } });
      // The subscription being replaced does not count against its replacement.
      await subscribe(socket, 'big-a', { filter: { ...big(), fields: ['x'] } });
      // Unsubscribing gives its bytes back.
      await socket.request({ type: 'unsubscribe', channel: 'big-a' });
      await subscribe(socket, 'big-b', { filter: big() });
    });

    it('counts per connection, not per server', async () => {
      const other = await TestClient.connect(limited.wsUrl);
      await subscribe(socket, 'big-a', { filter: big() });
      await subscribe(other, 'big-a', { filter: big() });
      await other.close();
    });
  });
});

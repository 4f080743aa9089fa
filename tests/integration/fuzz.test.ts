/**
 * Property-based robustness: random frames, random JSON and random valid-looking requests
 * thrown at a live hub. The server never crashes nor logs an internal error, every answer is a
 * valid protocol message, every request with a usable `ref` gets exactly one answer, and
 * well-behaved clients on the same hub see every update (prevSeq continuity, final mirror
 * equal to the snapshot).
 */
import fc from 'fast-check';
import { loadConfig } from '@/lib/config';
import { ErrorCode, PRIORITIES } from '@/lib/protocol';
import { startPulseServer, type PulseServer } from '@/lib/server/start';
import { ChannelMirror, sortById } from '../helpers/channel-mirror';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { TEST_SECRET } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';
import { http, sleep, subscribe } from '../helpers/http';

jest.setTimeout(60_000);

const WATCHED = 'watched';
const WATCH_FILTER = { where: { group: 'a' } };
const MAX_PAYLOAD = 64 * 1024;
const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
const CHANNEL = /^[A-Za-z0-9_.:-]{1,128}$/;

// ---- what a valid server message looks like ----------------------------------------------

const isRef = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && v.length <= 64);
const isInt = (v: unknown, min = 0) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRecord = (v: unknown) => isObject(v) && typeof v.id === 'string' && v.id.length >= 1 && v.id.length <= 128;
const isEvent = (v: unknown) =>
  isObject(v) && isInt(v.seq, 1) && typeof v.ts === 'number' && typeof v.type === 'string' && (PRIORITIES as readonly unknown[]).includes(v.priority);
const isErrorBody = (v: unknown) => isObject(v) && ERROR_CODES.has(v.code as string) && typeof v.message === 'string';

/** Why `m` is not a valid server message, or null when it is. */
function invalidReason(m: Msg): string | null {
  switch (m.type) {
    case 'welcome':
      return m.protocol === 1 && typeof m.connectionId === 'string' && typeof m.instance === 'string' && typeof m.user === 'string' &&
        typeof m.tenant === 'string' && isInt(m.heartbeatMs, 1) && (m.expiresAt === null || typeof m.expiresAt === 'number') &&
        (m.ref === undefined || isRef(m.ref))
        ? null
        : 'bad welcome';
    case 'reply':
      if (!isRef(m.ref) || typeof m.ok !== 'boolean') return 'bad reply envelope';
      if (m.ok === false) return isErrorBody(m.error) ? null : 'bad reply error';
      return m.error === undefined ? null : 'ok reply with error';
    case 'error':
      return ERROR_CODES.has(m.code) && typeof m.message === 'string' && (m.ref === undefined || isRef(m.ref)) ? null : 'bad error';
    case 'snapshot':
      return CHANNEL.test(m.channel) && typeof m.epoch === 'string' && isInt(m.seq) && Array.isArray(m.records) && m.records.every(isRecord) &&
        Array.isArray(m.events) && m.events.every(isEvent) && typeof m.gap === 'boolean'
        ? null
        : 'bad snapshot';
    case 'delta':
      return CHANNEL.test(m.channel) && typeof m.epoch === 'string' && isInt(m.prevSeq) && isInt(m.seq) && m.seq >= m.prevSeq &&
        (m.upsert === undefined || (Array.isArray(m.upsert) && m.upsert.every(isRecord))) &&
        (m.delete === undefined || (Array.isArray(m.delete) && m.delete.every((id: unknown) => typeof id === 'string'))) &&
        (m.events === undefined || (Array.isArray(m.events) && m.events.every(isEvent))) &&
        (m.recovery === undefined || m.recovery === true)
        ? null
        : 'bad delta';
    default:
      return `unknown type ${JSON.stringify(m.type)}`;
  }
}

// ---- what the fuzzer sends ----------------------------------------------------------------

type RefMode = { mode: 'unique' } | { mode: 'none' } | { mode: 'weird'; value: unknown };
type Frame =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'request'; body: Record<string, unknown>; ref: RefMode };

const shortString = fc.string({ maxLength: 8 });
const channelName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(WATCHED, 'fz', 'fz:1', 'fz.two', 'other') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 129, maxLength: 140 }) },
);
const recordId = fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.string({ maxLength: 6 }), fc.string({ minLength: 129, maxLength: 130 }));
const fieldName = fc.oneof(fc.constantFrom('group', 'n', 'lat', 'lon', 'nested', '__proto__', 'constructor', 'id'), shortString);
const record = fc
  .tuple(recordId, fc.dictionary(fieldName, fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('a', 'b')), { maxKeys: 4 }))
  .map(([id, fields]) => ({ ...fields, id }));
/** Records shaped like the steady publisher's, so filters and patches act on them. */
const plausibleRecord = fc.record(
  {
    id: fc.constantFrom('a', 'b', 'c', 's1', 's2', 's3'),
    group: fc.oneof(fc.constantFrom('a', 'b'), fc.constant(null)),
    n: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(null)),
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
    nested: fc.oneof(fc.record({ x: fc.integer({ min: 0, max: 5 }), y: fc.oneof(fc.constant('y'), fc.constant(null)) }, { requiredKeys: [] }), fc.constant(null)),
  },
  { requiredKeys: ['id'] },
);
const plausibleFilter = fc.record(
  {
    ids: fc.array(fc.constantFrom('a', 'b', 'c', 's1', 's2'), { minLength: 1, maxLength: 3 }),
    where: fc.dictionary(
      fc.constantFrom('group', 'n', 'nested.x'),
      fc.oneof(
        fc.constantFrom('a', 'b', 1, 2),
        fc.record({ in: fc.array(fc.constantFrom('a', 'b', 1, 2), { maxLength: 3 }) }),
        fc.record({ ne: fc.constantFrom('a', 'b', 3) }),
        fc.record({ gte: fc.integer({ min: 0, max: 10 }), lt: fc.integer({ min: 5, max: 20 }) }, { requiredKeys: [] }),
      ),
      { maxKeys: 2 },
    ),
    bounds: fc.record({
      north: fc.double({ min: 0, max: 90, noNaN: true }),
      south: fc.double({ min: -90, max: 0, noNaN: true }),
      east: fc.double({ min: -180, max: 180, noNaN: true }),
      west: fc.double({ min: -180, max: 180, noNaN: true }),
    }),
    fields: fc.array(fc.constantFrom('group', 'n', 'nested', 'lat'), { minLength: 1, maxLength: 2 }),
    eventTypes: fc.array(fc.constantFrom('alert', 'alert.*', 'x'), { minLength: 1, maxLength: 2 }),
    minPriority: fc.constantFrom(...PRIORITIES),
  },
  { requiredKeys: [] },
);
const scalar = fc.oneof(fc.integer(), fc.double(), shortString, fc.boolean(), fc.constant(null));
const condition = fc.oneof(
  scalar,
  fc.record({ in: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ ne: scalar }),
  fc.record({ gt: scalar, lte: scalar }, { requiredKeys: [] }),
  fc.record({ gte: scalar, lt: scalar }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);
const filter = fc.oneof(
  { weight: 3, arbitrary: plausibleFilter },
  fc.record(
    {
      ids: fc.array(recordId, { maxLength: 3 }),
      where: fc.dictionary(fc.oneof(fieldName, fc.constantFrom('nested.x', 'a.b.c')), condition, { maxKeys: 3 }),
      bounds: fc.record({ north: fc.double(), south: fc.double(), east: fc.double(), west: fc.double() }, { requiredKeys: [] }),
      fields: fc.array(fieldName, { maxLength: 3 }),
      eventTypes: fc.array(fc.oneof(shortString, fc.constantFrom('alert.*', '*')), { maxLength: 3 }),
      minPriority: fc.oneof(fc.constantFrom(...PRIORITIES), shortString),
      junk: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const since = fc.oneof(
  { weight: 3, arbitrary: fc.record({ epoch: fc.oneof(shortString, fc.constant('<watched-epoch>')), seq: fc.oneof(fc.nat(300), fc.integer()) }) },
  fc.jsonValue({ maxDepth: 1 }),
);
const plausibleEvent = fc.record(
  { type: fc.constantFrom('alert', 'alert.sla', 'x'), priority: fc.constantFrom(...PRIORITIES), data: fc.jsonValue({ maxDepth: 2 }) },
  { requiredKeys: ['type'] },
);
const event = fc.record(
  { type: fc.oneof(fc.constantFrom('alert', 'alert.sla'), shortString), priority: fc.oneof(fc.constantFrom(...PRIORITIES), shortString), data: fc.jsonValue({ maxDepth: 2 }) },
  { requiredKeys: ['type'] },
);
const request = fc.oneof(
  fc.record({ type: fc.constant('subscribe'), channel: channelName, filter, since }, { requiredKeys: ['type', 'channel'] }),
  fc.record({ type: fc.constant('unsubscribe'), channel: channelName }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('resync'), channel: channelName }, { requiredKeys: ['type'] }),
  fc.record(
    {
      type: fc.constant('publish'),
      channel: channelName,
      upsert: fc.oneof(
        { weight: 4, arbitrary: fc.array(plausibleRecord, { minLength: 1, maxLength: 4 }) },
        fc.array(record, { maxLength: 4 }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      delete: fc.oneof(
        { weight: 6, arbitrary: fc.array(fc.constantFrom('a', 'b', 'c', 's1', 's2', 's3'), { maxLength: 2 }) },
        fc.array(recordId, { maxLength: 3 }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      events: fc.oneof({ weight: 6, arbitrary: fc.array(plausibleEvent, { maxLength: 2 }) }, fc.array(event, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: ['type', 'channel'] },
  ),
  fc.record({ type: fc.constant('ping'), extra: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('auth'), token: fc.oneof(shortString, fc.constant('a.b.c'), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.oneof(shortString, fc.jsonValue({ maxDepth: 1 })), channel: channelName }, { requiredKeys: [] }),
);
const refMode: fc.Arbitrary<RefMode> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ mode: 'unique' as const }) },
  { weight: 2, arbitrary: fc.constant({ mode: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.double(), fc.string({ minLength: 65, maxLength: 70 }), fc.constant(null), fc.boolean(), fc.array(fc.nat(), { maxLength: 2 }), fc.constant(2 ** 60))
      .map((value) => ({ mode: 'weird' as const, value })),
  },
);
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ kind: 'text' as const, text })) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }).map((text) => ({ kind: 'text' as const, text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'binary' as const, bytes })) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('request' as const), body: request, ref: refMode }) },
);

// ---- the hub and its well-behaved clients --------------------------------------------------

let server: PulseServer;
let wsUrl: string;
let logs: LogCapture;
let fuzzToken: string;
let epoch: string;
let nextRef = 1;
const tally: Record<string, number> = {};

beforeAll(async () => {
  logs = captureLogs('info');
  const config = loadConfig({
    NODE_ENV: 'test',
    PULSE_JWT_SECRET: TEST_SECRET,
    PULSE_BATCH_MS: '10',
    PULSE_RATE_LIMIT: '100000',
    PULSE_MAX_PAYLOAD: String(MAX_PAYLOAD),
    PULSE_LOG_LEVEL: 'info',
  });
  server = await startPulseServer({ config, port: 0, host: '127.0.0.1', log: logs.log });
  wsUrl = `ws://127.0.0.1:${server.port}/api/ws`;
  fuzzToken = await signToken(TEST_SECRET, { sub: 'fuzzer', tenant: 'demo', channels: { subscribe: ['*'], publish: ['fz*', WATCHED] } }, { expiresInS: 3600 });
  epoch = (await server.hub.snapshot('demo', WATCHED)).epoch;
});
afterAll(() => server.close());

function encode(f: Frame): { data: string | Uint8Array; ref?: string | number } {
  if (f.kind === 'text') return { data: f.text };
  if (f.kind === 'binary') return { data: f.bytes };
  const body: Record<string, unknown> = { ...f.body };
  if (isObject(body.since) && body.since.epoch === '<watched-epoch>') body.since = { ...body.since, epoch };
  let ref: string | number | undefined;
  if (f.ref.mode === 'unique') {
    ref = nextRef % 2 ? nextRef : `u${nextRef}`;
    nextRef++;
    body.ref = ref;
  } else if (f.ref.mode === 'weird') {
    body.ref = f.ref.value;
  }
  return { data: JSON.stringify(body), ref };
}

/** Checks every message a fuzzing client received; returns the problems found. */
function problems(received: Msg[], uniqueRefs: Array<string | number>): string[] {
  const found: string[] = [];
  for (const m of received) {
    const reason = invalidReason(m);
    if (reason) found.push(`${reason}: ${JSON.stringify(m).slice(0, 300)}`);
  }
  for (const ref of uniqueRefs) {
    const answers = received.filter((m) => (m.type === 'reply' || m.type === 'welcome') && m.ref === ref).length;
    if (answers !== 1) found.push(`ref ${JSON.stringify(ref)} answered ${answers} times`);
  }
  return found;
}

/** A publisher that keeps the watched channel busy with structured changes while the fuzz runs. */
function startSteadyPublisher(): { stop(): Promise<void> } {
  let running = true;
  let i = 0;
  const done = (async () => {
    while (running) {
      i++;
      const id = `s${i % 12}`;
      const upsert = [{ id, group: i % 3 === 0 ? 'b' : 'a', n: i, nested: { x: i % 5, y: i % 2 ? null : 'y' } }];
      const body = i % 9 === 0 ? { delete: [`s${(i + 4) % 12}`] } : i % 7 === 0 ? { events: [{ type: 'alert.steady', priority: 'high' as const, data: { i } }] } : { upsert };
      await server.hub.publish('demo', WATCHED, body);
      await sleep(7);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

function watch(client: TestClient): ChannelMirror {
  const mirror = new ChannelMirror(WATCHED);
  for (const m of client.received) mirror.apply(m);
  client.socket.on('message', (data) => mirror.apply(JSON.parse(data.toString()) as Msg));
  return mirror;
}

it('survives random frames after auth: valid answers, one answer per ref, nothing lost for others', async () => {
  const watcher = await TestClient.connect(wsUrl);
  const filtered = await TestClient.connect(wsUrl);
  await subscribe(watcher, WATCHED);
  await subscribe(filtered, WATCHED, { filter: WATCH_FILTER });
  const mirror = watch(watcher);
  const filteredMirror = watch(filtered);
  const publisher = startSteadyPublisher();

  try {
    await fc.assert(
      fc.asyncProperty(fc.option(plausibleFilter), fc.array(frame, { minLength: 1, maxLength: 25 }), fc.boolean(), async (watchFilter, frames, linger) => {
        const client = await TestClient.connect(wsUrl, fuzzToken);
        // Watching the busy channel (through a random filter) while the frames go in.
        client.send({ type: 'subscribe', ref: 'watch', channel: WATCHED, ...(watchFilter ? { filter: watchFilter } : {}) });
        const uniqueRefs: Array<string | number> = ['watch'];
        for (const f of frames) {
          const { data, ref } = encode(f);
          if (ref !== undefined) uniqueRefs.push(ref);
          client.socket.send(data, { binary: f.kind === 'binary' });
        }
        // Some runs stay a little, to receive deltas on what they subscribed to.
        if (linger) await sleep(30);
        // A last ping with a ref no frame uses: once it is answered, every frame before it was handled.
        client.send({ type: 'ping', ref: 'end' });
        const end = await client.next((m) => m.type === 'reply' && m.ref === 'end', 5000);
        expect(end).toMatchObject({ ok: true, ts: expect.any(Number) });
        expect(client.socket.readyState).toBe(client.socket.OPEN);
        expect(problems(client.received, uniqueRefs)).toEqual([]);
        for (const m of client.received) {
          const key = m.type === 'reply' ? (m.ok ? 'ok' : m.error.code) : m.type === 'error' ? m.code : m.type;
          tally[key] = (tally[key] ?? 0) + 1;
        }
        await client.close();
      }),
      { numRuns: 150 },
    );
  } finally {
    await publisher.stop();
  }

  // The fuzz reached the interesting paths, not only the parser's refusals.
  const expected = ['ok', 'snapshot', 'delta', 'INVALID_MESSAGE', 'BAD_FILTER', 'FORBIDDEN', 'NOT_SUBSCRIBED', 'AUTH_FAILED'];
  expect(expected.filter((outcome) => !tally[outcome])).toEqual([]);

  // Everyone on the watched channel saw every update, in order. (The filtered one gets no
  // delta for a last batch that changed nothing it sees, so only its records are compared.)
  const final = await server.hub.snapshot('demo', WATCHED);
  const deadline = Date.now() + 10_000;
  while (mirror.seq !== final.seq && Date.now() < deadline) await sleep(10);
  await sleep(50);
  expect(mirror.seq).toBe(final.seq);
  expect(mirror.gaps).toEqual([]);
  expect(mirror.sorted()).toEqual(sortById(final.records));
  expect(filteredMirror.gaps).toEqual([]);
  expect(filteredMirror.sorted()).toEqual(sortById((await server.hub.snapshot('demo', WATCHED, WATCH_FILTER)).records));
  expect(mirror.deltas).toBeGreaterThan(10);
  await Promise.all([watcher.close(), filtered.close()]);
});

it('survives random first frames: auth or a clean refusal with 4401', async () => {
  await fc.assert(
    fc.asyncProperty(frame, fc.array(frame, { maxLength: 3 }), async (first, rest) => {
      const client = await TestClient.open(wsUrl);
      for (const f of [first, ...rest]) {
        const { data } = encode(f);
        client.socket.send(data, { binary: f.kind === 'binary' });
      }
      // Every first frame is answered: a welcome (it was a valid auth), or an error and 4401.
      const answer = await client.next((m) => m.type === 'welcome' || m.type === 'error', 5000);
      if (answer.type === 'error') {
        expect(['AUTH_REQUIRED', 'AUTH_FAILED', 'TOKEN_EXPIRED']).toContain(answer.code);
        expect((await client.closed).code).toBe(4401);
      }
      for (const m of client.received) expect(invalidReason(m)).toBeNull();
      await client.close();
    }),
    { numRuns: 60 },
  );
});

it('is still healthy, logged no internal error, and never closed anyone for a server fault', async () => {
  expect((await http(`http://127.0.0.1:${server.port}`, 'GET', '/api/health')).status).toBe(200);
  const client = await TestClient.connect(wsUrl);
  await expect(client.request({ type: 'ping' })).resolves.toMatchObject({ ok: true });
  await client.close();
  const entries = logs.entries();
  expect(entries.filter((e) => (e.level as number) >= 50)).toEqual([]);
  expect(server.hub.counters().errors.INTERNAL_ERROR ?? 0).toBe(0);
  expect(entries.filter((e) => e.msg === 'disconnected' && e.code === 1011)).toEqual([]);
});

/**
 * docs/protocol.md §3: every request with a ref gets exactly one reply with that ref; bad frames
 * after auth are INVALID_MESSAGE (a reply when the ref is usable, else an unsolicited error)
 * and leave the connection open; unknown fields are ignored; ping carries the server time.
 */
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';
import { connectPublisher, sleep } from '../helpers/http';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '10' });
});
afterAll(() => server.close());

/** Waits until the connection has answered everything sent so far (a ping round trip). */
async function settle(client: TestClient): Promise<void> {
  client.send({ type: 'ping', ref: 'settle' });
  await client.next((m) => m.type === 'reply' && m.ref === 'settle');
  await sleep(30);
}

describe('exactly one reply per ref', () => {
  it('answers each of many mixed requests once, with integer and string refs', async () => {
    const client = await connectPublisher(server.wsUrl, TEST_SECRET);
    const maxRef = 'r'.repeat(64);
    const requests: Array<[Msg, boolean]> = [
      [{ type: 'ping', ref: 1 }, true],
      [{ type: 'subscribe', ref: 'sub-a', channel: 'one-reply' }, true],
      [{ type: 'publish', ref: 0, channel: 'one-reply', upsert: [{ id: 'a', v: 1 }] }, true],
      [{ type: 'resync', ref: -5, channel: 'one-reply' }, true],
      [{ type: 'unsubscribe', ref: 'u', channel: 'one-reply' }, true],
      [{ type: 'unsubscribe', ref: 'u2', channel: 'one-reply' }, false],
      [{ type: 'publish', ref: 7, channel: 'one-reply' }, false],
      [{ type: 'subscribe', ref: 8, channel: 'one-reply', filter: { nope: 1 } }, false],
      [{ type: 'nonsense', ref: 9 }, false],
      [{ type: 'ping', ref: maxRef }, true],
      [{ type: 'ping', ref: '' }, true],
      [{ type: 'ping', ref: Number.MAX_SAFE_INTEGER }, true],
    ];
    for (const [request] of requests) client.send(request);
    await settle(client);
    const replies = client.received.filter((m) => m.type === 'reply' && m.ref !== 'settle');
    expect(replies).toHaveLength(requests.length);
    for (const [request, ok] of requests) {
      const matching = replies.filter((r) => r.ref === request.ref);
      expect(matching).toHaveLength(1);
      expect(matching[0].ok).toBe(ok);
    }
    expect(client.received.filter((m) => m.type === 'error')).toEqual([]);
    await client.close();
  });

  it('sends no reply for requests without a ref, but still does the work', async () => {
    const client = await connectPublisher(server.wsUrl, TEST_SECRET);
    client.send({ type: 'subscribe', channel: 'no-ref' });
    expect(await client.next((m) => m.type === 'snapshot')).toMatchObject({ channel: 'no-ref' });
    client.send({ type: 'publish', channel: 'no-ref', upsert: [{ id: 'a' }] });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ seq: 1 });
    client.send({ type: 'ping' });
    await settle(client);
    expect(client.received.filter((m) => m.type === 'reply' && m.ref !== 'settle')).toEqual([]);
    await client.close();
  });

  it('answers a failed request without a ref with an unsolicited error', async () => {
    const client = await connectPublisher(server.wsUrl, TEST_SECRET);
    client.send({ type: 'unsubscribe', channel: 'never' });
    expect(await client.next()).toEqual({ type: 'error', code: 'NOT_SUBSCRIBED', message: expect.any(String) });
    client.send({ type: 'subscribe', channel: 'x', filter: { bounds: { north: 100, south: 0, east: 0, west: 0 } } });
    expect(await client.next()).toEqual({ type: 'error', code: 'BAD_FILTER', message: expect.any(String) });
    await client.close();
  });
});

describe('INVALID_MESSAGE after auth', () => {
  let client: TestClient;
  beforeEach(async () => {
    client = await TestClient.connect(server.wsUrl);
  });
  afterEach(async () => {
    // The connection stayed open through every bad frame.
    expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true });
    await client.close();
  });

  const unsolicited: Array<[string, string]> = [
    ['a frame that is not JSON', '{"type":"ping",'],
    ['plain text', 'hello'],
    ['a JSON array', '[{"type":"ping","ref":1}]'],
    ['a JSON string', '"ping"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['an object without type', '{"channel":"kpi"}'],
    ['a type that is not a string', '{"type":5}'],
    ['an unknown type without ref', '{"type":"shout"}'],
    ['a fractional ref', '{"type":"ping","ref":1.5}'],
    ['a ref that is an object', '{"type":"ping","ref":{"id":1}}'],
    ['a ref that is a boolean', '{"type":"ping","ref":true}'],
    ['a ref that is null', '{"type":"ping","ref":null}'],
    ['a ref of 65 characters', JSON.stringify({ type: 'ping', ref: 'x'.repeat(65) })],
    ['a bad ref on an otherwise valid subscribe', '{"type":"subscribe","ref":[1],"channel":"kpi"}'],
    ['wrong field types without ref', '{"type":"subscribe","channel":7}'],
  ];

  it.each(unsolicited)('answers %s with an unsolicited INVALID_MESSAGE error', async (_name, frame) => {
    client.send(frame);
    const answer = await client.next();
    expect(answer).toEqual({ type: 'error', code: 'INVALID_MESSAGE', message: expect.any(String) });
    await settle(client);
    // Nothing else was sent about it: no reply, no subscription side effect.
    expect(client.received.filter((m) => m.type !== 'welcome' && (m.type !== 'reply' || m.ref !== 'settle'))).toEqual([answer]);
  });

  const replied: Array<[string, Msg]> = [
    ['an unknown type', { type: 'shout', ref: 11 }],
    ['a channel that is a number', { type: 'subscribe', ref: 12, channel: 7 }],
    ['a missing channel', { type: 'unsubscribe', ref: 13 }],
    ['an upsert that is a string', { type: 'publish', ref: 14, channel: 'kpi', upsert: 'a' }],
    ['since of the wrong shape', { type: 'subscribe', ref: 15, channel: 'kpi', since: { epoch: 'e', seq: -1 } }],
    ['since with a fractional seq', { type: 'subscribe', ref: 16, channel: 'kpi', since: { epoch: 'e', seq: 1.5 } }],
    ['since without epoch', { type: 'subscribe', ref: 17, channel: 'kpi', since: { seq: 1 } }],
    ['a token that is a number', { type: 'auth', ref: 18, token: 5 }],
    ['events that are not an array', { type: 'publish', ref: 19, channel: 'kpi', events: { type: 'x' } }],
    ['a string ref', { type: 'resync', ref: 'my-ref', channel: 3 }],
  ];

  it.each(replied)('answers %s with a reply ok:false INVALID_MESSAGE', async (_name, frame) => {
    client.send(frame);
    const answer = await client.next();
    expect(answer).toEqual({ type: 'reply', ref: frame.ref, ok: false, error: { code: 'INVALID_MESSAGE', message: expect.any(String) } });
    await settle(client);
    expect(client.received.filter((m) => m.type !== 'welcome' && (m.type !== 'reply' || m.ref !== 'settle'))).toEqual([answer]);
  });

  it('refuses binary frames without closing', async () => {
    client.socket.send(Buffer.from(JSON.stringify({ type: 'ping', ref: 1 })), { binary: true });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
  });
});

describe('tolerance and ping', () => {
  it('ignores unknown extra fields', async () => {
    const client = await connectPublisher(server.wsUrl, TEST_SECRET);
    const sub = await client.request({ type: 'subscribe', channel: 'extras', colour: 'blue', filter: undefined, nested: { a: 1 } });
    expect(sub).toEqual({ type: 'reply', ref: expect.anything(), ok: true, channel: 'extras', recovered: false });
    await client.next((m) => m.type === 'snapshot');
    const pub = await client.request({ type: 'publish', channel: 'extras', upsert: [{ id: 'a', v: 1 }], priority: 'x', extra: [1, 2] });
    expect(pub).toMatchObject({ ok: true, seq: 1 });
    expect(await client.request({ type: 'ping', payload: 'ignored' })).toMatchObject({ ok: true, ts: expect.any(Number) });
    await client.close();
  });

  it('answers ping with the server time in ms since the epoch', async () => {
    const client = await TestClient.connect(server.wsUrl);
    const before = Date.now();
    const reply = await client.request({ type: 'ping' });
    const after = Date.now();
    expect(reply).toEqual({ type: 'reply', ref: expect.any(Number), ok: true, ts: expect.any(Number) });
    expect(reply.ts).toBeGreaterThanOrEqual(before);
    expect(reply.ts).toBeLessThanOrEqual(after);
    await client.close();
  });

  it('counts bad frames against the rate limit', async () => {
    const limited = await startTestServer({ PULSE_RATE_LIMIT: '5' });
    try {
      const client = await TestClient.connect(limited.wsUrl);
      // The bucket holds 10 tokens (auth took one); bad frames spend them like good ones.
      for (let i = 0; i < 12; i++) client.send('not json');
      client.send({ type: 'ping', ref: 'last' });
      expect(await client.next((m) => m.ref === 'last')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(client.received.filter((m) => m.type === 'error' && m.code === 'INVALID_MESSAGE').length).toBeLessThanOrEqual(10);
      await client.close();
    } finally {
      await limited.close();
    }
  });
});

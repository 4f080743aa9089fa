/**
 * The client hooks the protocol test page relies on: `frame` events for both directions, and
 * `drop()`, which loses the connection on purpose so that reconnect and resume can be watched.
 */
import { ClientCloseCode } from '@/lib/client/client';
import type { FrameEvent } from '@/lib/client/types';
import { flush, record, setupFakeClients } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

const makeClient = setupFakeClients();

describe('frame events', () => {
  it('reports every text frame out and in, with the exact text and a time', () => {
    const client = makeClient();
    const frames: FrameEvent[] = record(client, 'frame');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();

    expect(frames.map((f) => f.direction)).toEqual(['out', 'in']);
    expect(frames[0].data).toBe(ws.sent[0]);
    expect(JSON.parse(frames[0].data)).toMatchObject({ type: 'auth' });
    expect(JSON.parse(frames[1].data)).toMatchObject({ type: 'welcome', connectionId: 'c_test' });
    for (const frame of frames) expect(typeof frame.at).toBe('number');
  });

  it('reports requests and their replies, failed ones included', async () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const frames = record(client, 'frame');

    const result = client.request('publish', { channel: 'kpi', upsert: [{ id: 'q1' }] }).catch((error: unknown) => error);
    ws.replyError('publish', 'FORBIDDEN', 'cannot publish to kpi');
    await expect(result).resolves.toMatchObject({ code: 'FORBIDDEN' });

    expect(frames.map((f) => [f.direction, JSON.parse(f.data).type])).toEqual([
      ['out', 'publish'],
      ['in', 'reply'],
    ]);
    expect(JSON.parse(frames[1].data)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('reports unreadable frames from the server as they came', () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const frames = record(client, 'frame');
    const errors = record(client, 'error');

    ws.receive('not json');
    expect(frames).toEqual([{ direction: 'in', data: 'not json', at: expect.any(Number) }]);
    expect(errors[0].error.code).toBe('BAD_FRAME');
  });
});

describe('drop()', () => {
  it('closes the socket with 4005 (not 1000), reconnects with backoff and resumes with since', async () => {
    const client = makeClient();
    client.connect();
    const first = FakeWebSocket.latest();
    first.handshake();
    client.subscribe('kpi');
    first.replyOk('subscribe', { channel: 'kpi', recovered: false });
    first.receive({ type: 'snapshot', channel: 'kpi', epoch: 'e1', seq: 7, records: [], events: [], gap: false });
    expect(client.position('kpi')).toEqual({ epoch: 'e1', seq: 7 });

    const disconnects = record(client, 'disconnect');
    const reconnects = record(client, 'reconnect');
    const subscribed = record(client, 'subscribed');
    client.drop();

    expect(first.closedByClient).toEqual({ code: ClientCloseCode.DROPPED, reason: expect.any(String) });
    expect(ClientCloseCode.DROPPED).toBe(4005);
    expect(disconnects).toEqual([{ code: 4005, reason: expect.any(String), willReconnect: true }]);
    expect(client.state).toBe('reconnecting');
    expect(reconnects).toEqual([{ attempt: 0, delayMs: 250, code: 4005 }]);
    expect(FakeWebSocket.instances).toHaveLength(1);

    jest.advanceTimersByTime(250);
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(first);
    second.handshake();
    expect(client.state).toBe('open');
    expect(second.last('subscribe')).toMatchObject({ channel: 'kpi', since: { epoch: 'e1', seq: 7 } });

    second.replyOk('subscribe', { channel: 'kpi', recovered: true });
    await flush();
    expect(subscribed).toEqual([{ channel: 'kpi', recovered: true, since: { epoch: 'e1', seq: 7 } }]);
  });

  it('rejects requests waiting on the dropped socket, and the session is gone until welcome', async () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const ping = client.ping().catch((error: unknown) => error);

    client.drop();
    await expect(ping).resolves.toMatchObject({ code: 'DISCONNECTED' });
    expect(client.session).toBeNull();
  });

  it('does nothing without a socket', () => {
    const client = makeClient();
    const states = record(client, 'state');
    client.drop();
    expect(client.state).toBe('idle');

    client.connect();
    FakeWebSocket.latest().handshake();
    client.close();
    client.drop();
    expect(client.state).toBe('closed');
    expect(states.map((s) => s.newState)).toEqual(['connecting', 'open', 'closed']);
  });
});

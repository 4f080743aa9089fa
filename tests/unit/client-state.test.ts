import { ClientCloseCode } from '@/lib/client/client';
import type { PulseClientError } from '@/lib/client/errors';
import type { NetworkMonitor } from '@/lib/client/network';
import type { TokenContext } from '@/lib/client/types';
import type { DeltaMessage, SnapshotMessage } from '@/lib/protocol/messages';
import { flush, record, setupFakeClients } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

/** A network the test switches on and off. */
class FakeNetwork implements NetworkMonitor {
  online = true;
  private listeners = new Set<(online: boolean) => void>();
  isOnline = () => this.online;
  subscribe(listener: (online: boolean) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(online: boolean) {
    this.online = online;
    for (const listener of [...this.listeners]) listener(online);
  }
}

const makeClient = setupFakeClients();

function snapshot(channel: string, seq: number, epoch = 'e1'): SnapshotMessage {
  return { type: 'snapshot', channel, epoch, seq, records: [{ id: 'r1', v: seq }], events: [], gap: false };
}

function delta(channel: string, prevSeq: number, seq: number, epoch = 'e1', extra: Partial<DeltaMessage> = {}): DeltaMessage {
  return { type: 'delta', channel, epoch, prevSeq, seq, upsert: [{ id: 'r1', v: seq }], ...extra };
}


describe('connection states', () => {
  it('goes idle → connecting → open through auth and welcome', () => {
    const client = makeClient({ getToken: () => 'jwt-1' });
    const states = record(client, 'state');
    expect(client.state).toBe('idle');

    client.connect();
    expect(client.state).toBe('connecting');
    const ws = FakeWebSocket.latest();
    expect(ws.url).toBe('ws://hub.test/api/ws');

    ws.open();
    expect(ws.messages).toEqual([{ type: 'auth', ref: expect.any(Number), token: 'jwt-1' }]);
    expect(client.state).toBe('connecting');

    ws.handshake();
    expect(client.state).toBe('open');
    expect(client.session).toMatchObject({ connectionId: 'c_test', heartbeatMs: 25_000 });
    expect(states).toEqual([
      { oldState: 'idle', newState: 'connecting' },
      { oldState: 'connecting', newState: 'open' },
    ]);
  });

  it('authenticates anonymously without getToken, and accepts an async getToken', async () => {
    const anonymous = makeClient();
    anonymous.connect();
    FakeWebSocket.latest().open();
    expect(FakeWebSocket.latest().last('auth')).not.toHaveProperty('token');

    const asyncClient = makeClient({ getToken: async () => 'async-jwt' });
    asyncClient.connect();
    expect(FakeWebSocket.instances).toHaveLength(1); // the token comes first
    await flush();
    const ws = FakeWebSocket.latest();
    ws.open();
    expect(ws.last('auth').token).toBe('async-jwt');
  });

  it('connect() is a no-op while active; close() then connect() starts again', () => {
    const client = makeClient();
    client.connect();
    client.connect();
    expect(FakeWebSocket.instances).toHaveLength(1);
    FakeWebSocket.latest().handshake();

    client.close();
    expect(client.state).toBe('closed');
    expect(FakeWebSocket.latest().closedByClient).toEqual({ code: 1000, reason: 'client closed' });

    client.connect();
    expect(client.state).toBe('connecting');
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('reconnects with backoff after a drop, then opens again', () => {
    const client = makeClient();
    const reconnects = record(client, 'reconnect');
    const disconnects = record(client, 'disconnect');
    client.connect();
    FakeWebSocket.latest().handshake();

    FakeWebSocket.latest().serverClose(1006);
    expect(client.state).toBe('reconnecting');
    expect(disconnects).toEqual([{ code: 1006, reason: '', willReconnect: true }]);
    // First retry after a session: backoff(0) = 0.5 × 500.
    expect(reconnects).toEqual([{ attempt: 0, delayMs: 250, code: 1006 }]);

    jest.advanceTimersByTime(249);
    expect(FakeWebSocket.instances).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(client.state).toBe('reconnecting');

    FakeWebSocket.latest().handshake();
    expect(client.state).toBe('open');
  });

  it('doubles the backoff ceiling per failed attempt and reports fallback after 3 failures, still retrying', () => {
    const client = makeClient();
    const reconnects = record(client, 'reconnect');
    const states = record(client, 'state');
    client.connect();

    // Attempts that never reach `welcome`.
    FakeWebSocket.latest().serverClose(1006);
    expect(client.state).toBe('reconnecting');
    jest.advanceTimersByTime(500);
    FakeWebSocket.latest().serverClose(1006);
    expect(client.state).toBe('reconnecting');
    jest.advanceTimersByTime(1000);
    FakeWebSocket.latest().serverClose(1006);
    expect(client.state).toBe('fallback');

    expect(reconnects.map((r) => r.delayMs)).toEqual([500, 1000, 2000]);
    expect(reconnects.map((r) => r.attempt)).toEqual([1, 2, 3]);

    // Still retrying in the background.
    expect(FakeWebSocket.instances).toHaveLength(3);
    jest.advanceTimersByTime(2000);
    expect(FakeWebSocket.instances).toHaveLength(4);
    expect(client.state).toBe('fallback');

    FakeWebSocket.latest().handshake();
    expect(client.state).toBe('open');
    expect(states.map((s) => s.newState)).toEqual(['connecting', 'reconnecting', 'fallback', 'open']);

    // Failures were reset by the session: the next drop starts from the smallest delay.
    FakeWebSocket.latest().serverClose(1011);
    expect(client.state).toBe('reconnecting');
    expect(reconnects.at(-1)).toEqual({ attempt: 0, delayMs: 250, code: 1011 });
  });

  it('caps the delay at 10 s however many attempts fail', () => {
    const client = makeClient({ random: () => 0.999999 });
    const reconnects = record(client, 'reconnect');
    client.connect();
    for (let i = 0; i < 8; i++) {
      FakeWebSocket.latest().serverClose(1013);
      jest.advanceTimersByTime(reconnects.at(-1)!.delayMs);
    }
    expect(reconnects.map((r) => r.delayMs)).toEqual([999, 1999, 3999, 7999, 9999, 9999, 9999, 9999]);
  });

  it('reports fallback at once when no WebSocket implementation exists', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      const client = makeClient({ WebSocket: undefined });
      const errors = record(client, 'error');
      client.connect();
      expect(client.state).toBe('fallback');
      expect(errors[0]!.error.code).toBe('TRANSPORT_UNAVAILABLE');
    } finally {
      if (saved !== undefined) (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });

  it('uses the fallbackAfter option', () => {
    const client = makeClient({ fallbackAfter: 1 });
    client.connect();
    FakeWebSocket.latest().serverClose(1006);
    expect(client.state).toBe('fallback');
  });

  it('counts a handshake that times out as a failed attempt', () => {
    const client = makeClient({ requestTimeoutMs: 3000 });
    const disconnects = record(client, 'disconnect');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.open(); // but no welcome
    jest.advanceTimersByTime(3000);
    expect(ws.closedByClient?.code).toBe(ClientCloseCode.HANDSHAKE_TIMEOUT);
    expect(disconnects[0]).toMatchObject({ code: ClientCloseCode.HANDSHAKE_TIMEOUT, willReconnect: true });
    expect(client.state).toBe('reconnecting');
  });

  it('counts a failing getToken as a failed attempt and reports it', async () => {
    let calls = 0;
    const client = makeClient({
      getToken: () => {
        calls++;
        if (calls === 1) throw new Error('token service down');
        return 'ok';
      },
    });
    const errors = record(client, 'error');
    client.connect();
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(errors[0]!.error.code).toBe('TOKEN_UNAVAILABLE');
    expect(client.state).toBe('reconnecting');
    jest.advanceTimersByTime(500);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe('close codes', () => {
  it('1000 from the server: stays closed', () => {
    const client = makeClient();
    const disconnects = record(client, 'disconnect');
    client.connect();
    FakeWebSocket.latest().handshake();
    FakeWebSocket.latest().serverClose(1000, 'bye');
    expect(client.state).toBe('closed');
    expect(disconnects).toEqual([{ code: 1000, reason: 'bye', willReconnect: false }]);
    jest.advanceTimersByTime(120_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('4401: asks getToken for a fresh token (reason "rejected") before reconnecting', async () => {
    const reasons: TokenContext['reason'][] = [];
    let n = 0;
    const client = makeClient({
      getToken: async ({ reason }) => {
        reasons.push(reason);
        return `jwt-${++n}`;
      },
    });
    client.connect();
    await flush();
    FakeWebSocket.latest().handshake();

    FakeWebSocket.latest().receive({ type: 'error', code: 'TOKEN_EXPIRED', message: 'token expired' });
    FakeWebSocket.latest().serverClose(4401, 'token expired');
    expect(client.state).toBe('reconnecting');
    jest.advanceTimersByTime(250);
    await flush();

    expect(reasons).toEqual(['connect', 'rejected']);
    const ws = FakeWebSocket.latest();
    ws.open();
    expect(ws.last('auth').token).toBe('jwt-2');
    ws.handshake();
    expect(client.state).toBe('open');
  });

  it('a refused auth during the handshake marks the token rejected', () => {
    const reasons: string[] = [];
    const client = makeClient({ getToken: ({ reason }) => (reasons.push(reason), 'bad') });
    const errors = record(client, 'error');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.open();
    ws.replyError('auth', 'AUTH_FAILED', 'bad signature');
    ws.serverClose(4401);
    expect(errors.map((e) => e.error.code)).toEqual(['AUTH_FAILED']);
    expect(client.state).toBe('reconnecting');
    jest.advanceTimersByTime(500);
    expect(reasons).toEqual(['connect', 'rejected']);
  });

  it('1008: reconnects only after the long policy backoff', () => {
    const client = makeClient();
    const reconnects = record(client, 'reconnect');
    client.connect();
    FakeWebSocket.latest().handshake();
    FakeWebSocket.latest().serverClose(1008, 'kicked');
    // 15 000 + backoff(0, {min: 15 000, max: 60 000}) at jitter 0.5.
    expect(reconnects).toEqual([{ attempt: 0, delayMs: 22_500, code: 1008 }]);
    jest.advanceTimersByTime(22_499);
    expect(FakeWebSocket.instances).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it.each([1001, 1011, 1013])('%i: reconnects with the normal backoff', (code) => {
    const client = makeClient();
    const reconnects = record(client, 'reconnect');
    client.connect();
    FakeWebSocket.latest().handshake();
    FakeWebSocket.latest().serverClose(code);
    expect(reconnects).toEqual([{ attempt: 0, delayMs: 250, code }]);
    expect(client.state).toBe('reconnecting');
  });

  it('1009: goes to the error state and does not retry', () => {
    const client = makeClient();
    const errors = record(client, 'error');
    client.connect();
    FakeWebSocket.latest().handshake();
    FakeWebSocket.latest().serverClose(1009, 'too big');
    expect(client.state).toBe('error');
    expect(errors[0]!.error.code).toBe('PAYLOAD_TOO_LARGE');
    jest.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    client.connect();
    expect(client.state).toBe('connecting');
  });

  it('refuses a server of another protocol version', () => {
    const client = makeClient();
    client.connect();
    FakeWebSocket.latest().handshake({ protocol: 2 });
    expect(client.state).toBe('error');
  });
});

describe('offline handling', () => {
  it('pauses while offline and retries at once when back online', () => {
    const network = new FakeNetwork();
    const client = makeClient({ network });
    client.connect();
    FakeWebSocket.latest().handshake();

    network.set(false);
    expect(client.state).toBe('offline');
    expect(FakeWebSocket.latest().closedByClient?.code).toBe(ClientCloseCode.OFFLINE);
    jest.advanceTimersByTime(120_000);
    expect(FakeWebSocket.instances).toHaveLength(1);

    network.set(true);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(client.state).toBe('reconnecting');
    FakeWebSocket.latest().handshake();
    expect(client.state).toBe('open');
  });

  it('does not open a socket when connect() is called offline', () => {
    const network = new FakeNetwork();
    network.online = false;
    const client = makeClient({ network });
    client.connect();
    expect(client.state).toBe('offline');
    expect(FakeWebSocket.instances).toHaveLength(0);
    network.set(true);
    expect(client.state).toBe('connecting');
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('cancels a scheduled retry when the network goes away', () => {
    const network = new FakeNetwork();
    const client = makeClient({ network });
    client.connect();
    FakeWebSocket.latest().serverClose(1006);
    expect(client.state).toBe('reconnecting');
    network.set(false);
    jest.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(client.state).toBe('offline');
  });
});

describe('heartbeat', () => {
  it('pings after heartbeatMs of silence and drops the connection when no answer comes within 10 s', () => {
    const client = makeClient();
    const disconnects = record(client, 'disconnect');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ heartbeatMs: 1000 });

    jest.advanceTimersByTime(999);
    expect(ws.messagesOf('ping')).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(ws.messagesOf('ping')).toHaveLength(1);

    jest.advanceTimersByTime(9_999);
    expect(client.state).toBe('open');
    jest.advanceTimersByTime(1);
    expect(client.state).toBe('reconnecting');
    expect(ws.closedByClient?.code).toBe(ClientCloseCode.HEARTBEAT_TIMEOUT);
    expect(disconnects).toEqual([{ code: ClientCloseCode.HEARTBEAT_TIMEOUT, reason: 'no answer to ping', willReconnect: true }]);
  });

  it('an answered ping keeps the connection, and incoming frames postpone the next ping', () => {
    const client = makeClient();
    const pongs = record(client, 'pong');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ heartbeatMs: 1000 });

    jest.advanceTimersByTime(1000);
    jest.advanceTimersByTime(40);
    ws.replyOk('ping', { ts: 123 });
    expect(pongs).toEqual([{ rttMs: 40, serverTs: 123 }]);
    jest.advanceTimersByTime(900);
    expect(client.state).toBe('open');
    expect(ws.messagesOf('ping')).toHaveLength(1);
    ws.receive({ type: 'error', code: 'RATE_LIMITED', message: 'noise' });

    // A frame every 900 ms: the connection is never silent for heartbeatMs, so no ping.
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(900);
      ws.receive({ type: 'error', code: 'RATE_LIMITED', message: 'noise' });
    }
    expect(ws.messagesOf('ping')).toHaveLength(1);
  });
});

describe('requests', () => {
  it('resolves with the reply fields, rejects with the protocol code, and times out', async () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();

    const published = client.publish('kpi', { upsert: [{ id: 'q1', waiting: 3 }] });
    expect(ws.last('publish')).toEqual({ type: 'publish', ref: expect.any(Number), channel: 'kpi', upsert: [{ id: 'q1', waiting: 3 }] });
    ws.replyOk('publish', { channel: 'kpi', epoch: 'e1', seq: 9 });
    await expect(published).resolves.toEqual({ channel: 'kpi', epoch: 'e1', seq: 9 });

    const forbidden = client.publish('kpi', { delete: ['q1'] });
    ws.replyError('publish', 'FORBIDDEN', 'cannot publish to kpi');
    await expect(forbidden).rejects.toMatchObject({ name: 'PulseClientError', code: 'FORBIDDEN', message: 'cannot publish to kpi' });

    const slow = client.request('resync', { channel: 'kpi' });
    const caught = slow.catch((error: PulseClientError) => error);
    jest.advanceTimersByTime(10_000);
    expect(await caught).toMatchObject({ code: 'TIMEOUT' });

    const quick = client.request('ping', {}, { timeoutMs: 50 }).catch((error: PulseClientError) => error.code);
    jest.advanceTimersByTime(50);
    expect(await quick).toBe('TIMEOUT');
  });

  it('a reply arriving after the timeout is ignored', async () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const result = client.request('ping', {}).catch((error: PulseClientError) => error.code);
    jest.advanceTimersByTime(10_000);
    ws.replyOk('ping', { ts: 1 });
    expect(await result).toBe('TIMEOUT');
  });

  it('refuses requests when not connected, queues them while connecting', async () => {
    const client = makeClient();
    await expect(client.request('ping', {})).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(client.publish('bad channel!', { delete: ['x'] })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });

    client.connect();
    const queued = client.request('ping', {});
    const ws = FakeWebSocket.latest();
    ws.open();
    expect(ws.messagesOf('ping')).toHaveLength(0);
    ws.handshake();
    expect(ws.messagesOf('ping')).toHaveLength(1);
    ws.replyOk('ping', { ts: 5 });
    await expect(queued).resolves.toEqual({ ts: 5 });
  });

  it('rejects requests in flight with DISCONNECTED when the connection drops, and queued ones with CLOSED on close()', async () => {
    const client = makeClient();
    client.connect();
    FakeWebSocket.latest().handshake();
    const inFlight = client.request('ping', {}).catch((error: PulseClientError) => error.code);
    FakeWebSocket.latest().serverClose(1006);
    expect(await inFlight).toBe('DISCONNECTED');

    const queued = client.request('ping', {}).catch((error: PulseClientError) => error.code);
    client.close();
    expect(await queued).toBe('CLOSED');
  });

  it('throws on an invalid channel name in subscribe()', () => {
    const client = makeClient();
    expect(() => client.subscribe('no spaces allowed')).toThrow(TypeError);
  });
});

describe('subscriptions', () => {
  it('subscribes on open, resubscribes with since after a reconnect, and surfaces recovered', () => {
    const client = makeClient();
    const snapshots: SnapshotMessage[] = [];
    const deltas: DeltaMessage[] = [];
    const subscribed: boolean[] = [];
    client.subscribe('kpi', {
      filter: { where: { org: 'emea' } },
      onSnapshot: (s) => snapshots.push(s),
      onDelta: (d) => deltas.push(d),
      onSubscribed: (e) => subscribed.push(e.recovered),
    });
    client.connect();
    let ws = FakeWebSocket.latest();
    ws.handshake();

    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'kpi', filter: { where: { org: 'emea' } } });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot('kpi', 5));
    ws.receive(delta('kpi', 5, 7));
    expect(snapshots).toHaveLength(1);
    expect(deltas.map((d) => d.seq)).toEqual([7]);
    expect(client.position('kpi')).toEqual({ epoch: 'e1', seq: 7 });

    ws.serverClose(1001);
    jest.advanceTimersByTime(250);
    ws = FakeWebSocket.latest();
    ws.handshake();
    expect(ws.last('subscribe')).toEqual({
      type: 'subscribe',
      ref: expect.any(Number),
      channel: 'kpi',
      filter: { where: { org: 'emea' } },
      since: { epoch: 'e1', seq: 7 },
    });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: true });
    ws.receive(delta('kpi', 7, 9, 'e1', { recovery: true }));
    expect(subscribed).toEqual([false, true]);
    expect(deltas.map((d) => d.seq)).toEqual([7, 9]);
  });

  it('resumes from the since option when it has no position of its own', () => {
    const client = makeClient();
    client.subscribe('kpi', { since: { epoch: 'e0', seq: 41 } });
    client.connect();
    FakeWebSocket.latest().handshake();
    expect(FakeWebSocket.latest().last('subscribe').since).toEqual({ epoch: 'e0', seq: 41 });
  });

  it('takes the since of a listener that joins behind a presence-only one, and resumes from it on every reconnect', () => {
    const client = makeClient();
    // the dashboard's order: the header's watcher count subscribes first, the data after it
    client.subscribe('kpi', { presence: true });
    const deltas: number[] = [];
    client.subscribe('kpi', { since: { epoch: 'e1', seq: 41 }, onDelta: (d) => deltas.push(d.seq) });
    client.connect();
    let ws = FakeWebSocket.latest();
    ws.handshake();
    expect(ws.messagesOf('subscribe')).toEqual([
      { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', since: { epoch: 'e1', seq: 41 }, presence: true },
    ]);
    ws.replyOk('subscribe', { channel: 'kpi', recovered: true });
    ws.receive(delta('kpi', 41, 42, 'e1', { recovery: true }));
    expect(deltas).toEqual([42]);

    for (let drop = 0; drop < 2; drop++) {
      ws.serverClose(1008, 'kicked');
      jest.advanceTimersByTime(60_000);
      ws = FakeWebSocket.latest();
      ws.handshake();
      expect(ws.messagesOf('subscribe')).toEqual([
        { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', since: { epoch: 'e1', seq: 42 }, presence: true },
      ]);
    }
  });

  it('resumes a filtered listener behind a presence-only one from its own since, in one subscribe', () => {
    const client = makeClient();
    client.subscribe('kpi', { presence: true });
    client.subscribe('kpi', { filter: { where: { org: 'emea' } }, since: { epoch: 'e1', seq: 41 } });
    client.connect();
    FakeWebSocket.latest().handshake();
    expect(FakeWebSocket.latest().messagesOf('subscribe')).toEqual([
      { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', filter: { where: { org: 'emea' } }, since: { epoch: 'e1', seq: 41 }, presence: true },
    ]);
  });

  it('after recovered: false, drops deltas until the snapshot arrives', () => {
    const client = makeClient();
    const deltas: number[] = [];
    client.subscribe('kpi', { since: { epoch: 'e0', seq: 41 }, onDelta: (d) => deltas.push(d.seq) });
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(delta('kpi', 41, 42, 'e0'));
    expect(deltas).toEqual([]);
    expect(ws.messagesOf('resync')).toHaveLength(0);
    ws.receive(snapshot('kpi', 50, 'e2'));
    ws.receive(delta('kpi', 50, 51, 'e2'));
    expect(deltas).toEqual([51]);
  });

  it('detects a gap by prevSeq, sends resync and ignores deltas until the fresh snapshot', () => {
    const client = makeClient();
    const gaps = record(client, 'gap');
    const deltas: number[] = [];
    const snapshots: number[] = [];
    client.subscribe('kpi', { onDelta: (d) => deltas.push(d.seq), onSnapshot: (s) => snapshots.push(s.seq) });
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot('kpi', 10));
    ws.receive(delta('kpi', 10, 11));

    ws.receive(delta('kpi', 13, 14)); // 12 and 13 were missed
    expect(ws.last('resync')).toEqual({ type: 'resync', ref: expect.any(Number), channel: 'kpi' });
    expect(gaps).toEqual([{ channel: 'kpi', position: { epoch: 'e1', seq: 11 }, epoch: 'e1', prevSeq: 13 }]);
    ws.receive(delta('kpi', 14, 15));
    expect(deltas).toEqual([11]);
    expect(ws.messagesOf('resync')).toHaveLength(1);

    ws.replyOk('resync', { channel: 'kpi' });
    ws.receive(snapshot('kpi', 15));
    ws.receive(delta('kpi', 15, 16));
    expect(snapshots).toEqual([10, 15]);
    expect(deltas).toEqual([11, 16]);
  });

  it('treats a delta of another epoch as a gap', () => {
    const client = makeClient();
    client.subscribe('kpi');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot('kpi', 10, 'e1'));
    ws.receive(delta('kpi', 10, 11, 'e2'));
    expect(ws.messagesOf('resync')).toHaveLength(1);
  });

  it('subscribes again with since when the server refuses the resync', () => {
    const client = makeClient();
    client.subscribe('kpi');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot('kpi', 10));
    ws.receive(delta('kpi', 12, 13));
    ws.replyError('resync', 'NOT_SUBSCRIBED');
    expect(ws.messagesOf('subscribe')).toHaveLength(2);
    expect(ws.last('subscribe').since).toEqual({ epoch: 'e1', seq: 10 });
  });

  it('shares one server subscription between listeners and unsubscribes after the last leaves', async () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const a: number[] = [];
    const b: number[] = [];
    const stopA = client.subscribe('kpi', { onSnapshot: (s) => a.push(s.seq) });
    const stopB = client.subscribe('kpi', { onSnapshot: (s) => b.push(s.seq) });
    expect(ws.messagesOf('subscribe')).toHaveLength(1);
    ws.receive(snapshot('kpi', 3));
    expect([a, b]).toEqual([[3], [3]]);

    stopA();
    stopA();
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0);
    stopB();
    await flush();
    expect(ws.last('unsubscribe')).toMatchObject({ type: 'unsubscribe', channel: 'kpi' });
    ws.receive(snapshot('kpi', 4));
    expect(b).toEqual([3]);
  });

  it('keeps the subscription when a listener leaves and another comes in the same tick', async () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const stop = client.subscribe('kpi');
    stop();
    client.subscribe('kpi');
    await flush();
    expect(ws.messagesOf('subscribe')).toHaveLength(1);
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0);
  });

  it('a listener with another filter gets a view of its own beside the first; the same filter spelled otherwise shares it', async () => {
    const client = makeClient();
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    client.subscribe('fleet', { filter: { where: { status: 'online' } } });
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    ws.receive(snapshot('fleet', 8));

    const stop = client.subscribe('fleet', { filter: { bounds: { north: 41, south: 40, east: -73, west: -75 } } });
    expect(ws.messagesOf('subscribe')).toHaveLength(2);
    expect(ws.last('subscribe')).toEqual({
      type: 'subscribe',
      ref: expect.any(Number),
      channel: 'fleet',
      view: expect.stringMatching(/^v-[a-z0-9]{11}$/),
      filter: { bounds: { north: 41, south: 40, east: -73, west: -75 } },
    });

    // The same filter with its keys in another order is the same view.
    const stopSame = client.subscribe('fleet', { filter: { bounds: { west: -75, east: -73, south: 40, north: 41 } } });
    expect(ws.messagesOf('subscribe')).toHaveLength(2);

    stop();
    stopSame();
    await flush();
    expect(ws.messagesOf('subscribe')).toHaveLength(2); // the first view never moved
    expect(ws.messagesOf('unsubscribe')).toEqual([{ type: 'unsubscribe', ref: expect.any(Number), channel: 'fleet', view: ws.messagesOf('subscribe')[1]!.view }]);
  });

  it('a filter change of a channel’s only view replaces it in place, ignoring deltas left over from the old one', async () => {
    const client = makeClient();
    const deltas: number[] = [];
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const stopOld = client.subscribe('fleet', { onDelta: (d) => deltas.push(d.seq) });
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    ws.receive(snapshot('fleet', 8));
    // dispose-then-subscribe in one tick, as a component re-rendered with another filter does
    stopOld();
    client.subscribe('fleet', { filter: { ids: ['r1'] }, since: { epoch: 'e1', seq: 8 }, onDelta: (d) => deltas.push(d.seq) });
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: { ids: ['r1'] }, since: { epoch: 'e1', seq: 8 } });
    // the old subscription's delta continues seq 8, yet belongs to the old filter
    ws.receive(delta('fleet', 8, 10));
    expect(ws.messagesOf('resync')).toHaveLength(0);
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    ws.receive(snapshot('fleet', 10));
    ws.receive(delta('fleet', 10, 11));
    expect(deltas).toEqual([11]);
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0); // the subscribe replaced it: v1 on the wire
  });

  it('reports a refused subscribe to the listener and as an event', () => {
    const client = makeClient();
    const errors = record(client, 'subscriptionError');
    const seen: string[] = [];
    client.subscribe('kpi', { filter: { minPriority: 'high' }, onError: (error) => seen.push(error.code) });
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    ws.replyError('subscribe', 'BAD_FILTER', 'filter bounds: out of range');
    expect(seen).toEqual(['BAD_FILTER']);
    expect(errors[0]).toMatchObject({ channel: 'kpi', error: { code: 'BAD_FILTER' } });
  });

  it('reports a subscription the server ended (a narrower refreshed token) to that channel only', () => {
    const client = makeClient();
    const errors = record(client, 'subscriptionError');
    const privateErrors: string[] = [];
    const publicErrors: string[] = [];
    client.subscribe('private', { onError: (error) => privateErrors.push(error.code) });
    client.subscribe('public', { onError: (error) => publicErrors.push(error.code) });
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    ws.receive({ type: 'error', code: 'FORBIDDEN', message: 'subscription to private ended: the refreshed token does not allow it', channel: 'private' });
    expect(privateErrors).toEqual(['FORBIDDEN']);
    expect(publicErrors).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ channel: 'private', error: { code: 'FORBIDDEN' } });
  });
});

describe('token refresh', () => {
  it('sends auth with a fresh token before expiresAt and takes the new expiry', async () => {
    jest.setSystemTime(1_000_000);
    const tokens = ['t1', 't2', 't3'];
    const reasons: string[] = [];
    const client = makeClient({ getToken: ({ reason }) => (reasons.push(reason), tokens.shift()) });
    const welcomes = record(client, 'welcome');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ expiresAt: 1_000_000 + 120_000, heartbeatMs: 600_000 });

    // Refresh 30 s before expiry.
    jest.advanceTimersByTime(89_999);
    expect(ws.messagesOf('auth')).toHaveLength(1);
    jest.advanceTimersByTime(1);
    const refresh = ws.last('auth');
    expect(ws.messagesOf('auth')).toHaveLength(2);
    expect(refresh.token).toBe('t2');
    expect(reasons).toEqual(['connect', 'refresh']);

    ws.receive({ type: 'welcome', ref: refresh.ref, protocol: 1, connectionId: 'c_test', instance: 'i', user: 'u_1', tenant: 'acme', heartbeatMs: 600_000, expiresAt: 1_000_000 + 300_000 });
    expect(welcomes.map((w) => w.refreshed)).toEqual([false, true]);
    expect(client.session?.expiresAt).toBe(1_300_000);
    expect(client.state).toBe('open');
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('reports a refused refresh and keeps the session', () => {
    jest.setSystemTime(0);
    const client = makeClient({ getToken: () => 'token' });
    const errors = record(client, 'error');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ expiresAt: 100_000, heartbeatMs: 600_000 });
    jest.advanceTimersByTime(70_000);
    ws.replyError('auth', 'TOKEN_EXPIRED');
    expect(errors.map((e) => e.error.code)).toEqual(['TOKEN_EXPIRED']);
    expect(client.state).toBe('open');
  });
});

describe('reconnect() and frames', () => {
  it('reconnect() drops the socket and connects at once, resuming subscriptions', () => {
    const client = makeClient();
    client.subscribe('kpi');
    client.connect();
    let ws = FakeWebSocket.latest();
    ws.handshake();
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot('kpi', 2));

    client.reconnect();
    expect(ws.closedByClient?.code).toBe(ClientCloseCode.RECONNECT);
    expect(client.state).toBe('reconnecting');
    ws = FakeWebSocket.latest();
    expect(FakeWebSocket.instances).toHaveLength(2);
    ws.handshake();
    expect(ws.last('subscribe').since).toEqual({ epoch: 'e1', seq: 2 });
  });

  it('emits every frame in and out, and reports unreadable frames without dropping the connection', () => {
    const client = makeClient();
    const frames = record(client, 'frame');
    const errors = record(client, 'error');
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    ws.receive('not json');
    ws.receive({ type: 'snapshot', channel: 'kpi' });
    expect(errors.map((e) => e.error.code)).toEqual(['BAD_FRAME', 'BAD_FRAME']);
    expect(client.state).toBe('open');
    expect(frames.map((f) => f.direction)).toEqual(['out', 'in', 'in', 'in']);
  });

  it('ignores late events of an abandoned socket', () => {
    const client = makeClient();
    client.connect();
    const first = FakeWebSocket.latest();
    first.handshake();
    first.serverClose(1006);
    jest.advanceTimersByTime(250);
    const second = FakeWebSocket.latest();
    // The first socket's handlers were detached; nothing it does can reach the client.
    expect(first.onmessage).toBeNull();
    second.handshake();
    expect(client.state).toBe('open');
  });
});

/**
 * Views in the client (docs/protocol.md §12): how listeners of one channel become views, how
 * views are named, routed, resumed and released, and how presence rides on them. The test
 * plays the server with a fake socket and answers as the protocol text says.
 */
import type { PresenceState } from '@/lib/client/types';
import { isPlainView, parseViewStoreKey, PRESENCE_ONLY_FILTER, viewKey, viewName, viewStoreKey } from '@/lib/client/views';
import type { DeltaMessage, SnapshotMessage } from '@/lib/protocol/messages';
import { VIEW_NAME } from '@/lib/protocol/view';
import { flush, record, setupFakeClients } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

const makeClient = setupFakeClients();

const ONLINE = { where: { status: 'online' } };
const OFFLINE = { where: { status: 'offline' } };
const BOX = { bounds: { north: 41, south: 40, east: -73, west: -75 } };

function snapshot(channel: string, seq: number, extra: Partial<SnapshotMessage> = {}): SnapshotMessage {
  return { type: 'snapshot', channel, epoch: 'e1', seq, records: [{ id: 'r1', v: seq }], events: [], gap: false, ...extra };
}

function delta(channel: string, prevSeq: number, seq: number, extra: Partial<DeltaMessage> = {}): DeltaMessage {
  return { type: 'delta', channel, epoch: 'e1', prevSeq, seq, upsert: [{ id: 'r1', v: seq }], ...extra };
}

/** An open client on a fake socket. */
function open() {
  const client = makeClient();
  client.connect();
  const ws = FakeWebSocket.latest();
  ws.handshake({ heartbeatMs: 600_000 });
  return { client, ws };
}

/** Answers the subscribe of `view` (or of the default view) as the protocol says: echoing `view`. */
function answer(ws: FakeWebSocket, view: string | undefined, recovered = false) {
  const request = ws.messagesOf('subscribe').filter((m) => m.view === view).at(-1);
  if (!request) throw new Error(`no subscribe of view ${String(view)}`);
  ws.receive({ type: 'reply', ref: request.ref, ok: true, channel: request.channel, ...(view ? { view } : {}), recovered });
}

describe('view names', () => {
  it('are stable, protocol-valid, and the same for two spellings of one filter', () => {
    const name = viewName({ filter: { where: { status: 'online', load: { gte: 0.5, lt: 1 } } } });
    expect(name).toMatch(VIEW_NAME);
    expect(name).toMatch(/^v-[0-9a-z]{11}$/);
    expect(viewName({ filter: { where: { load: { lt: 1, gte: 0.5 }, status: 'online' } } })).toBe(name);
    expect(viewName({ filter: { ids: ['b', 'a'] } })).toBe(viewName({ filter: { ids: ['a', 'b', 'a'] } }));
  });

  it('differ by filter and by pace', () => {
    const names = new Set([viewName(), viewName({ filter: ONLINE }), viewName({ filter: OFFLINE }), viewName({ filter: ONLINE, intervalMs: 1000 }), viewName({ intervalMs: 1000 })]);
    expect(names.size).toBe(5);
    expect(viewKey({ filter: ONLINE, intervalMs: 1000 })).toBe(`${JSON.stringify(ONLINE)}|1000`);
  });

  it('key the store: the channel for the plain view, channel#name otherwise', () => {
    expect(isPlainView()).toBe(true);
    expect(isPlainView({ filter: {} })).toBe(true);
    expect(isPlainView({ filter: { where: {} }, intervalMs: undefined })).toBe(true);
    expect(viewStoreKey('kpi')).toBe('kpi');
    expect(viewStoreKey('kpi', { filter: { minPriority: 'low' } })).toBe('kpi'); // selects everything
    expect(viewStoreKey('fleet', { filter: BOX })).toBe(`fleet#${viewName({ filter: BOX })}`);
    expect(viewStoreKey('kpi', { intervalMs: 5000 })).toBe(`kpi#${viewName({ intervalMs: 5000 })}`);
    expect(parseViewStoreKey(viewStoreKey('fleet', { filter: BOX }))).toEqual({ channel: 'fleet', view: viewName({ filter: BOX }) });
    expect(parseViewStoreKey('kpi')).toEqual({ channel: 'kpi', view: null });
  });
});

describe('views of one channel', () => {
  it('listeners with the same filter and pace share one view; others get views named after their options', () => {
    const { client, ws } = open();
    client.subscribe('fleet', { filter: ONLINE });
    client.subscribe('fleet', { filter: { where: { status: 'online' } } });
    client.subscribe('fleet', { filter: OFFLINE });
    client.subscribe('fleet', { filter: ONLINE, intervalMs: 5000 });
    client.subscribe('fleet', { filter: ONLINE, intervalMs: 5000 });
    expect(ws.messagesOf('subscribe')).toEqual([
      // the first view is the channel's default view: protocol v1 on the wire
      { type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: ONLINE },
      { type: 'subscribe', ref: expect.any(Number), channel: 'fleet', view: viewName({ filter: OFFLINE }), filter: OFFLINE },
      { type: 'subscribe', ref: expect.any(Number), channel: 'fleet', view: viewName({ filter: ONLINE, intervalMs: 5000 }), filter: ONLINE, intervalMs: 5000 },
    ]);
  });

  it('removing the listeners of one view unsubscribes that view only, and never resubscribes another', async () => {
    const { client, ws } = open();
    const mapSeqs: number[] = [];
    client.subscribe('fleet', { filter: BOX, onDelta: (d) => mapSeqs.push(d.seq) });
    const stopTable = client.subscribe('fleet', { filter: OFFLINE });
    const table = viewName({ filter: OFFLINE });
    answer(ws, undefined);
    answer(ws, table);
    ws.receive(snapshot('fleet', 5));
    ws.receive(snapshot('fleet', 5, { view: table }));

    stopTable();
    await flush();
    expect(ws.messagesOf('unsubscribe')).toEqual([{ type: 'unsubscribe', ref: expect.any(Number), channel: 'fleet', view: table }]);
    expect(ws.messagesOf('subscribe')).toHaveLength(2);
    ws.receive(delta('fleet', 5, 6));
    expect(mapSeqs).toEqual([6]);
    expect(ws.messagesOf('resync')).toHaveLength(0);

    // coming back, the view subscribes under the same name
    client.subscribe('fleet', { filter: OFFLINE });
    expect(ws.last('subscribe')).toMatchObject({ view: table });
  });

  it('routes snapshots and deltas by view, the default view being the one without `view`', () => {
    const { client, ws } = open();
    const seen: string[] = [];
    client.subscribe('fleet', { filter: BOX, onSnapshot: (s) => seen.push(`map snapshot ${s.seq}`), onDelta: (d) => seen.push(`map delta ${d.seq}`) });
    client.subscribe('fleet', { filter: OFFLINE, onSnapshot: (s) => seen.push(`table snapshot ${s.seq}`), onDelta: (d) => seen.push(`table delta ${d.seq}`) });
    const table = viewName({ filter: OFFLINE });
    answer(ws, undefined);
    answer(ws, table);
    ws.receive(snapshot('fleet', 5));
    ws.receive(snapshot('fleet', 3, { view: table }));
    ws.receive(delta('fleet', 3, 7, { view: table }));
    ws.receive(delta('fleet', 5, 7));
    ws.receive(delta('fleet', 7, 8, { view: 'v-somebodyelse' })); // no such view: dropped
    expect(seen).toEqual(['map snapshot 5', 'table snapshot 3', 'table delta 7', 'map delta 7']);
    expect(client.position('fleet')).toEqual({ epoch: 'e1', seq: 7 });
    expect(client.position('fleet', { filter: OFFLINE })).toEqual({ epoch: 'e1', seq: 7 });
    expect(client.position('fleet', { filter: ONLINE })).toBeUndefined();
  });

  it('detects a gap per view and resyncs that view', () => {
    const { client, ws } = open();
    const gaps = record(client, 'gap');
    client.subscribe('fleet', { filter: BOX });
    client.subscribe('fleet', { filter: OFFLINE });
    const table = viewName({ filter: OFFLINE });
    answer(ws, undefined);
    answer(ws, table);
    ws.receive(snapshot('fleet', 5));
    ws.receive(snapshot('fleet', 5, { view: table }));
    ws.receive(delta('fleet', 6, 7, { view: table })); // 6 was missed by the table only
    ws.receive(delta('fleet', 5, 7)); // the map goes on
    expect(ws.messagesOf('resync')).toEqual([{ type: 'resync', ref: expect.any(Number), channel: 'fleet', view: table }]);
    expect(gaps).toEqual([{ channel: 'fleet', view: table, position: { epoch: 'e1', seq: 5 }, epoch: 'e1', prevSeq: 6 }]);
    expect(client.position('fleet')).toEqual({ epoch: 'e1', seq: 7 });
  });

  it('resubscribes every view after a reconnect, each with its own view and since', () => {
    const { client, ws } = open();
    const subscribed = record(client, 'subscribed');
    client.subscribe('fleet', { filter: BOX });
    client.subscribe('fleet', { filter: OFFLINE });
    client.subscribe('kpi', { intervalMs: 5000 });
    const table = viewName({ filter: OFFLINE });
    answer(ws, undefined);
    answer(ws, table);
    ws.receive(snapshot('fleet', 5));
    ws.receive(snapshot('fleet', 9, { view: table }));
    ws.receive(snapshot('kpi', 2));

    ws.serverClose(1006);
    jest.advanceTimersByTime(1000);
    const next = FakeWebSocket.latest();
    expect(next).not.toBe(ws);
    next.handshake({ heartbeatMs: 600_000 });
    expect(next.messagesOf('subscribe')).toEqual([
      { type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: BOX, since: { epoch: 'e1', seq: 5 } },
      { type: 'subscribe', ref: expect.any(Number), channel: 'fleet', view: table, filter: OFFLINE, since: { epoch: 'e1', seq: 9 } },
      { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', intervalMs: 5000, since: { epoch: 'e1', seq: 2 } },
    ]);
    answer(next, table, true);
    expect(subscribed.at(-1)).toEqual({ channel: 'fleet', view: table, recovered: true, since: { epoch: 'e1', seq: 9 } });
  });

  it('deals the default view afresh on a new connection: a channel down to one view speaks v1 again', async () => {
    const { client, ws } = open();
    const stopMap = client.subscribe('fleet', { filter: BOX });
    client.subscribe('fleet', { filter: OFFLINE });
    const table = viewName({ filter: OFFLINE });
    ws.receive(snapshot('fleet', 9, { view: table }));
    stopMap();
    await flush();
    expect(ws.last('unsubscribe')).toEqual({ type: 'unsubscribe', ref: expect.any(Number), channel: 'fleet' });

    ws.serverClose(1006);
    jest.advanceTimersByTime(1000);
    const next = FakeWebSocket.latest();
    next.handshake({ heartbeatMs: 600_000 });
    expect(next.messagesOf('subscribe')).toEqual([{ type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: OFFLINE, since: { epoch: 'e1', seq: 9 } }]);
    next.receive(delta('fleet', 9, 10)); // now the default view's
    expect(client.position('fleet', { filter: OFFLINE })).toEqual({ epoch: 'e1', seq: 10 });
  });

  it('speaks v1 to a server that ignores views when a channel has one filter and pace', () => {
    // The hub of protocol v1 answers without `view` and never sends one: a channel read through
    // one filter (however many listeners) must work exactly as before.
    const { client, ws } = open();
    const deltas: number[] = [];
    client.subscribe('fleet', { filter: BOX, onDelta: (d) => deltas.push(d.seq) });
    client.subscribe('fleet', { filter: { bounds: { west: -75, east: -73, north: 41, south: 40 } } });
    expect(ws.messagesOf('subscribe')).toHaveLength(1);
    expect(ws.last('subscribe')).not.toHaveProperty('view');
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    ws.receive(snapshot('fleet', 5));
    ws.receive(delta('fleet', 5, 6));
    expect(deltas).toEqual([6]);
  });

  it('reports a subscription the server ended to the listeners of that view only', () => {
    const { client, ws } = open();
    const errors = record(client, 'subscriptionError');
    const mapErrors: string[] = [];
    const tableErrors: string[] = [];
    client.subscribe('fleet', { filter: BOX, onError: (e) => mapErrors.push(e.code) });
    client.subscribe('fleet', { filter: OFFLINE, onError: (e) => tableErrors.push(e.code) });
    const table = viewName({ filter: OFFLINE });
    ws.receive({ type: 'error', code: 'FORBIDDEN', message: 'ended', channel: 'fleet', view: table });
    expect([mapErrors, tableErrors]).toEqual([[], ['FORBIDDEN']]);
    ws.receive({ type: 'error', code: 'FORBIDDEN', message: 'ended', channel: 'fleet' });
    expect([mapErrors, tableErrors]).toEqual([['FORBIDDEN'], ['FORBIDDEN']]);
    expect(errors.map((e) => e.view)).toEqual([table, undefined]);
  });

  it('reports a refused subscribe of one view to its listeners only, and tries again for a new listener', () => {
    const { client, ws } = open();
    const tableErrors: string[] = [];
    client.subscribe('fleet', { filter: BOX });
    client.subscribe('fleet', { filter: OFFLINE, intervalMs: 50, onError: (e) => tableErrors.push(e.code) });
    const view = viewName({ filter: OFFLINE, intervalMs: 50 });
    const request = ws.last('subscribe');
    ws.receive({ type: 'reply', ref: request.ref, ok: false, error: { code: 'INVALID_MESSAGE', message: 'intervalMs: below the batch interval' } });
    expect(tableErrors).toEqual(['INVALID_MESSAGE']);
    client.subscribe('fleet', { filter: OFFLINE, intervalMs: 50 });
    expect(ws.last('subscribe')).toMatchObject({ view, intervalMs: 50 });
  });

  it('lists the views it holds with their wire names, and resyncs every one of them', async () => {
    const { client, ws } = open();
    client.subscribe('fleet', { filter: BOX });
    client.subscribe('fleet', { filter: OFFLINE, intervalMs: 1000 });
    client.subscribe('kpi', { presence: true });
    const table = viewName({ filter: OFFLINE, intervalMs: 1000 });
    ws.receive(snapshot('fleet', 5));
    expect(client.views('fleet')).toEqual([
      { channel: 'fleet', name: viewName({ filter: BOX }), filter: BOX, listeners: 1, presence: false, subscribed: true, position: { epoch: 'e1', seq: 5 } },
      { channel: 'fleet', view: table, name: table, filter: OFFLINE, intervalMs: 1000, listeners: 1, presence: false, subscribed: true },
    ]);
    expect(client.views().map((v) => [v.channel, v.listeners, v.presence])).toEqual([
      ['fleet', 1, false],
      ['fleet', 1, false],
      ['kpi', 0, true], // the presence holder
    ]);

    const done = jest.fn();
    void client.resync().then(done);
    expect(ws.messagesOf('resync')).toEqual([
      { type: 'resync', ref: expect.any(Number), channel: 'fleet' },
      { type: 'resync', ref: expect.any(Number), channel: 'fleet', view: table },
    ]);
    ws.receive(delta('fleet', 5, 6)); // before the fresh snapshot: dropped
    expect(client.position('fleet')).toEqual({ epoch: 'e1', seq: 5 });
    for (const request of ws.messagesOf('resync')) ws.receive({ type: 'reply', ref: request.ref, ok: true, channel: 'fleet', ...(request.view ? { view: request.view } : {}) });
    await flush();
    expect(done).toHaveBeenCalled();
    ws.receive(snapshot('fleet', 7));
    expect(client.position('fleet')).toEqual({ epoch: 'e1', seq: 7 });
  });

  it('refuses a pace the protocol never accepts', () => {
    const client = makeClient();
    expect(() => client.subscribe('kpi', { intervalMs: 0 })).toThrow(TypeError);
    expect(() => client.subscribe('kpi', { intervalMs: 1.5 })).toThrow(TypeError);
    expect(() => client.subscribe('kpi', { intervalMs: 60_001 })).toThrow(TypeError);
    expect(() => client.subscribe('kpi', { intervalMs: 60_000 })).not.toThrow();
  });
});

describe('presence across views', () => {
  const users = (count: number) => Array.from({ length: count }, (_, i) => ({ user: `u${i}`, connections: 1, joinedAt: i }));

  it('asks for presence on one view only, however many views the channel has', () => {
    const { client, ws } = open();
    client.subscribe('fleet', { filter: BOX, presence: true });
    client.subscribe('fleet', { filter: OFFLINE, presence: true });
    client.subscribe('fleet', { presence: true }); // presence-only: rides on the first view
    expect(ws.messagesOf('subscribe').map((m) => [m.view, m.presence])).toEqual([
      [undefined, true],
      [viewName({ filter: OFFLINE }), undefined],
    ]);
  });

  it('keeps the channel’s presence from whichever view it comes with', () => {
    const { client, ws } = open();
    const seen: number[] = [];
    client.subscribe('fleet', { filter: BOX });
    client.subscribe('fleet', { presence: true, onPresence: (p: PresenceState) => seen.push(p.count) });
    ws.receive({ type: 'presence', channel: 'fleet', count: 2, users: users(2), truncated: false });
    ws.receive({ type: 'presence_diff', channel: 'fleet', view: 'v-other', count: 3, joins: users(3).slice(2), leaves: [] });
    expect(seen).toEqual([2, 3]);
    expect(client.presence('fleet')?.users.map((u) => u.user)).toEqual(['u0', 'u1', 'u2']);
  });

  it('moves presence to a holder when its view goes while presence listeners stay, disturbing no other view', async () => {
    const { client, ws } = open();
    const stopMap = client.subscribe('fleet', { filter: BOX });
    client.subscribe('fleet', { filter: OFFLINE });
    client.subscribe('fleet', { presence: true });
    const table = viewName({ filter: OFFLINE });
    // the presence-only listener came last: the default view subscribes again, now asking
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: BOX, presence: true });
    ws.sent.length = 0;

    stopMap();
    await flush();
    // the holder replaces the map in the default slot: no unsubscribe, and the table is untouched
    expect(ws.messages).toEqual([{ type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: PRESENCE_ONLY_FILTER, presence: true }]);
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    ws.receive(delta('fleet', 1, 2)); // the map's last delta, left over: ignored
    expect(ws.messagesOf('resync')).toHaveLength(0);

    // a new view takes presence back from the holder in its first subscribe
    ws.sent.length = 0;
    client.subscribe('fleet', { filter: BOX });
    expect(ws.messages).toEqual([{ type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: BOX, presence: true }]);
    expect(ws.messages.some((m) => m.view === table)).toBe(false);
  });

  it('a new view takes presence from a view on its way out, so no holder is needed', async () => {
    const { client, ws } = open();
    client.subscribe('fleet', { filter: OFFLINE });
    const stopMap = client.subscribe('fleet', { filter: BOX, presence: true }); // asks: it carries presence
    client.subscribe('fleet', { presence: true });
    expect(ws.messagesOf('subscribe').map((m) => m.presence)).toEqual([undefined, true]);
    ws.sent.length = 0;
    stopMap();
    client.subscribe('fleet', { filter: ONLINE }); // the same tick: a panel changed its filter
    await flush();
    expect(ws.messages).toEqual([
      { type: 'subscribe', ref: expect.any(Number), channel: 'fleet', view: viewName({ filter: ONLINE }), filter: ONLINE, presence: true },
      { type: 'unsubscribe', ref: expect.any(Number), channel: 'fleet', view: viewName({ filter: BOX }) },
    ]);
  });

  it('a listener joining a channel whose presence is known hears it at once', () => {
    const { client, ws } = open();
    client.subscribe('fleet', { filter: BOX, presence: true });
    ws.receive({ type: 'presence', channel: 'fleet', count: 1, users: users(1), truncated: false });
    const seen: number[] = [];
    client.subscribe('fleet', { filter: OFFLINE, presence: true, onPresence: (p) => seen.push(p.count) });
    client.subscribe('fleet', { presence: true, onPresence: (p) => seen.push(p.count * 10) });
    expect(seen).toEqual([1, 10]);
  });

  it('a presence-only listener alone subscribes a holder that selects nothing, and it goes with the listener', async () => {
    const { client, ws } = open();
    const stop = client.subscribe('board', { presence: true });
    expect(ws.messages.slice(-1)).toEqual([{ type: 'subscribe', ref: expect.any(Number), channel: 'board', filter: { ids: [], eventTypes: [] }, presence: true }]);
    stop();
    await flush();
    expect(ws.last('unsubscribe')).toEqual({ type: 'unsubscribe', ref: expect.any(Number), channel: 'board' });
  });

  it('a presence holder beside other views is named, and is unsubscribed once a data view can carry presence', async () => {
    const { client, ws } = open();
    client.subscribe('fleet', { filter: OFFLINE });
    const stopMap = client.subscribe('fleet', { filter: BOX, presence: true });
    client.subscribe('fleet', { presence: true });
    const map = viewName({ filter: BOX });
    // the table was first (default view); the map is the first to want presence, so it asks
    expect(ws.messagesOf('subscribe').map((m) => [m.view, m.presence])).toEqual([
      [undefined, undefined],
      [map, true],
    ]);
    stopMap();
    await flush();
    const holder = ws.messagesOf('subscribe').at(-1)!;
    expect(holder).toMatchObject({ filter: PRESENCE_ONLY_FILTER, presence: true, view: expect.stringMatching(VIEW_NAME) });
    // subscribe the holder first, then let the map go: the user never leaves the channel's presence
    const order = ws.messages.slice(-2).map((m) => m.type);
    expect(order).toEqual(['subscribe', 'unsubscribe']);

    client.subscribe('fleet', { filter: ONLINE });
    await flush();
    expect(ws.messagesOf('subscribe').at(-1)).toMatchObject({ filter: ONLINE, presence: true });
    expect(ws.last('unsubscribe')).toEqual({ type: 'unsubscribe', ref: expect.any(Number), channel: 'fleet', view: holder.view });
  });
});

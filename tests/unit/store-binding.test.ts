import { viewName } from '@/lib/client/views';
import { createChannelBinder, createPulseStore, recordList, RETAINED_RELEASED_VIEWS, viewStoreKey } from '@/lib/store';
import { flush, setupFakeClients } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

const makeClient = setupFakeClients();

function setup(initial?: Parameters<typeof createPulseStore>[0]) {
  const client = makeClient();
  const store = createPulseStore(initial);
  const binder = createChannelBinder(client, store);
  client.connect();
  const ws = FakeWebSocket.latest();
  ws.handshake({ heartbeatMs: 600_000 });
  return { store, binder, ws };
}

describe('channel binder', () => {
  it('feeds one subscription into the store however many holders a channel has', async () => {
    const { store, binder, ws } = setup();
    const releaseA = binder.acquire('kpi');
    const releaseB = binder.acquire('kpi');
    expect(ws.messagesOf('subscribe')).toHaveLength(1);
    expect(binder.holders('kpi')).toBe(2);

    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive({ type: 'snapshot', channel: 'kpi', epoch: 'e1', seq: 1, records: [{ id: 'a', v: 1 }], events: [], gap: false });
    ws.receive({ type: 'delta', channel: 'kpi', epoch: 'e1', prevSeq: 1, seq: 2, upsert: [{ id: 'a', v: 2 }], events: [{ seq: 2, ts: 1, type: 'x', priority: 'low' }] });
    const kpi = store.getState().channels.kpi!;
    expect(recordList(kpi)).toEqual([{ id: 'a', v: 2 }]);
    expect(kpi.events).toHaveLength(1); // applied once, not once per holder
    expect(kpi).toMatchObject({ live: true, recovered: false, seq: 2 });

    releaseA();
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0);
    releaseB();
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(1);
  });

  it('resumes from the position the store holds (a server-rendered snapshot)', () => {
    const { binder, ws } = setup({ initial: [{ channel: 'kpi', epoch: 'e7', seq: 42, records: [] }] });
    binder.acquire('kpi');
    expect(ws.last('subscribe').since).toEqual({ epoch: 'e7', seq: 42 });
  });

  it('a filter change replaces the view in place when it is the channel’s only one', async () => {
    const { binder, ws } = setup();
    const release = binder.acquire('fleet', { filter: { where: { status: 'online' } } });
    release();
    binder.acquire('fleet', { filter: { ids: ['n1'] } });
    await flush();
    expect(ws.messagesOf('subscribe').map((m) => [m.view, m.filter])).toEqual([
      [undefined, { where: { status: 'online' } }],
      [undefined, { ids: ['n1'] }],
    ]);
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0);
  });

  it('records a refused subscription on the channel', () => {
    const { store, binder, ws } = setup();
    binder.acquire('kpi', { filter: { where: { load: { gte: 0.5 } } } });
    ws.replyError('subscribe', 'FORBIDDEN', 'cannot subscribe to kpi');
    expect(store.getState().channels[viewStoreKey('kpi', { filter: { where: { load: { gte: 0.5 } } } })]!.error).toEqual({ code: 'FORBIDDEN', message: 'cannot subscribe to kpi' });
  });
});

describe('channel binder: views', () => {
  const BOX = { bounds: { north: 41, south: 40, east: -73, west: -75 } };
  const OFFLINE = { where: { status: 'offline' } };
  const mapKey = viewStoreKey('fleet', { filter: BOX });
  const tableKey = viewStoreKey('fleet', { filter: OFFLINE });
  const table = viewName({ filter: OFFLINE });

  it('keeps each view’s records apart in the store, under its own key', () => {
    const { store, binder, ws } = setup();
    binder.acquire('fleet', { filter: BOX });
    binder.acquire('fleet', { filter: OFFLINE });
    binder.acquire('fleet', { filter: { bounds: { west: -75, east: -73, south: 40, north: 41 } } }); // the map again
    expect(binder.holders('fleet', { filter: BOX })).toBe(2);
    expect(ws.messagesOf('subscribe')).toHaveLength(2);

    ws.receive({ type: 'snapshot', channel: 'fleet', epoch: 'e1', seq: 4, records: [{ id: 'ny', status: 'online' }], events: [], gap: false });
    ws.receive({ type: 'snapshot', channel: 'fleet', view: table, epoch: 'e1', seq: 4, records: [{ id: 'sf', status: 'offline' }], events: [], gap: false });
    ws.receive({ type: 'delta', channel: 'fleet', view: table, epoch: 'e1', prevSeq: 4, seq: 5, upsert: [{ id: 'la', status: 'offline' }] });
    const { channels } = store.getState();
    expect(recordList(channels[mapKey]).map((r) => r.id)).toEqual(['ny']);
    expect(recordList(channels[tableKey]).map((r) => r.id)).toEqual(['sf', 'la']);
    expect(channels[mapKey]!.seq).toBe(4);
    expect(channels[tableKey]!.seq).toBe(5);
    expect(channels.fleet).toBeUndefined();
  });

  it('resumes each view from its own position in the store', () => {
    const { binder, ws } = setup({
      initial: [
        { channel: 'fleet', filter: BOX, epoch: 'e7', seq: 40, records: [] },
        { channel: 'fleet', filter: OFFLINE, epoch: 'e7', seq: 42, records: [] },
      ],
    });
    binder.acquire('fleet', { filter: BOX });
    binder.acquire('fleet', { filter: OFFLINE });
    expect(ws.messagesOf('subscribe').map((m) => [m.view, m.since])).toEqual([
      [undefined, { epoch: 'e7', seq: 40 }],
      [table, { epoch: 'e7', seq: 42 }],
    ]);
  });

  it('pauses a view whose holders are all paused, keeping its data, and resumes it with since', async () => {
    const { store, binder, ws } = setup();
    const map = binder.acquire('fleet', { filter: BOX });
    const tableA = binder.acquire('fleet', { filter: OFFLINE });
    const tableB = binder.acquire('fleet', { filter: OFFLINE });
    ws.receive({ type: 'snapshot', channel: 'fleet', view: table, epoch: 'e1', seq: 4, records: [{ id: 'sf', v: 1 }], events: [], gap: false });

    tableA.setPaused(true);
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0); // tableB still shows it
    tableB.setPaused(true);
    expect(store.getState().channels[tableKey]).toMatchObject({ paused: true, seq: 4 });
    await flush();
    expect(ws.messagesOf('unsubscribe')).toEqual([{ type: 'unsubscribe', ref: expect.any(Number), channel: 'fleet', view: table }]);
    expect(recordList(store.getState().channels[tableKey]).map((r) => r.id)).toEqual(['sf']); // still on screen
    expect(binder.allPaused()).toBe(false); // the map is live

    tableA.setPaused(false);
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'fleet', view: table, filter: OFFLINE, since: { epoch: 'e1', seq: 4 } });
    expect(store.getState().channels[tableKey]!.paused).toBe(false);
    ws.replyOk('subscribe', { channel: 'fleet', view: table, recovered: true });
    ws.receive({ type: 'delta', channel: 'fleet', view: table, epoch: 'e1', prevSeq: 4, seq: 9, recovery: true, upsert: [{ id: 'sf', v: 3 }] });
    const data = store.getState().channels[tableKey]!;
    expect(data).toMatchObject({ seq: 9, recovered: true });
    expect(data.records.sf).toEqual({ id: 'sf', v: 3 });
    expect(data.changed.sf).toMatchObject({ fields: ['v'] }); // what changed meanwhile flashes once
    map();
  });

  it('pauses every view while suspended (a hidden page) and says so; resumes each from its position', async () => {
    const { store, binder, ws } = setup();
    const changes = jest.fn();
    binder.subscribe(changes);
    binder.acquire('fleet', { filter: BOX });
    binder.acquire('kpi');
    ws.receive({ type: 'snapshot', channel: 'fleet', epoch: 'e1', seq: 4, records: [], events: [], gap: false });
    ws.receive({ type: 'snapshot', channel: 'kpi', epoch: 'e2', seq: 8, records: [], events: [], gap: false });
    changes.mockClear();

    binder.setSuspended(true);
    expect(binder.allPaused()).toBe(true);
    expect(changes).toHaveBeenCalled();
    expect(store.getState().channels[mapKey]!.paused).toBe(true);
    expect(store.getState().channels.kpi!.paused).toBe(true);
    await flush();
    expect(ws.messagesOf('unsubscribe').map((m) => m.channel)).toEqual(['fleet', 'kpi']);

    // a view acquired while suspended waits too
    binder.acquire('alerts');
    expect(ws.messagesOf('subscribe').map((m) => m.channel)).toEqual(['fleet', 'kpi']);

    ws.sent.length = 0;
    binder.setSuspended(false);
    expect(binder.allPaused()).toBe(false);
    expect(ws.messagesOf('subscribe')).toEqual([
      { type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: BOX, since: { epoch: 'e1', seq: 4 } },
      { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', since: { epoch: 'e2', seq: 8 } },
      { type: 'subscribe', ref: expect.any(Number), channel: 'alerts' },
    ]);
  });

  it('a pause and a resume in the same tick cause no traffic', async () => {
    const { binder, ws } = setup();
    const hold = binder.acquire('kpi');
    hold.setPaused(true);
    hold.setPaused(false);
    await flush();
    expect(ws.messagesOf('subscribe')).toHaveLength(1);
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0);
  });

  it(`keeps the data of the last ${RETAINED_RELEASED_VIEWS} released views, and forgets older ones`, () => {
    const { store, binder, ws } = setup();
    const keys: string[] = [];
    for (let i = 0; i <= RETAINED_RELEASED_VIEWS; i++) {
      const filter = { ids: [`n${i}`] };
      const release = binder.acquire('fleet', { filter });
      ws.receive({ type: 'snapshot', channel: 'fleet', epoch: 'e1', seq: i + 1, records: [], events: [], gap: false });
      keys.push(viewStoreKey('fleet', { filter }));
      release();
    }
    const { channels } = store.getState();
    expect(channels[keys[0]!]).toBeUndefined();
    expect(keys.slice(1).every((key) => channels[key] !== undefined)).toBe(true);
  });
});

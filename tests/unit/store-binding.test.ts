import { createChannelBinder, createPulseStore, recordList } from '@/lib/store';
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

  it('switches the filter without dropping the server subscription, and back when the newest holder leaves', async () => {
    const { binder, ws } = setup();
    binder.acquire('fleet', { where: { status: 'online' } });
    const release = binder.acquire('fleet', { ids: ['n1'] });
    expect(ws.messagesOf('subscribe').map((m) => m.filter)).toEqual([{ where: { status: 'online' } }, { ids: ['n1'] }]);
    release();
    await flush();
    expect(ws.messagesOf('subscribe').map((m) => m.filter)).toEqual([{ where: { status: 'online' } }, { ids: ['n1'] }, { where: { status: 'online' } }]);
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0);
  });

  it('records a refused subscription on the channel', () => {
    const { store, binder, ws } = setup();
    binder.acquire('kpi', { where: { load: { gte: 0.5 } } });
    ws.replyError('subscribe', 'FORBIDDEN', 'cannot subscribe to kpi');
    expect(store.getState().channels.kpi!.error).toEqual({ code: 'FORBIDDEN', message: 'cannot subscribe to kpi' });
  });
});

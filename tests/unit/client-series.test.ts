/**
 * Series asks in the client and the binder (docs/protocol.md §13): series do not make a view,
 * a view asks for what its listeners ask together, a listener that asks more subscribes the
 * view afresh (no `since`), a resume keeps asking, and `series: false` is kept. The test plays
 * the server with a fake socket.
 */
import { mergeSeriesAsks, seriesAskCovers } from '@/lib/client/series-ask';
import { viewName } from '@/lib/client/views';
import type { SeriesPayload } from '@/lib/protocol/messages';
import { createChannelBinder, createPulseStore, seriesLine } from '@/lib/store';
import { flush, record, setupFakeClients } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

const makeClient = setupFakeClients();
const OFFLINE = { where: { status: 'offline' } };
const T0 = 1_700_000_000_000;

function open() {
  const client = makeClient();
  client.connect();
  const ws = FakeWebSocket.latest();
  ws.handshake({ heartbeatMs: 600_000 });
  return { client, ws };
}

const series = (values: number[]): SeriesPayload => ({
  resolutionMs: 1000,
  start: T0,
  end: T0 + values.length * 1000,
  fields: ['waiting'],
  records: { q1: { waiting: values } },
});

function snapshot(seq: number, extra: Record<string, unknown> = {}) {
  return { type: 'snapshot', channel: 'kpi', epoch: 'e1', seq, records: [{ id: 'q1', waiting: seq }], events: [], gap: false, ...extra };
}

describe('series asks', () => {
  it('merge: true wins, fields and windows add up, none asks nothing', () => {
    expect(mergeSeriesAsks([undefined, undefined])).toBeUndefined();
    expect(mergeSeriesAsks([{ fields: ['a'] }, true])).toBe(true);
    expect(mergeSeriesAsks([{ fields: ['a'], windowMs: 1000 }, { fields: ['b', 'a'], windowMs: 5000 }])).toEqual({ fields: ['a', 'b'], windowMs: 5000 });
    expect(mergeSeriesAsks([{ fields: ['a'] }, { windowMs: 5000 }])).toBe(true); // every field, the whole window
    expect(mergeSeriesAsks([{ fields: ['a'], windowMs: 1000 }, { fields: ['b'] }])).toEqual({ fields: ['a', 'b'] });
    expect(mergeSeriesAsks([{}])).toBe(true);
  });

  it('cover: more fields or a longer window is more', () => {
    expect(seriesAskCovers(true, { fields: ['a'] })).toBe(true);
    expect(seriesAskCovers({ fields: ['a'] }, true)).toBe(false);
    expect(seriesAskCovers({ fields: ['a', 'b'] }, { fields: ['b'] })).toBe(true);
    expect(seriesAskCovers({ fields: ['a'], windowMs: 1000 }, { fields: ['a'], windowMs: 5000 })).toBe(false);
    expect(seriesAskCovers({ windowMs: 5000 }, { fields: ['a'], windowMs: 1000 })).toBe(true);
    expect(seriesAskCovers(undefined, undefined)).toBe(true);
    expect(seriesAskCovers(undefined, true)).toBe(false);
  });
});

describe('series in the client', () => {
  it('do not make a view: one subscribe asks what its listeners ask together', () => {
    const client = makeClient();
    client.subscribe('kpi', { series: { fields: ['waiting'] } });
    client.subscribe('kpi', { series: { fields: ['util'], windowMs: 60_000 } });
    client.subscribe('kpi', { filter: OFFLINE, series: true });
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ heartbeatMs: 600_000 });
    expect(ws.messagesOf('subscribe')).toEqual([
      { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', series: { fields: ['waiting', 'util'] } },
      { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', view: viewName({ filter: OFFLINE }), filter: OFFLINE, series: true },
    ]);
    expect(client.views('kpi')[0]).toMatchObject({ listeners: 2, series: { fields: ['waiting', 'util'] } });
  });

  it('refuse a series option the protocol never accepts', () => {
    const client = makeClient();
    expect(() => client.subscribe('kpi', { series: { fields: [] } })).toThrow(TypeError);
    expect(() => client.subscribe('kpi', { series: { windowMs: -1 } })).toThrow(TypeError);
    expect(() => client.subscribe('kpi', { series: false as unknown as true })).toThrow(TypeError);
  });

  it('a listener asking more subscribes the view afresh, without since; the old subscription’s deltas are dropped', () => {
    const { client, ws } = open();
    const seqs: number[] = [];
    client.subscribe('kpi', { onSnapshot: (s) => seqs.push(s.seq), onDelta: (d) => seqs.push(d.seq) });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot(5));

    // asking nothing more: no traffic
    client.subscribe('kpi', {});
    expect(ws.messagesOf('subscribe')).toHaveLength(1);

    client.subscribe('kpi', { series: true });
    expect(ws.messagesOf('subscribe')).toHaveLength(2);
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'kpi', series: true });
    ws.receive({ type: 'delta', channel: 'kpi', epoch: 'e1', prevSeq: 5, seq: 6, upsert: [{ id: 'q1', waiting: 6 }] });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot(7, { series: series([1, 7]) }));
    ws.receive({ type: 'delta', channel: 'kpi', epoch: 'e1', prevSeq: 7, seq: 8, ts: T0 + 1500, upsert: [{ id: 'q1', waiting: 8 }] });
    expect(seqs).toEqual([5, 7, 8]);
    expect(ws.messagesOf('resync')).toHaveLength(0);

    // the same or less again: no traffic
    client.subscribe('kpi', { series: { fields: ['waiting'] } });
    expect(ws.messagesOf('subscribe')).toHaveLength(2);
  });

  it('a resume after a reconnect keeps asking for series, with since', () => {
    const { client, ws } = open();
    client.subscribe('kpi', { series: { fields: ['waiting'], windowMs: 60_000 } });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot(5, { series: series([1, 5]) }));
    ws.serverClose(1006);
    jest.advanceTimersByTime(1000);
    const next = FakeWebSocket.latest();
    next.handshake({ heartbeatMs: 600_000 });
    expect(next.messagesOf('subscribe')).toEqual([
      { type: 'subscribe', ref: expect.any(Number), channel: 'kpi', since: { epoch: 'e1', seq: 5 }, series: { fields: ['waiting'], windowMs: 60_000 } },
    ]);
  });

  it('a listener that asked more while offline makes the resume a fresh subscribe', () => {
    const { client, ws } = open();
    client.subscribe('kpi', {});
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot(5));
    ws.serverClose(1006);
    client.subscribe('kpi', { series: true });
    jest.advanceTimersByTime(1000);
    const next = FakeWebSocket.latest();
    next.handshake({ heartbeatMs: 600_000 });
    expect(next.messagesOf('subscribe')).toEqual([{ type: 'subscribe', ref: expect.any(Number), channel: 'kpi', series: true }]);
  });

  it('keeps a reply’s series: false, and then asks no more of that channel', () => {
    const { client, ws } = open();
    const subscribed = record(client, 'subscribed');
    client.subscribe('kpi', { series: { fields: ['waiting'] } });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false, series: false });
    expect(subscribed.at(-1)).toEqual({ channel: 'kpi', recovered: false, series: false });
    client.subscribe('kpi', { series: true });
    expect(ws.messagesOf('subscribe')).toHaveLength(1);
  });
});

describe('series in the binder', () => {
  function setup(options?: Parameters<typeof createPulseStore>[0]) {
    const client = makeClient();
    const store = createPulseStore(options);
    const binder = createChannelBinder(client, store);
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ heartbeatMs: 600_000 });
    return { store, binder, ws };
  }

  it('a holder asking series joins a view held without: a fresh snapshot feeds the store once', async () => {
    const { store, binder, ws } = setup();
    binder.acquire('kpi');
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot(5));
    binder.acquire('kpi', {}, { series: true });
    await flush();
    expect(ws.messagesOf('subscribe')).toHaveLength(2);
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'kpi', series: true });
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0);
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot(6, { series: series([1, 6]) }));
    expect(seriesLine(store.getState().channels.kpi, 'q1', 'waiting')?.values).toEqual([1, 6]);
  });

  it('resumes a server render with since, asking series (the page asked what the browser asks)', () => {
    const rendered = { channel: 'kpi', epoch: 'e1', seq: 4, records: [{ id: 'q1', waiting: 4 }], series: series([3, 4]) };
    const { store, binder, ws } = setup({ initial: [rendered] });
    binder.acquire('kpi', {}, { series: true });
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'kpi', since: { epoch: 'e1', seq: 4 }, series: true });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: true });
    ws.receive({ type: 'delta', channel: 'kpi', epoch: 'e1', prevSeq: 4, seq: 6, recovery: true, ts: T0 + 2500, upsert: [{ id: 'q1', waiting: 6 }], series: { ...series([6]), start: T0 + 2000, end: T0 + 3000 } });
    // the rendered window (two buckets) moved on by one, the missed bucket filled
    expect(seriesLine(store.getState().channels.kpi, 'q1', 'waiting')).toEqual({ start: T0 + 1000, resolutionMs: 1000, values: [4, 6] });
  });

  it('a view held without series, released and taken again asking them, subscribes afresh', async () => {
    const { binder, ws } = setup();
    const hold = binder.acquire('kpi');
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    ws.receive(snapshot(5));
    hold();
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(1);
    binder.acquire('kpi', {}, { series: true });
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'kpi', series: true });
    // without series asked, the same view resumes
    const plain = setup();
    const again = plain.binder.acquire('kpi');
    plain.ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    plain.ws.receive(snapshot(5));
    again();
    await flush();
    plain.binder.acquire('kpi');
    expect(plain.ws.last('subscribe')).toMatchObject({ since: { epoch: 'e1', seq: 5 } });
  });

  it('records the channel keeping none, and resumes with since then', async () => {
    const { store, binder, ws } = setup();
    const hold = binder.acquire('kpi', {}, { series: true });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false, series: false });
    ws.receive(snapshot(5));
    expect(store.getState().channels.kpi).toMatchObject({ noSeries: true, series: null });
    hold.setPaused(true);
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(1);
    hold.setPaused(false);
    expect(ws.last('subscribe')).toMatchObject({ since: { epoch: 'e1', seq: 5 }, series: true });
  });
});

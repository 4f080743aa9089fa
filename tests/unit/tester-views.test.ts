/**
 * The protocol tester's views (docs/protocol.md §12): what its frame log says about a frame's
 * view, how its form checks a view name and a pace, and its model, which puts subscriptions on
 * the wire as typed, follows each (channel, view) from the frames, resyncs one on a gap and
 * resumes every one after a new session.
 */
import { matchesView } from '@/app/websocket-test/FrameLog';
import { describeFrame, subscriptionKey, subscriptionLabel, type SentRequest } from '@/app/websocket-test/frame-info';
import { checkInterval, checkView, FILTER_EXAMPLES } from '@/app/websocket-test/SubscribePanel';
import { TesterModel, type TesterView } from '@/app/websocket-test/tester-model';
import { validateFilter } from '@/lib/protocol/filter';
import { flush } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

describe('the frame log', () => {
  it('names the view of a frame, and none for a default view', () => {
    expect(describeFrame('in', JSON.stringify({ type: 'delta', channel: 'fleet', view: 'map', epoch: 'e', prevSeq: 1, seq: 2, upsert: [{ id: 'a' }] }))).toMatchObject({
      channel: 'fleet',
      view: 'map',
      summary: 'fleet · 1 → 2 · 1 upsert',
    });
    expect(describeFrame('in', JSON.stringify({ type: 'snapshot', channel: 'fleet', epoch: 'e', seq: 2, records: [], events: [] })).view).toBeUndefined();
    // a view without a channel is no subscription's
    expect(describeFrame('in', JSON.stringify({ type: 'pong', view: 'map' })).view).toBeUndefined();
  });

  it('shows a subscribe pace before its filter, and says which view a refused request was for', () => {
    const subscribe = describeFrame('out', JSON.stringify({ type: 'subscribe', ref: 3, channel: 'fleet', view: 'hot', intervalMs: 1000, filter: { or: [{ status: 'offline' }] } }));
    expect(subscribe).toMatchObject({ view: 'hot', summary: 'fleet · every 1000 ms · filter {"or":[{"status":"offline"}]}' });

    const sent = new Map<string, SentRequest>([['3', { type: 'subscribe', channel: 'fleet', view: 'hot' }]]);
    const refused = describeFrame('in', JSON.stringify({ type: 'reply', ref: 3, ok: false, error: { code: 'INVALID_MESSAGE', message: 'intervalMs too short' } }), sent);
    expect(refused.summary).toBe('subscribe fleet [hot] refused · INVALID_MESSAGE: intervalMs too short');
    const answered = describeFrame('in', JSON.stringify({ type: 'reply', ref: 3, ok: true, channel: 'fleet', view: 'hot', recovered: false }), sent);
    expect(answered).toMatchObject({ view: 'hot', summary: 'subscribe fleet ok · recovered: false' });
  });

  it('narrows to all frames, the default views, or one view', () => {
    const map = { channel: 'fleet', view: 'map' };
    const plain = { channel: 'fleet' };
    const session = {};
    expect([map, plain, session].map((entry) => matchesView(entry, ''))).toEqual([true, true, true]);
    expect([map, plain, session].map((entry) => matchesView(entry, '\u0000default'))).toEqual([false, true, false]);
    expect([map, plain, session].map((entry) => matchesView(entry, 'map'))).toEqual([true, false, false]);
  });

  it('keys and labels a subscription by channel and view', () => {
    expect(subscriptionKey('fleet', undefined)).toBe('fleet');
    expect(subscriptionKey('fleet', 'map')).not.toBe(subscriptionKey('fleet', undefined));
    expect(subscriptionKey('fleet', 'map')).not.toBe(subscriptionKey('fleetmap', undefined));
    expect(subscriptionLabel('fleet', 'map')).toBe('fleet [map]');
  });
});

describe('the subscribe form', () => {
  it('checks a view name as the protocol does; empty is the default view', () => {
    expect(checkView('')).toEqual({ ok: true, value: undefined });
    expect(checkView(' map.v2:a_b-c ')).toEqual({ ok: true, value: 'map.v2:a_b-c' });
    expect(checkView('two words')).toMatchObject({ ok: false, raw: 'two words' });
    expect(checkView('x'.repeat(65)).ok).toBe(false);
  });

  it('checks a pace: whole ms up to 60000; empty is every batch; anything else is kept to send as typed', () => {
    expect(checkInterval('')).toEqual({ ok: true, value: undefined });
    expect(checkInterval('1000')).toEqual({ ok: true, value: 1000 });
    expect(checkInterval('60001')).toMatchObject({ ok: false, raw: 60001 });
    expect(checkInterval('0')).toMatchObject({ ok: false, raw: 0 });
    expect(checkInterval('2.5')).toMatchObject({ ok: false, raw: 2.5 });
    expect(checkInterval('soon')).toMatchObject({ ok: false, raw: 'soon' });
  });

  it('offers or and nin examples, valid and invalid as labelled', () => {
    const verdicts = FILTER_EXAMPLES.map((example) => [example.label, validateFilter(example.value).ok]);
    for (const [label, ok] of verdicts) expect([label, ok]).toEqual([label, !String(label).startsWith('Invalid')]);
    expect(FILTER_EXAMPLES.some((example) => JSON.stringify(example.value).includes('"or"'))).toBe(true);
    expect(FILTER_EXAMPLES.some((example) => JSON.stringify(example.value).includes('"nin"'))).toBe(true);
  });
});

describe('the tester model', () => {
  let model: TesterModel;

  beforeEach(() => {
    jest.useFakeTimers();
    FakeWebSocket.reset();
    model = new TesterModel('ws://hub.test/api/ws', { WebSocket: FakeWebSocket, random: () => 0.5, network: null });
    model.start();
  });

  afterEach(() => {
    model.stop();
    jest.useRealTimers();
  });

  /** The page's view once its pending changes are published. */
  function view(): TesterView {
    jest.advanceTimersByTime(150);
    return model.getView();
  }

  async function connected(): Promise<FakeWebSocket> {
    model.connect();
    await flush();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    await flush();
    return ws;
  }

  it('subscribes two views of one channel as typed and follows each from its own frames', async () => {
    const ws = await connected();

    const plain = model.subscribeChannel({ channel: 'fleet' });
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    await plain;
    ws.receive({ type: 'snapshot', channel: 'fleet', epoch: 'e1', seq: 5, records: [{ id: 'a' }, { id: 'b' }], events: [], gap: false });

    const hot = model.subscribeChannel({ channel: 'fleet', view: 'hot', intervalMs: 500, filter: { where: { temp: { gte: 50 } } } });
    expect(ws.last('subscribe')).toMatchObject({ channel: 'fleet', view: 'hot', intervalMs: 500, filter: { where: { temp: { gte: 50 } } } });
    ws.replyOk('subscribe', { channel: 'fleet', view: 'hot', recovered: false });
    await hot;
    ws.receive({ type: 'snapshot', channel: 'fleet', view: 'hot', epoch: 'e1', seq: 5, records: [{ id: 'b' }], events: [], gap: false });
    ws.receive({ type: 'delta', channel: 'fleet', epoch: 'e1', prevSeq: 5, seq: 6, upsert: [{ id: 'c' }] });

    const subs = view().subscriptions;
    expect(subs.map((s) => [s.channel, s.view, s.intervalMs, s.status, s.records, s.position])).toEqual([
      ['fleet', undefined, undefined, 'live', 3, { epoch: 'e1', seq: 6 }],
      ['fleet', 'hot', 500, 'live', 1, { epoch: 'e1', seq: 5 }],
    ]);
    expect(ws.messagesOf('subscribe')[0]).not.toHaveProperty('view');
    // each logged frame carries its view
    expect(view().log.filter((entry) => entry.type === 'snapshot').map((entry) => entry.view)).toEqual([undefined, 'hot']);

    // a delta of one view that does not continue it: a gap, answered with a resync of that view
    ws.receive({ type: 'delta', channel: 'fleet', view: 'hot', epoch: 'e1', prevSeq: 4, seq: 7, upsert: [{ id: 'z' }] });
    expect(ws.last('resync')).toMatchObject({ channel: 'fleet', view: 'hot' });
    expect(view().counters.gaps).toBe(1);
    expect(view().subscriptions[1]!.records).toBe(1);
    ws.replyOk('resync', { channel: 'fleet', view: 'hot' });
    ws.receive({ type: 'snapshot', channel: 'fleet', view: 'hot', epoch: 'e1', seq: 7, records: [{ id: 'b' }, { id: 'z' }], events: [], gap: false });
    ws.receive({ type: 'delta', channel: 'fleet', view: 'hot', epoch: 'e1', prevSeq: 7, seq: 8, delete: ['b'] });
    expect(view().subscriptions[1]).toMatchObject({ records: 1, position: { epoch: 'e1', seq: 8 } });
    expect(view().subscriptions[0]).toMatchObject({ records: 3, position: { epoch: 'e1', seq: 6 } });
  });

  it('subscribes every view again with since after a new session, and unsubscribes one by its view', async () => {
    let ws = await connected();
    const plain = model.subscribeChannel({ channel: 'kpi' });
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    await plain;
    ws.receive({ type: 'snapshot', channel: 'kpi', epoch: 'e1', seq: 3, records: [], events: [], gap: false });
    const chart = model.subscribeChannel({ channel: 'kpi', view: 'chart', intervalMs: 5000 });
    ws.replyOk('subscribe', { channel: 'kpi', view: 'chart', recovered: false });
    await chart;
    ws.receive({ type: 'snapshot', channel: 'kpi', view: 'chart', epoch: 'e1', seq: 2, records: [], events: [], gap: false });

    model.drop();
    jest.advanceTimersByTime(1000);
    await flush();
    ws = FakeWebSocket.latest();
    ws.handshake();
    await flush();
    expect(ws.messagesOf('subscribe').map(({ ref: _ref, ...rest }) => rest)).toEqual([
      { type: 'subscribe', channel: 'kpi', since: { epoch: 'e1', seq: 3 } },
      { type: 'subscribe', channel: 'kpi', view: 'chart', intervalMs: 5000, since: { epoch: 'e1', seq: 2 } },
    ]);
    for (const message of ws.messagesOf('subscribe')) {
      ws.receive({ type: 'reply', ref: message.ref, ok: true, channel: 'kpi', ...(message.view ? { view: message.view } : {}), recovered: true });
    }
    await flush();
    expect(view().subscriptions.map((s) => [s.view, s.status, s.recovered])).toEqual([
      [undefined, 'live', true],
      ['chart', 'live', true],
    ]);

    const gone = model.unsubscribeChannel('kpi', 'chart');
    expect(ws.last('unsubscribe')).toMatchObject({ channel: 'kpi', view: 'chart' });
    ws.replyOk('unsubscribe', { channel: 'kpi', view: 'chart' });
    await expect(gone).resolves.toMatchObject({ ok: true });
    expect(view().subscriptions.map((s) => s.view)).toEqual([undefined]);
  });

  it('shows a refused subscribe on its own row and leaves the others alone', async () => {
    const ws = await connected();
    const plain = model.subscribeChannel({ channel: 'fleet' });
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    await plain;
    const bad = model.subscribeChannel({ channel: 'fleet', view: 'fast', intervalMs: 10 });
    ws.replyError('subscribe', 'INVALID_MESSAGE', 'subscribe: intervalMs: must be at least 100');
    await expect(bad).resolves.toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    expect(view().subscriptions.map((s) => [s.view, s.status, s.error])).toEqual([
      [undefined, 'live', null],
      ['fast', 'error', 'INVALID_MESSAGE: subscribe: intervalMs: must be at least 100'],
    ]);
  });
});

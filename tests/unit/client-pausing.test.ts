/**
 * Pausing what nobody sees (docs/protocol.md §12, "Pausing"): the page and element watchers,
 * with a fake document, a fake IntersectionObserver and fake timers, and the whole path from a
 * hidden page to the hub and back: unsubscribed while hidden, resumed with `since`, caught up by
 * one recovery delta.
 */
import { watchHiddenPage, watchOffscreen, type IntersectionLike, type VisibilitySource } from '@/hooks/visibility';
import { createChannelBinder, createPulseStore, recordList } from '@/lib/store';
import { flush, setupFakeClients } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

const makeClient = setupFakeClients(); // also installs fake timers per test

class FakeDocument implements VisibilitySource {
  visibilityState: 'visible' | 'hidden' = 'visible';
  private readonly listeners = new Set<() => void>();
  addEventListener(_type: 'visibilitychange', listener: () => void) {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'visibilitychange', listener: () => void) {
    this.listeners.delete(listener);
  }
  set(state: 'visible' | 'hidden') {
    this.visibilityState = state;
    for (const listener of [...this.listeners]) listener();
  }
  get listening() {
    return this.listeners.size;
  }
}

/** Records every observer made; the test reports intersections through `report`. */
class FakeIntersectionObserver {
  static instances: FakeIntersectionObserver[] = [];
  observed: unknown[] = [];
  disconnected = false;
  constructor(private readonly callback: (entries: readonly IntersectionLike[]) => void) {
    FakeIntersectionObserver.instances.push(this);
  }
  observe(element: unknown) {
    this.observed.push(element);
  }
  disconnect() {
    this.disconnected = true;
  }
  report(isIntersecting: boolean) {
    this.callback([{ isIntersecting }]);
  }
}

beforeEach(() => {
  FakeIntersectionObserver.instances = [];
});

describe('watchHiddenPage', () => {
  it('reports hidden once the page stayed hidden for the delay, and visible at once', () => {
    const doc = new FakeDocument();
    const seen: boolean[] = [];
    const stop = watchHiddenPage(doc, 30_000, (hidden) => seen.push(hidden));
    doc.set('hidden');
    jest.advanceTimersByTime(29_999);
    expect(seen).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(seen).toEqual([true]);
    doc.set('visible');
    expect(seen).toEqual([true, false]);
    stop();
    expect(doc.listening).toBe(0);
  });

  it('ignores a short absence and a page hidden when watching starts counts from then', () => {
    const doc = new FakeDocument();
    const seen: boolean[] = [];
    doc.visibilityState = 'hidden';
    const stop = watchHiddenPage(doc, 1000, (hidden) => seen.push(hidden));
    doc.set('visible');
    jest.advanceTimersByTime(5000);
    doc.set('hidden');
    jest.advanceTimersByTime(500);
    doc.set('visible');
    jest.advanceTimersByTime(5000);
    expect(seen).toEqual([]);
    doc.set('hidden');
    stop();
    jest.advanceTimersByTime(5000);
    expect(seen).toEqual([]); // stopped before the delay ran out
  });
});

describe('watchOffscreen', () => {
  const element = {} as Element;

  it('reports offscreen after the delay out of the viewport, and onscreen at once', () => {
    const seen: boolean[] = [];
    const stop = watchOffscreen(element, 5000, (offscreen) => seen.push(offscreen), FakeIntersectionObserver);
    const observer = FakeIntersectionObserver.instances[0]!;
    expect(observer.observed).toEqual([element]);
    observer.report(true); // the first report on observe
    observer.report(false);
    jest.advanceTimersByTime(4999);
    observer.report(false);
    jest.advanceTimersByTime(1);
    expect(seen).toEqual([true]);
    observer.report(true);
    expect(seen).toEqual([true, false]);
    observer.report(false);
    jest.advanceTimersByTime(2000);
    observer.report(true); // scrolled past: nothing
    jest.advanceTimersByTime(10_000);
    expect(seen).toEqual([true, false]);
    stop();
    expect(observer.disconnected).toBe(true);
  });

  it('never pauses without an IntersectionObserver', () => {
    const seen: boolean[] = [];
    const stop = watchOffscreen(element, 10, (offscreen) => seen.push(offscreen), undefined);
    jest.advanceTimersByTime(1000);
    stop();
    expect(seen).toEqual([]);
  });
});

describe('a hidden page, end to end', () => {
  it('unsubscribes every view after the delay, and catches up with recovery deltas when shown again', async () => {
    const client = makeClient();
    const store = createPulseStore();
    const binder = createChannelBinder(client, store);
    const doc = new FakeDocument();
    watchHiddenPage(doc, 30_000, (hidden) => binder.setSuspended(hidden));
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ heartbeatMs: 600_000 });

    binder.acquire('kpi');
    ws.replyOk('subscribe', { channel: 'kpi', recovered: false });
    binder.acquire('fleet', { filter: { where: { status: 'offline' } } });
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    ws.receive({ type: 'snapshot', channel: 'kpi', epoch: 'e1', seq: 10, records: [{ id: 'q1', waiting: 1 }], events: [], gap: false });
    ws.receive({ type: 'snapshot', channel: 'fleet', epoch: 'e2', seq: 20, records: [], events: [], gap: false });
    expect(binder.allPaused()).toBe(false);

    doc.set('hidden');
    jest.advanceTimersByTime(30_000);
    await flush();
    expect(binder.allPaused()).toBe(true);
    expect(ws.messagesOf('unsubscribe')).toHaveLength(2);
    expect(store.getState().channels.kpi).toMatchObject({ paused: true, seq: 10 });
    expect(recordList(store.getState().channels.kpi)).toEqual([{ id: 'q1', waiting: 1 }]); // still shown

    ws.sent.length = 0;
    doc.set('visible');
    expect(ws.messagesOf('subscribe').map((m) => [m.channel, m.since])).toEqual([
      ['kpi', { epoch: 'e1', seq: 10 }],
      ['fleet', { epoch: 'e2', seq: 20 }],
    ]);
    const kpiRequest = ws.messagesOf('subscribe')[0]!;
    ws.receive({ type: 'reply', ref: kpiRequest.ref, ok: true, channel: 'kpi', recovered: true });
    // what changed meanwhile, once: the latest version of each changed record
    ws.receive({ type: 'delta', channel: 'kpi', epoch: 'e1', prevSeq: 10, seq: 57, recovery: true, upsert: [{ id: 'q1', waiting: 9 }] });
    const kpi = store.getState().channels.kpi!;
    expect(kpi).toMatchObject({ paused: false, seq: 57, recovered: true, gap: false });
    expect(kpi.records.q1).toEqual({ id: 'q1', waiting: 9 });
    expect(ws.messagesOf('resync')).toHaveLength(0);
    expect(binder.allPaused()).toBe(false);
  });
});

describe('a panel scrolled away, end to end', () => {
  it('pauses its view once out of sight, unless another panel still shows it, and resumes it with since', async () => {
    const client = makeClient();
    const store = createPulseStore();
    const binder = createChannelBinder(client, store);
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake({ heartbeatMs: 600_000 });
    const OFFLINE = { filter: { where: { status: 'offline' } } };

    // two panels of one view, each watching its own element, as `pauseWhenOffscreen` does
    const table = binder.acquire('fleet', OFFLINE);
    const count = binder.acquire('fleet', OFFLINE);
    watchOffscreen({} as Element, 5000, (offscreen) => table.setPaused(offscreen), FakeIntersectionObserver);
    watchOffscreen({} as Element, 5000, (offscreen) => count.setPaused(offscreen), FakeIntersectionObserver);
    const [tableObserver, countObserver] = FakeIntersectionObserver.instances;
    ws.replyOk('subscribe', { channel: 'fleet', recovered: false });
    ws.receive({ type: 'snapshot', channel: 'fleet', epoch: 'e1', seq: 3, records: [{ id: 'n1', status: 'offline' }], events: [], gap: false });

    tableObserver!.report(false);
    jest.advanceTimersByTime(5000);
    await flush();
    expect(ws.messagesOf('unsubscribe')).toHaveLength(0); // the count still shows the view

    countObserver!.report(false);
    jest.advanceTimersByTime(5000);
    await flush();
    expect(ws.messagesOf('unsubscribe')).toEqual([{ type: 'unsubscribe', ref: expect.any(Number), channel: 'fleet' }]);
    expect(binder.allPaused()).toBe(true);

    tableObserver!.report(true);
    expect(ws.last('subscribe')).toEqual({ type: 'subscribe', ref: expect.any(Number), channel: 'fleet', filter: OFFLINE.filter, since: { epoch: 'e1', seq: 3 } });
    expect(binder.allPaused()).toBe(false);
  });
});

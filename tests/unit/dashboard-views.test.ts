/**
 * The dashboard's views of `fleet` (docs/protocol.md §12): the attention view selects what its
 * table says, on the simulator's real records; the table's order and reasons; the views the
 * page starts with; the page's hidden-pause parameter; and the refresh's list of subscriptions
 * as the wire names them.
 */
import { attentionOrder, attentionReasons } from '@/app/dashboard/AttentionPanel';
import { ATTENTION_FIELDS, ATTENTION_VIEW, CHANNELS, DEFAULT_FLEET_BOUNDS, fleetFilter, INITIAL_VIEWS, LOW_BATTERY, pauseHiddenAfterMs, WITH_SERIES } from '@/app/dashboard/config';
import { trackWireViews, type WireView } from '@/app/dashboard/useRefresh';
import { viewStoreKey } from '@/lib/client/views';
import { compileFilter } from '@/lib/hub/filter';
import { createInitialState, initialRecords, seededRandom, step } from '@/lib/demo/simulator';
import type { FleetRecord } from '@/lib/demo/records';
import { validateFilter } from '@/lib/protocol/filter';
import { flush, setupFakeClients } from '../helpers/fake-client';
import { FakeWebSocket } from '../helpers/fake-websocket';

describe('the attention view', () => {
  it('is a valid paced view of offline or low-battery nodes', () => {
    expect(validateFilter(ATTENTION_VIEW.filter)).toMatchObject({ ok: true });
    expect(ATTENTION_VIEW.intervalMs).toBe(1000);
    expect(LOW_BATTERY).toBe(20);
  });

  it('selects exactly the simulator nodes that are offline or under the low-battery mark, with the fields the table shows', () => {
    let state = createInitialState(seededRandom(7), { now: 0, nodes: 300 });
    // let the world run for a few simulated hours, so nodes go offline and batteries run down
    for (let t = 1; t <= 200; t++) state = step(state, seededRandom(t), { now: t * 60_000, updates: 2000 }).state;
    // parked nodes recharge, so the demo world seldom runs low: add a few that did
    const simulated = initialRecords(state).fleet;
    const low = simulated.slice(0, 3).map((n, i): FleetRecord => ({ ...n, id: `${n.id}-low`, status: 'online', battery: [19, 3, 20][i]! }));
    const fleet = [...simulated, ...low];
    const compiled = compileFilter(ATTENTION_VIEW.filter);
    const selected = fleet.filter((record) => compiled.matches(record)).map((record) => record.id).sort();
    const expected = fleet.filter((n: FleetRecord) => n.status === 'offline' || n.battery < LOW_BATTERY).map((n) => n.id).sort();
    expect(selected).toEqual(expected);
    expect(fleet.some((n) => n.status === 'offline')).toBe(true);
    expect(selected).toEqual(expect.arrayContaining([low[0]!.id, low[1]!.id]));
    expect(selected).not.toContain(low[2]!.id);
    // every projected field is a field of a fleet record
    for (const field of ATTENTION_FIELDS) expect(Object.keys(fleet[0]!)).toContain(field);
    expect(Object.keys(compiled.project(fleet[0]!)).sort()).toEqual(['id', ...ATTENTION_FIELDS].sort());
  });

  it('orders the table offline first, then by charge, then by name, and says why each node is there', () => {
    const records = [
      { id: 'a', name: 'A', status: 'online', battery: 12 },
      { id: 'b', name: 'B', status: 'offline', battery: 90 },
      { id: 'c', name: 'C', status: 'degraded', battery: 5 },
      { id: 'd', name: 'D', status: 'offline', battery: 40 },
      { id: 'e', name: 'E', status: 'online', battery: 12 },
    ];
    expect(attentionOrder(records)).toEqual(['d', 'b', 'c', 'a', 'e']);
    expect(attentionReasons(records[1])).toEqual(['Offline']);
    expect(attentionReasons(records[0])).toEqual(['Low battery']);
    expect(attentionReasons({ id: 'x', status: 'offline', battery: 3 })).toEqual(['Offline', 'Low battery']);
    expect(attentionReasons(undefined)).toEqual([]);
  });
});

describe('the views the page starts with', () => {
  it('reads fleet twice, as two views the store keeps apart', () => {
    const fleet = INITIAL_VIEWS.filter((view) => view.channel === CHANNELS.fleet);
    expect(fleet).toEqual([
      { channel: 'fleet', filter: fleetFilter(DEFAULT_FLEET_BOUNDS) },
      { channel: 'fleet', ...ATTENTION_VIEW },
    ]);
    const keys = INITIAL_VIEWS.map((view) => viewStoreKey(view.channel, view));
    expect(new Set(keys).size).toBe(INITIAL_VIEWS.length);
    // the channels read whole stay under their own names
    expect(keys).toEqual(expect.arrayContaining(['kpi', 'backlog']));
  });

  it('asks series of kpi and backlog as the cards do, so the page embeds them and the browser resumes them', () => {
    for (const channel of [CHANNELS.kpi, CHANNELS.backlog]) {
      expect(INITIAL_VIEWS.find((view) => view.channel === channel)?.series).toEqual(WITH_SERIES.series);
    }
  });

  it('takes a hidden-pause delay from the query in whole ms up to ten minutes, and ignores anything else', () => {
    expect(pauseHiddenAfterMs('2000')).toBe(2000);
    expect(pauseHiddenAfterMs('0')).toBe(0);
    expect(pauseHiddenAfterMs(['300', '9'])).toBe(300);
    for (const odd of [undefined, '', '-1', '1.5', '1e3', ' 10', '600001', 'soon']) expect(pauseHiddenAfterMs(odd)).toBeUndefined();
  });
});

describe('the refresh', () => {
  const makeClient = setupFakeClients();

  it('follows the subscriptions by their wire names: answered subscribes in, unsubscribes out, all out with the connection', async () => {
    const client = makeClient();
    const views = new Map<string, WireView>();
    const stop = trackWireViews(client, views);
    client.connect();
    const ws = FakeWebSocket.latest();
    ws.handshake();
    const map = client.subscribe('fleet', { filter: { bounds: { north: 60, south: 30, west: -10, east: 30 } } });
    client.subscribe('fleet', { filter: ATTENTION_VIEW.filter, intervalMs: 1000 });
    await flush();
    const [first, second] = ws.messagesOf('subscribe');
    expect(first).not.toHaveProperty('view');
    expect(second).toHaveProperty('view');
    for (const message of [first!, second!]) {
      ws.receive({ type: 'reply', ref: message.ref, ok: true, channel: 'fleet', ...(message.view ? { view: message.view } : {}), recovered: false });
    }
    await flush();
    expect([...views.values()]).toEqual([{ channel: 'fleet' }, { channel: 'fleet', view: second!.view }]);

    map();
    await flush();
    expect(ws.last('unsubscribe')).not.toHaveProperty('view');
    expect([...views.values()]).toEqual([{ channel: 'fleet', view: second!.view }]);

    ws.serverClose(1011);
    expect(views.size).toBe(0);
    stop();
  });
});

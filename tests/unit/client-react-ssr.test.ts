/**
 * Server rendering of the provider and hooks: data from server-rendered snapshots on first
 * paint, nothing connected, nothing shared between two renders.
 */
import { createElement as h, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { PulseProvider } from '@/components/PulseProvider';
import { useChannel } from '@/hooks/useChannel';
import { useConnectionStatus } from '@/hooks/useConnectionStatus';
import { useRecord, useRecordIds } from '@/hooks/useRecord';
import { useChannelEvents } from '@/hooks/useChannelEvents';
import type { InitialSnapshot } from '@/lib/store';

const kpi: InitialSnapshot = {
  channel: 'kpi',
  epoch: 'e1',
  seq: 42,
  records: [
    { id: 'q1', waiting: 12 },
    { id: 'q2', waiting: 3 },
  ],
  events: [{ seq: 40, ts: 1, type: 'alert.sla', priority: 'high' }],
  at: 1000,
};

function Summary() {
  const { records, status, seq, lastUpdate } = useChannel('kpi');
  const { state } = useConnectionStatus();
  const { events } = useChannelEvents('kpi');
  return h('p', null, `${state}|${status}|${seq}|${lastUpdate}|${records.map((r) => `${r.id}=${String(r.waiting)}`).join(',')}|${events.length}`);
}

function Row({ id }: { id: string }) {
  const { record, changed } = useRecord('backlog', id);
  return h('li', null, `${id}:${String(record?.waiting)}:${changed ? 'flash' : ''}`);
}

function Backlog({ initial }: { initial?: InitialSnapshot }) {
  useChannel('backlog', initial ? { initial } : {});
  const ids = useRecordIds('backlog');
  return h('ul', null, ids.map((id) => h(Row, { key: id, id })));
}

const render = (node: ReactNode, initial?: InitialSnapshot[]) =>
  renderToString(h(PulseProvider, initial ? { initial, children: node } : { children: node }));

describe('server rendering', () => {
  it('renders snapshots given to the provider, with the client idle', () => {
    expect(render(h(Summary), [kpi])).toContain('idle|idle|42|1000|q1=12,q2=3|1');
  });

  it('renders rows from a snapshot given to useChannel, through per-record hooks', () => {
    const html = render(h(Backlog, { initial: { ...kpi, channel: 'backlog' } }));
    expect(html).toContain('q1:12:');
    expect(html).toContain('q2:3:');
  });

  it('never shares data between two renders', () => {
    expect(render(h(Summary), [kpi])).toContain('q1=12');
    expect(render(h(Summary))).toContain('idle|idle|0|null||0');
    expect(render(h(Backlog, {}))).toBe('<ul></ul>');
  });

  it('refuses hooks outside a provider', () => {
    jest.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderToString(h(Summary))).toThrow(/PulseProvider/);
  });
});

describe('server rendering of views', () => {
  const OFFLINE = { where: { status: 'offline' } };
  const fleet = (records: InitialSnapshot['records'], filter?: InitialSnapshot['filter']): InitialSnapshot => ({
    channel: 'fleet',
    ...(filter ? { filter } : {}),
    epoch: 'e1',
    seq: 9,
    records,
    at: 1000,
  });

  function FleetRow({ id, filter }: { id: string; filter?: InitialSnapshot['filter'] }) {
    const { record } = useRecord('fleet', id, filter ? { filter } : undefined);
    return h('li', null, `${id}:${String(record?.status)}`);
  }

  function Fleet({ filter, initial }: { filter?: InitialSnapshot['filter']; initial?: InitialSnapshot }) {
    const { status, paused } = useChannel('fleet', { ...(filter ? { filter } : {}), ...(initial ? { initial } : {}) });
    const ids = useRecordIds('fleet', filter ? { filter } : undefined);
    return h('ul', { 'data-status': status, 'data-paused': String(paused) }, ids.map((id) => h(FleetRow, { key: id, id, filter })));
  }

  it('gives each view the snapshot read with its filter, from the provider', () => {
    const initial = [fleet([{ id: 'a', status: 'online' }, { id: 'b', status: 'offline' }]), fleet([{ id: 'b', status: 'offline' }], { where: { status: 'offline' } })];
    const html = render(h('div', null, h(Fleet), h(Fleet, { filter: OFFLINE })), initial);
    expect(html).toContain('<ul data-status="idle" data-paused="false"><li>a:online</li><li>b:offline</li></ul>');
    expect(html).toContain('<ul data-status="idle" data-paused="false"><li>b:offline</li></ul>');
  });

  it('files a snapshot given to useChannel under that hook’s view, whatever it says of itself', () => {
    const html = render(h('div', null, h(Fleet, { filter: OFFLINE, initial: fleet([{ id: 'z', status: 'offline' }]) }), h(Fleet)));
    expect(html).toContain('<li>z:offline</li>');
    expect(html).toContain('<ul data-status="idle" data-paused="false"></ul>'); // the whole channel: nothing rendered for it
  });
});

import { renderToStaticMarkup } from 'react-dom/server';
import { AlertsFeed, describeAlert, orderAlerts, type AlertEvent } from '@/components/AlertsFeed';
import { BacklogTable, BacklogTableRow, backlogLevel, sortBacklog, type BacklogRow } from '@/components/BacklogTable';
import { ConnectionIndicator, connectionAppearance, type ConnectionState } from '@/components/ConnectionIndicator';
import { Flash, flashTone, transparentOf } from '@/components/Flash';
import { FleetMap, type FleetMapNode } from '@/components/FleetMap';
import { KpiCard, kpiDelta, kpiStatus } from '@/components/KpiCard';
import { LiveBadge } from '@/components/LiveBadge';
import { asBacklogRow, asFleetNode, numberField } from '@/components/records';
import { Sparkline } from '@/components/Sparkline';
import { Toasts, toastFromEvent } from '@/components/Toasts';

const render = renderToStaticMarkup;
const count = (html: string, needle: string) => html.split(needle).length - 1;

describe('ConnectionIndicator', () => {
  const states: ConnectionState[] = ['idle', 'connecting', 'open', 'reconnecting', 'fallback', 'offline', 'closed', 'error'];

  it.each(states)('renders %s as an accessible status', (state) => {
    const html = render(<ConnectionIndicator state={state} />);
    expect(html).toContain('role="status"');
    expect(html).toContain('aria-live="polite"');
    expect(html).toContain(`data-state="${state}"`);
    expect(html).toContain(connectionAppearance(state).label);
  });

  it('maps states to the documented colours', () => {
    expect(connectionAppearance('open')).toMatchObject({ tone: 'ok', pulse: true });
    expect(connectionAppearance('connecting').tone).toBe('pending');
    expect(connectionAppearance('reconnecting').tone).toBe('pending');
    expect(connectionAppearance('fallback')).toMatchObject({ tone: 'info', label: 'Polling' });
    expect(connectionAppearance('offline').tone).toBe('muted');
    expect(connectionAppearance('error').tone).toBe('bad');
    expect(connectionAppearance('closed').tone).toBe('bad');
    expect(render(<ConnectionIndicator state="open" />)).toContain('pb-conn--pulse');
    expect(render(<ConnectionIndicator state="reconnecting" />)).not.toContain('pb-conn--pulse');
  });

  it('says "Paused" while the socket is up and every view is paused, and only then', () => {
    expect(connectionAppearance('open', true)).toMatchObject({ tone: 'muted', label: 'Paused', pulse: false });
    expect(connectionAppearance('reconnecting', true)).toBe(connectionAppearance('reconnecting'));
    const html = render(<ConnectionIndicator state="open" paused />);
    expect(html).toContain('Paused');
    expect(html).toContain('data-paused="true"');
    expect(html).not.toContain('pb-conn--pulse');
    expect(render(<ConnectionIndicator state="open" paused={false} />)).not.toContain('data-paused');
  });

  it('accepts a label override and a compact form that still speaks', () => {
    expect(render(<ConnectionIndicator state="reconnecting" label="Retrying (3)" />)).toContain('Retrying (3)');
    const compact = render(<ConnectionIndicator state="open" compact />);
    expect(compact).toContain('pb-visually-hidden');
    expect(compact).toContain('Live');
  });
});

describe('LiveBadge', () => {
  const now = 1_767_225_600_000;

  it.each([
    [now - 500, 'Live', 'pb-live--live'],
    [now - 3_000, 'Just now', 'pb-live--live'],
    [now - 5_000, '5s ago', 'pb-live--recent'],
    [now - 120_000, '2m ago', 'pb-live--stale'],
    [now - 3_600_000, '1h ago', 'pb-live--old'],
  ])('shows the age of %d', (updatedAt, text, cls) => {
    const html = render(<LiveBadge updatedAt={updatedAt} now={now} />);
    expect(html).toContain(text);
    expect(html).toContain(cls);
    expect(html).toContain(`dateTime="${new Date(updatedAt).toISOString()}"`);
  });

  it('says so before any data', () => {
    expect(render(<LiveBadge updatedAt={null} />)).toContain('No data yet');
  });

  it('says "Paused" for a paused panel instead of ageing its data', () => {
    const html = render(<LiveBadge updatedAt={now - 120_000} now={now} paused />);
    expect(html).toContain('Paused');
    expect(html).toContain('pb-live--paused');
    expect(html).not.toContain('2m ago');
    expect(html).toContain(new Date(now - 120_000).toISOString()); // when the data is from, in the title
    expect(render(<LiveBadge updatedAt={null} paused />)).toContain('Paused');
  });
});

describe('Flash', () => {
  it('renders its content in the requested element', () => {
    expect(render(<Flash value={42} />)).toBe('<span class="pb-flash">42</span>');
    expect(render(<Flash as="div" value="x" className="big" title="t" />)).toBe('<div title="t" class="pb-flash big">x</div>');
    expect(
      render(
        <table>
          <tbody>
            <Flash as="tr" flashKey="v1">
              <td>cell</td>
            </Flash>
          </tbody>
        </table>,
      ),
    ).toContain('<tr class="pb-flash"><td>cell</td></tr>');
  });

  it('carries no highlight on first render', () => {
    expect(render(<Flash value={1} />)).not.toContain('background');
  });

  it('picks a tone from the direction of the change', () => {
    expect(flashTone(1, 2, 'none')).toBe('neutral');
    expect(flashTone(1, 2, 'higher-is-better')).toBe('good');
    expect(flashTone(2, 1, 'higher-is-better')).toBe('bad');
    expect(flashTone(1, 2, 'higher-is-worse')).toBe('bad');
    expect(flashTone(2, 1, 'higher-is-worse')).toBe('good');
    expect(flashTone('a', 'b', 'higher-is-better')).toBe('neutral');
  });

  it('fades to the same colour at zero alpha', () => {
    expect(transparentOf('rgba(56, 189, 248, 0.3)')).toBe('rgba(56, 189, 248, 0)');
    expect(transparentOf('rgb(1,2,3)')).toBe('rgba(1, 2, 3, 0)');
    expect(transparentOf('#fff')).toBe('rgba(0, 0, 0, 0)');
  });
});

describe('Sparkline', () => {
  it('draws a line, an area and the last point', () => {
    const html = render(<Sparkline values={[1, 3, 2, 5]} width={100} height={20} label="Utilisation, last 5 minutes" />);
    expect(html).toContain('<svg');
    expect(html).toContain('role="img"');
    expect(html).toContain('aria-label="Utilisation, last 5 minutes"');
    expect(count(html, '<path')).toBe(2);
    expect(count(html, '<circle')).toBe(1);
  });

  it('can go without fill and dot, and is decorative without a label', () => {
    const html = render(<Sparkline values={[1, 2]} fill={false} showLast={false} />);
    expect(count(html, '<path')).toBe(1);
    expect(html).not.toContain('<circle');
    expect(html).toContain('aria-hidden="true"');
  });

  it('renders an empty frame for no data', () => {
    const html = render(<Sparkline values={[]} />);
    expect(html).not.toContain('<path');
  });

  it('draws a series, with a gap where it has no value', () => {
    const html = render(<Sparkline line={{ start: 0, resolutionMs: 1000, values: [1, 2, null, 4, 5] }} fill={false} showLast={false} />);
    expect(html).toContain('data-points="4"');
    expect(html).toMatch(/d="M[^"]*M[^"]*"/);
  });
});

describe('KpiCard', () => {
  it('shows title, value, unit, delta and sparkline', () => {
    const html = render(
      <KpiCard
        title="SLA risk"
        value={42.5}
        decimals={1}
        unit="%"
        previous={40}
        higherIsBetter={false}
        thresholds={{ warn: 30, critical: 60 }}
        sparkline={<Sparkline values={[1, 2, 3]} />}
        footer="acme"
      />,
    );
    expect(html).toContain('aria-label="SLA risk"');
    expect(html).toContain('42.5');
    expect(html).toContain('pb-kpi__unit">%');
    expect(html).toContain('pb-kpi--warn');
    expect(html).toContain('pb-kpi__delta--bad');
    expect(html).toContain('▲');
    expect(html).toContain('2.5');
    expect(html).toContain('pb-sparkline');
    expect(html).toContain('acme');
  });

  it('reads the change over a window in its header', () => {
    const html = render(<KpiCard title="Waiting" value={34} change={{ delta: -3, text: '\u22123', window: '15 min' }} higherIsBetter={false} />);
    expect(html).toContain('pb-kpi__change');
    expect(html).toContain('pb-kpi__delta--good');
    expect(html).toContain('▼');
    expect(html).toContain('title="\u22123 in 15 min"');
    expect(html).toContain('<span class="pb-visually-hidden"> in 15 min</span>');
    // no second delta beside the value
    expect(count(html, 'pb-kpi__delta')).toBe(2);
  });

  it('handles a missing value', () => {
    const html = render(<KpiCard title="Health" value={null} unit="pts" />);
    expect(html).toContain('—');
    expect(html).toContain('pb-kpi--neutral');
    expect(html).not.toContain('pts');
    expect(html).not.toContain('pb-kpi__delta');
  });

  it('uses a custom formatter', () => {
    const html = render(<KpiCard title="Utilisation" value={0.734} format={(v) => `${Math.round(v * 100)}`} unit="%" />);
    expect(html).toContain('>73<');
  });

  it('computes status and delta', () => {
    expect(kpiStatus(70, { warn: 50, critical: 80 })).toBe('warn');
    expect(kpiStatus(85, { warn: 50, critical: 80 })).toBe('critical');
    expect(kpiStatus(10, { warn: 50, critical: 80 })).toBe('ok');
    expect(kpiStatus(35, { warn: 70, critical: 40, direction: 'below' })).toBe('critical');
    expect(kpiStatus(65, { warn: 70, critical: 40, direction: 'below' })).toBe('warn');
    expect(kpiStatus(null, { warn: 1, critical: 2 })).toBe('neutral');
    expect(kpiDelta(5, 3, true)).toEqual({ direction: 'up', amount: 2, sentiment: 'good' });
    expect(kpiDelta(3, 5, true)).toEqual({ direction: 'down', amount: 2, sentiment: 'bad' });
    expect(kpiDelta(3, 3, true)).toEqual({ direction: 'flat', amount: 0, sentiment: 'neutral' });
    expect(kpiDelta(5, 3)).toMatchObject({ sentiment: 'neutral' });
    expect(kpiDelta(5, null)).toBeNull();
  });
});

describe('FleetMap', () => {
  const nodes: FleetMapNode[] = [
    { id: 'n1', name: 'NYC-001', lat: 40.7, lon: -74, status: 'online', moving: true },
    { id: 'n2', lat: 51.5, lon: -0.1, status: 'degraded' },
    { id: 'n3', lat: -16.85, lon: -179.95, status: 'offline' },
    { id: 'n4', lat: -16.8, lon: 179.95, status: 'online' },
    { id: 'n5', lat: Number.NaN, lon: 0, status: 'online' },
  ];
  const noop = () => {};

  it('draws the world with every positioned node, presets and a legend', () => {
    const html = render(<FleetMap nodes={nodes} bounds={null} onBoundsChange={noop} />);
    expect(count(html, 'class="pb-map__node ')).toBe(4);
    expect(html).toContain('pb-map__node--ok pb-map__node--moving');
    expect(html).toContain('pb-map__node--warn');
    expect(html).toContain('pb-map__node--bad');
    expect(html).toContain('<title>NYC-001 · online · moving</title>');
    for (const label of ['World', 'Americas', 'Europe', 'Asia-Pacific', 'Antimeridian']) expect(html).toContain(`>${label}</button>`);
    expect(html).toContain('aria-pressed="true">World</button>');
    expect(html).toContain('Whole world');
    expect(html).toContain('class="pb-map__land"');
    expect(html).toContain('pb-map__legend-item--bad');
    expect(html).not.toContain('class="pb-map__bounds"');
  });

  it('zooms to bounds across the antimeridian, shows the box and clusters Fiji whole', () => {
    const bounds = { north: -5, south: -45, west: 165, east: -170 };
    const html = render(<FleetMap nodes={nodes} bounds={bounds} onBoundsChange={noop} />);
    expect(html).toContain('aria-pressed="true">Antimeridian</button>');
    expect(count(html, 'class="pb-map__bounds"')).toBe(1);
    expect(html).toContain('(across 180°)');
    // only the Fiji nodes are in this view, close enough to share a cluster
    expect(html).toContain('data-ids="n3 n4"');
    expect(html).toContain('data-shown="2"');
    expect(html).toContain('pb-map__cluster--bad');
  });

  it('can keep the world view and outline the box', () => {
    const bounds = { north: -5, south: -45, west: 165, east: -170 };
    const html = render(<FleetMap nodes={nodes} bounds={bounds} onBoundsChange={noop} zoomToBounds={false} />);
    expect(count(html, 'class="pb-map__bounds"')).toBe(1);
    expect(html).toContain('data-shown="4"');
  });
});

describe('AlertsFeed', () => {
  const now = 1_767_225_600_000;
  const events: AlertEvent[] = [
    { seq: 10, ts: now - 120_000, type: 'alert.node', priority: 'low', data: { message: 'Node NYC-001 back online', node: 'node-nyc-001', nodeName: 'NYC-001' } },
    { seq: 11, ts: now - 30_000, type: 'alert.sla', priority: 'high', data: { message: 'SLA risk 82% on Billing', queue: 'acme-billing', queueName: 'Billing' } },
    { seq: 12, ts: now - 1_000, type: 'alert.capacity', priority: 'critical', data: { message: 'Out of capacity' } },
    { seq: 12, ts: now - 1_000, type: 'alert.custom', priority: 'normal' },
  ];

  it('lists newest first with priority chips and relative times', () => {
    const html = render(<AlertsFeed events={events} now={now} />);
    expect(count(html, '<li')).toBe(4);
    const order = ['alert.custom', 'Out of capacity', 'SLA risk 82%', 'back online'].map((s) => html.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(html).toContain('pb-chip--critical');
    expect(html).toContain('>Critical<');
    expect(html).toContain('2m ago');
    expect(html).toContain('30s ago');
    expect(html).toContain('>Billing<');
    expect(html).toContain('>NYC-001<');
  });

  it('limits the list and shows an empty state', () => {
    expect(count(render(<AlertsFeed events={events} now={now} limit={2} />), '<li')).toBe(2);
    expect(render(<AlertsFeed events={[]} emptyText="All quiet" />)).toContain('All quiet');
  });

  it('orders with unique keys even when events share a seq', () => {
    const keys = orderAlerts(events, 10).map((e) => e.key);
    expect(keys).toEqual(['12.1', '12.0', '11.0', '10.0']);
  });

  it('describes events of any shape', () => {
    expect(describeAlert({ type: 'x', data: null })).toEqual({ message: 'x', refs: [] });
    expect(describeAlert({ type: 'x', data: { message: 'm', queue: 'q1' } })).toEqual({ message: 'm', refs: ['q1'] });
    expect(describeAlert({ type: 'x', data: { queue: 'q1', queueName: 'Queue 1', node: 'n', nodeName: 'N' } }).refs).toEqual(['Queue 1', 'N']);
  });
});

describe('Toasts', () => {
  it('renders a dismissable stack, newest kept when over the limit', () => {
    const toasts = [1, 2, 3, 4, 5].map((i) => ({ id: `t${i}`, title: `Title ${i}`, body: `Body ${i}` }));
    const html = render(<Toasts toasts={toasts} onDismiss={() => {}} max={3} />);
    expect(html).toContain('aria-live="assertive"');
    expect(count(html, '<li')).toBe(3);
    expect(html).not.toContain('Title 2');
    expect(html).toContain('Title 5');
    expect(html).toContain('aria-label="Dismiss: Title 5"');
  });

  it('builds a toast from a critical event', () => {
    const toast = toastFromEvent({ seq: 7, ts: 0, type: 'alert.sla', data: { message: 'Breach imminent', queueName: 'Billing' } }, 1);
    expect(toast).toEqual({ id: '7.1', title: 'SLA breach risk', body: 'Breach imminent · Billing' });
  });
});

describe('BacklogTable', () => {
  const rows: BacklogRow[] = [
    { id: 'a', queue: 'Alpha', org: 'acme', department: 'support', waiting: 2, oldestWaitS: 30, handled: 1200, abandoned: 12 },
    { id: 'b', queue: 'Beta', org: 'acme', department: 'billing', waiting: 9, oldestWaitS: 200, handled: 15342, abandoned: 300 },
    { id: 'c', queue: 'Gamma', org: 'globex', department: 'claims', waiting: 2, oldestWaitS: 75, handled: 10, abandoned: 0 },
    { id: 'd', queue: 'Delta', org: 'initech', department: 'sales', waiting: 0, oldestWaitS: 0, handled: 5, abandoned: 1 },
  ];

  it('sorts by waiting, then oldest wait, then name', () => {
    expect(sortBacklog(rows).map((r) => r.id)).toEqual(['b', 'c', 'a', 'd']);
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('renders right-aligned numbers, levels and flashable rows', () => {
    const html = render(
      <BacklogTable items={sortBacklog(rows)} caption="Backlog">
        {(row) => <BacklogTableRow key={row.id} row={row} />}
      </BacklogTable>,
    );
    expect(count(html, 'class="pb-flash pb-table__row')).toBe(4);
    const order = ['Beta', 'Gamma', 'Alpha', 'Delta'].map((q) => html.indexOf(`>${q}<`));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(html).toContain('15,342');
    expect(html).toContain('3m 20s');
    expect(html).toContain('pb-backlog__row--critical');
    expect(html).toContain('pb-backlog__row--warn');
    expect(html).toContain('(1.9%)');
    expect(html).toContain('<caption>Backlog</caption>');
    expect(count(html, 'class="pb-num"')).toBeGreaterThanOrEqual(4 * 3);
  });

  it('shows an empty state', () => {
    expect(render(<BacklogTable items={[]}>{() => null}</BacklogTable>)).toContain('No queues');
  });

  it('grades the oldest wait', () => {
    expect(backlogLevel(59, { warnWaitS: 60, criticalWaitS: 180 })).toBe('ok');
    expect(backlogLevel(60, { warnWaitS: 60, criticalWaitS: 180 })).toBe('warn');
    expect(backlogLevel(180, { warnWaitS: 60, criticalWaitS: 180 })).toBe('critical');
  });
});

describe('record adapters', () => {
  it('reads typed rows from loose records, stable per record object', () => {
    const record = { id: 'q1', queue: 'Billing', org: 'acme', department: 'billing', waiting: 3, oldestWaitS: 40, handled: 10, abandoned: 1, updatedAt: 1 };
    const row = asBacklogRow(record);
    expect(row).toEqual({ id: 'q1', queue: 'Billing', org: 'acme', department: 'billing', waiting: 3, oldestWaitS: 40, handled: 10, abandoned: 1 });
    expect(asBacklogRow(record)).toBe(row);
    expect(asBacklogRow({ ...record })).not.toBe(row);
    expect(asBacklogRow({ id: 'bare' })).toMatchObject({ queue: 'bare', waiting: 0 });
  });

  it('reads fleet nodes and numbers', () => {
    expect(asFleetNode({ id: 'n', lat: 1, lon: 2, status: 'online', moving: true, name: 'N' })).toEqual({
      id: 'n',
      name: 'N',
      lat: 1,
      lon: 2,
      status: 'online',
      moving: true,
    });
    expect(Number.isNaN(asFleetNode({ id: 'n' }).lat)).toBe(true);
    expect(numberField({ id: 'x', v: 3 }, 'v')).toBe(3);
    expect(numberField({ id: 'x', v: '3' }, 'v')).toBeNull();
    expect(numberField(undefined, 'v')).toBeNull();
  });
});

/**
 * The panel kit: aggregates, grouping, sorting, tones, value and cell formatting, and each
 * panel rendered on the server from a snapshot (what a dashboard's HTML carries before scripts).
 */
import { createElement as h, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { PulseProvider } from '@/components/PulseProvider';
import { LiveBadge } from '@/components/LiveBadge';
import { formatBytes, formatValue } from '@/components/format';
import { aggregateRecords, compareValues, groupRecords, sortRecords, statValue, thresholdTone } from '@/lib/dashboards/compute';
import {
  BarListPanel,
  EventsPanel,
  PanelView,
  StatPanel,
  TablePanel,
  barFraction,
  cellTone,
  formatCell,
  nextSort,
  panelSpan,
  seriesLineKeys,
  statCaption,
  statusTone,
  timestampOf,
} from '@/components/panels';
import { formatWindowChange } from '@/components/charts';
import { changeFormat, chartThresholds, fromFirstValue, lineLabel } from '@/components/panels/lines';
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { InitialSnapshot } from '@/lib/store/types';

const queues: ChannelRecord[] = [
  { id: 'q1', org: 'acme', waiting: 12, oldest: 95, status: 'online' },
  { id: 'q2', org: 'acme', waiting: 3, oldest: 20, status: 'degraded' },
  { id: 'q3', org: 'globex', waiting: 30, oldest: 400, status: 'offline' },
  { id: 'q4', org: 'globex', status: 'online' },
];

describe('aggregates over the records in view', () => {
  it('counts records, or those with a numeric field', () => {
    expect(aggregateRecords(queues, 'count')).toBe(4);
    expect(aggregateRecords(queues, 'count', 'waiting')).toBe(3);
    expect(aggregateRecords([], 'count')).toBe(0);
  });

  it('sums, averages and bounds numeric values only', () => {
    expect(aggregateRecords(queues, 'sum', 'waiting')).toBe(45);
    expect(aggregateRecords(queues, 'avg', 'waiting')).toBe(15);
    expect(aggregateRecords(queues, 'min', 'waiting')).toBe(3);
    expect(aggregateRecords(queues, 'max', 'waiting')).toBe(30);
  });

  it('has no value without numbers', () => {
    for (const a of ['sum', 'avg', 'min', 'max'] as const) expect(aggregateRecords(queues, a, 'status')).toBeNull();
    expect(aggregateRecords([], 'avg', 'waiting')).toBeNull();
  });

  it('reads one record when the stat names it', () => {
    expect(statValue(queues, { record: 'q3', field: 'waiting' })).toBe(30);
    expect(statValue(queues, { record: 'q4', field: 'waiting' })).toBeNull();
    expect(statValue(queues, { record: 'missing', field: 'waiting' })).toBeNull();
    expect(statValue(queues, { field: 'waiting' })).toBe(45); // default sum
    expect(statValue(queues, { aggregate: 'count' })).toBe(4);
  });

  it('describes what the number is', () => {
    expect(statCaption({ aggregate: 'avg', field: 'waiting' }, 3)).toBe('avg waiting · 3 records');
    expect(statCaption({ aggregate: 'count' }, 1)).toBe('1 record');
    expect(statCaption({ record: 'q1', field: 'waiting' }, 4)).toBe('q1 · waiting');
  });
});

describe('thresholds', () => {
  const thresholds = [
    { value: 90, tone: 'bad' as const },
    { value: 50, tone: 'warn' as const },
  ];
  it('take the tone of the highest one reached, in any order', () => {
    expect(thresholdTone(10, thresholds)).toBeNull();
    expect(thresholdTone(50, thresholds)).toBe('warn');
    expect(thresholdTone(89.9, thresholds)).toBe('warn');
    expect(thresholdTone(120, thresholds)).toBe('bad');
  });
  it('colour nothing without a value or thresholds', () => {
    expect(thresholdTone(null, thresholds)).toBeNull();
    expect(thresholdTone(Number.NaN, thresholds)).toBeNull();
    expect(thresholdTone(100, undefined)).toBeNull();
  });
});

describe('grouping for bar lists', () => {
  it('counts per value, largest first, ties by name', () => {
    expect(groupRecords(queues, 'status')).toEqual([
      { key: 'online', value: 2, count: 2 },
      { key: 'degraded', value: 1, count: 1 },
      { key: 'offline', value: 1, count: 1 },
    ]);
  });
  it('sums a field per value, missing values counting as zero', () => {
    expect(groupRecords(queues, 'org', 'sum', 'waiting')).toEqual([
      { key: 'globex', value: 30, count: 2 },
      { key: 'acme', value: 15, count: 2 },
    ]);
  });
  it('puts records without the field under a dash', () => {
    expect(groupRecords([{ id: 'a' }, { id: 'b', k: 1 }], 'k').map((g) => g.key)).toEqual(['1', '—']);
  });
});

describe('sorting rows', () => {
  it('sorts numbers and text, missing values last either way', () => {
    expect(sortRecords(queues, 'waiting', 'asc').map((r) => r.id)).toEqual(['q2', 'q1', 'q3', 'q4']);
    expect(sortRecords(queues, 'waiting', 'desc').map((r) => r.id)).toEqual(['q3', 'q1', 'q2', 'q4']);
    expect(sortRecords(queues, 'status').map((r) => r.id)).toEqual(['q2', 'q3', 'q1', 'q4']);
  });
  it('is stable and leaves its input alone', () => {
    const copy = [...queues];
    expect(sortRecords(queues, 'org', 'desc').map((r) => r.id)).toEqual(['q3', 'q4', 'q1', 'q2']);
    expect(queues).toEqual(copy);
  });
  it('compares numbers before text, text naturally', () => {
    expect(compareValues(2, 'a')).toBeLessThan(0);
    expect(compareValues('q10', 'q9')).toBeGreaterThan(0);
    expect(compareValues(null, 1)).toBeGreaterThan(0);
  });
  it('cycles a header: a new column ascending, the same one flipped', () => {
    expect(nextSort(null, 'a')).toEqual({ field: 'a', direction: 'asc' });
    expect(nextSort({ field: 'a', direction: 'asc' }, 'a')).toEqual({ field: 'a', direction: 'desc' });
    expect(nextSort({ field: 'a', direction: 'desc' }, 'a')).toEqual({ field: 'a', direction: 'asc' });
    expect(nextSort({ field: 'a', direction: 'desc' }, 'b')).toEqual({ field: 'b', direction: 'asc' });
  });
});

describe('value formatting', () => {
  it('formats numbers, percents, durations and bytes', () => {
    expect(formatValue(1234.5)).toBe('1,235');
    expect(formatValue(3.14159)).toBe('3.14');
    expect(formatValue(42.25)).toBe('42.3');
    expect(formatValue(12345.678, 'number', 2)).toBe('12,345.68');
    expect(formatValue(0.256, 'percent', 1)).toBe('25.6%');
    expect(formatValue(185, 'duration')).toBe('3m 05s');
    expect(formatValue(0.25, 'duration')).toBe('250ms');
    expect(formatValue(3 * 1024 ** 2, 'bytes')).toBe('3.00 MiB');
    expect(formatValue(null)).toBe('—');
    expect(formatValue(Number.POSITIVE_INFINITY, 'percent')).toBe('—');
  });
  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(150 * 1024)).toBe('150 KiB');
    expect(formatBytes(-2048, 0)).toBe('-2 KiB');
  });
});

describe('table cells', () => {
  const now = 1_000_000;
  it('formats each column format', () => {
    expect(formatCell('acme')).toBe('acme');
    expect(formatCell(undefined)).toBe('—');
    expect(formatCell(true)).toBe('yes');
    expect(formatCell(12345, 'number')).toBe('12,345');
    expect(formatCell(0.42, 'percent')).toBe('42%');
    expect(formatCell(65, 'duration')).toBe('1m 05s');
    expect(formatCell(now - 5000, 'timeAgo', now)).toBe('5s ago');
    expect(formatCell(new Date(now - 120_000).toISOString(), 'timeAgo', now)).toBe('2m ago');
    expect(formatCell('not a date', 'timeAgo', now)).toBe('not a date');
    expect(formatCell(7, 'bar')).toBe('7');
    expect(formatCell('online', 'status')).toBe('online');
  });
  it('reads timestamps as ms or date strings', () => {
    expect(timestampOf(5)).toBe(5);
    expect(timestampOf('1970-01-01T00:00:01Z')).toBe(1000);
    expect(timestampOf('nope')).toBeNull();
    expect(timestampOf(null)).toBeNull();
  });
  it('colours status words and thresholds', () => {
    expect(statusTone('Online')).toBe('ok');
    expect(statusTone('degraded')).toBe('warn');
    expect(statusTone('offline')).toBe('bad');
    expect(statusTone('mystery')).toBeNull();
    expect(statusTone('mystery', { mystery: 'info' })).toBe('info');
    expect(statusTone(false)).toBe('bad');
    expect(cellTone('escalated', { format: 'status' })).toBe('bad');
    expect(cellTone(80, { format: 'number', thresholds: [{ value: 70, tone: 'warn' }] })).toBe('warn');
    expect(cellTone('80', { format: 'number', thresholds: [{ value: 70, tone: 'warn' }] })).toBeNull();
  });
  it('fills bars against the largest value', () => {
    expect(barFraction(5, 10)).toBe(0.5);
    expect(barFraction(20, 10)).toBe(1);
    expect(barFraction(5, 0)).toBe(0);
    expect(barFraction('5', 10)).toBe(0);
  });
});

describe('panel layout and views', () => {
  it('spans 1–12 columns, 4 by default', () => {
    expect(panelSpan(undefined)).toBe(4);
    expect(panelSpan(12)).toBe(12);
    expect(panelSpan(0)).toBe(4);
    expect(panelSpan(2.5)).toBe(4);
  });

  it('draws a line per record and field, or per field when aggregating', () => {
    expect(seriesLineKeys({ fields: ['a', 'b'] }, ['r1', 'r2'])).toEqual([
      { record: 'r1', field: 'a' },
      { record: 'r1', field: 'b' },
      { record: 'r2', field: 'a' },
      { record: 'r2', field: 'b' },
    ]);
    expect(seriesLineKeys({ fields: ['a'], aggregate: 'sum' }, ['r1', 'r2'])).toEqual([{ record: null, field: 'a' }]);
    expect(seriesLineKeys({ fields: ['a'], records: ['x'] }, ['r1'])).toEqual([{ record: 'x', field: 'a' }]);
    expect(seriesLineKeys({ fields: ['a'] }, Array.from({ length: 40 }, (_, i) => `r${i}`))).toHaveLength(12);
  });
});

describe('series panels', () => {
  it('draw thresholds as bands up to the next one, in the chart tones', () => {
    expect(chartThresholds([{ value: 300, tone: 'bad' }, { value: 150, tone: 'warn' }])).toEqual([
      { from: 150, to: 300, tone: 'warn', label: '≥ 150' },
      { from: 300, tone: 'critical', label: '≥ 300' },
    ]);
    expect(chartThresholds([{ value: 0.85, tone: 'warn' }], 'percent')[0].label).toBe('≥ 85%');
    expect(chartThresholds(undefined)).toEqual([]);
  });
  it('label lines by record, with the field when there are several', () => {
    expect(lineLabel({ record: 'q1', field: 'waiting' }, 1)).toBe('q1');
    expect(lineLabel({ record: 'q1', field: 'waiting' }, 2)).toBe('q1 · waiting');
    expect(lineLabel({ record: null, field: 'waiting' }, 1, 'avg')).toBe('Average waiting');
    expect(lineLabel({ record: null, field: 'waiting' }, 1)).toBe('Total waiting');
  });
  it('draw a sparkline from the first bucket with a value', () => {
    const line = { start: 0, resolutionMs: 10, values: [null, null, 3, null, 4] };
    expect(fromFirstValue(line)).toEqual({ start: 20, resolutionMs: 10, values: [3, null, 4] });
    const full = { start: 0, resolutionMs: 10, values: [1, 2] };
    expect(fromFirstValue(full)).toBe(full);
    const empty = { start: 0, resolutionMs: 10, values: [null, null] };
    expect(fromFirstValue(empty)).toBe(empty);
  });
  it('say the change over the window in the value format, percents in points', () => {
    const change = (first: number, last: number) => ({ first, last, delta: last - first, ratio: null });
    expect(formatWindowChange(change(0.8, 0.825), '15 min', changeFormat('percent'))).toBe('+2.5 pts in 15 min');
    expect(formatWindowChange(change(100, 40), '5 min', changeFormat('duration'))).toBe('\u22121m 00s in 5 min');
    expect(formatWindowChange(change(10, 22), null, changeFormat('number'))).toBe('+12');
  });
});

describe('panels rendered on the server', () => {
  const snapshot: InitialSnapshot = { channel: 'queues', epoch: 'e1', seq: 7, records: queues, at: 1000 };
  const render = (node: ReactNode) => renderToString(h(PulseProvider, { autoConnect: false, children: node }));

  it('a stat shows its aggregate with unit and threshold tone', () => {
    const html = render(
      <StatPanel title="Waiting" channel="queues" field="waiting" aggregate="sum" unit="calls" thresholds={[{ value: 40, tone: 'bad' }]} initial={snapshot} />,
    );
    expect(html).toContain('>45<');
    expect(html).toContain('calls');
    expect(html).toContain('pb-stat--bad');
    expect(html).toContain('sum waiting · 4 records');
  });

  it('a table shows formatted columns in its initial sort, limited, with the rest counted', () => {
    const html = render(
      <TablePanel
        title="Queues"
        channel="queues"
        columns={[{ field: 'id', label: 'Queue' }, { field: 'waiting', format: 'bar' }, { field: 'oldest', format: 'duration' }, { field: 'status', format: 'status' }]}
        sort={{ field: 'waiting', direction: 'desc' }}
        limit={2}
        initial={snapshot}
      />,
    );
    expect(html.indexOf('data-id="q3"')).toBeLessThan(html.indexOf('data-id="q1"'));
    expect(html).not.toContain('data-id="q2"');
    expect(html).toContain('and 2 more');
    expect(html).toContain('aria-sort="descending"');
    expect(html).toContain('6m 40s');
    expect(html).toContain('pb-pbadge--bad');
    expect(html).toContain('width:100.00%'); // the largest bar is full
  });

  it('a bar list groups records, largest first', () => {
    const html = render(<BarListPanel title="By status" channel="queues" groupBy="status" initial={snapshot} />);
    expect(html.indexOf('online')).toBeLessThan(html.indexOf('degraded'));
    expect(html).toContain('records by status');
  });

  it('an event feed shows the events of its view', () => {
    const events: InitialSnapshot = {
      ...snapshot,
      filter: { minPriority: 'high' },
      events: [{ seq: 6, ts: 900, type: 'alert.sla', priority: 'critical', data: { message: 'Queue over SLA' } }],
    };
    const html = render(<EventsPanel title="Alerts" channel="queues" minPriority="high" initial={events} />);
    expect(html).toContain('Queue over SLA');
    expect(html).toContain('high and above');
  });

  it('renders a declared panel of any kind', () => {
    const html = render(<PanelView panel={{ kind: 'barlist', title: 'Orgs', channel: 'queues', groupBy: 'org' }} initial={snapshot} />);
    expect(html).toContain('globex');
    expect(html).toContain('--pb-panel-span:4');
  });

  it('says when a panel is paused or refused instead of how old it is', () => {
    expect(renderToString(<LiveBadge updatedAt={1} paused />)).toContain('Paused');
    expect(renderToString(<LiveBadge updatedAt={1} error={{ code: 'FORBIDDEN', message: 'no' }} />)).toContain('Not permitted');
    expect(renderToString(<LiveBadge updatedAt={null} error={{ code: 'BAD_FILTER', message: 'bad' }} />)).toContain('Error');
  });
});

/**
 * The series hooks (`useSeries`, `useSeriesAggregate`): server-rendered from the snapshot's
 * series (given to the provider or to `useChannel`), and nothing before the view has series.
 */
import { createElement as h, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { PulseProvider } from '@/components/PulseProvider';
import { useChannel } from '@/hooks/useChannel';
import { useSeries, useSeriesAggregate } from '@/hooks/useSeries';
import type { InitialSnapshot, SeriesLine } from '@/lib/store';

const T0 = 1_700_000_000_000;

const backlog: InitialSnapshot = {
  channel: 'backlog',
  epoch: 'e1',
  seq: 9,
  records: [
    { id: 'q1', waiting: 4 },
    { id: 'q2', waiting: 7 },
  ],
  series: {
    resolutionMs: 1000,
    start: T0,
    end: T0 + 4000,
    fields: ['waiting'],
    records: { q1: { waiting: [1, null, 3, 4] }, q2: { waiting: [7, 7, 7, 7] } },
  },
  at: T0 + 3500,
};

const text = (line: SeriesLine | null) => (line ? `${line.start}:${line.values.map(String).join(',')}` : 'none');

function Charts() {
  const q1 = useSeries('backlog', 'q1', 'waiting');
  const recent = useSeries('backlog', 'q1', 'waiting', { windowMs: 2000 });
  const total = useSeriesAggregate('backlog', 'waiting', 'sum');
  const peak = useSeriesAggregate('backlog', 'waiting', 'max', { records: ['q1'] });
  const unkept = useSeries('backlog', 'q1', 'name');
  return h('p', null, [text(q1), text(recent), text(total), text(peak), text(unkept)].join('|'));
}

function Page({ initial }: { initial?: InitialSnapshot }) {
  useChannel('backlog', initial ? { initial, series: true } : { series: true });
  return h(Charts);
}

const render = (node: ReactNode, initial?: InitialSnapshot[]) =>
  renderToString(h(PulseProvider, initial ? { initial, children: node } : { children: node }));

describe('series hooks, server-rendered', () => {
  const expected = [`${T0}:1,null,3,4`, `${T0 + 2000}:3,4`, `${T0}:8,7,10,11`, `${T0}:1,null,3,4`, 'none'].join('|');

  it('draw the lines of series given to the provider', () => {
    expect(render(h(Charts), [backlog])).toContain(expected);
  });

  it('draw the lines of series given to useChannel', () => {
    expect(render(h(Page, { initial: backlog }))).toContain(expected);
  });

  it('give null before the view has series', () => {
    expect(render(h(Page))).toContain('none|none|none|none|none');
  });
});

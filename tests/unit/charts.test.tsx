/**
 * The charts' geometry (paths with gaps, ticks, the bucket under a pointer, the change over the
 * window) and what the chart components render on the server: the lines are in the HTML.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { formatWindowChange } from '@/components/charts/change';
import {
  bucketIndexAt,
  decimate,
  drawnSegments,
  evenPath,
  formatTimeOfDay,
  formatWindow,
  seriesChange,
  seriesPath,
  timeExtent,
  timeTicks,
  valueAt,
  valueExtent,
  valueTicks,
} from '@/components/charts/geometry';
import { chartLayout, PLOT_WIDTH, readingAt, stepReading } from '@/components/charts/layout';
import { TimeSeriesChart } from '@/components/charts/TimeSeriesChart';
import { formatPercent } from '@/components/format';
import type { SeriesLine } from '@/lib/store/types';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const line = (values: (number | null)[], start = T0, resolutionMs = 1000): SeriesLine => ({ start, resolutionMs, values });
const count = (text: string, needle: RegExp) => (text.match(needle) ?? []).length;

describe('time', () => {
  it('spans the lines from the first bucket to the last', () => {
    expect(timeExtent([line([1, 2, 3])])).toEqual([T0, T0 + 2000]);
    expect(timeExtent([line([1, 2], T0 + 5000), line([1, 2, 3, 4])])).toEqual([T0, T0 + 6000]);
    expect(timeExtent([line([])])).toBeNull();
  });

  it('finds the nearest bucket, clamped to the line', () => {
    const l = line([1, null, 3]);
    expect(bucketIndexAt(l, T0 + 400)).toBe(0);
    expect(bucketIndexAt(l, T0 + 600)).toBe(1);
    expect(bucketIndexAt(l, T0 - 99_000)).toBe(0);
    expect(bucketIndexAt(l, T0 + 99_000)).toBe(2);
    expect(bucketIndexAt(line([]), T0)).toBeNull();
  });

  it('reads the value at a time: null in a gap and outside the line', () => {
    const l = line([1, null, 3]);
    expect(valueAt(l, T0 + 1900)).toBe(3);
    expect(valueAt(l, T0 + 1000)).toBeNull();
    expect(valueAt(l, T0 + 2400)).toBe(3);
    expect(valueAt(l, T0 + 2600)).toBeNull();
    expect(valueAt(l, T0 - 600)).toBeNull();
  });

  it('puts time ticks on round minutes, labelled HH:MM', () => {
    const ticks = timeTicks([T0, T0 + 15 * 60_000], [0, 600], 5, true);
    expect(ticks.map((t) => t.label)).toEqual(['10:00', '10:05', '10:10', '10:15']);
    expect(ticks.map((t) => t.x)).toEqual([0, 200, 400, 600]);
    // a quarter hour in the middle of a minute: ticks only on whole minutes inside the span
    const odd = timeTicks([T0 + 30_000, T0 + 15 * 60_000 + 30_000], [0, 900], 6, true);
    expect(odd.every((t) => t.t % 60_000 === 0 && t.x > 0 && t.x < 900)).toBe(true);
    expect(formatTimeOfDay(Date.UTC(2026, 0, 1, 7, 5), true)).toBe('07:05');
  });
});

describe('values', () => {
  it('spans the values, skipping nulls', () => {
    expect(valueExtent([[3, null, 1, 7]])).toEqual([1, 7]);
    expect(valueExtent([[null, null]])).toBeNull();
    expect(valueExtent([[null]], { min: 0, max: 1 })).toEqual([0, 1]);
  });

  it('widens to a smallest span around the middle, and keeps fixed ends', () => {
    const [lo, hi] = valueExtent([[0.8, 0.81]], { minSpan: 0.1 })!;
    expect(lo).toBeCloseTo(0.755);
    expect(hi).toBeCloseTo(0.855);
    expect(valueExtent([[5, 6]], { min: 0 })).toEqual([0, 6]);
    expect(valueExtent([[5, 6]], { min: 0, minSpan: 10 })).toEqual([0, 10]);
    expect(valueExtent([[-5, 150]], { min: 0, max: 100 })).toEqual([0, 100]);
    expect(valueExtent([[20, 40]], { max: 100 })).toEqual([20, 100]);
  });

  it('rounds to nice ends for an axis', () => {
    expect(valueExtent([[3, 97]], { nice: true })).toEqual([0, 100]);
    expect(valueExtent([[3, 97]], { nice: true, min: 3 })).toEqual([3, 100]);
    const ticks = valueTicks([0, 100], [200, 0], 4);
    expect(ticks.map((t) => t.value)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks[0]!.y).toBe(200);
    expect(ticks.at(-1)!.y).toBe(0);
  });
});

describe('paths', () => {
  it('spaces values evenly, lowest at the bottom', () => {
    const p = evenPath([0, 5, 10], { width: 100, height: 20, min: 0, max: 10 });
    expect(p.line).toBe('M0,20L50,10L100,0');
    expect(p.area).toBe('M0,20L50,10L100,0L100,20L0,20Z');
    expect(p.last).toEqual({ x: 100, y: 0 });
    expect(p.points).toBe(3);
  });

  it('leaves a gap for null, and starts again after it', () => {
    const p = evenPath([1, 2, null, null, 4, 5], { width: 50, height: 10, min: 0, max: 5 });
    expect(count(p.line, /M/g)).toBe(2);
    expect(p.line).toBe('M0,8L10,6M40,2L50,0');
    expect(p.points).toBe(4);
    // the fill stops at the gap too
    expect(count(p.area, /Z/g)).toBe(2);
  });

  it('leaves out the points inside a level stretch: the same picture, shorter path data', () => {
    const p = evenPath([2, 2, 2, 2, 4, 4, 4, null, 1, 1, 1], { width: 100, height: 10, min: 0, max: 4, columnWidth: 0 });
    expect(p.line).toBe('M0,5L30,5L40,0L60,0M80,7.5L100,7.5');
    expect(p.area).toBe('M0,5L30,5L40,0L60,0L60,10L0,10ZM80,7.5L100,7.5L100,10L80,10Z');
    // every value still counts as drawn
    expect(p.points).toBe(10);
    expect(drawnSegments([{ x: 0, y: 1 }, { x: 1, y: 1.001 }, { x: 2, y: 1 }, { x: 3, y: null }, { x: 4, y: 3 }])).toEqual([
      [
        { x: 0, y: 1 },
        { x: 2, y: 1 },
      ],
      [{ x: 4, y: 3 }],
    ]);
  });

  it('draws nothing for no value, and a flat line in the middle for one', () => {
    expect(evenPath([null, null], { width: 10, height: 10, min: 0, max: 1 })).toEqual({ line: '', area: '', last: null, points: 0 });
    expect(evenPath([7], { width: 10, height: 10, min: 7, max: 7 }).line).toBe('M0,5L10,5');
  });

  it('thins points to the lowest and highest per column, keeping gaps, peaks and both ends', () => {
    const points = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5].map((x, i) => ({ x, y: [5, 9, 1, 4, null, 3, 8, 2][i]! }));
    expect(decimate(points, 2)).toEqual([
      { x: 0, y: 5 }, // the first point of the line
      { x: 0.5, y: 9 },
      { x: 1, y: 1 },
      { x: 1.5, y: 4 }, // the last before a gap
      { x: 2, y: null },
      { x: 2.5, y: 3 }, // lowest, and the first after the gap
      { x: 3, y: 8 },
      { x: 3.5, y: 2 }, // the last point of the line
    ]);
    const long = Array.from({ length: 900 }, (_, i) => ({ x: (i * 240) / 899, y: Math.sin(i / 9) }));
    const thin = decimate(long, 2);
    expect(thin.length).toBeLessThanOrEqual(2 * 120 + 2);
    expect(Math.max(...thin.map((p) => p.y!))).toBe(Math.max(...long.map((p) => p.y)));
    expect(thin.at(-1)).toEqual(long.at(-1));
    expect(decimate(points, 0)).toEqual(points);
  });

  it('places buckets on a time scale and clamps values outside the axis', () => {
    const x = (t: number) => (t - T0) / 10;
    const y = (v: number) => 100 - Math.min(100, Math.max(0, v));
    const p = seriesPath(line([10, null, 150]), x, y, 100);
    expect(p.line).toBe('M0,90ZM200,0Z');
    expect(p.points).toBe(2);
  });
});

describe('seriesChange', () => {
  it('compares the first value of the window with the last, skipping nulls', () => {
    expect(seriesChange(line([null, 4, 5, 7, null]))).toEqual({ first: 4, last: 7, delta: 3, ratio: 0.75 });
    expect(seriesChange(line([10, 8]))).toEqual({ first: 10, last: 8, delta: -2, ratio: -0.2 });
    expect(seriesChange(line([-4, -2]))?.ratio).toBe(0.5);
  });

  it('has no ratio from zero, and nothing to say with fewer than two values', () => {
    expect(seriesChange(line([0, 3]))).toEqual({ first: 0, last: 3, delta: 3, ratio: null });
    expect(seriesChange(line([null, 3, null]))).toBeNull();
    expect(seriesChange(line([]))).toBeNull();
    expect(seriesChange(null)).toBeNull();
  });

  it('reads as a card header says it', () => {
    const window = formatWindow(line(new Array(900).fill(1)));
    expect(window).toBe('15 min');
    expect(formatWindow(line([1, 2], T0, 15_000))).toBe('30 s');
    expect(formatWindow(line(new Array(120).fill(1), T0, 60_000))).toBe('2 h');
    expect(formatWindowChange(seriesChange(line([4, 7])), window)).toBe('+3 in 15 min');
    expect(formatWindowChange(seriesChange(line([0.8, 0.779])), null, { scale: 100, decimals: 1, unit: ' pts' })).toBe('\u22122.1 pts');
    expect(formatWindowChange(seriesChange(line([0.8, 0.8001])), window, { scale: 100, decimals: 1, unit: ' pts' })).toBe('no change in 15 min');
    expect(formatWindowChange(seriesChange(line([30, 95])), null, { format: (s) => `${s}s` })).toBe('+65s');
    expect(formatWindowChange(null, window)).toBeNull();
  });
});

describe('chart layout', () => {
  const waiting = line([10, 12, null, 20, 18]);
  const other = line([5, 5, 6, 6, 7]);

  it('shares one time axis and one value axis between the lines', () => {
    const layout = chartLayout([waiting, other], { height: 100, min: 0, utc: true });
    expect(layout.domain).toEqual([T0, T0 + 4000]);
    expect(layout.range).toEqual([0, 20]);
    expect(layout.paths.map((p) => p.points)).toEqual([4, 5]);
    expect(layout.paths[0]!.line.startsWith('M0,')).toBe(true);
    expect(layout.paths[0]!.line).toContain(`M${PLOT_WIDTH * 0.75},`);
    expect(layout.valueTicks.map((t) => t.value)).toEqual([0, 5, 10, 15, 20]);
  });

  it('is empty without data, keeping a path per line', () => {
    const layout = chartLayout([null, line([null, null])], { height: 100 });
    expect(layout.range).toBeNull();
    expect(chartLayout([null], { height: 100 }).domain).toBeNull();
    expect(layout.paths.map((p) => p.line)).toEqual(['', '']);
    expect(layout.timeTicks).toEqual([]);
  });

  it('draws thresholds as bands clipped to the plot, to the edge when they reach it', () => {
    const layout = chartLayout([line([0, 100])], { height: 100, min: 0, max: 100, thresholds: [{ from: 80, tone: 'critical', label: 'critical' }, { from: 50, to: 80 }, { from: 200 }] });
    expect(layout.bands).toHaveLength(2);
    // values from 6 px (100) to 94 px (0): 80 lies at 23.6 px, 50 at 50 px
    expect(layout.bands[0]).toMatchObject({ y: 0, tone: 'critical', label: 'critical' });
    expect(layout.bands[0]!.height).toBeCloseTo(23.6);
    expect(layout.bands[1]!.tone).toBe('warn');
    expect(layout.bands[1]!.y).toBeCloseTo(23.6);
    expect(layout.bands[1]!.height).toBeCloseTo(26.4);
  });

  it('reads every line at the bucket under the pointer', () => {
    const lines = [waiting, other];
    const layout = chartLayout(lines, { height: 100, min: 0 });
    const middle = readingAt(lines, layout, 0.5)!;
    expect(middle).toMatchObject({ t: T0 + 2000, x: PLOT_WIDTH / 2, values: [null, 6] });
    expect(middle.ys[0]).toBeNull();
    expect(readingAt(lines, layout, 0.8)).toMatchObject({ t: T0 + 3000, values: [20, 6] });
    expect(readingAt(lines, layout, 7)).toMatchObject({ t: T0 + 4000, values: [18, 7] });
    // arrow keys: from the last bucket, one back, never past the ends
    const last = stepReading(lines, layout, null, -1)!;
    expect(last.t).toBe(T0 + 4000);
    expect(stepReading(lines, layout, last, -1)!.t).toBe(T0 + 3000);
    expect(stepReading(lines, layout, last, -60)!.t).toBe(T0);
  });
});

describe('TimeSeriesChart', () => {
  it('draws its lines in the server render, with an accessible summary', () => {
    const html = renderToStaticMarkup(
      <TimeSeriesChart
        title="SLA risk"
        series={[
          { label: 'acme', line: line([0.2, 0.3, null, 0.5]) },
          { label: 'globex', line: line([0.1, 0.1, 0.2, 0.25]) },
          { label: 'initech', line: null },
        ]}
        format={(v) => formatPercent(v)}
        min={0}
        max={1}
        thresholds={[{ from: 0.8, tone: 'critical', label: 'critical' }]}
      />,
    );
    expect(count(html, /class="pb-chart__line"/g)).toBe(2);
    expect(html).toContain('data-points="3"');
    expect(html).toContain('data-points="4"');
    expect(html).toContain('role="img"');
    expect(html).toContain('aria-label="SLA risk, 10:00 to 10:00 UTC; acme 50%, up 30% over the window; globex 25%, up 15% over the window; initech: no data"');
    expect(html).toContain('pb-chart__band--critical');
    expect(html).toContain('preserveAspectRatio="none"');
    // the legend shows the latest values, and a key for the line without data
    expect(html).toMatch(/data-series="initech".*—/);
    expect(html).toContain('Last 4 s');
  });

  it('says so when there is nothing to draw', () => {
    const html = renderToStaticMarkup(<TimeSeriesChart title="Waiting" series={[{ label: 'acme', line: null }]} />);
    expect(html).toContain('No data yet');
    expect(html).not.toContain('pb-chart__line');
    expect(html).toContain('aria-label="Waiting: no data yet; acme: no data"');
  });
});

/**
 * The layout of a time-series chart, pure: its scales, one path per line, the ticks of both
 * axes, the threshold bands, and what a pointer at some point of the plot reads. The component
 * renders it; the tests check it.
 *
 * The plot is drawn in a box `PLOT_WIDTH` units wide and `height` pixels tall that the page
 * stretches to its width (`preserveAspectRatio="none"`), so the chart fills any width with no
 * script measuring it; the labels are HTML placed in percent of the width, so text is never
 * stretched.
 */
import { scaleLinear } from 'd3-scale';
import type { SeriesLine } from '@/lib/store/types';
import {
  bucketIndexAt,
  bucketTime,
  seriesPath,
  timeExtent,
  timeTicks,
  valueAt,
  valueExtent,
  valueTicks,
  type LinePath,
  type TimeTick,
  type ValueTick,
} from './geometry';

/** Width of the plot in SVG units; the page scales it to the chart's width. */
export const PLOT_WIDTH = 1000;

/** Space above and below the drawn values, px, so a line at the top or bottom is not clipped. */
const INSET = 6;

/**
 * Points kept per this many units of the plot's width (see `decimate`): the plot is seldom
 * drawn wider than 1,500 px, so 2 units are at most 3 px, and a 15-minute line of 900 points
 * shrinks to what the screen shows.
 */
const COLUMN = 2;

/** A horizontal band between two values (for instance "above 80 % is critical"). */
export interface ChartThreshold {
  /** Lower edge; the bottom of the plot when absent. */
  from?: number;
  /** Upper edge; the top of the plot when absent. */
  to?: number;
  /** Colour family of the band (default `warn`). */
  tone?: 'ok' | 'info' | 'warn' | 'critical';
  /** Short text shown in the band, e.g. `critical`. */
  label?: string;
}

export interface ChartLayoutOptions {
  /** Plot height, px. */
  height: number;
  /** Fixed bottom of the value axis. */
  min?: number;
  /** Fixed top of the value axis. */
  max?: number;
  /** Smallest span of the value axis (see `valueExtent`). */
  minSpan?: number;
  thresholds?: readonly ChartThreshold[];
  /** About how many time labels (default 6). */
  timeTickCount?: number;
  /** About how many value labels (default 4). */
  valueTickCount?: number;
  /** Label times in UTC rather than local time (the server render does, see the component). */
  utc?: boolean;
}

export interface ChartBand {
  y: number;
  height: number;
  tone: NonNullable<ChartThreshold['tone']>;
  label?: string;
}

export interface ChartLayout {
  /** The time span drawn, or `null` when no line has a bucket. */
  domain: [number, number] | null;
  /** The value span drawn, or `null` when there is no value. */
  range: [number, number] | null;
  /** One per line, in order (empty paths for a missing line). */
  paths: LinePath[];
  timeTicks: TimeTick[];
  valueTicks: ValueTick[];
  bands: ChartBand[];
  height: number;
}

const EMPTY_PATH: LinePath = { line: '', area: '', last: null, points: 0 };

/**
 * Lays out lines sharing one time axis and one value axis.
 *
 * @example
 * const layout = chartLayout([waiting], { height: 180, min: 0 });
 * <path d={layout.paths[0].line} />
 */
export function chartLayout(lines: readonly (SeriesLine | null)[], options: ChartLayoutOptions): ChartLayout {
  const { height, utc = false } = options;
  const present = lines.filter((line): line is SeriesLine => line !== null && line.values.length > 0);
  const domain = timeExtent(present);
  const range = valueExtent(
    present.map((line) => line.values),
    { min: options.min, max: options.max, minSpan: options.minSpan, nice: true },
  );
  if (!domain || !range) {
    return { domain, range, paths: lines.map(() => EMPTY_PATH), timeTicks: [], valueTicks: [], bands: [], height };
  }
  // A band beyond the values stays out of view rather than stretching the axis for it: a
  // threshold matters once a line comes near it.
  const x = scaleLinear().domain(domain[0] === domain[1] ? [domain[0] - 1, domain[1]] : domain).range([0, PLOT_WIDTH]);
  const y = scaleLinear().domain(range).range([height - INSET, INSET]).clamp(true);
  const paths = lines.map((line) => (line && line.values.length > 0 ? seriesPath(line, x, y, height - INSET, COLUMN) : EMPTY_PATH));

  const bands: ChartBand[] = [];
  for (const threshold of options.thresholds ?? []) {
    const lo = Math.max(range[0], threshold.from ?? -Infinity);
    const hi = Math.min(range[1], threshold.to ?? Infinity);
    if (!(hi > lo)) continue;
    // a band that reaches the edge of the values reaches the edge of the plot
    const top = hi >= range[1] ? 0 : y(hi);
    const bottom = lo <= range[0] ? height : y(lo);
    bands.push({ y: top, height: bottom - top, tone: threshold.tone ?? 'warn', ...(threshold.label ? { label: threshold.label } : {}) });
  }

  return {
    domain,
    range,
    paths,
    timeTicks: domain[0] === domain[1] ? [] : timeTicks(domain, [0, PLOT_WIDTH], options.timeTickCount ?? 6, utc),
    valueTicks: valueTicks(range, [height - INSET, INSET], options.valueTickCount ?? 4),
    bands,
    height,
  };
}

/** What a pointer over the plot reads: one bucket's time, its x, and every line's value there. */
export interface ChartReading {
  t: number;
  /** Position on the plot, SVG units (0 to `PLOT_WIDTH`). */
  x: number;
  /** One per line, in order; `null` where a line has no value at that time. */
  values: (number | null)[];
  /** y of each value on the plot, px; `null` with the value. */
  ys: (number | null)[];
}

/**
 * The reading at `fraction` (0 = left edge, 1 = right edge) of the plot: snapped to the nearest
 * bucket of the first line that has buckets, so the rule stands on a drawn point.
 *
 * @example
 * readingAt(lines, layout, 0.5)?.values; // [12, 3]
 */
export function readingAt(lines: readonly (SeriesLine | null)[], layout: ChartLayout, fraction: number): ChartReading | null {
  const { domain, range } = layout;
  const base = lines.find((line): line is SeriesLine => line !== null && line.values.length > 0);
  if (!domain || !range || !base || !Number.isFinite(fraction)) return null;
  const f = Math.min(1, Math.max(0, fraction));
  const index = bucketIndexAt(base, domain[0] + f * (domain[1] - domain[0]))!;
  const t = bucketTime(base, index);
  const span = domain[1] - domain[0];
  const x = span === 0 ? PLOT_WIDTH : ((t - domain[0]) / span) * PLOT_WIDTH;
  const y = scaleLinear().domain(range).range([layout.height - INSET, INSET]).clamp(true);
  const values = lines.map((line) => (line ? valueAt(line, t) : null));
  return { t, x, values, ys: values.map((v) => (v === null ? null : y(v))) };
}

/** The reading `step` buckets from `current` (or the last bucket), for arrow keys. */
export function stepReading(lines: readonly (SeriesLine | null)[], layout: ChartLayout, current: ChartReading | null, step: number): ChartReading | null {
  const { domain } = layout;
  const base = lines.find((line): line is SeriesLine => line !== null && line.values.length > 0);
  if (!domain || !base) return null;
  const span = domain[1] - domain[0];
  const index = current ? bucketIndexAt(base, current.t)! + step : base.values.length - 1;
  const t = bucketTime(base, Math.min(base.values.length - 1, Math.max(0, index)));
  return readingAt(lines, layout, span === 0 ? 1 : (t - domain[0]) / span);
}

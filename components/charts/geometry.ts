/**
 * The geometry of the charts, as pure functions over `SeriesLine`s (docs/protocol.md §13): where
 * each bucket lies on the time axis, SVG path data with gaps where a value is `null`, the axes'
 * ticks, the bucket under a pointer, and the change over a window. The components only lay out
 * what these return, so the server render and the browser draw the same picture, and all of it
 * is unit-tested without a DOM.
 */
import { scaleLinear, scaleTime, scaleUtc } from 'd3-scale';
import type { SeriesLine } from '@/lib/store/types';

/** A coordinate rounded to a hundredth of a pixel, finer than any screen: shorter path data. */
const round = (v: number) => Math.round(v * 100) / 100;

/** A point of a path; `y` is `null` where the line has a gap. */
export type Point = { x: number; y: number | null };

// ---- time ----------------------------------------------------------------------------------

/** Time (ms) of bucket `index`: its start, which is where the chart draws its value. */
export function bucketTime(line: SeriesLine, index: number): number {
  return line.start + index * line.resolutionMs;
}

/**
 * The time span the lines cover, from the earliest first bucket to the latest last bucket;
 * `null` when no line has a bucket.
 *
 * @example
 * timeExtent([{ start: 0, resolutionMs: 1000, values: [1, 2, 3] }]); // [0, 2000]
 */
export function timeExtent(lines: readonly SeriesLine[]): [number, number] | null {
  let from = Infinity;
  let to = -Infinity;
  for (const line of lines) {
    if (line.values.length === 0) continue;
    from = Math.min(from, line.start);
    to = Math.max(to, bucketTime(line, line.values.length - 1));
  }
  return from <= to ? [from, to] : null;
}

/**
 * The bucket of `line` nearest to time `t`, clamped to the line; `null` for a line without
 * buckets. What a hover read-out shows for a pointer at `t`.
 */
export function bucketIndexAt(line: SeriesLine, t: number): number | null {
  if (line.values.length === 0 || !Number.isFinite(t)) return null;
  const index = Math.round((t - line.start) / line.resolutionMs);
  return Math.min(line.values.length - 1, Math.max(0, index));
}

/**
 * The value of `line` at time `t`: that of the nearest bucket when `t` lies within the line
 * (half a bucket of slack at either end), else `null`, as it is for a bucket without a value.
 *
 * @example
 * valueAt({ start: 0, resolutionMs: 1000, values: [1, null, 3] }, 1900); // 3
 */
export function valueAt(line: SeriesLine, t: number): number | null {
  const index = bucketIndexAt(line, t);
  if (index === null) return null;
  if (Math.abs(bucketTime(line, index) - t) > line.resolutionMs / 2) return null;
  return line.values[index] ?? null;
}

/** Two-digit `HH:MM` of a time, in local time or UTC. */
export function formatTimeOfDay(t: number, utc = false): string {
  const date = new Date(t);
  const hours = utc ? date.getUTCHours() : date.getHours();
  const minutes = utc ? date.getUTCMinutes() : date.getMinutes();
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/** `HH:MM:SS`, for a read-out that names one bucket of one-second series. */
export function formatTimeOfDaySeconds(t: number, utc = false): string {
  const date = new Date(t);
  const seconds = utc ? date.getUTCSeconds() : date.getSeconds();
  return `${formatTimeOfDay(t, utc)}:${String(seconds).padStart(2, '0')}`;
}

export interface TimeTick {
  t: number;
  /** Pixel position on the axis. */
  x: number;
  /** `HH:MM` (local time, or UTC when asked). */
  label: string;
}

/**
 * Ticks on a time axis from `x0` to `x1` pixels: d3-scale's `scaleTime` (or `scaleUtc`) picks
 * round times (every minute, 5, 15 minutes…) about `count` of them, labelled `HH:MM`.
 *
 * @example
 * timeTicks([t0, t0 + 15 * 60_000], [0, 600], 5, true).map((tick) => tick.label); // ['10:00', '10:05', '10:10', '10:15']
 */
export function timeTicks(domain: readonly [number, number], range: readonly [number, number], count: number, utc = false): TimeTick[] {
  const scale = (utc ? scaleUtc() : scaleTime()).domain([new Date(domain[0]), new Date(domain[1])]).range([range[0], range[1]]);
  return scale.ticks(count).map((date) => ({ t: date.getTime(), x: scale(date), label: formatTimeOfDay(date.getTime(), utc) }));
}

// ---- values --------------------------------------------------------------------------------

export interface ValueDomainOptions {
  /** Fixed bottom of the axis (else the smallest value, widened and rounded). */
  min?: number;
  /** Fixed top of the axis. */
  max?: number;
  /**
   * Smallest span between bottom and top, around the values' middle, so that noise (a
   * utilisation moving by a tenth of a point) does not draw as a cliff.
   */
  minSpan?: number;
  /** Round the ends to nice numbers, as an axis wants (default false: a sparkline's own range). */
  nice?: boolean;
}

/**
 * The value range to draw: the values' own extent (nulls skipped), at least `minSpan` wide,
 * with `min`/`max` where given; `null` when there is no value at all and nothing fixed.
 *
 * @example
 * valueExtent([[0.80, 0.81]], { minSpan: 0.1 }); // [0.755, 0.855]
 */
export function valueExtent(valueLists: ReadonlyArray<readonly (number | null)[]>, options: ValueDomainOptions = {}): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of valueLists) {
    for (const v of values) {
      if (v === null || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) {
    if (options.min === undefined || options.max === undefined) return null;
    lo = options.min;
    hi = options.max;
  }
  // A fixed end wins; the span is then kept from it. Without one, around the values' middle.
  const span = options.minSpan ?? 0;
  if (options.min !== undefined && options.max !== undefined) {
    lo = options.min;
    hi = options.max;
  } else if (options.min !== undefined) {
    lo = options.min;
    hi = Math.max(hi, lo + span);
  } else if (options.max !== undefined) {
    hi = options.max;
    lo = Math.min(lo, hi - span);
  } else if (hi - lo < span) {
    const middle = (hi + lo) / 2;
    lo = middle - span / 2;
    hi = middle + span / 2;
  }
  if (options.nice) {
    const [a, b] = scaleLinear().domain([lo, hi === lo ? lo + 1 : hi]).nice(5).domain();
    lo = options.min ?? a;
    hi = options.max ?? b;
  }
  return [lo, hi];
}

export interface ValueTick {
  value: number;
  /** Pixel position on the axis. */
  y: number;
}

/** About `count` round values between the domain's ends, with their pixel positions. */
export function valueTicks(domain: readonly [number, number], range: readonly [number, number], count: number): ValueTick[] {
  const scale = scaleLinear().domain([domain[0], domain[1]]).range([range[0], range[1]]);
  return scale.ticks(count).map((value) => ({ value, y: scale(value) }));
}

// ---- paths ---------------------------------------------------------------------------------

export interface PathBox {
  width: number;
  height: number;
  /** Value at the bottom edge. */
  min: number;
  /** Value at the top edge. */
  max: number;
  /** Inset on every side, so a stroke is not clipped (default 0). */
  padding?: number;
  /** Keep at most the lowest and highest value per column this wide (see `decimate`; default 2, 0 keeps all). */
  columnWidth?: number;
}

export interface LinePath {
  /** Path data of the line, gaps where values are `null`; `''` when there is nothing to draw. */
  line: string;
  /** The same line closed down to the bottom edge, segment by segment, for a fill. */
  area: string;
  /** Position of the last value that is not `null`, for an end dot. */
  last: { x: number; y: number } | null;
  /** How many points carry a value (what a test can count). */
  points: number;
}

/** Maps a value to y in a box: `min` at the bottom, `max` at the top, clamped to the box. */
function yScale(box: PathBox): (v: number) => number {
  const padding = box.padding ?? 0;
  const bottom = box.height - padding;
  const inner = box.height - 2 * padding;
  return (v) => {
    if (box.max === box.min) return padding + inner / 2;
    const t = Math.min(1, Math.max(0, (v - box.min) / (box.max - box.min)));
    return bottom - inner * t;
  };
}

/**
 * Fewer points that draw the same picture: of the values falling in one column `columnWidth`
 * wide, only the lowest and the highest (in their order), so peaks survive. A 15-minute series
 * at one second is 900 points; a sparkline 120 pixels wide shows at most 120 of them, and a
 * live page redraws its lines several times a second. Gaps stay where they are.
 *
 * @example
 * decimate([{ x: 0, y: 1 }, { x: 0.5, y: 9 }, { x: 1, y: 4 }], 2); // [{ x: 0, y: 1 }, { x: 0.5, y: 9 }]
 */
export function decimate(points: readonly Point[], columnWidth: number): Point[] {
  if (!(columnWidth > 0)) return [...points];
  const out: Point[] = [];
  let i = 0;
  while (i < points.length) {
    const first = points[i]!;
    if (first.y === null) {
      out.push(first);
      i++;
      continue;
    }
    const column = Math.floor(first.x / columnWidth);
    let lo = i;
    let hi = i;
    let k = i + 1;
    for (; k < points.length; k++) {
      const p = points[k]!;
      if (p.y === null || Math.floor(p.x / columnWidth) !== column) break;
      if (p.y < points[lo]!.y!) lo = k;
      if (p.y > points[hi]!.y!) hi = k;
    }
    // a run ending the line keeps its last point, so the line reaches the end of the plot
    const last = k === points.length || points[k]!.y === null ? k - 1 : -1;
    const start = i === 0 || points[i - 1]!.y === null ? i : -1;
    for (const index of [...new Set([start, lo, hi, last])].filter((n) => n >= 0).sort((a, b) => a - b)) out.push(points[index]!);
    i = k;
  }
  return out;
}

/**
 * The pieces of a line as drawn: coordinates rounded, split where `y` is `null`, and without
 * the points inside a level stretch (the same drawn `y` as the points on both sides). A series
 * holds its value until it changes (docs/protocol.md §13), so most of a line is level, and
 * those points drew nothing the stretch's two ends do not: the picture is the same, the
 * server-rendered HTML much lighter.
 */
export function drawnSegments(points: readonly Point[]): Array<Array<{ x: number; y: number }>> {
  const segments: Array<Array<{ x: number; y: number }>> = [];
  let segment: Array<{ x: number; y: number }> | null = null;
  for (const point of points) {
    if (point.y === null) {
      segment = null;
      continue;
    }
    const p = { x: round(point.x), y: round(point.y) };
    if (!segment) segments.push((segment = []));
    const n = segment.length;
    // the previous point lies inside a level stretch when both its neighbours share its `y`
    if (n >= 2 && segment[n - 2]!.y === p.y && segment[n - 1]!.y === p.y) segment[n - 1] = p;
    else segment.push(p);
  }
  return segments;
}

/**
 * SVG path data through `points`, broken where `y` is `null` (as d3-shape's `defined`). The
 * area under each piece is the piece closed along the baseline: two baseline points, not one
 * per point as d3-shape's `area` writes, for the same shape.
 */
function pathsOf(points: readonly Point[], baseline: number): Omit<LinePath, 'points'> {
  const base = round(baseline);
  let line = '';
  let area = '';
  for (const segment of drawnSegments(points)) {
    const first = segment[0]!;
    const last = segment[segment.length - 1]!;
    const top = segment.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join('');
    line += segment.length === 1 ? `${top}Z` : top;
    area += segment.length === 1 ? `${top}L${first.x},${base}Z` : `${top}L${last.x},${base}L${first.x},${base}Z`;
  }
  let end: Point | undefined;
  for (let i = points.length - 1; i >= 0 && !end; i--) if (points[i]!.y !== null) end = points[i];
  if (!end) return { line: '', area: '', last: null };
  return { line, area, last: { x: end.x, y: end.y! } };
}

/**
 * Path data for values spaced evenly across a box, as a sparkline draws them: index 0 at the
 * left edge, the last at the right, `null` (or any value that is not finite) a gap. A single
 * value draws a flat line across; a flat series sits in the middle.
 *
 * @example
 * evenPath([0, null, 10], { width: 100, height: 20, min: 0, max: 10 }).line; // "M0,20ZM100,0Z"
 */
export function evenPath(values: readonly (number | null)[], box: PathBox): LinePath {
  const padding = box.padding ?? 0;
  const inner = Math.max(0, box.width - 2 * padding);
  const y = yScale(box);
  const at = (v: number | null) => (v === null || !Number.isFinite(v) ? null : y(v));
  const points: Point[] =
    values.length === 1
      ? [
          { x: padding, y: at(values[0]!) },
          { x: padding + inner, y: at(values[0]!) },
        ]
      : values.map((v, i) => ({ x: padding + (inner * i) / Math.max(1, values.length - 1), y: at(v) }));
  const paths = pathsOf(decimate(points, box.columnWidth ?? 2), box.height - padding);
  return { ...paths, points: values.filter((v) => v !== null && Number.isFinite(v)).length };
}

/**
 * Path data for one series on a time axis: bucket `i` at `x(bucketTime(line, i))`, its value at
 * `y(value)`, `null` a gap. The chart's scales are passed in, so several lines share them;
 * `columnWidth` thins the points as `decimate` does (default 0: every point).
 */
export function seriesPath(line: SeriesLine, x: (t: number) => number, y: (v: number) => number, baseline: number, columnWidth = 0): LinePath {
  const points: Point[] = line.values.map((v, i) => ({ x: x(bucketTime(line, i)), y: v === null || !Number.isFinite(v) ? null : y(v) }));
  return { ...pathsOf(decimate(points, columnWidth), baseline), points: points.filter((p) => p.y !== null).length };
}

// ---- change over the window ----------------------------------------------------------------

export interface SeriesChange {
  /** The earliest value of the window (the first bucket that has one). */
  first: number;
  /** The latest value (the last bucket that has one). */
  last: number;
  /** `last - first`. */
  delta: number;
  /** `delta / |first|`; `null` when `first` is 0. */
  ratio: number | null;
}

/**
 * The change over the window a line covers, from its first value to its last (buckets without
 * a value skipped); `null` when the line has fewer than two values to compare.
 *
 * @example
 * seriesChange({ start: 0, resolutionMs: 1000, values: [null, 4, 5, 7, null] }); // { first: 4, last: 7, delta: 3, ratio: 0.75 }
 */
export function seriesChange(line: SeriesLine | null | undefined): SeriesChange | null {
  if (!line) return null;
  const values = line.values;
  let a = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) {
      a = i;
      break;
    }
  }
  if (a < 0) return null;
  let b = -1;
  for (let i = values.length - 1; i > a; i--) {
    const v = values[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) {
      b = i;
      break;
    }
  }
  if (b < 0) return null;
  const first = values[a]!;
  const last = values[b]!;
  const delta = last - first;
  return { first, last, delta, ratio: first === 0 ? null : delta / Math.abs(first) };
}

/** The span of the window a line covers, e.g. `15 min`, `45 s`, `2 h`, for "+3 in 15 min". */
export function formatWindow(line: SeriesLine | null | undefined): string | null {
  if (!line || line.values.length === 0) return null;
  const ms = line.values.length * line.resolutionMs;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  const hours = ms / 3_600_000;
  return `${Number.isInteger(hours) ? hours : hours.toFixed(1)} h`;
}

/**
 * Geometry of the status page's time-series charts, drawn from series lines
 * (docs/protocol.md §13): values placed by their bucket's time, so a chart scrolls with the
 * server's clock and a bucket without a value shows as a gap rather than being squeezed away.
 */
import type { SeriesLine } from '@/lib/store/types';

export interface TimeChartOptions {
  /** Time at the left and right edges (ms). */
  from: number;
  to: number;
  width: number;
  height: number;
  /** Value at the top edge; the bottom edge is 0. */
  max: number;
}

export interface TimeChartPaths {
  /** Stroke path, one sub-path per run of buckets with values. */
  line: string;
  /** The runs closed down to the baseline, for the fill. */
  area: string;
  /** Buckets with a value from `from` on: what the chart shows. */
  points: number;
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/**
 * Maps a line's buckets to path data, each value at its bucket's start; a `null` breaks the
 * line. Values are clamped to [0, max]; the bucket just left of `from` is kept so a line
 * enters from the edge, earlier ones are left out.
 *
 * @example
 * buildTimeChart({ start: 0, resolutionMs: 10, values: [0, 5] }, { from: 0, to: 10, width: 100, height: 10, max: 10 }).line;
 * // "M0 10L100 5"
 */
export function buildTimeChart(series: SeriesLine, options: TimeChartOptions): TimeChartPaths {
  const { from, to, width, height, max } = options;
  const { start, resolutionMs, values } = series;
  const span = Math.max(1, to - from);
  const x = (t: number) => ((t - from) / span) * width;
  const y = (v: number) => height - (Math.min(Math.max(v, 0), max) / (max || 1)) * height;

  const runs: Array<Array<{ t: number; v: number }>> = [];
  let open = false;
  let points = 0;
  const first = Math.max(0, Math.ceil((from - start) / resolutionMs) - 1);
  for (let i = first; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      open = false;
      continue;
    }
    const t = start + i * resolutionMs;
    if (t >= from) points++;
    if (!open) runs.push([]);
    open = true;
    runs[runs.length - 1].push({ t, v });
  }

  let line = '';
  let area = '';
  for (const run of runs) {
    const path = run.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(x(p.t))} ${fmt(y(p.v))}`).join('');
    // A lone value still shows, as a short flat tick.
    const stroke = run.length === 1 ? `${path}h2` : path;
    line += stroke;
    const left = fmt(x(run[0].t));
    const right = run.length === 1 ? fmt(x(run[0].t) + 2) : fmt(x(run[run.length - 1].t));
    area += `${stroke}L${right} ${fmt(height)}L${left} ${fmt(height)}Z`;
  }
  return { line, area, points };
}

/** The largest value of a line from time `from` on (0 when it has none). */
export function maxFrom(series: SeriesLine, from: number): number {
  let max = 0;
  series.values.forEach((v, i) => {
    if (v !== null && series.start + i * series.resolutionMs >= from && v > max) max = v;
  });
  return max;
}

/**
 * A round number at or above `value` for the top of a chart's scale (1, 2, 2.5, 5 × 10ⁿ), so
 * its label reads cleanly. At least `floor`, so a quiet server does not draw noise full-height.
 */
export function niceCeiling(value: number, floor = 1): number {
  const target = Math.max(value, floor);
  const magnitude = 10 ** Math.floor(Math.log10(target));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= target) return step * magnitude;
  }
  return 10 * magnitude;
}

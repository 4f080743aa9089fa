/**
 * Geometry of the status page's time-series charts: points placed by time (not by index), so
 * a chart scrolls with the clock and an outage shows as a gap rather than being squeezed away.
 */

export interface TimePoint {
  t: number;
  v: number;
}

export interface TimeChartOptions {
  /** Time at the left and right edges (ms). */
  from: number;
  to: number;
  width: number;
  height: number;
  /** Value at the top edge; the bottom edge is 0. */
  max: number;
  /** A pause between samples longer than this breaks the line (ms). */
  maxGapMs: number;
}

export interface TimeChartPaths {
  /** Stroke path, one sub-path per unbroken run. */
  line: string;
  /** The runs closed down to the baseline, for the fill. */
  area: string;
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/**
 * Splits the points (sorted by time) into runs without long gaps and maps them to path data.
 * Values are clamped to [0, max]; points left of `from` are kept so a line enters from the edge.
 *
 * @example
 * buildTimeChart([{ t: 0, v: 0 }, { t: 10, v: 5 }], { from: 0, to: 10, width: 100, height: 10, max: 10, maxGapMs: 60 }).line;
 * // "M0 10L100 5"
 */
export function buildTimeChart(points: readonly TimePoint[], options: TimeChartOptions): TimeChartPaths {
  const { from, to, width, height, max, maxGapMs } = options;
  const span = Math.max(1, to - from);
  const x = (t: number) => ((t - from) / span) * width;
  const y = (v: number) => height - (Math.min(Math.max(v, 0), max) / (max || 1)) * height;

  const runs: TimePoint[][] = [];
  let previous: TimePoint | undefined;
  for (const point of points) {
    if (!Number.isFinite(point.v)) continue;
    if (!previous || point.t - previous.t > maxGapMs) runs.push([]);
    runs[runs.length - 1].push(point);
    previous = point;
  }

  let line = '';
  let area = '';
  for (const run of runs) {
    const path = run.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(x(p.t))} ${fmt(y(p.v))}`).join('');
    // A lone sample still shows, as a short flat tick.
    const stroke = run.length === 1 ? `${path}h2` : path;
    line += stroke;
    const left = fmt(x(run[0].t));
    const right = run.length === 1 ? fmt(x(run[0].t) + 2) : fmt(x(run[run.length - 1].t));
    area += `${stroke}L${right} ${fmt(height)}L${left} ${fmt(height)}Z`;
  }
  return { line, area };
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

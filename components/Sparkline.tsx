/**
 * A small inline SVG sparkline, drawn from a series (`SeriesLine`, docs/protocol.md §13) or a
 * plain list of values. `null` values are gaps, not zeros. It renders the same on the server
 * and in the browser, so the HTML carries the line before any script runs. The path builder is
 * a pure function (in `charts/geometry.ts`) so it can be tested and reused.
 */
import type { SeriesLine } from '@/lib/store/types';
import { evenPath, valueExtent, type LinePath } from './charts/geometry';

export interface SparklinePathOptions {
  width: number;
  height: number;
  /** Value mapped to the bottom edge (default: the smallest value). */
  min?: number;
  /** Value mapped to the top edge (default: the largest value). */
  max?: number;
  /**
   * Smallest span between bottom and top, around the values' middle, so that noise (a
   * utilisation moving by a tenth of a point) does not draw as a cliff.
   */
  minSpan?: number;
  /** Inset so the stroke and the end dot are not clipped (default 2). */
  padding?: number;
}

export type SparklinePath = LinePath;

/**
 * Maps values to SVG path data: evenly spaced on x, scaled between `min` and `max` on y (values
 * outside are clamped). `null` and non-finite values leave a gap. A single value draws a flat
 * line; a flat series sits in the middle.
 *
 * @example
 * buildSparklinePath([0, 5, 10], { width: 100, height: 20, padding: 0 }).line; // "M0,20L50,10L100,0"
 */
export function buildSparklinePath(values: readonly (number | null)[], options: SparklinePathOptions): SparklinePath {
  const { width, height, padding = 2 } = options;
  const extent = valueExtent([values], { min: options.min, max: options.max, minSpan: options.minSpan });
  if (!extent) return { line: '', area: '', last: null, points: 0 };
  return evenPath(values, { width, height, padding, min: extent[0], max: extent[1] });
}

export interface SparklineProps {
  /** The series to draw; its buckets are spaced evenly, `null` buckets are gaps. */
  line?: SeriesLine | null;
  /** Or plain values, oldest first (used when `line` is absent). */
  values?: readonly (number | null)[];
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  /** Smallest y range (see `buildSparklinePath`). */
  minSpan?: number;
  /** Stroke colour (any CSS colour; default the accent colour). */
  color?: string;
  /** Fill the area under the line (default true). */
  fill?: boolean;
  /** Mark the last value with a dot (default true). */
  showLast?: boolean;
  strokeWidth?: number;
  /** Accessible description; without it the sparkline is decorative. */
  label?: string;
  className?: string;
}

/**
 * @example
 * const waiting = useSeriesAggregate('backlog', 'waiting', 'sum');
 * <Sparkline line={waiting} min={0} label="Waiting, last 15 minutes" />
 */
/** The last path of each values array: a card re-rendering for another reason redraws nothing. */
const paths = new WeakMap<readonly (number | null)[], { key: string; path: SparklinePath }>();

function cachedPath(values: readonly (number | null)[], options: SparklinePathOptions): SparklinePath {
  const key = `${options.width} ${options.height} ${options.min} ${options.max} ${options.minSpan} ${options.padding}`;
  const held = paths.get(values);
  if (held?.key === key) return held.path;
  const path = buildSparklinePath(values, options);
  paths.set(values, { key, path });
  return path;
}

export function Sparkline({
  line,
  values,
  width = 120,
  height = 32,
  min,
  max,
  minSpan,
  color = 'var(--pb-accent)',
  fill = true,
  showLast = true,
  strokeWidth = 1.5,
  label,
  className,
}: SparklineProps) {
  const data = line?.values ?? values ?? [];
  const path = cachedPath(data, { width, height, min, max, minSpan, padding: Math.max(2, strokeWidth + 1) });
  return (
    <svg
      className={className ? `pb-sparkline ${className}` : 'pb-sparkline'}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      data-points={path.points}
      style={{ color }}
    >
      {fill && path.area && <path className="pb-sparkline__area" d={path.area} fill="currentColor" fillOpacity={0.14} stroke="none" />}
      {path.line && (
        <path
          className="pb-sparkline__line"
          d={path.line}
          fill="none"
          stroke="currentColor"
          strokeWidth={strokeWidth}
          strokeLinejoin="round"
          strokeLinecap="round"
        />
      )}
      {showLast && path.last && <circle className="pb-sparkline__dot" cx={path.last.x} cy={path.last.y} r={strokeWidth + 1} fill="currentColor" />}
    </svg>
  );
}

export default Sparkline;

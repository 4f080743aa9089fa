/**
 * A small inline SVG sparkline. The path builder is a pure function so it can be tested and
 * reused (for instance by the status page's charts).
 */

export interface SparklinePathOptions {
  width: number;
  height: number;
  /** Value mapped to the bottom edge (default: the smallest value). */
  min?: number;
  /** Value mapped to the top edge (default: the largest value). */
  max?: number;
  /** Inset so the stroke and the end dot are not clipped (default 2). */
  padding?: number;
}

export interface SparklinePath {
  /** Path data of the line, `''` when there is nothing to draw. */
  line: string;
  /** The line closed down to the baseline, for a fill. */
  area: string;
  /** Position of the last value, for the end dot. */
  last: { x: number; y: number } | null;
}

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/**
 * Maps values to SVG path data: evenly spaced on x, scaled between `min` and `max` on y (values
 * outside are clamped). Non-finite values are skipped. A single value draws a flat line; a flat
 * series sits in the middle.
 *
 * @example
 * buildSparklinePath([0, 5, 10], { width: 100, height: 20, padding: 0 }).line; // "M0 20L50 10L100 0"
 */
export function buildSparklinePath(values: readonly number[], options: SparklinePathOptions): SparklinePath {
  const { width, height, padding = 2 } = options;
  const data = values.filter((v) => Number.isFinite(v));
  if (data.length === 0) return { line: '', area: '', last: null };

  const lo = options.min ?? Math.min(...data);
  const hi = options.max ?? Math.max(...data);
  const innerW = Math.max(0, width - 2 * padding);
  const innerH = Math.max(0, height - 2 * padding);
  const y = (v: number) => {
    if (hi === lo) return padding + innerH / 2;
    const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
    return padding + innerH * (1 - t);
  };

  const points =
    data.length === 1
      ? [
          { x: padding, y: y(data[0]) },
          { x: padding + innerW, y: y(data[0]) },
        ]
      : data.map((v, i) => ({ x: padding + (innerW * i) / (data.length - 1), y: y(v) }));

  const line = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(p.x)} ${fmt(p.y)}`).join('');
  const base = fmt(padding + innerH);
  const area = `${line}L${fmt(points[points.length - 1].x)} ${base}L${fmt(points[0].x)} ${base}Z`;
  const end = points[points.length - 1];
  return { line, area, last: { x: end.x, y: end.y } };
}

export interface SparklineProps {
  values: readonly number[];
  width?: number;
  height?: number;
  min?: number;
  max?: number;
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

export function Sparkline({
  values,
  width = 120,
  height = 32,
  min,
  max,
  color = 'var(--pb-accent)',
  fill = true,
  showLast = true,
  strokeWidth = 1.5,
  label,
  className,
}: SparklineProps) {
  const { line, area, last } = buildSparklinePath(values, { width, height, min, max, padding: Math.max(2, strokeWidth + 1) });
  return (
    <svg
      className={className ? `pb-sparkline ${className}` : 'pb-sparkline'}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      style={{ color }}
    >
      {fill && area && <path className="pb-sparkline__area" d={area} fill="currentColor" fillOpacity={0.14} stroke="none" />}
      {line && (
        <path
          className="pb-sparkline__line"
          d={line}
          fill="none"
          stroke="currentColor"
          strokeWidth={strokeWidth}
          strokeLinejoin="round"
          strokeLinecap="round"
        />
      )}
      {showLast && last && <circle className="pb-sparkline__dot" cx={last.x} cy={last.y} r={strokeWidth + 1} fill="currentColor" />}
    </svg>
  );
}

export default Sparkline;

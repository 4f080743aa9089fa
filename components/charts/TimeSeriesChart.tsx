'use client';
/**
 * A time-series chart drawn as SVG on the server and in the browser, so the page's HTML has
 * its lines before any script runs (docs/client.md, "Charts"): several lines from
 * `SeriesLine`s on one time axis, a value axis, `null` buckets as gaps, thresholds as bands,
 * and a read-out of every line's value at the bucket under the pointer (or the keyboard: arrow
 * keys, Home, End, Escape).
 *
 * Times are labelled in local time. The server cannot know the viewer's time zone, so the
 * server render and the hydration pass label UTC (and say so), and the browser relabels right
 * after: the two renders agree, and a page read without scripts is still right.
 */
import { useMemo, useState, useSyncExternalStore, type CSSProperties, type KeyboardEvent, type PointerEvent } from 'react';
import type { SeriesLine } from '@/lib/store/types';
import { formatNumber } from '../format';
import { formatTimeOfDay, formatTimeOfDaySeconds, formatWindow, seriesChange } from './geometry';
import { chartLayout, PLOT_WIDTH, readingAt, stepReading, type ChartThreshold } from './layout';

export type { ChartThreshold } from './layout';

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  /** `null` while there is no series (yet): the line is left out, its key stays. */
  line: SeriesLine | null;
  /** Any CSS colour; default one of the chart palette's, by position. */
  color?: string;
}

export interface TimeSeriesChartProps {
  /** What the chart shows, for its accessible summary (e.g. "Waiting per organisation"). */
  title: string;
  series: readonly ChartSeries[];
  /** Plot height, px (default 180). */
  height?: number;
  /** How values read on the axis and in the read-out (default: a grouped integer). */
  format?: (value: number) => string;
  /** Fixed bottom of the value axis (e.g. 0 for counts). */
  min?: number;
  /** Fixed top of the value axis. */
  max?: number;
  /** Smallest span of the value axis, so noise does not fill the plot. */
  minSpan?: number;
  thresholds?: readonly ChartThreshold[];
  /** Fill under each line (default: only when there is one line). */
  fill?: boolean;
  className?: string;
}

/** Distinct on the dark surface and apart for the common kinds of colour blindness. */
export const CHART_PALETTE = ['#38bdf8', '#f472b6', '#a3e635', '#fbbf24', '#c084fc', '#fb923c', '#2dd4bf', '#f87171'] as const;

const noSubscription = () => () => {};

/** False for the server render and the hydration pass, true after: when local time may be shown. */
function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

function lastValue(line: SeriesLine | null): number | null {
  if (!line) return null;
  for (let i = line.values.length - 1; i >= 0; i--) {
    const v = line.values[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * @example
 * <TimeSeriesChart
 *   title="Waiting"
 *   series={[{ label: 'acme', line: acme }, { label: 'globex', line: globex }]}
 *   min={0}
 *   thresholds={[{ from: 100, tone: 'critical', label: 'over 100' }]}
 * />
 */
export function TimeSeriesChart({ title, series, height = 180, format = (v) => formatNumber(v), min, max, minSpan, thresholds, fill, className }: TimeSeriesChartProps) {
  const utc = !useHydrated();
  const [hoverT, setHoverT] = useState<number | null>(null);
  const lines = useMemo(() => series.map((s) => s.line), [series]);
  // a pointer moving over the plot re-renders the read-out, not the lines
  const layout = useMemo(() => chartLayout(lines, { height, min, max, minSpan, thresholds, utc }), [lines, height, min, max, minSpan, thresholds, utc]);
  const { domain } = layout;
  const span = domain ? domain[1] - domain[0] : 0;
  const fraction = (t: number) => (domain && span > 0 ? (t - domain[0]) / span : 1);
  const reading = hoverT === null || !domain ? null : readingAt(lines, layout, fraction(hoverT));
  const colors = series.map((s, i) => s.color ?? CHART_PALETTE[i % CHART_PALETTE.length]!);
  const filled = fill ?? series.length === 1;
  const windowText = formatWindow(lines.find((line) => line && line.values.length > 0));

  const summary = [
    domain ? `${title}, ${formatTimeOfDay(domain[0], utc)} to ${formatTimeOfDay(domain[1], utc)}${utc ? ' UTC' : ''}` : `${title}: no data yet`,
    ...series.map((s) => {
      const last = lastValue(s.line);
      if (last === null) return `${s.label}: no data`;
      const change = seriesChange(s.line);
      const by = change ? format(Math.abs(change.delta)) : null;
      const trend = !change || by === null ? '' : by === format(0) ? ', unchanged over the window' : `, ${change.delta > 0 ? 'up' : 'down'} ${by} over the window`;
      return `${s.label} ${format(last)}${trend}`;
    }),
  ].join('; ');

  const onPointerMove = (event: PointerEvent<SVGSVGElement>) => {
    if (!domain) return;
    const box = event.currentTarget.getBoundingClientRect();
    if (box.width === 0) return;
    const at = readingAt(lines, layout, (event.clientX - box.left) / box.width);
    setHoverT(at ? at.t : null);
  };
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const steps: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, PageUp: -60, PageDown: 60 };
    let next: number | null | undefined;
    if (event.key in steps) next = stepReading(lines, layout, reading, steps[event.key]! * (event.shiftKey ? 10 : 1))?.t;
    else if (event.key === 'Home') next = domain?.[0];
    else if (event.key === 'End') next = domain?.[1];
    else if (event.key === 'Escape') next = null;
    else return;
    event.preventDefault();
    setHoverT(next ?? null);
  };

  const frameStyle = { '--pb-chart-height': `${height}px` } as CSSProperties;
  return (
    <figure className={['pb-chart', className].filter(Boolean).join(' ')} data-hover={reading ? 'true' : undefined}>
      <figcaption className="pb-chart__legend">
        <span className="pb-chart__when pb-num">
          {reading ? (
            <>
              <span className="pb-visually-hidden">At </span>
              {formatTimeOfDaySeconds(reading.t, utc)}
              {utc ? ' UTC' : ''}
            </>
          ) : windowText ? (
            `Last ${windowText}`
          ) : (
            'No data yet'
          )}
        </span>
        {series.map((s, i) => {
          const value = reading ? reading.values[i]! : lastValue(s.line);
          return (
            <span key={s.label} className="pb-chart__key" data-series={s.label}>
              <i className="pb-chart__swatch" style={{ background: colors[i] }} aria-hidden="true" />
              <span className="pb-chart__label">{s.label}</span>
              <span className="pb-chart__value pb-num">{value === null ? '—' : format(value)}</span>
            </span>
          );
        })}
      </figcaption>
      <div className="pb-chart__frame" style={frameStyle}>
        <div className="pb-chart__y" aria-hidden="true">
          {layout.valueTicks.map((tick) => (
            <span key={tick.value} className="pb-chart__tick pb-num" style={{ top: `${tick.y}px` }}>
              {format(tick.value)}
            </span>
          ))}
        </div>
        <div className="pb-chart__plot">
          <svg
            className="pb-chart__svg"
            viewBox={`0 0 ${PLOT_WIDTH} ${height}`}
            preserveAspectRatio="none"
            width="100%"
            height={height}
            role="img"
            aria-label={summary}
            tabIndex={domain ? 0 : undefined}
            onPointerMove={onPointerMove}
            onPointerLeave={() => setHoverT(null)}
            onKeyDown={onKeyDown}
            onBlur={() => setHoverT(null)}
          >
            {layout.bands.map((band, i) => (
              <rect key={i} className={`pb-chart__band pb-chart__band--${band.tone}`} x={0} y={band.y} width={PLOT_WIDTH} height={band.height} />
            ))}
            {layout.valueTicks.map((tick) => (
              <line key={tick.value} className="pb-chart__grid" x1={0} x2={PLOT_WIDTH} y1={tick.y} y2={tick.y} vectorEffect="non-scaling-stroke" />
            ))}
            {layout.timeTicks.map((tick) => (
              <line key={tick.t} className="pb-chart__grid pb-chart__grid--time" x1={tick.x} x2={tick.x} y1={0} y2={height} vectorEffect="non-scaling-stroke" />
            ))}
            {filled &&
              layout.paths.map((path, i) =>
                path.area ? <path key={`area-${i}`} className="pb-chart__area" d={path.area} fill={colors[i]} stroke="none" /> : null,
              )}
            {layout.paths.map((path, i) =>
              path.line ? (
                <path
                  key={`line-${i}`}
                  className="pb-chart__line"
                  d={path.line}
                  stroke={colors[i]}
                  data-series={series[i]!.label}
                  data-points={path.points}
                  vectorEffect="non-scaling-stroke"
                />
              ) : null,
            )}
            {reading && <line className="pb-chart__rule" x1={reading.x} x2={reading.x} y1={0} y2={height} vectorEffect="non-scaling-stroke" />}
          </svg>
          {/* dots are HTML: in a stretched SVG a circle would draw as an ellipse */}
          {reading
            ? reading.ys.map((y, i) =>
                y === null ? null : <i key={i} className="pb-chart__dot" aria-hidden="true" style={{ left: `${(reading.x / PLOT_WIDTH) * 100}%`, top: `${y}px`, background: colors[i] }} />,
              )
            : layout.paths.map((path, i) =>
                path.last ? (
                  <i key={i} className="pb-chart__dot pb-chart__dot--end" aria-hidden="true" style={{ left: `${(path.last.x / PLOT_WIDTH) * 100}%`, top: `${path.last.y}px`, background: colors[i] }} />
                ) : null,
              )}
          {layout.bands.map((band, i) =>
            band.label ? (
              <span key={i} className={`pb-chart__band-label pb-chart__band-label--${band.tone}`} aria-hidden="true" style={{ top: `${band.y}px` }}>
                {band.label}
              </span>
            ) : null,
          )}
          <div className="pb-chart__x" aria-hidden="true">
            {layout.timeTicks.map((tick) => (
              <span key={tick.t} className="pb-chart__tick pb-num" style={{ left: `${(tick.x / PLOT_WIDTH) * 100}%` }}>
                {tick.label}
              </span>
            ))}
            {utc && layout.timeTicks.length > 0 && <span className="pb-chart__zone">UTC</span>}
          </div>
        </div>
      </div>
    </figure>
  );
}

export default TimeSeriesChart;

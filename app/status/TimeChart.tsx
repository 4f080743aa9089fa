'use client';

/**
 * A small area chart of one of the server's figures over the last minutes, drawn from its
 * series line (one value a second, kept by the server for fifteen minutes): its name and
 * current value on top, the scale's ceiling in the corner, the time span underneath. The plot
 * stretches to the panel's width; strokes keep their thickness. The right edge is the line's
 * last bucket (the server's clock); the chart spans what the line holds values for, at least a
 * minute and at most the whole window.
 */
import { useId } from 'react';
import type { SeriesLine } from '@/lib/store/types';
import { buildTimeChart, maxFrom, niceCeiling } from './chart';

const WIDTH = 300;
const HEIGHT = 64;
const MIN_SPAN_MS = 60_000;

/** `−45 s`, `−3 min`. */
function spanLabel(ms: number): string {
  return ms < 120_000 ? `−${Math.round(ms / 1000)} s` : `−${Math.round(ms / 60_000)} min`;
}

/** The time the chart spans: from the line's first value to its last bucket, within [a minute, the line]. */
function chartSpan(line: SeriesLine): { from: number; to: number } {
  const to = line.start + Math.max(0, line.values.length - 1) * line.resolutionMs;
  const first = line.values.findIndex((v) => v !== null);
  const seen = first < 0 ? 0 : to - (line.start + first * line.resolutionMs);
  const whole = Math.max(MIN_SPAN_MS, (line.values.length - 1) * line.resolutionMs);
  return { from: to - Math.min(whole, Math.max(MIN_SPAN_MS, seen)), to };
}

export interface TimeChartProps {
  label: string;
  /** Current value, already formatted. */
  value: string;
  /** The figure's series: a value per bucket, `null` where there was none. */
  line: SeriesLine;
  /** Formats the scale's ceiling. */
  format: (value: number) => string;
  /** Any CSS colour. */
  color: string;
  /** Smallest ceiling, so that noise on a quiet server stays low. */
  floor?: number;
  /** Extra line under the plot (e.g. a running total). */
  note?: string;
  tone?: 'ok' | 'warn' | 'critical';
}

export function TimeChart({ label, value, line, format, color, floor = 1, note, tone }: TimeChartProps) {
  const gradient = useId();
  const { from, to } = chartSpan(line);
  const max = niceCeiling(maxFrom(line, from), floor);
  const paths = buildTimeChart(line, { from, to, width: WIDTH, height: HEIGHT, max });
  const span = to - from;

  return (
    <figure className={`pb-tchart${tone ? ` pb-tchart--${tone}` : ''}`} style={{ color }} data-points={paths.points}>
      <figcaption className="pb-tchart__head">
        <span className="pb-tchart__label">{label}</span>
        <span className="pb-tchart__value pb-num">{value}</span>
      </figcaption>
      <div className="pb-tchart__plot">
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={`${label}, last ${spanLabel(span).slice(1)}`}>
          <defs>
            <linearGradient id={gradient} x1="0" x2="0" y1="0" y2="1">
              <stop offset="0%" stopColor="currentColor" stopOpacity={0.32} />
              <stop offset="100%" stopColor="currentColor" stopOpacity={0.02} />
            </linearGradient>
          </defs>
          {[0.25, 0.5, 0.75].map((f) => (
            <line key={f} className="pb-tchart__grid" x1={0} x2={WIDTH} y1={HEIGHT * f} y2={HEIGHT * f} vectorEffect="non-scaling-stroke" />
          ))}
          {paths.area && <path d={paths.area} fill={`url(#${gradient})`} stroke="none" />}
          {paths.line && <path d={paths.line} fill="none" stroke="currentColor" strokeWidth={1.6} strokeLinejoin="round" vectorEffect="non-scaling-stroke" />}
        </svg>
        <span className="pb-tchart__max pb-num">{format(max)}</span>
        {paths.points === 0 && <span className="pb-tchart__empty">collecting samples…</span>}
      </div>
      <div className="pb-tchart__axis">
        <span>{spanLabel(span)}</span>
        {note && <span className="pb-tchart__note pb-num">{note}</span>}
        <span>now</span>
      </div>
    </figure>
  );
}

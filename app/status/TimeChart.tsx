'use client';

/**
 * A small area chart of one figure over the last few minutes: its name and current value on
 * top, the scale's ceiling in the corner, the time span underneath. The plot stretches to the
 * panel's width; strokes keep their thickness. Until the page has watched for the whole window,
 * the chart spans only what it has seen (at least a minute), so it fills up from the start.
 */
import { useId } from 'react';
import { useNow } from '@/components/clock';
import { buildTimeChart, niceCeiling, type TimePoint } from './chart';
import { HISTORY_WINDOW_MS, REFRESH_MS } from './history';

const WIDTH = 300;
const HEIGHT = 64;
const MIN_SPAN_MS = 60_000;

/** `−45 s`, `−3 min`. */
function spanLabel(ms: number): string {
  return ms < 120_000 ? `−${Math.round(ms / 1000)} s` : `−${Math.round(ms / 60_000)} min`;
}

export interface TimeChartProps {
  label: string;
  /** Current value, already formatted. */
  value: string;
  points: readonly TimePoint[];
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

export function TimeChart({ label, value, points, format, color, floor = 1, note, tone }: TimeChartProps) {
  const now = useNow(1000);
  const gradient = useId();
  const seen = points.length > 0 ? now - points[0].t : 0;
  const span = Math.min(HISTORY_WINDOW_MS, Math.max(MIN_SPAN_MS, seen));
  const from = now - span;
  const visible = points.filter((p) => p.t >= from - REFRESH_MS * 4);
  const max = niceCeiling(Math.max(0, ...visible.map((p) => p.v)), floor);
  const { line, area } = buildTimeChart(visible, { from, to: now, width: WIDTH, height: HEIGHT, max, maxGapMs: REFRESH_MS * 4 });

  return (
    <figure className={`pb-tchart${tone ? ` pb-tchart--${tone}` : ''}`} style={{ color }}>
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
          {area && <path d={area} fill={`url(#${gradient})`} stroke="none" />}
          {line && <path d={line} fill="none" stroke="currentColor" strokeWidth={1.6} strokeLinejoin="round" vectorEffect="non-scaling-stroke" />}
        </svg>
        <span className="pb-tchart__max pb-num">{format(max)}</span>
        {visible.length === 0 && <span className="pb-tchart__empty">collecting samples…</span>}
      </div>
      <div className="pb-tchart__axis">
        <span>{spanLabel(span)}</span>
        {note && <span className="pb-tchart__note pb-num">{note}</span>}
        <span>now</span>
      </div>
    </figure>
  );
}

/**
 * One headline number: title, big value with unit, its change (over a window of a series, or
 * against the previous value), an optional sparkline, and a status colour from thresholds.
 */
import type { ReactNode } from 'react';
import { Flash } from './Flash';
import { formatNumber } from './format';

export type KpiStatus = 'ok' | 'warn' | 'critical' | 'neutral';

export interface KpiThresholds {
  /** At or beyond this the card turns amber. */
  warn: number;
  /** At or beyond this the card turns red. */
  critical: number;
  /**
   * Which way is bad: `above` (default; e.g. SLA risk, waiting) or `below` (e.g. health score).
   */
  direction?: 'above' | 'below';
}

/** The status a value earns against thresholds; `neutral` without thresholds or a value. */
export function kpiStatus(value: number | null | undefined, thresholds?: KpiThresholds): KpiStatus {
  if (!thresholds || value === null || value === undefined || !Number.isFinite(value)) return 'neutral';
  const worse = (a: number, b: number) => (thresholds.direction === 'below' ? a <= b : a >= b);
  if (worse(value, thresholds.critical)) return 'critical';
  if (worse(value, thresholds.warn)) return 'warn';
  return 'ok';
}

export interface KpiDelta {
  direction: 'up' | 'down' | 'flat';
  /** Absolute change. */
  amount: number;
  /** Whether the change is good news, bad news, or neither. */
  sentiment: 'good' | 'bad' | 'neutral';
}

/** Change from `previous` to `value`; `null` when either is missing. */
export function kpiDelta(value: number | null | undefined, previous: number | null | undefined, higherIsBetter?: boolean): KpiDelta | null {
  if (value === null || value === undefined || previous === null || previous === undefined) return null;
  if (!Number.isFinite(value) || !Number.isFinite(previous)) return null;
  const diff = value - previous;
  const direction = diff > 0 ? 'up' : diff < 0 ? 'down' : 'flat';
  const sentiment =
    direction === 'flat' || higherIsBetter === undefined ? 'neutral' : (direction === 'up') === higherIsBetter ? 'good' : 'bad';
  return { direction, amount: Math.abs(diff), sentiment };
}

export interface KpiCardProps {
  title: string;
  value: number | null;
  unit?: string;
  /** Value formatting (default: grouped integer, or `decimals`). */
  format?: (value: number) => string;
  decimals?: number;
  /** Previous value, for the delta arrow. */
  previous?: number | null;
  /**
   * The change over a window, read in the header instead of the delta against `previous`:
   * its sign sets the arrow and colour, `text` is what it says (e.g. `+3`, `−2.1 pts`), and
   * `window` how long it took (e.g. `15 min`; said to screen readers and in a tooltip).
   */
  change?: { delta: number; text: string; window?: string | null } | null;
  /** `true`: rises are good (green); `false`: rises are bad (red); unset: neutral. */
  higherIsBetter?: boolean;
  thresholds?: KpiThresholds;
  /** Usually a `<Sparkline/>`. */
  sparkline?: ReactNode;
  /** Small text under the title (e.g. the scope: "acme · 4 queues"). */
  subtitle?: ReactNode;
  /** Extra content at the bottom (e.g. a LiveBadge). */
  footer?: ReactNode;
  className?: string;
}

const ARROWS = { up: '▲', down: '▼', flat: '■' } as const;

export function KpiCard({
  title,
  value,
  unit,
  format,
  decimals = 0,
  previous,
  change,
  higherIsBetter,
  thresholds,
  sparkline,
  subtitle,
  footer,
  className,
}: KpiCardProps) {
  const status = kpiStatus(value, thresholds);
  const show = (v: number) => (format ? format(v) : formatNumber(v, decimals));
  const delta = change ? kpiDelta(change.delta, 0, higherIsBetter) : kpiDelta(value, previous, higherIsBetter);
  const trend = higherIsBetter === undefined ? 'none' : higherIsBetter ? 'higher-is-better' : 'higher-is-worse';

  return (
    <section className={['pb-card', 'pb-kpi', `pb-kpi--${status}`, className].filter(Boolean).join(' ')} aria-label={title}>
      <header className="pb-kpi__head">
        {change && delta ? (
          <div className="pb-kpi__title-row">
            <h3 className="pb-kpi__title">{title}</h3>
            <p className={`pb-kpi__delta pb-kpi__delta--${delta.sentiment} pb-kpi__change`} title={change.window ? `${change.text} in ${change.window}` : undefined}>
              <span aria-hidden="true">{ARROWS[delta.direction]}</span> <span className="pb-num">{change.text}</span>
              {change.window && <span className="pb-visually-hidden"> in {change.window}</span>}
            </p>
          </div>
        ) : (
          <h3 className="pb-kpi__title">{title}</h3>
        )}
        {subtitle && <p className="pb-kpi__subtitle">{subtitle}</p>}
      </header>
      <div className="pb-kpi__body">
        <p className="pb-kpi__value">
          <Flash value={value} trend={trend} className="pb-kpi__number pb-num">
            {value === null ? '—' : show(value)}
          </Flash>
          {unit && value !== null && <span className="pb-kpi__unit">{unit}</span>}
        </p>
        {delta && !change && (
          <p className={`pb-kpi__delta pb-kpi__delta--${delta.sentiment}`}>
            <span aria-hidden="true">{ARROWS[delta.direction]}</span>
            <span className="pb-visually-hidden">{delta.direction === 'flat' ? 'unchanged' : delta.direction === 'up' ? 'up' : 'down'}</span>{' '}
            <span className="pb-num">{delta.direction === 'flat' ? '0' : show(delta.amount)}</span>
          </p>
        )}
      </div>
      {sparkline && <div className="pb-kpi__spark">{sparkline}</div>}
      {footer && <footer className="pb-kpi__foot">{footer}</footer>}
    </section>
  );
}

export default KpiCard;

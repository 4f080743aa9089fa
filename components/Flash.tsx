'use client';

/**
 * Highlights a value or a row for a moment when it changes: the background lights up and
 * fades out over ~600 ms. Never on first mount. With `prefers-reduced-motion` the highlight
 * simply switches on and off instead of fading.
 *
 * @example
 * <Flash value={row.waiting} trend="higher-is-worse">{row.waiting}</Flash>
 * <Flash as="tr" flashKey={row.version}>…cells…</Flash>
 */
import { createElement, useEffect, useEffectEvent, useRef, type HTMLAttributes, type ReactNode } from 'react';
import { useAnimate, useReducedMotion } from 'framer-motion';

/** Whether a rise is good news, bad news, or neither (neutral highlight). */
export type FlashTrend = 'none' | 'higher-is-better' | 'higher-is-worse';
export type FlashTone = 'neutral' | 'good' | 'bad';
export type FlashTag = 'span' | 'div' | 'tr' | 'td' | 'li' | 'strong' | 'dd' | 'p';

export interface FlashProps extends Omit<HTMLAttributes<HTMLElement>, 'children'> {
  /** The value shown; when it changes (`Object.is`), the element flashes. */
  value?: unknown;
  /** If given, a change of this key triggers the flash instead of a change of `value`. */
  flashKey?: string | number | boolean | null;
  /** Colour numeric changes by direction (default neutral). */
  trend?: FlashTrend;
  /** Highlight colour, overriding the theme (`rgb()`/`rgba()` fades most cleanly). */
  color?: string;
  /** Fade length, ms (default 600). */
  duration?: number;
  /** Element to render (default `span`). */
  as?: FlashTag;
  /** Content; defaults to `String(value)`. */
  children?: ReactNode;
}

const THEME: Record<FlashTone, { variable: string; fallback: string }> = {
  neutral: { variable: '--pb-flash', fallback: 'rgba(56, 189, 248, 0.32)' },
  good: { variable: '--pb-flash-good', fallback: 'rgba(34, 197, 94, 0.32)' },
  bad: { variable: '--pb-flash-bad', fallback: 'rgba(239, 68, 68, 0.32)' },
};

/** The kind of highlight for a change from `prev` to `next`. */
export function flashTone(prev: unknown, next: unknown, trend: FlashTrend): FlashTone {
  if (trend === 'none' || typeof prev !== 'number' || typeof next !== 'number' || prev === next) return 'neutral';
  const rose = next > prev;
  return rose === (trend === 'higher-is-better') ? 'good' : 'bad';
}

/** The same colour with zero alpha, so the fade does not pass through grey. */
export function transparentOf(color: string): string {
  const m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(color.trim());
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, 0)` : 'rgba(0, 0, 0, 0)';
}

function themeColor(el: Element, tone: FlashTone): string {
  const { variable, fallback } = THEME[tone];
  const value = typeof getComputedStyle === 'function' ? getComputedStyle(el).getPropertyValue(variable).trim() : '';
  return value || fallback;
}

export function Flash({
  value,
  flashKey,
  trend = 'none',
  color,
  duration = 600,
  as = 'span',
  className,
  children,
  ...rest
}: FlashProps) {
  const [scope, animate] = useAnimate<HTMLElement>();
  const reduced = useReducedMotion();
  const trigger = flashKey !== undefined ? flashKey : value;
  const last = useRef<{ trigger: unknown; value: unknown } | null>(null);

  // Only a new trigger starts a flash; the other inputs are read at that moment.
  const flash = useEffectEvent(() => {
    const prev = last.current;
    last.current = { trigger, value };
    if (prev === null || Object.is(prev.trigger, trigger)) return; // first mount, or nothing new
    const el = scope.current;
    if (!el) return;

    const from = color ?? themeColor(el, flashTone(prev.value, value, trend));
    const to = transparentOf(from);
    const controls = reduced
      ? animate(el, { backgroundColor: [from, from, to] }, { duration: duration / 1000, times: [0, 0.99, 1], ease: 'linear' })
      : animate(el, { backgroundColor: [from, to] }, { duration: duration / 1000, ease: 'easeOut' });
    // hand the background back to the stylesheet (hover, zebra rows) once done
    controls.then(() => el.style.removeProperty('background-color'));
    return () => controls.stop();
  });
  useEffect(() => flash(), [trigger]);

  return createElement(
    as,
    { ...rest, ref: scope, className: className ? `pb-flash ${className}` : 'pb-flash' },
    children ?? (value === undefined || value === null ? null : String(value)),
  );
}

export default Flash;

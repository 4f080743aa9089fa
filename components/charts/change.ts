/**
 * "The change over the window" as a card header reads it: `+3 in 15 min`, `−2.1 pts in 15 min`,
 * `no change in 15 min`. Pure, so the server render and the browser agree.
 */
import { formatNumber } from '../format';
import type { SeriesChange } from './geometry';

export interface ChangeFormatOptions {
  /** Multiplies the change first (e.g. 100 for a 0–1 share shown in points). */
  scale?: number;
  /** Decimals of the change (default 0). */
  decimals?: number;
  /** Unit after the number, with its own leading space when it wants one (e.g. `' pts'`, `'s'`). */
  unit?: string;
  /** Formats the magnitude instead of `decimals` and `unit` (e.g. `formatDuration`). */
  format?: (magnitude: number) => string;
}

/**
 * @example
 * formatWindowChange({ first: 4, last: 7, delta: 3, ratio: 0.75 }, '15 min');                    // "+3 in 15 min"
 * formatWindowChange({ first: 0.8, last: 0.779, delta: -0.021, ratio: null }, null, { scale: 100, decimals: 1, unit: ' pts' }); // "−2.1 pts"
 */
export function formatWindowChange(change: SeriesChange | null, window: string | null, options: ChangeFormatOptions = {}): string | null {
  if (!change) return null;
  const { scale = 1, decimals = 0, unit = '' } = options;
  const delta = change.delta * scale;
  const magnitude = Math.abs(delta);
  const shown = options.format ? options.format(magnitude) : `${formatNumber(magnitude, decimals)}${unit}`;
  const rounded = options.format ? magnitude : Number(magnitude.toFixed(decimals));
  const text = rounded === 0 ? 'no change' : `${delta > 0 ? '+' : '\u2212'}${shown}`;
  return window ? `${text} in ${window}` : text;
}

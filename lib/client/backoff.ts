/**
 * Reconnect delays: exponential backoff with full jitter.
 *
 * Full jitter (every delay drawn uniformly from `[0, ceiling)`) spreads a crowd of clients that
 * lost the same server over the whole window instead of letting them return in waves.
 */

export interface BackoffOptions {
  /** Ceiling of the first delay (ms); each later attempt doubles it. */
  min: number;
  /** Largest ceiling (ms), however many attempts failed. */
  max: number;
}

/** Base 500 ms, cap 10 s. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { min: 500, max: 10_000 };

/** Doubling past this is pointless for any cap that fits in a timer. */
const MAX_EXPONENT = 30;

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry): a whole number of ms drawn
 * uniformly from `[0, min(max, min · 2^attempt))`. Pure apart from `random`.
 *
 * @example backoff(3, { min: 500, max: 10_000 }, () => 0.5) // → 2000 (ceiling 4000)
 */
export function backoff(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const step = attempt > 0 ? Math.min(Number.isFinite(attempt) ? Math.floor(attempt) : MAX_EXPONENT, MAX_EXPONENT) : 0;
  const min = Math.max(0, opts.min);
  const ceiling = Math.max(0, Math.min(opts.max, min * 2 ** step));
  const r = random();
  // A random source outside [0, 1) must not produce a delay outside the window.
  const unit = r >= 0 && r < 1 ? r : 0;
  return Math.floor(unit * ceiling);
}

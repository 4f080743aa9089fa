/**
 * Retry delays: exponential backoff with full jitter, one function for the client's reconnects
 * after a close (docs/protocol.md §9) and for the source bridges' reconnects and re-polls.
 *
 * Full jitter (the jittered part drawn uniformly from `[0, ceiling)`) spreads a crowd of clients
 * that lost the same server over the whole window instead of letting them return in waves.
 */

export interface BackoffOptions {
  /** Ceiling of the first delay's jittered part (ms); each later attempt doubles it. */
  min: number;
  /** Largest ceiling (ms), however many attempts failed. */
  max: number;
  /**
   * Shortest delay (ms), added to the jittered part, so the delay is drawn from
   * `[floor, floor + ceiling)`. Default 0: full jitter down to zero. A floor keeps a retry loop
   * from spinning (and MQTT.js from reading a period of 0 as "never reconnect").
   */
  floor?: number;
}

/** Base 500 ms, cap 10 s. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { min: 500, max: 10_000 };

/** Doubling past this is pointless for any cap that fits in a timer. */
const MAX_EXPONENT = 30;

/**
 * Delay before retry `attempt` (0 for the first retry): a whole number of ms,
 * `floor + r · min(max, min · 2^attempt)` with `r` uniform in `[0, 1)`. Pure apart from `random`.
 *
 * @example
 * backoff(3, { min: 500, max: 10_000 }, () => 0.5) // → 2000 (ceiling 4000)
 * backoff(0, { min: 500, max: 30_000, floor: 500 }, () => 0.5) // → 750
 */
export function backoff(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const step = attempt > 0 ? Math.min(Number.isFinite(attempt) ? Math.floor(attempt) : MAX_EXPONENT, MAX_EXPONENT) : 0;
  const min = Math.max(0, opts.min);
  const ceiling = Math.max(0, Math.min(opts.max, min * 2 ** step));
  const floor = Math.max(0, opts.floor ?? 0);
  const r = random();
  // A random source outside [0, 1) must not produce a delay outside the window.
  const unit = r >= 0 && r < 1 ? r : 0;
  return floor + Math.floor(unit * ceiling);
}

/**
 * Per-connection rate limit (docs/protocol.md §8): a token bucket of `ratePerSec` messages a second
 * with a burst of twice that, plus the abuse rule: a connection with refused messages in each
 * of 10 consecutive wall-clock seconds is to be closed with 1008.
 *
 * Pure apart from mutating the state it is given; time is always passed in, so tests drive it
 * with explicit timestamps instead of timers.
 */

export interface RateState {
  /** Tokens left; fractional between refills. */
  tokens: number;
  /** Time (ms) the tokens were last brought up to date. */
  updatedAt: number;
  /** Wall-clock second (`Math.floor(ms / 1000)`) of the latest refused message. */
  lastRefusedSecond: number;
  /** Consecutive seconds, ending at `lastRefusedSecond`, with at least one refused message. */
  refusedStreak: number;
}

export type RateVerdict = 'ok' | 'limited' | 'abusive';

/** Burst size as a multiple of the per-second rate. */
export const BURST_FACTOR = 2;

/** Consecutive seconds with refusals after which a connection counts as abusive. */
export const ABUSIVE_STREAK_SECONDS = 10;

/** A full bucket. */
export function createRateState(ratePerSec: number, now: number): RateState {
  // -Infinity: no second, not even second 0, follows "no refusal yet".
  return { tokens: BURST_FACTOR * ratePerSec, updatedAt: now, lastRefusedSecond: Number.NEGATIVE_INFINITY, refusedStreak: 0 };
}

/**
 * Accounts for one message at time `now` (ms). Returns `'ok'` when a token was available,
 * `'limited'` when the message must be refused with `RATE_LIMITED`, and `'abusive'` when it is
 * refused and the refusals now span `ABUSIVE_STREAK_SECONDS` consecutive seconds.
 *
 * @example
 * const state = createRateState(100, Date.now());
 * if (consume(state, 100, Date.now()) !== 'ok') refuse();
 */
export function consume(state: RateState, ratePerSec: number, now: number): RateVerdict {
  refill(state, ratePerSec, now);
  if (state.tokens >= 1) {
    state.tokens -= 1;
    return 'ok';
  }

  const second = Math.floor(now / 1000);
  if (second === state.lastRefusedSecond + 1) state.refusedStreak += 1;
  else if (second !== state.lastRefusedSecond) state.refusedStreak = 1;
  state.lastRefusedSecond = second;
  return state.refusedStreak >= ABUSIVE_STREAK_SECONDS ? 'abusive' : 'limited';
}

function refill(state: RateState, ratePerSec: number, now: number): void {
  const capacity = BURST_FACTOR * ratePerSec;
  const elapsed = now - state.updatedAt;
  // A clock that steps backwards refills nothing; the bucket resumes from the later time.
  if (elapsed > 0) {
    state.tokens = Math.min(capacity, state.tokens + (elapsed * ratePerSec) / 1000);
    state.updatedAt = now;
  } else if (state.tokens > capacity) {
    // The rate was lowered since the last message.
    state.tokens = capacity;
  }
}

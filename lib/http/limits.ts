/**
 * The HTTP API's limits as pure state machines (docs/operations.md, "Limits"): token buckets
 * keyed by client address, token or tenant, and the backoff that answers an address sending
 * wrong credentials without checking them. Time is always passed in, so tests drive them with
 * explicit timestamps; memory is bounded by the number of keys each one remembers.
 */
import { BURST_FACTOR, consume, createRateState, type RateState } from '../hub/rate-limit';

/** Keys a keyed limit remembers; past it, the least recently seen key is forgotten. */
export const MAX_KEYS = 10_000;

/** Seconds a client is told to wait: at least 1, since `Retry-After` counts whole seconds. */
export function retryAfterS(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * A least-recently-seen map of bounded size: `touch` moves a key to the young end, and the
 * oldest keys go first when there is no room, or as soon as `forgettable` says they carry no
 * state worth keeping.
 */
class RecentKeys<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly maxKeys: number,
    /** True when forgetting the entry changes nothing the caller could observe. */
    private readonly forgettable: (entry: T, now: number) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** Returns the entry for `key` (made by `create` when missing), now the most recent one. */
  touch(key: string, now: number, create: () => T): T {
    let entry = this.entries.get(key);
    this.entries.delete(key);
    this.sweep(now);
    entry ??= create();
    this.entries.set(key, entry);
    return entry;
  }

  /** Makes room for one more key, and forgets a couple of idle ones on every call. */
  private sweep(now: number): void {
    let checked = 0;
    for (const [key, entry] of this.entries) {
      if (this.entries.size >= this.maxKeys || (checked++ < 2 && this.forgettable(entry, now))) this.entries.delete(key);
      else break;
    }
  }
}

/**
 * Token buckets per key (an address, a token, a tenant), all with the same rate and a burst of
 * twice it (the socket's own bucket from `lib/hub/rate-limit.ts`). A key not seen for long
 * enough to have a full bucket again is forgotten: it would start full anyway.
 *
 * @example
 * const perAddress = new KeyedBuckets(50);
 * const waitMs = perAddress.take(address, Date.now());
 * if (waitMs > 0) refuse(429, retryAfterS(waitMs));
 */
export class KeyedBuckets {
  private readonly buckets: RecentKeys<RateState>;

  constructor(readonly ratePerSec: number, maxKeys = MAX_KEYS) {
    const refillMs = (BURST_FACTOR * 1000) / ratePerSec;
    this.buckets = new RecentKeys(maxKeys, (state, now) => now - state.updatedAt >= refillMs);
  }

  /** Keys remembered now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket: 0 when there was one, else the ms until there is. */
  take(key: string, now: number): number {
    const state = this.buckets.touch(key, now, () => createRateState(this.ratePerSec, now));
    if (consume(state, this.ratePerSec, now) === 'ok') return 0;
    return ((1 - state.tokens) * 1000) / this.ratePerSec;
  }
}

export interface BackoffPolicy {
  /** Failures from one address within `windowMs` that start a backoff. */
  failures: number;
  windowMs: number;
  /** The first backoff; each further one from the same address doubles, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** An address without failures for this long starts over from `baseMs`. */
  forgetMs: number;
}

/** The backoff of `PULSE_HTTP_AUTH_FAILURES`: 10 s, 20 s, 40 s … up to 10 minutes; forgiven after an hour. */
export const AUTH_BACKOFF: Omit<BackoffPolicy, 'failures'> = {
  windowMs: 60_000,
  baseMs: 10_000,
  maxMs: 600_000,
  forgetMs: 3_600_000,
};

interface BackoffState {
  /** Failures in the window that began at `windowStart`. */
  count: number;
  windowStart: number;
  lastFailureAt: number;
  /** Backoffs this address has earned so far (each doubles the next). */
  strikes: number;
  blockedUntil: number;
}

/** What one failure did: `blockedMs` is set when it started a backoff. */
export interface FailureOutcome {
  failures: number;
  blockedMs?: number;
}

/**
 * Backoff per address after wrong credentials: `failures` of them within the window block the
 * address for `baseMs`, doubling with each further block, during which requests with
 * credentials are refused unchecked (so guessing gets no answer either way).
 *
 * @example
 * const backoff = new AuthBackoff({ ...AUTH_BACKOFF, failures: 20 });
 * const waitMs = backoff.blockedFor(address, Date.now());
 * if (waitMs > 0) refuse(429, retryAfterS(waitMs));
 */
export class AuthBackoff {
  private readonly addresses: RecentKeys<BackoffState>;

  constructor(private readonly policy: BackoffPolicy, maxKeys = MAX_KEYS) {
    this.addresses = new RecentKeys(maxKeys, (state, now) => now >= state.blockedUntil && now - state.lastFailureAt >= policy.forgetMs);
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.addresses.size;
  }

  /** Ms the address must still wait, 0 when it may try. */
  blockedFor(address: string, now: number): number {
    const state = this.addresses.get(address);
    return state && state.blockedUntil > now ? state.blockedUntil - now : 0;
  }

  /** Records a failed attempt from `address`. */
  fail(address: string, now: number): FailureOutcome {
    const { policy } = this;
    const state = this.addresses.touch(address, now, () => ({ count: 0, windowStart: now, lastFailureAt: now, strikes: 0, blockedUntil: 0 }));
    if (now - state.lastFailureAt >= policy.forgetMs) state.strikes = 0;
    if (now - state.windowStart >= policy.windowMs) {
      state.count = 0;
      state.windowStart = now;
    }
    state.lastFailureAt = now;
    state.count += 1;
    if (state.count < policy.failures) return { failures: state.count };
    const failures = state.count;
    const blockedMs = Math.min(policy.maxMs, policy.baseMs * 2 ** state.strikes);
    state.strikes += 1;
    state.blockedUntil = now + blockedMs;
    state.count = 0;
    state.windowStart = now;
    return { failures, blockedMs };
  }
}

/**
 * At most `limit` holders at a time, and at most `maxWaiting` more waiting in turn for a slot
 * (a page loading a few widgets at once waits briefly instead of being refused); past that a
 * caller is turned away at once.
 *
 * @example
 * if (!(await gate.enter())) return refuse(503);
 * try { await work(); } finally { gate.leave(); }
 */
export class Gate {
  private holders = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number, readonly maxWaiting: number) {}

  /** Slots taken now. */
  get active(): number {
    return this.holders;
  }

  /** Callers waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves true once the caller holds a slot, or false at once when it may not even wait. */
  async enter(): Promise<boolean> {
    if (this.holders < this.limit) {
      this.holders += 1;
      return true;
    }
    if (this.waiting.length >= this.maxWaiting) return false;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return true;
  }

  /** Gives the slot to the next waiting caller, or frees it. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.holders -= 1;
  }
}

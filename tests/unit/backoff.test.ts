import { backoff, DEFAULT_BACKOFF } from '@/lib/protocol/backoff';

const justUnderOne = () => 0.999999;

describe('backoff', () => {
  it('defaults to base 500 ms and cap 10 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ min: 500, max: 10_000 });
    expect(backoff(0, undefined, justUnderOne)).toBe(499);
    expect(backoff(20, undefined, justUnderOne)).toBe(9999);
  });

  it('doubles the ceiling per attempt until the cap', () => {
    const opts = { min: 500, max: 10_000 };
    const ceilings = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoff(attempt, opts, justUnderOne) + 1);
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('uses full jitter: the delay is random * ceiling, down to zero', () => {
    const opts = { min: 500, max: 10_000 };
    expect(backoff(3, opts, () => 0)).toBe(0);
    expect(backoff(3, opts, () => 0.5)).toBe(2000);
    expect(backoff(3, opts, () => 0.25)).toBe(1000);
  });

  it('stays within [0, ceiling) for any random value in [0, 1)', () => {
    const opts = { min: 100, max: 3000 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(opts.max, opts.min * 2 ** attempt);
      for (let i = 0; i < 200; i++) {
        const delay = backoff(attempt, opts);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('never exceeds the cap or returns NaN for huge attempt numbers', () => {
    for (const attempt of [50, 1024, Number.MAX_SAFE_INTEGER, Infinity]) {
      const delay = backoff(attempt, { min: 500, max: 10_000 }, justUnderOne);
      expect(delay).toBe(9999);
    }
  });

  it('treats negative, fractional and NaN attempts sensibly', () => {
    const opts = { min: 500, max: 10_000 };
    expect(backoff(-3, opts, justUnderOne)).toBe(499);
    expect(backoff(Number.NaN, opts, justUnderOne)).toBe(499);
    expect(backoff(2.7, opts, justUnderOne)).toBe(1999);
  });

  it('keeps a misbehaving random source inside the window', () => {
    const opts = { min: 500, max: 10_000 };
    for (const value of [1, 2, -1, Number.NaN]) {
      const delay = backoff(4, opts, () => value);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(8000);
    }
  });

  it('honours custom bounds, including a cap below the base', () => {
    expect(backoff(0, { min: 15_000, max: 60_000 }, () => 0.5)).toBe(7500);
    expect(backoff(5, { min: 15_000, max: 60_000 }, () => 0.5)).toBe(30_000);
    expect(backoff(0, { min: 1000, max: 200 }, justUnderOne)).toBe(199);
    expect(backoff(3, { min: 0, max: 1000 })).toBe(0);
  });

  it('adds a floor when one is given: [floor, floor + ceiling)', () => {
    const opts = { min: 500, max: 30_000, floor: 500 };
    expect(backoff(0, opts, () => 0)).toBe(500);
    expect(backoff(0, opts, () => 0.5)).toBe(750);
    expect(backoff(3, opts, justUnderOne)).toBe(500 + 3999);
    expect(backoff(20, opts, justUnderOne)).toBe(500 + 29_999);
    expect(backoff(2, { min: 1000, max: 60_000, floor: 1000 }, () => 0.25)).toBe(2000);
    expect(backoff(2, { min: 500, max: 10_000, floor: -5 }, () => 0)).toBe(0);
    for (let attempt = 0; attempt < 12; attempt++) expect(backoff(attempt, opts)).toBeGreaterThanOrEqual(500);
  });
});

import { consume, createRateState, type RateVerdict } from '@/lib/hub/rate-limit';

const T0 = 1_767_225_600_000; // a whole second, so second boundaries fall at T0 + k·1000

/** Sends `count` messages at time `now` and returns their verdicts. */
function burst(state: ReturnType<typeof createRateState>, rate: number, now: number, count: number): RateVerdict[] {
  return Array.from({ length: count }, () => consume(state, rate, now));
}

/** Sends messages at time `now` until one is refused, and returns that refusal's verdict. */
function untilRefused(state: ReturnType<typeof createRateState>, rate: number, now: number): RateVerdict {
  for (;;) {
    const verdict = consume(state, rate, now);
    if (verdict !== 'ok') return verdict;
  }
}

describe('createRateState', () => {
  it('starts with a full bucket of twice the rate and no refusals', () => {
    const state = createRateState(100, T0);
    expect(state.tokens).toBe(200);
    expect(state.updatedAt).toBe(T0);
    expect(state.refusedStreak).toBe(0);
  });
});

describe('consume', () => {
  it('allows a burst of twice the rate, then refuses', () => {
    const state = createRateState(10, T0);
    const verdicts = burst(state, 10, T0, 21);
    expect(verdicts.slice(0, 20)).toEqual(Array(20).fill('ok'));
    expect(verdicts[20]).toBe('limited');
  });

  it('refills continuously at the rate', () => {
    const state = createRateState(10, T0);
    burst(state, 10, T0, 20);
    expect(consume(state, 10, T0 + 50)).toBe('limited'); // half a token
    expect(consume(state, 10, T0 + 100)).toBe('ok'); // one token after 100 ms at 10/s
    expect(consume(state, 10, T0 + 100)).toBe('limited');
    expect(burst(state, 10, T0 + 600, 6)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'limited']);
  });

  it('never fills beyond the burst', () => {
    const state = createRateState(10, T0);
    consume(state, 10, T0);
    const verdicts = burst(state, 10, T0 + 3_600_000, 21);
    expect(verdicts.filter((v) => v === 'ok')).toHaveLength(20);
    expect(verdicts[20]).toBe('limited');
  });

  it('sustains exactly the rate over time', () => {
    const state = createRateState(5, T0);
    burst(state, 5, T0, 10);
    let ok = 0;
    for (let ms = 1; ms <= 10_000; ms++) if (consume(state, 5, T0 + ms) === 'ok') ok++;
    expect(ok).toBe(50);
  });

  it('does not refill when the clock steps backwards', () => {
    const state = createRateState(1, T0 + 10_000);
    burst(state, 1, T0 + 10_000, 2);
    expect(consume(state, 1, T0)).toBe('limited');
    expect(consume(state, 1, T0 + 10_500)).toBe('limited');
    expect(consume(state, 1, T0 + 11_000)).toBe('ok');
  });

  it('caps tokens at the new burst when the rate is lowered', () => {
    const state = createRateState(100, T0);
    expect(burst(state, 1, T0, 3)).toEqual(['ok', 'ok', 'limited']);
  });

  it('reports abuse when refusals fall in each of 10 consecutive seconds', () => {
    const state = createRateState(1, T0);
    const perSecond: RateVerdict[] = [];
    for (let k = 0; k < 10; k++) perSecond.push(untilRefused(state, 1, T0 + k * 1000 + 10));
    expect(perSecond).toEqual([...Array(9).fill('limited'), 'abusive']);
    expect(state.refusedStreak).toBe(10);
  });

  it('lets accepted messages inside the streak not break it', () => {
    const state = createRateState(1, T0);
    const verdicts: RateVerdict[] = [];
    // Each second: the token that refilled is used ('ok'), then two messages are refused.
    for (let k = 0; k < 10; k++) verdicts.push(...burst(state, 1, T0 + k * 1000 + 10, k === 0 ? 4 : 3));
    expect(verdicts.filter((v) => v === 'ok')).toHaveLength(11);
    expect(verdicts.slice(-3)).toEqual(['ok', 'abusive', 'abusive']);
    expect(verdicts.slice(0, -3).includes('abusive')).toBe(false);
  });

  it('counts seconds, not refusals: many refusals in one second are a streak of one', () => {
    const state = createRateState(1, T0);
    burst(state, 1, T0, 2);
    expect(burst(state, 1, T0 + 1, 50)).toEqual(Array(50).fill('limited'));
    expect(state.refusedStreak).toBe(1);
  });

  it('extends the streak only from the immediately preceding second', () => {
    const state = createRateState(1, T0);
    for (let k = 0; k < 9; k++) expect(untilRefused(state, 1, T0 + k * 1000 + 999)).toBe('limited');
    expect(state.refusedStreak).toBe(9);
    // Second 9 passes without a refusal; at second 10 the streak starts over.
    expect(untilRefused(state, 1, T0 + 10_999)).toBe('limited');
    expect(state.refusedStreak).toBe(1);
    expect(untilRefused(state, 1, T0 + 11_000)).toBe('limited');
    expect(state.refusedStreak).toBe(2);
  });

  it('uses wall-clock seconds, so refusals 2 ms apart across a boundary are consecutive seconds', () => {
    const state = createRateState(1, T0);
    untilRefused(state, 1, T0 + 999);
    expect(state.refusedStreak).toBe(1);
    untilRefused(state, 1, T0 + 1001);
    expect(state.refusedStreak).toBe(2);
  });

  it('does not count refusals 1.9 s apart in seconds k and k+2 as consecutive', () => {
    const state = createRateState(1, T0);
    untilRefused(state, 1, T0 + 999);
    untilRefused(state, 1, T0 + 2000);
    expect(state.refusedStreak).toBe(1);
  });

  it('keeps an abusive verdict for further refusals in the same streak', () => {
    const state = createRateState(1, T0);
    burst(state, 1, T0, 2);
    let last: RateVerdict = 'ok';
    for (let k = 0; k < 12; k++) {
      burst(state, 1, T0 + k * 1000, 2);
      last = consume(state, 1, T0 + k * 1000 + 1);
      if (k < 9) expect(last).toBe('limited');
    }
    expect(last).toBe('abusive');
  });

  it('does not count the first refusal at time 0 as continuing an earlier one', () => {
    const state = createRateState(1, 0);
    burst(state, 1, 0, 2);
    expect(consume(state, 1, 0)).toBe('limited');
    expect(state.refusedStreak).toBe(1);
  });
});

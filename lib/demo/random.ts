/**
 * Small numeric helpers for the simulator: a seedable generator and the stochastic steps the
 * models are built from. Everything takes the generator as an argument, so a seeded run is
 * reproducible and the models stay testable.
 */

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * mulberry32: a tiny, fast 32-bit generator, good enough for synthetic data and fully
 * deterministic for a given seed.
 *
 * @example
 * const random = seededRandom(42);
 * random(); // always the same first value for seed 42
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** Rounds to a number of decimals, turning `-0` into `0` so diffs do not see phantom changes. */
export function round(value: number, decimals = 0): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return r === 0 ? 0 : r;
}

export function uniform(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** A standard normal draw (Box–Muller; the second value is discarded to keep the generator simple). */
export function gaussian(random: Random): number {
  const u = 1 - random(); // (0, 1], keeps log finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** True with the probability that an event of `ratePerS` happens at least once in `dtS` seconds. */
export function happens(random: Random, ratePerS: number, dtS: number): boolean {
  return random() < 1 - Math.exp(-ratePerS * dtS);
}

/**
 * One exact step of an Ornstein–Uhlenbeck process (a random walk pulled back towards `mean`):
 * `tauS` is the reversion time constant and `sd` the long-run standard deviation. Exact for any
 * `dtS`, so records advanced at irregular intervals keep the same statistics.
 */
export function meanRevert(random: Random, x: number, mean: number, tauS: number, sd: number, dtS: number): number {
  const a = Math.exp(-dtS / tauS);
  return mean + (x - mean) * a + sd * Math.sqrt(1 - a * a) * gaussian(random);
}

/** Exponential smoothing of `x` towards `target` over `dtS` seconds with time constant `tauS`. */
export function approach(x: number, target: number, tauS: number, dtS: number): number {
  return target + (x - target) * Math.exp(-dtS / tauS);
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

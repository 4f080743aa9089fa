/**
 * Latency histogram cheap enough for millions of samples a second: linear buckets (no
 * logarithms on the hot path), 50 µs wide up to 1 s and 1 ms wide up to 60 s, one overflow
 * bucket. Subscriber processes fill one each and ship it sparse to the parent, which merges.
 */

const FINE_MS = 1000;
const FINE_PER_MS = 20;
const COARSE_MS = 60_000;
const FINE_BUCKETS = FINE_MS * FINE_PER_MS;
const BUCKETS = FINE_BUCKETS + (COARSE_MS - FINE_MS) + 1;

export interface SparseHistogram {
  /** [bucket, count] pairs of the non-empty buckets. */
  buckets: Array<[number, number]>;
  count: number;
  sum: number;
  max: number;
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  add(ms: number): void {
    if (ms < 0) ms = 0; // clocks of two processes can disagree by a few microseconds
    const bucket = ms < FINE_MS ? (ms * FINE_PER_MS) | 0 : Math.min(BUCKETS - 1, FINE_BUCKETS + ((ms - FINE_MS) | 0));
    this.counts[bucket]++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  toSparse(): SparseHistogram {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]]);
    return { buckets, count: this.count, sum: this.sum, max: this.max };
  }

  merge(sparse: SparseHistogram): void {
    for (const [bucket, n] of sparse.buckets) this.counts[bucket] += n;
    this.count += sparse.count;
    this.sum += sparse.sum;
    this.max = Math.max(this.max, sparse.max);
  }

  /** Upper edge of the bucket holding quantile `q` (0–1), capped at the observed maximum. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, upperEdge(i));
    }
    return this.max;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : NaN;
  }
}

function upperEdge(bucket: number): number {
  return bucket < FINE_BUCKETS ? (bucket + 1) / FINE_PER_MS : FINE_MS + (bucket - FINE_BUCKETS) + 1;
}

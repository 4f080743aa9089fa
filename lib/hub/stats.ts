/**
 * Hub counters and the delivery-latency histogram. Cheap to update on the hot path
 * (plain increments); rates and percentiles are computed only when someone asks.
 */
import type { ErrorCode } from '../protocol';

/** Bucket upper bounds in ms for delivery latency (publish accepted → frame written). */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 75, 100, 125, 150, 200, 300, 500, 1000, 2000, 5000, 10000];

/** Bucket upper bounds in ms for the time one broadcaster tick takes. */
export const FLUSH_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250];

/** A fixed-bucket histogram in ms; `record` takes a count so a group of deliveries costs one call. */
export class LatencyHistogram {
  readonly counts: number[];
  sum = 0;
  total = 0;

  constructor(readonly buckets: readonly number[] = LATENCY_BUCKETS_MS) {
    this.counts = new Array<number>(buckets.length + 1).fill(0);
  }

  record(ms: number, count = 1): void {
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && ms > buckets[i]) i++;
    this.counts[i] += count;
    this.sum += ms * count;
    this.total += count;
  }

  /**
   * Upper bound of the bucket holding quantile `q` (0–1), or 0 with no samples. With `since`
   * (an earlier copy of `counts`), only the samples recorded after that copy count.
   */
  quantile(q: number, since?: readonly number[]): number {
    const counts = since ? this.counts.map((count, i) => count - (since[i] ?? 0)) : this.counts;
    const total = counts.reduce((sum, count) => sum + count, 0);
    if (total === 0) return 0;
    const rank = q * total;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) return this.buckets[i] ?? this.buckets[this.buckets.length - 1] * 2;
    }
    return 0;
  }
}

/** Seconds of history the reported latency percentiles cover. */
export const LATENCY_WINDOW_S = 60;

interface Sample {
  at: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** Seconds of history the per-second rates average over. */
const RATE_WINDOW_S = 5;

export class HubStats {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  publishes = 0;
  /** Requests refused because the engine was unreachable. */
  engineRefusals = 0;
  flushes = 0;
  flushSeconds = 0;
  /** Batch windows and catch-ups that could not be serialized (docs/operations.md, "Metrics"). */
  flushErrors = 0;
  rateLimited = 0;
  slowConsumerEvents = 0;
  readonly errors: Partial<Record<ErrorCode, number>> = {};
  readonly latency = new LatencyHistogram(LATENCY_BUCKETS_MS);
  readonly flushDuration = new LatencyHistogram(FLUSH_BUCKETS_MS);
  readonly startedAt = Date.now();

  private readonly samples: Sample[] = [];
  /** Copies of the latency histogram's counts, one a second, for windowed percentiles. */
  private readonly latencyMarks: number[][] = [];

  /** Records the counters; called once a second so `rates()` can average recent traffic. */
  sample(now = Date.now()): void {
    const { messagesIn, messagesOut, bytesIn, bytesOut } = this;
    this.samples.push({ at: now, messagesIn, messagesOut, bytesIn, bytesOut });
    if (this.samples.length > RATE_WINDOW_S + 1) this.samples.shift();
    this.latencyMarks.push([...this.latency.counts]);
    if (this.latencyMarks.length > LATENCY_WINDOW_S + 1) this.latencyMarks.shift();
  }

  /** Delivery latency percentile over the last `LATENCY_WINDOW_S` seconds (ms, bucket upper bound). */
  recentLatency(q: number): number {
    return this.latency.quantile(q, this.latencyMarks[0]);
  }

  /** Per-second rates over the last few seconds. */
  rates(now = Date.now()): Omit<Sample, 'at'> {
    const oldest = this.samples[0] ?? { at: this.startedAt, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
    const seconds = Math.max((now - oldest.at) / 1000, 1e-3);
    const rate = (current: number, before: number) => Math.round(((current - before) / seconds) * 10) / 10;
    return {
      messagesIn: rate(this.messagesIn, oldest.messagesIn),
      messagesOut: rate(this.messagesOut, oldest.messagesOut),
      bytesIn: rate(this.bytesIn, oldest.bytesIn),
      bytesOut: rate(this.bytesOut, oldest.bytesOut),
    };
  }

  error(code: ErrorCode): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }
}

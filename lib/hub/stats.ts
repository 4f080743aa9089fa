/**
 * Hub counters and the delivery-latency histogram. Cheap to update on the hot path
 * (plain increments); rates and percentiles are computed only when someone asks.
 */
import type { ErrorCode } from '../protocol';

/** Bucket upper bounds in ms for delivery latency (publish accepted → frame written). */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 75, 100, 125, 150, 200, 300, 500, 1000, 2000, 5000, 10000];

export class LatencyHistogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  sum = 0;
  total = 0;

  record(ms: number, count = 1): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]) i++;
    this.counts[i] += count;
    this.sum += ms * count;
    this.total += count;
  }

  /** Upper bound of the bucket holding quantile `q` (0–1), or 0 with no samples. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = q * this.total;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] * 2;
    }
    return 0;
  }
}

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
  flushes = 0;
  flushSeconds = 0;
  rateLimited = 0;
  slowConsumerEvents = 0;
  readonly errors: Partial<Record<ErrorCode, number>> = {};
  readonly latency = new LatencyHistogram();
  readonly startedAt = Date.now();

  private readonly samples: Sample[] = [];

  /** Records the counters; called once a second so `rates()` can average recent traffic. */
  sample(now = Date.now()): void {
    const { messagesIn, messagesOut, bytesIn, bytesOut } = this;
    this.samples.push({ at: now, messagesIn, messagesOut, bytesIn, bytesOut });
    if (this.samples.length > RATE_WINDOW_S + 1) this.samples.shift();
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

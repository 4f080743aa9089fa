import { HubStats, LATENCY_BUCKETS_MS, LatencyHistogram } from '@/lib/hub/stats';

describe('LatencyHistogram', () => {
  it('answers 0 for every quantile without samples', () => {
    const h = new LatencyHistogram();
    expect(h.quantile(0.5)).toBe(0);
    expect(h.quantile(0.99)).toBe(0);
  });

  it('puts a sample in the first bucket whose upper bound holds it', () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(1); // bound included
    h.record(1.5);
    h.record(10);
    h.record(11);
    expect(h.counts[0]).toBe(2);
    expect(h.counts[LATENCY_BUCKETS_MS.indexOf(2)]).toBe(1);
    expect(h.counts[LATENCY_BUCKETS_MS.indexOf(10)]).toBe(1);
    expect(h.counts[LATENCY_BUCKETS_MS.indexOf(20)]).toBe(1);
    expect(h.total).toBe(5);
    expect(h.sum).toBeCloseTo(23.5);
  });

  it('reports the upper bound of the bucket holding each quantile', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 50; i++) h.record(1);
    for (let i = 0; i < 45; i++) h.record(30);
    for (let i = 0; i < 4; i++) h.record(180);
    h.record(900);
    expect(h.quantile(0.5)).toBe(1);
    expect(h.quantile(0.51)).toBe(50);
    expect(h.quantile(0.95)).toBe(50);
    expect(h.quantile(0.96)).toBe(200);
    expect(h.quantile(0.99)).toBe(200);
    expect(h.quantile(1)).toBe(1000);
  });

  it('counts a sample recorded with a count as that many samples', () => {
    const h = new LatencyHistogram();
    h.record(3, 99);
    h.record(400, 1);
    expect(h.total).toBe(100);
    expect(h.sum).toBe(3 * 99 + 400);
    expect(h.counts[LATENCY_BUCKETS_MS.indexOf(5)]).toBe(99);
    expect(h.quantile(0.5)).toBe(5);
    expect(h.quantile(0.99)).toBe(5);
    expect(h.quantile(1)).toBe(500);
  });

  it('reports samples beyond the last bucket as twice its bound', () => {
    const h = new LatencyHistogram();
    const last = LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
    h.record(last + 1);
    expect(h.counts[LATENCY_BUCKETS_MS.length]).toBe(1);
    expect(h.quantile(0.5)).toBe(last * 2);
  });
});

describe('HubStats.rates', () => {
  const T0 = 1_767_225_600_000;

  it('averages counter growth per second since the oldest sample', () => {
    const stats = new HubStats();
    stats.sample(T0);
    stats.messagesIn = 10;
    stats.messagesOut = 40;
    stats.bytesIn = 1000;
    stats.bytesOut = 4000;
    stats.sample(T0 + 1000);
    stats.messagesIn = 20;
    stats.messagesOut = 80;
    stats.bytesIn = 2000;
    stats.bytesOut = 8000;
    expect(stats.rates(T0 + 2000)).toEqual({ messagesIn: 10, messagesOut: 40, bytesIn: 1000, bytesOut: 4000 });
  });

  it('rounds to one decimal', () => {
    const stats = new HubStats();
    stats.sample(T0);
    stats.messagesIn = 10;
    expect(stats.rates(T0 + 3000).messagesIn).toBe(3.3);
  });

  it('averages over the last few seconds only', () => {
    const stats = new HubStats();
    // A burst long ago, then a steady 5 messages a second.
    stats.sample(T0);
    stats.messagesIn = 1000;
    for (let s = 1; s <= 10; s++) {
      stats.sample(T0 + s * 1000);
      stats.messagesIn += 5;
    }
    const rate = stats.rates(T0 + 11_000).messagesIn;
    expect(rate).toBe(5);
  });

  it('measures from start-up before the first sample', () => {
    const stats = new HubStats();
    stats.messagesOut = 50;
    expect(stats.rates(stats.startedAt + 10_000).messagesOut).toBe(5);
  });

  it('does not divide by zero', () => {
    const stats = new HubStats();
    stats.sample(T0);
    stats.bytesIn = 10;
    const rates = stats.rates(T0);
    expect(Number.isFinite(rates.bytesIn)).toBe(true);
    expect(rates.messagesIn).toBe(0);
  });
});

describe('HubStats.error', () => {
  it('counts errors per code', () => {
    const stats = new HubStats();
    stats.error('RATE_LIMITED');
    stats.error('RATE_LIMITED');
    stats.error('BAD_FILTER');
    expect(stats.errors).toEqual({ RATE_LIMITED: 2, BAD_FILTER: 1 });
  });
});

describe('windowed latency percentiles', () => {
  test('quantile with an earlier copy of the counts only sees later samples', () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 100; i++) histogram.record(1000);
    const mark = [...histogram.counts];
    for (let i = 0; i < 10; i++) histogram.record(3);
    expect(histogram.quantile(0.5)).toBe(1000);
    expect(histogram.quantile(0.5, mark)).toBe(5);
  });

  test('HubStats.recentLatency forgets samples older than the window', () => {
    const stats = new HubStats();
    stats.latency.record(400, 50);
    for (let s = 0; s <= 60; s++) stats.sample(stats.startedAt + s * 1000);
    expect(stats.recentLatency(0.99)).toBe(0);
    stats.latency.record(15, 3);
    expect(stats.recentLatency(0.99)).toBe(20);
    expect(stats.latency.quantile(0.99)).toBe(500);
  });

  test('a histogram takes its own buckets', () => {
    const flush = new LatencyHistogram([0.5, 1, 5]);
    flush.record(0.2);
    flush.record(3);
    expect(flush.counts).toEqual([1, 0, 1, 0]);
    expect(flush.quantile(1)).toBe(5);
  });
});

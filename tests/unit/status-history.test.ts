/**
 * The status page's chart lines (app/status/history.ts, chart.ts): read from the server's
 * series of its figures, continued with each poll's figures in the bucket of their server time.
 */
import { buildTimeChart, maxFrom } from '@/app/status/chart';
import { appendStats, continues, coveredMs, historyFromSeries, historyFromStats, lineOf, recentErrors, seenLine, type StatsHistory } from '@/app/status/history';
import type { ServerStats, StatsSeriesBody } from '@/app/status/types';

const T0 = 1_767_225_600_000;

function stats(at: number, overrides: Partial<ServerStats> = {}): ServerStats {
  return {
    instance: 'i_a',
    at,
    engine: 'memory',
    uptimeS: 60,
    connections: { total: 3, byTenant: { demo: 3 } },
    channels: 1,
    subscriptions: 3,
    messages: { in: 10, out: 20, inPerSec: 1, outPerSec: 2 },
    bytes: { in: 100, out: 200, inPerSec: 10, outPerSec: 20 },
    latencyMs: { p50: 1, p95: 2, p99: 5 },
    errors: {},
    slowConsumers: 0,
    viewers: [],
    sources: [],
    cluster: { instances: [], connections: 3, subscriptions: 3 },
    ...overrides,
  };
}

/** A series body of `length` one-second buckets ending with the bucket of `T0 + (length - 1) s`. */
function body(records: StatsSeriesBody['series']['records'], length = 5, instance = 'i_a'): StatsSeriesBody {
  return {
    channel: '_pulse.stats',
    instance,
    epoch: 'e',
    seq: 9,
    series: { resolutionMs: 1000, start: T0, end: T0 + length * 1000, fields: ['connections', 'errors.FORBIDDEN'], records },
  };
}

describe('historyFromSeries', () => {
  it('takes the answering instance’s record', () => {
    const history = historyFromSeries(body({ i_a: { connections: [null, 1, 2, 2, 3], 'errors.FORBIDDEN': [null, 0, 0, 1, 4] }, i_b: { connections: [9, 9, 9, 9, 9] } }));
    expect(history).toMatchObject({ instance: 'i_a', start: T0, resolutionMs: 1000, capacity: 5 });
    expect(lineOf(history, 'connections')).toEqual({ start: T0, resolutionMs: 1000, values: [null, 1, 2, 2, 3] });
    expect(recentErrors(history)).toEqual({ FORBIDDEN: 4 });
    expect(coveredMs(history)).toBe(3000);
  });

  it('gives the span without values to an instance that has written nothing yet', () => {
    const history = historyFromSeries(body({ i_b: { connections: [9, 9, 9, 9, 9] } }));
    expect(lineOf(history, 'connections').values).toEqual([null, null, null, null, null]);
    expect(recentErrors(history)).toEqual({});
    expect(lineOf(history, 'unknown').values).toEqual([]);
  });
});

describe('appendStats', () => {
  const base = (): StatsHistory => historyFromSeries(body({ i_a: { connections: [null, 1, 2, 2, 3], 'errors.FORBIDDEN': [null, 0, 0, 0, 0] } }));
  const last = T0 + 4000;

  it('rewrites the last bucket with a poll that lands in it', () => {
    const next = appendStats(base(), stats(last + 800, { connections: { total: 7, byTenant: {} } }));
    expect(lineOf(next, 'connections')).toEqual({ start: T0, resolutionMs: 1000, values: [null, 1, 2, 2, 7] });
  });

  it('appends a bucket, dropping the oldest past the window', () => {
    const next = appendStats(base(), stats(last + 1200, { errors: { FORBIDDEN: 2 } }));
    expect(lineOf(next, 'connections')).toEqual({ start: T0 + 1000, resolutionMs: 1000, values: [1, 2, 2, 3, 3] });
    expect(lineOf(next, 'latencyP95Ms').values).toEqual([null, null, null, null, 2]);
    expect(recentErrors(next)).toEqual({ FORBIDDEN: 2, AUTH_FAILED: 0, AUTH_REQUIRED: 0, BAD_FILTER: 0, CONNECTION_LIMIT: 0, INTERNAL_ERROR: 0, INVALID_MESSAGE: 0, NOT_SUBSCRIBED: 0, PAYLOAD_TOO_LARGE: 0, RATE_LIMITED: 0, SUBSCRIPTION_LIMIT: 0, TOKEN_EXPIRED: 0 });
  });

  it('carries the last value over a bucket a poll skipped', () => {
    const next = appendStats(base(), stats(last + 2100, { connections: { total: 5, byTenant: {} } }));
    expect(lineOf(next, 'connections')).toEqual({ start: T0 + 2000, resolutionMs: 1000, values: [2, 2, 3, 3, 5] });
  });

  it('ignores a poll older than the last bucket', () => {
    const history = base();
    expect(appendStats(history, stats(last - 1000))).toBe(history);
  });

  it('grows up to the capacity from a history that started with one poll', () => {
    let history = historyFromStats(stats(T0 + 300), 1000, 3);
    for (let i = 1; i < 5; i++) history = appendStats(history, stats(T0 + i * 1000 + 300, { connections: { total: i, byTenant: {} } }));
    expect(lineOf(history, 'connections')).toEqual({ start: T0 + 2000, resolutionMs: 1000, values: [2, 3, 4] });
  });
});

describe('continues', () => {
  const history = historyFromSeries(body({ i_a: { connections: [1, 1, 1, 1, 1] } }));
  const last = T0 + 4000;

  it('holds for the same instance within a few buckets', () => {
    expect(continues(history, stats(last + 500))).toBe(true);
    expect(continues(history, stats(last + 3500))).toBe(true);
  });

  it('fails after a longer pause, for another instance (or a restart), and before the start', () => {
    expect(continues(history, stats(last + 4500))).toBe(false);
    expect(continues(history, stats(last + 500, { instance: 'i_b' }))).toBe(false);
    expect(continues(history, stats(T0 - 1))).toBe(false);
  });
});

describe('seenLine', () => {
  it('starts at the first value, but shows at least the last minute', () => {
    const values = [...new Array<null>(800).fill(null), ...new Array<number>(100).fill(1)];
    const history = historyFromSeries({ ...body({ i_a: { connections: values } }, 900) });
    expect(seenLine(history, 'connections').values).toHaveLength(100);
    expect(seenLine(history, 'connections').start).toBe(T0 + 800_000);
    expect(seenLine(history, 'connections', 300_000).values).toHaveLength(300);
  });
});

describe('buildTimeChart', () => {
  it('draws values at their bucket’s time and breaks the line at nulls', () => {
    const line = { start: 0, resolutionMs: 10, values: [0, 5, null, 10, 10] };
    const paths = buildTimeChart(line, { from: 0, to: 40, width: 40, height: 10, max: 10 });
    expect(paths.line).toBe('M0 10L10 5M30 0L40 0');
    expect(paths.points).toBe(4);
    expect(paths.area).toBe('M0 10L10 5L10 10L0 10ZM30 0L40 0L40 10L30 10Z');
  });

  it('keeps the bucket just left of the edge so the line enters from it, and counts only what is shown', () => {
    const line = { start: 0, resolutionMs: 10, values: [1, 2, 3, 4, 5] };
    const paths = buildTimeChart(line, { from: 25, to: 40, width: 15, height: 10, max: 10 });
    expect(paths.line.startsWith('M-5 ')).toBe(true);
    expect(paths.points).toBe(2);
    expect(maxFrom(line, 25)).toBe(5);
    expect(maxFrom(line, 100)).toBe(0);
  });

  it('shows a lone value as a short tick', () => {
    expect(buildTimeChart({ start: 0, resolutionMs: 10, values: [null, 5, null] }, { from: 0, to: 20, width: 20, height: 10, max: 10 }).line).toBe('M10 5h2');
  });
});

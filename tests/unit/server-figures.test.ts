/**
 * The server's own figures as series (docs/operations.md, "The server's figures as series"):
 * the reserved tenant, the series declared for it, the record written from the hub's figures
 * and read back by /status, and the sampler's timing.
 */
import { statsValues } from '@/app/status/history';
import type { ServerStats } from '@/app/status/types';
import { seriesLookup } from '@/lib/engine/series-spec';
import type { Hub, HubFigures } from '@/lib/hub/hub';
import { SERVER_TENANT, STATS_CHANNEL, STATS_FIELDS, STATS_SERIES, statsRecord, withServerSeries } from '@/lib/hub/server-figures';
import { CHANNEL_NAME, ErrorCode, TENANT_ID, type PublishInput } from '@/lib/protocol';
import { STALE_FIGURES_MS, StatsSampler } from '@/lib/server/stats-sampler';

function figures(overrides: Partial<HubFigures> = {}): HubFigures {
  return {
    instance: 'i_1',
    at: 1_767_225_600_500,
    engine: 'memory',
    uptimeS: 12,
    connections: { total: 4, byTenant: { demo: 4 } },
    channels: 2,
    subscriptions: 5,
    messages: { in: 100, out: 300, inPerSec: 2.5, outPerSec: 7 },
    bytes: { in: 1000, out: 9000, inPerSec: 25, outPerSec: 180 },
    latencyMs: { p50: 5, p95: 20, p99: 50 },
    errors: { FORBIDDEN: 2, RATE_LIMITED: 1 },
    slowConsumers: 1,
    flushErrors: 0,
    ...overrides,
  };
}

describe('the reserved tenant', () => {
  it('is no tenant id, so no token, header or configuration can name it; its channel is an ordinary name', () => {
    expect(TENANT_ID.test(SERVER_TENANT)).toBe(false);
    expect(CHANNEL_NAME.test(STATS_CHANNEL)).toBe(true);
  });

  it('keeps the figures at one-second buckets over fifteen minutes, whatever the configuration declares', () => {
    const everything = seriesLookup([{ channel: '*', series: { fields: ['x'], resolutionMs: 5000, windowMs: 60_000 } }]);
    const series = withServerSeries(everything);
    expect(series.seriesFor(SERVER_TENANT, STATS_CHANNEL)).toBe(STATS_SERIES);
    expect(STATS_SERIES).toEqual({ fields: [...STATS_FIELDS], resolutionMs: 1000, windowMs: 900_000 });
    expect(series.seriesFor(SERVER_TENANT, 'other')).toBeUndefined();
    // Every real tenant's channels, `_pulse.stats` included, are the configuration's.
    expect(series.seriesFor('demo', STATS_CHANNEL)).toEqual({ fields: ['x'], resolutionMs: 5000, windowMs: 60_000 });
    expect(withServerSeries(undefined).seriesFor('demo', 'kpi')).toBeUndefined();
  });
});

describe('statsRecord', () => {
  it('writes every kept field as a number, every error code included, with the instance as id', () => {
    const record = statsRecord(figures());
    expect(record).toMatchObject({
      id: 'i_1',
      at: 1_767_225_600_500,
      connections: 4,
      subscriptions: 5,
      channels: 2,
      messagesInPerSec: 2.5,
      messagesOutPerSec: 7,
      bytesInPerSec: 25,
      bytesOutPerSec: 180,
      latencyP50Ms: 5,
      latencyP95Ms: 20,
      latencyP99Ms: 50,
      slowConsumers: 1,
      'errors.FORBIDDEN': 2,
      'errors.RATE_LIMITED': 1,
      'errors.INTERNAL_ERROR': 0,
    });
    for (const field of STATS_FIELDS) expect([field, typeof record[field]]).toEqual([field, 'number']);
    expect(STATS_FIELDS.filter((field) => field.startsWith('errors.'))).toHaveLength(Object.keys(ErrorCode).length);
  });

  it('names the figures as /status reads them from a stats poll', () => {
    const hubFigures = figures();
    const stats = { ...hubFigures, viewers: [], sources: [], cluster: { instances: [], connections: 4, subscriptions: 5 } } as ServerStats;
    const { id: _id, at: _at, ...kept } = statsRecord(hubFigures);
    expect(statsValues(stats)).toEqual(kept);
  });
});

describe('StatsSampler', () => {
  interface Written {
    at: number;
    input: PublishInput;
  }

  /** The parts of a hub the sampler uses, writing into `written`. */
  function fakeHub(written: Written[], existing: Array<{ id: string; at?: number }> = []) {
    const hub = {
      instance: 'i_me',
      shuttingDown: false,
      log: { info: jest.fn(), warn: jest.fn() },
      figures: (now: number) => figures({ instance: 'i_me', at: now }),
      publish: jest.fn(async (tenant: string, channel: string, input: PublishInput) => {
        expect([tenant, channel]).toEqual([SERVER_TENANT, STATS_CHANNEL]);
        written.push({ at: Date.now(), input });
        return { channel, epoch: 'e', seq: written.length };
      }),
      snapshot: jest.fn(async () => ({ channel: STATS_CHANNEL, epoch: 'e', seq: 1, records: existing, events: [] })),
    };
    return hub as typeof hub & Hub;
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_767_225_600_200 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('samples half-way through every second, one record per second', async () => {
    const written: Written[] = [];
    const sampler = new StatsSampler(fakeHub(written));
    sampler.start();
    await jest.advanceTimersByTimeAsync(3000);
    expect(written.map((w) => w.at % 1000)).toEqual([500, 500, 500]);
    expect(written[0].input.upsert?.[0]).toMatchObject({ id: 'i_me', at: 1_767_225_600_500, connections: 4 });
    await sampler.stop();
  });

  it('skips a sample while the previous one is still being written', async () => {
    const written: Written[] = [];
    const hub = fakeHub(written);
    let release: () => void = () => {};
    hub.publish.mockImplementationOnce(
      (_t, channel, input) =>
        new Promise((resolve) => {
          release = () => resolve({ channel, epoch: 'e', seq: 0 });
          written.push({ at: Date.now(), input });
        }),
    );
    const sampler = new StatsSampler(hub);
    sampler.start();
    await jest.advanceTimersByTimeAsync(2500);
    expect(written).toHaveLength(1);
    release();
    await jest.advanceTimersByTimeAsync(1000);
    expect(written).toHaveLength(2);
    await sampler.stop();
  });

  it('logs once when writes start failing and once when they work again', async () => {
    const written: Written[] = [];
    const hub = fakeHub(written);
    hub.publish.mockRejectedValueOnce(new Error('engine unreachable')).mockRejectedValueOnce(new Error('engine unreachable'));
    const sampler = new StatsSampler(hub);
    sampler.start();
    await jest.advanceTimersByTimeAsync(3000);
    expect(hub.log.warn).toHaveBeenCalledTimes(1);
    expect(hub.log.info).toHaveBeenCalledTimes(1);
    expect(written).toHaveLength(1);
    await sampler.stop();
  });

  it('removes records of instances that stopped sampling, now and then', async () => {
    const written: Written[] = [];
    const now = Date.now();
    const hub = fakeHub(written, [{ id: 'i_me', at: now }, { id: 'i_alive', at: now + 5000 }, { id: 'i_gone', at: now - STALE_FIGURES_MS }, { id: 'i_old' }]);
    const sampler = new StatsSampler(hub);
    sampler.start();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(written.filter((w) => w.input.delete)).toHaveLength(1);
    expect(written[9].input.delete?.sort()).toEqual(['i_gone', 'i_old']);
    await sampler.stop();
  });

  it('removes its own record when stopped, and writes nothing after', async () => {
    const written: Written[] = [];
    const sampler = new StatsSampler(fakeHub(written));
    sampler.start();
    await jest.advanceTimersByTimeAsync(1000);
    await sampler.stop();
    expect(written.at(-1)?.input).toEqual({ delete: ['i_me'] });
    const count = written.length;
    await jest.advanceTimersByTimeAsync(3000);
    expect(written).toHaveLength(count);
  });
});

import type { ChannelRecord, EventInput, PublishInput } from '@/lib/protocol/messages';
import { PRIORITIES } from '@/lib/protocol/messages';
import { distanceFromCentreKm } from '@/lib/demo/fleet-model';
import {
  createInitialState,
  diffRecord,
  initialRecords,
  METROS,
  QUEUES,
  seededRandom,
  startSimulator,
  step,
  type SimState,
} from '@/lib/demo/simulator';

/** Runs `steps` steps of `dtMs` each at `perStep` updates, handing every result to `onStep`. */
function run(
  seed: number,
  steps: number,
  dtMs: number,
  perStep: number,
  onStep?: (result: ReturnType<typeof step>, before: SimState) => void,
  nodes = 300,
): SimState {
  const random = seededRandom(seed);
  let state = createInitialState(random, { now: 0, nodes });
  for (let i = 1; i <= steps; i++) {
    const result = step(state, random, { now: i * dtMs, updates: perStep });
    onStep?.(result, state);
    state = result.state;
  }
  return state;
}

describe('seededRandom', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    for (const x of seqA) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});

describe('initial dataset', () => {
  const state = createInitialState(seededRandom(1), { now: 1_000 });
  const { kpi, backlog, fleet } = initialRecords(state);

  it('has one kpi and one backlog record per queue, across 3 orgs', () => {
    expect(kpi).toHaveLength(QUEUES.length);
    expect(backlog).toHaveLength(QUEUES.length);
    expect(QUEUES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(kpi.map((r) => r.org)).size).toBe(3);
    expect(new Set(kpi.map((r) => r.department)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(kpi.map((r) => r.id)).size).toBe(kpi.length);
    expect(backlog.map((r) => r.id)).toEqual(kpi.map((r) => r.id));
  });

  it('gives kpi and backlog records the documented fields', () => {
    for (const r of kpi) {
      expect(Object.keys(r).sort()).toEqual(
        ['agentsOnline', 'department', 'healthScore', 'id', 'org', 'queue', 'slaRisk', 'updatedAt', 'utilization'].sort(),
      );
      expect(r.updatedAt).toBe(1_000);
    }
    for (const r of backlog) {
      expect(Object.keys(r).sort()).toEqual(
        ['abandoned', 'department', 'handled', 'id', 'oldestWaitS', 'org', 'queue', 'updatedAt', 'waiting'].sort(),
      );
    }
  });

  it('has 300 fleet nodes by default, spread over every metro', () => {
    expect(fleet).toHaveLength(300);
    expect(new Set(fleet.map((n) => n.id)).size).toBe(300);
    expect(new Set(fleet.map((n) => n.metro))).toEqual(new Set(METROS.map((m) => m.id)));
    for (const n of fleet) {
      expect(Object.keys(n).sort()).toEqual(
        ['battery', 'id', 'lat', 'lon', 'metro', 'moving', 'name', 'speedKmh', 'status', 'updatedAt'].sort(),
      );
      expect(['online', 'degraded', 'offline']).toContain(n.status);
    }
    expect(fleet.filter((n) => n.moving).length).toBeGreaterThan(100);
  });

  it('puts nodes on both sides of the antimeridian', () => {
    expect(fleet.some((n) => n.lon > 179.5)).toBe(true);
    expect(fleet.some((n) => n.lon < -179.5)).toBe(true);
  });

  it('honours the fleet size option', () => {
    expect(createInitialState(seededRandom(1), { now: 0, nodes: 40 }).nodes).toHaveLength(40);
    expect(createInitialState(seededRandom(1), { now: 0, nodes: 0 }).nodes).toHaveLength(0);
  });
});

describe('step', () => {
  it('is deterministic for a seed', () => {
    const collect = (seed: number) => {
      const out: unknown[] = [];
      run(seed, 150, 200, 10, (r) => out.push([r.kpi, r.backlog, r.fleet, r.alerts]));
      return JSON.stringify(out);
    };
    expect(collect(3)).toBe(collect(3));
    expect(collect(3)).not.toBe(collect(4));
  });

  it('does not mutate the state it is given', () => {
    const random = seededRandom(5);
    const state = createInitialState(random, { now: 0 });
    const copy = JSON.stringify(state);
    step(state, random, { now: 5_000, updates: 200 });
    expect(JSON.stringify(state)).toBe(copy);
  });

  it('publishes only changed fields, and the patches rebuild the new state', () => {
    let patches = 0;
    const bad: ChannelRecord[] = [];
    run(9, 200, 250, 25, (result, before) => {
      const check = (channel: ChannelRecord[], prev: Map<string, ChannelRecord>, next: Map<string, ChannelRecord>) => {
        for (const patch of channel) {
          patches++;
          const old = prev.get(patch.id)!;
          const changed = Object.keys(patch).filter((k) => k !== 'id' && k !== 'updatedAt');
          const unchanged = changed.filter((k) => Object.is(patch[k], old[k]));
          if (changed.length === 0 || unchanged.length > 0 || patch.updatedAt !== result.state.time) bad.push(patch);
          if (JSON.stringify({ ...old, ...patch }) !== JSON.stringify(next.get(patch.id))) bad.push(patch);
        }
      };
      const byId = <T extends ChannelRecord>(list: T[]) => new Map<string, ChannelRecord>(list.map((r) => [r.id, r]));
      const a = initialRecords(before);
      const b = initialRecords(result.state);
      check(result.kpi, byId(a.kpi), byId(b.kpi));
      check(result.backlog, byId(a.backlog), byId(b.backlog));
      check(result.fleet, byId(a.fleet), byId(b.fleet));
      expect(new Set(result.fleet.map((p) => p.id)).size).toBe(result.fleet.length);
    });
    expect(bad).toEqual([]);
    expect(patches).toBeGreaterThan(4000);
  });

  it('delivers the requested number of updates, mostly to the fleet', () => {
    const random = seededRandom(2);
    let state = createInitialState(random, { now: 0 });
    const totals = { kpi: 0, backlog: 0, fleet: 0 };
    for (let i = 1; i <= 100; i++) {
      const r = step(state, random, { now: i * 1000, updates: 40 });
      expect(r.kpi.length + r.backlog.length + r.fleet.length).toBe(40);
      totals.kpi += r.kpi.length;
      totals.backlog += r.backlog.length;
      totals.fleet += r.fleet.length;
      state = r.state;
    }
    expect(totals.fleet).toBeGreaterThan(totals.kpi + totals.backlog);
    expect(totals.kpi).toBeGreaterThan(0);
    expect(totals.backlog).toBeGreaterThan(0);
  });

  it('spreads small budgets fairly over time with fractional carry', () => {
    let total = 0;
    run(4, 1000, 200, 1, (r) => (total += r.kpi.length + r.backlog.length + r.fleet.length));
    expect(total).toBe(1000);
  });

  it('keeps every value in range over an hour of simulated time', () => {
    const problems: string[] = [];
    const check = (ok: boolean, what: string, record: unknown) => {
      if (!ok && problems.length < 5) problems.push(`${what}: ${JSON.stringify(record)}`);
    };
    const handled = new Map<string, number>();
    const abandoned = new Map<string, number>();
    const metroOf = new Map(METROS.map((m) => [m.id, m]));
    const between = (v: number, lo: number, hi: number) => typeof v === 'number' && v >= lo && v <= hi;
    run(11, 1200, 3000, 40, (r) => {
      const { kpi, backlog, fleet } = initialRecords(r.state);
      for (const k of kpi) {
        check(between(k.utilization, 0, 1), 'utilization', k);
        check(between(k.slaRisk, 0, 1), 'slaRisk', k);
        check(Number.isInteger(k.healthScore) && between(k.healthScore, 0, 100), 'healthScore', k);
        check(Number.isInteger(k.agentsOnline) && k.agentsOnline >= 1, 'agentsOnline', k);
      }
      for (const b of backlog) {
        check(Number.isInteger(b.waiting) && b.waiting >= 0, 'waiting', b);
        check(Number.isInteger(b.oldestWaitS) && b.oldestWaitS >= 0, 'oldestWaitS', b);
        check(b.waiting > 0 || b.oldestWaitS === 0, 'oldest wait without anyone waiting', b);
        check(b.handled >= (handled.get(b.id) ?? 0), 'handled is monotonic', b);
        check(b.abandoned >= (abandoned.get(b.id) ?? 0), 'abandoned is monotonic', b);
        handled.set(b.id, b.handled);
        abandoned.set(b.id, b.abandoned);
      }
      for (const n of fleet) {
        check(between(n.lat, -90, 90) && between(n.lon, -180, 180), 'position', n);
        check(between(n.battery, 0, 100), 'battery', n);
        check(n.speedKmh >= 0 && (n.moving || n.speedKmh === 0), 'speed', n);
        check(n.status !== 'offline' || !n.moving, 'offline nodes stand still', n);
        const metro = metroOf.get(n.metro)!;
        check(distanceFromCentreKm(metro, n.lat, n.lon) < metro.radiusKm * 1.5, 'stays in its metro', n);
      }
    }, 100);
    expect(problems).toEqual([]);
    // counters really count
    const end = [...handled.values()].reduce((a, b) => a + b, 0);
    const start = initialRecords(createInitialState(seededRandom(11), { now: 0, nodes: 100 })).backlog.reduce((a, b) => a + b.handled, 0);
    expect(end).toBeGreaterThan(start);
  });

  it('drifts smoothly rather than jumping around', () => {
    // Utilisation sampled every 10 s should be strongly autocorrelated (white noise would be ~0).
    const series = new Map<string, number[]>();
    run(
      13,
      360,
      10_000,
      24,
      (r) => {
        for (const q of r.state.queues) {
          const list = series.get(q.kpi.id) ?? [];
          list.push(q.sim.util);
          series.set(q.kpi.id, list);
        }
      },
      0,
    );
    for (const values of series.values()) {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      let num = 0;
      let den = 0;
      for (let i = 0; i < values.length; i++) {
        den += (values[i] - mean) ** 2;
        if (i > 0) num += (values[i] - mean) * (values[i - 1] - mean);
      }
      expect(num / den).toBeGreaterThan(0.7);
    }
  });

  it('moves nodes plausibly: a few hundred metres per second at most', () => {
    const random = seededRandom(21);
    let state = createInitialState(random, { now: 0 });
    const before = new Map(initialRecords(state).fleet.map((n) => [n.id, n]));
    state = step(state, random, { now: 10_000, updates: 300 }).state;
    let moved = 0;
    for (const n of initialRecords(state).fleet) {
      const b = before.get(n.id)!;
      const km = Math.hypot((n.lat - b.lat) * 111, (((n.lon - b.lon + 540) % 360) - 180) * 111 * Math.cos((n.lat * Math.PI) / 180));
      expect(km).toBeLessThan(0.3); // 10 s at ≤ 90 km/h
      if (km > 0) moved++;
    }
    expect(moved).toBeGreaterThan(100);
  });
});

describe('alerts', () => {
  const alerts: EventInput[] = [];
  // two hours of a 100-node world
  const state = run(17, 1440, 5000, 30, (r) => alerts.push(...r.alerts), 100);
  const queueIds = new Set(QUEUES.map((q) => q.id));
  const nodeIds = new Set(state.nodes.map((n) => n.sim.id));

  it('come at a readable pace, with known types and priorities', () => {
    expect(alerts.length).toBeGreaterThan(300);
    expect(alerts.length).toBeLessThan(7200); // throttled to at most ~1/s
    for (const a of alerts) {
      expect(['alert.sla', 'alert.node', 'alert.capacity']).toContain(a.type);
      expect(PRIORITIES).toContain(a.priority);
      const data = a.data as Record<string, unknown>;
      expect(typeof data.message).toBe('string');
      if (a.type === 'alert.node') expect(nodeIds.has(data.node as string)).toBe(true);
      else expect(queueIds.has(data.queue as string)).toBe(true);
    }
    expect(new Set(alerts.map((a) => a.type)).size).toBe(3);
    expect(new Set(alerts.map((a) => a.priority)).size).toBe(4);
  });

  it('are rarely critical (about 2–5%)', () => {
    const share = alerts.filter((a) => a.priority === 'critical').length / alerts.length;
    expect(share).toBeGreaterThanOrEqual(0.015);
    expect(share).toBeLessThanOrEqual(0.06);
  });
});

describe('diffRecord', () => {
  it('returns only changed fields plus updatedAt, or null', () => {
    const a = { id: 'x', v: 1, w: 'a', updatedAt: 1 };
    expect(diffRecord(a, { ...a, updatedAt: 2 })).toBeNull();
    expect(diffRecord(a, { ...a, v: 2, updatedAt: 2 })).toEqual({ id: 'x', v: 2, updatedAt: 2 });
  });
});

describe('startSimulator', () => {
  type Call = { tenant: string; channel: string; input: PublishInput };

  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  function recorder(result: () => Promise<unknown> = () => Promise.resolve({})) {
    const calls: Call[] = [];
    return {
      calls,
      publisher: {
        publish(tenant: string, channel: string, input: PublishInput) {
          calls.push({ tenant, channel, input });
          return result();
        },
      },
    };
  }

  it('publishes the full state once, then about `rate` updates a second', async () => {
    const { calls, publisher } = recorder();
    const sim = startSimulator(publisher, { rate: 100, random: seededRandom(1) });
    expect(calls.map((c) => c.channel)).toEqual(['kpi', 'backlog', 'fleet']);
    expect(calls[0].input.upsert).toHaveLength(QUEUES.length);
    expect(calls[1].input.upsert).toHaveLength(QUEUES.length);
    expect(calls[2].input.upsert).toHaveLength(300);
    expect(calls.every((c) => c.tenant === 'demo')).toBe(true);

    await jest.advanceTimersByTimeAsync(10_000);
    const later = calls.slice(3);
    const updates = later.reduce((n, c) => n + (c.input.upsert?.length ?? 0), 0);
    expect(updates).toBeGreaterThan(950);
    expect(updates).toBeLessThanOrEqual(1000);
    for (const c of later) {
      expect(['kpi', 'backlog', 'fleet', 'alerts']).toContain(c.channel);
      if (c.channel === 'alerts') expect(c.input.events?.length).toBeGreaterThan(0);
      else expect(c.input.upsert?.length).toBeGreaterThan(0);
    }
    const fleet = later.filter((c) => c.channel === 'fleet').reduce((n, c) => n + c.input.upsert!.length, 0);
    expect(fleet / updates).toBeGreaterThan(0.6);

    sim.stop();
    const count = calls.length;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls.length).toBe(count);
  });

  it('takes several steps per tick when the rate exceeds what one step can change', async () => {
    const { calls, publisher } = recorder();
    const sim = startSimulator(publisher, { rate: 3000, random: seededRandom(2), tenant: 'acme' });
    await jest.advanceTimersByTimeAsync(2_000);
    sim.stop();
    const updates = calls.slice(3).reduce((n, c) => n + (c.input.upsert?.length ?? 0), 0);
    // One step changes each record at most once (324 here), 5 ticks a second.
    expect(updates).toBeGreaterThan(2 * 5 * 324 * 0.75);
    expect(calls.every((c) => c.tenant === 'acme')).toBe(true);
  });

  it('survives publishes that reject or throw', async () => {
    const rejecting = recorder(() => Promise.reject(new Error('shutting down')));
    const sim1 = startSimulator(rejecting.publisher, { rate: 50, random: seededRandom(3) });
    const throwing = recorder(() => {
      throw new Error('boom');
    });
    const sim2 = startSimulator(throwing.publisher, { rate: 50, random: seededRandom(4) });
    await jest.advanceTimersByTimeAsync(3_000);
    expect(rejecting.calls.length).toBeGreaterThan(3);
    expect(throwing.calls.length).toBeGreaterThan(3);
    sim1.stop();
    sim2.stop();
  });

  it('does not start batches when stopped before the initial publish settles', async () => {
    const { calls, publisher } = recorder();
    startSimulator(publisher, { rate: 100, random: seededRandom(5) }).stop();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(calls).toHaveLength(3);
  });

  it('refuses a nonsensical rate', () => {
    const { publisher } = recorder();
    expect(() => startSimulator(publisher, { rate: -1 })).toThrow(RangeError);
    expect(() => startSimulator(publisher, { rate: Number.NaN })).toThrow(RangeError);
  });
});

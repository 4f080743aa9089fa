import { createInitialState, seededRandom, startSimulator, step, QUEUES, type SimState } from '@/lib/demo/simulator';
import { attendanceRecords, createIntraday, stepIntraday, type IntradayState } from '@/lib/demo/intraday';
import { advanceIncidents, emptyIncidents, ESCALATE_AFTER_MS, SIMULATOR_ACTOR, type QueueReading } from '@/lib/demo/incident-model';
import { applyMergePatch } from '@/lib/protocol/merge-patch';
import type { ChannelRecord, PublishInput } from '@/lib/protocol/messages';
import type { AttendanceRecord } from '@/lib/demo/records';

/** Runs the world and the intraday channels together for `seconds`, one step a second. */
function runIntraday(seed: number, seconds: number, onSecond: (r: ReturnType<typeof stepIntraday>, held: Map<string, ChannelRecord>, t: number) => void) {
  const random = seededRandom(seed);
  let world: SimState = createInitialState(random, { now: 0, nodes: 0 });
  let intraday: IntradayState = createIntraday(world.queues.map((q) => q.sim), random, 0);
  const held = new Map<string, ChannelRecord>();
  for (let i = 1; i <= seconds; i++) {
    world = step(world, random, { now: i * 1000, updates: 24 }).state;
    const r = stepIntraday(intraday, world.queues.map((q) => q.sim), random, world.time, held);
    intraday = r.state;
    for (const patch of r.incidents.upsert) held.set(patch.id, applyMergePatch(held.get(patch.id), patch) as ChannelRecord);
    for (const id of r.incidents.delete) held.delete(id);
    onSecond(r, held, world.time);
  }
  return { world, intraday };
}

describe('attendance', () => {
  it('accounts for every rostered agent, agrees with the queue model, and moves over time', () => {
    const problems: string[] = [];
    const { world, intraday } = runIntraday(1, 900, (r) => {
      for (const patch of r.attendance) if (Object.keys(patch).length <= 2) problems.push(`empty patch: ${JSON.stringify(patch)}`);
    });
    const records = attendanceRecords(intraday);
    expect(records.map((a) => a.id)).toEqual(QUEUES.map((q) => q.id));
    records.forEach((a: AttendanceRecord, i) => {
      if (a.checkedIn + a.checkedOut !== a.rostered) problems.push(`roster: ${JSON.stringify(a)}`);
      if (a.available + a.onBreak !== a.checkedIn) problems.push(`checked in: ${JSON.stringify(a)}`);
      if (a.onBreak < 0 || a.checkedOut < 0) problems.push(`negative: ${JSON.stringify(a)}`);
      if (a.available !== world.queues[i].kpi.agentsOnline && a.available !== world.queues[i].sim.agents) problems.push(`available: ${JSON.stringify(a)}`);
    });
    expect(problems).toEqual([]);
    // Breaks come and go: over a quarter of an hour most queues' figures changed.
    let moving = 0;
    const initial = attendanceRecords(createIntraday(createInitialState(seededRandom(1), { now: 0, nodes: 0 }).queues.map((q) => q.sim), seededRandom(2), 0));
    records.forEach((a, i) => (moving += a.onBreak !== initial[i].onBreak || a.available !== initial[i].available ? 1 : 0));
    expect(moving).toBeGreaterThan(QUEUES.length / 2);
  });
});

describe('incidents', () => {
  it('keep a few alerts open at a time, opening, escalating and resolving on their own', () => {
    const openCounts: number[] = [];
    const statuses = new Set<string>();
    const malformed: ChannelRecord[] = [];
    runIntraday(3, 1800, (r, held) => {
      openCounts.push([...held.values()].filter((a) => a.status !== 'resolved').length);
      for (const patch of r.incidents.upsert) if (typeof patch.status === 'string') statuses.add(patch.status);
      for (const record of held.values()) {
        const ok = typeof record.title === 'string' && ['low', 'normal', 'high', 'critical'].includes(record.priority as string) && typeof record.openedAt === 'number';
        if (!ok) malformed.push(record);
      }
    });
    expect(malformed).toEqual([]);
    const mean = openCounts.reduce((a, b) => a + b, 0) / openCounts.length;
    expect(mean).toBeGreaterThan(1);
    expect(mean).toBeLessThan(12);
    expect([...statuses].sort()).toEqual(['escalated', 'open', 'resolved']);
  });

  const reading = (slaRiskHigh: boolean): QueueReading => {
    const state = createInitialState(seededRandom(4), { now: 0, nodes: 0 });
    const q = state.queues[0].sim;
    const sim = slaRiskHigh ? { ...q, oldestS: q.spec.slaTargetS * 4, util: 0.97 } : { ...q, oldestS: 0, util: 0.5 };
    const available = q.spec.baseAgents;
    return { q: sim, attendance: { id: q.spec.id, queue: '', org: '', department: '', rostered: 50, checkedIn: available, checkedOut: 0, onBreak: 0, available, updatedAt: 0 } };
  };

  it('never undoes what an operator did, and resolves only what nobody resolved', () => {
    const first = advanceIncidents(emptyIncidents(), [reading(true)], new Map(), 0);
    const sla = first.upsert.find((u) => u.kind === 'sla')!;
    expect(sla).toMatchObject({ status: 'open', priority: 'high', queue: QUEUES[0].id, openedAt: 0 });
    // acknowledged by someone: no escalation however long it stays
    const acknowledged = new Map(first.upsert.map((u) => [u.id, { ...u, ...(u.id === sla.id ? { status: 'acknowledged', acknowledgedBy: 'ada', acknowledgedAt: 10 } : {}) }]));
    const later = advanceIncidents(first.model, [reading(true)], acknowledged, ESCALATE_AFTER_MS * 2);
    expect(later.upsert.filter((u) => u.id === sla.id)).toEqual([]);
    // still open elsewhere: escalated by the simulator after the delay
    const untouched = new Map(first.upsert.map((u) => [u.id, u]));
    const escalated = advanceIncidents(first.model, [reading(true)], untouched, ESCALATE_AFTER_MS);
    expect(escalated.upsert.find((u) => u.id === sla.id)).toEqual({ id: sla.id, status: 'escalated', escalatedBy: SIMULATOR_ACTOR, escalatedAt: ESCALATE_AFTER_MS, priority: 'critical' });
    // the condition clears: resolved by the simulator unless an operator already resolved it
    const cleared = advanceIncidents(first.model, [reading(false)], acknowledged, 5000);
    expect(cleared.upsert.find((u) => u.id === sla.id)).toEqual({ id: sla.id, status: 'resolved', resolvedBy: SIMULATOR_ACTOR, resolvedAt: 5000 });
    const resolvedByHand = new Map([[sla.id, { ...sla, status: 'resolved', resolvedBy: 'ada', resolvedAt: 3 }]]);
    const after = advanceIncidents(first.model, [reading(false)], resolvedByHand, 5000);
    expect(after.upsert.filter((u) => u.id === sla.id)).toEqual([]);
    // a condition that still holds after a hand resolution opens nothing new until it clears
    const stillBad = advanceIncidents(first.model, [reading(true)], resolvedByHand, 6000);
    expect(stillBad.upsert.filter((u) => u.kind === 'sla')).toEqual([]);
  });

  it('resolves alerts it does not know and lets old resolved ones go', () => {
    const held = new Map<string, ChannelRecord>([
      ['stale', { id: 'stale', status: 'open', title: 'from an earlier run', openedAt: 1 }],
      ['old', { id: 'old', status: 'resolved', title: 'done', openedAt: 1, resolvedAt: 2 }],
    ]);
    const { upsert, delete: gone } = advanceIncidents(emptyIncidents(), [reading(false)], held, 3_600_000);
    expect(upsert).toEqual([{ id: 'stale', status: 'resolved', resolvedBy: SIMULATOR_ACTOR, resolvedAt: 3_600_000 }]);
    expect(gone).toEqual(['old']);
  });
});

describe('startSimulator with intraday', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('publishes attendance and follows what the incidents channel holds', async () => {
    const calls: Array<{ channel: string; input: PublishInput }> = [];
    const channel = new Map<string, ChannelRecord>();
    let reads = 0;
    const publisher = {
      async publish(_tenant: string, name: string, input: PublishInput) {
        calls.push({ channel: name, input });
        if (name === 'incidents') {
          for (const patch of input.upsert ?? []) channel.set(patch.id, applyMergePatch(channel.get(patch.id), patch) as ChannelRecord);
          for (const id of input.delete ?? []) channel.delete(id);
        }
        return {};
      },
      async snapshot() {
        reads++;
        return { records: [...channel.values()] };
      },
    };
    const sim = startSimulator(publisher, { rate: 200, random: seededRandom(6), nodes: 0, intraday: true });
    await jest.advanceTimersByTimeAsync(300_000);
    sim.stop();
    const attendance = calls.filter((c) => c.channel === 'attendance');
    expect(attendance[0].input.upsert).toHaveLength(QUEUES.length);
    expect(attendance.length).toBeGreaterThan(20);
    expect(reads).toBeGreaterThan(100);
    expect(calls.some((c) => c.channel === 'incidents')).toBe(true);
    expect([...channel.values()].every((r) => typeof r.status === 'string' && typeof r.title === 'string')).toBe(true);
  });
});

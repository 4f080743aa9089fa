/**
 * The simulated world as data: its initial state and one step forward. No timers and no I/O;
 * given the same seeded generator and the same times, a run is exactly reproducible.
 *
 * `step` is pure: it returns a new state (unchanged entries are shared with the old one) and
 * the merge patches to publish, holding only the fields that changed.
 */
import type { ChannelRecord, EventInput, Json, Priority } from '../protocol/messages';
import { apportion, METROS, QUEUES } from './catalog';
import { advanceNode, fleetRecord, initNode, type NodeSignal, type NodeState } from './fleet-model';
import { advanceQueue, backlogRecord, initQueue, kpiRecord, slaRisk, waitingOf, type QueueSignal, type QueueState } from './queue-model';
import { round, type Random } from './random';
import type { BacklogRecord, FleetRecord, KpiRecord } from './records';

export type RecordChannel = 'kpi' | 'backlog' | 'fleet';

/** How the update budget is shared between the record channels: the fleet gets most. */
export const CHANNEL_WEIGHTS: Readonly<Record<RecordChannel, number>> = { fleet: 0.7, kpi: 0.15, backlog: 0.15 };

/** Alerts are throttled by a token bucket in simulation time: this many per second, this burst. */
const ALERTS_PER_S = 1;
const ALERT_BURST = 5;

export interface QueueEntry {
  readonly sim: QueueState;
  /** What subscribers last received for this queue on `kpi` and on `backlog`. */
  readonly kpi: KpiRecord;
  readonly backlog: BacklogRecord;
}

export interface NodeEntry {
  readonly sim: NodeState;
  /** What subscribers last received for this node on `fleet`. */
  readonly record: FleetRecord;
}

export interface SimState {
  /** Time of the last step (or of creation), ms. */
  readonly time: number;
  readonly queues: readonly QueueEntry[];
  readonly nodes: readonly NodeEntry[];
  /** Fractional updates owed to each channel, so small budgets still split fairly over time. */
  readonly carry: Readonly<Record<RecordChannel, number>>;
  readonly alertTokens: number;
}

export interface InitOptions {
  /** Creation time, ms. */
  now: number;
  /** Fleet size (default 300). */
  nodes?: number;
}

export interface StepOptions {
  /** Time to advance to, ms (not before `state.time`). */
  now: number;
  /** Record updates wanted across all channels in this step. */
  updates: number;
}

export interface StepResult {
  state: SimState;
  kpi: ChannelRecord[];
  backlog: ChannelRecord[];
  fleet: ChannelRecord[];
  alerts: EventInput[];
}

export function createInitialState(random: Random, { now, nodes = 300 }: InitOptions): SimState {
  const queues = QUEUES.map((spec): QueueEntry => {
    const sim = initQueue(spec, random, now);
    return { sim, kpi: kpiRecord(sim, now), backlog: backlogRecord(sim, now) };
  });
  const counts = apportion(Math.max(0, Math.floor(nodes)), METROS.map((m) => m.share));
  const fleet: NodeEntry[] = [];
  METROS.forEach((metro, m) => {
    for (let k = 1; k <= counts[m]; k++) {
      const num = String(k).padStart(3, '0');
      const sim = initNode(`node-${metro.code.toLowerCase()}-${num}`, `${metro.code}-${num}`, metro, random, now);
      fleet.push({ sim, record: fleetRecord(sim, now) });
    }
  });
  return { time: now, queues, nodes: fleet, carry: { kpi: 0, backlog: 0, fleet: 0 }, alertTokens: ALERT_BURST };
}

/** Every record of every channel, as published once at start. */
export function initialRecords(state: SimState): { kpi: KpiRecord[]; backlog: BacklogRecord[]; fleet: FleetRecord[] } {
  return {
    kpi: state.queues.map((q) => q.kpi),
    backlog: state.queues.map((q) => q.backlog),
    fleet: state.nodes.map((n) => n.record),
  };
}

/** Number of records the step can update at most (each record at most once per step). */
export function recordCapacity(state: SimState): number {
  return state.queues.length * 2 + state.nodes.length;
}

/**
 * The merge patch from `prev` to `next`: `id` plus every field whose value differs, plus
 * `updatedAt` when anything else changed. `null` when nothing did.
 */
export function diffRecord<T extends { id: string; updatedAt?: number }>(prev: T, next: T): ChannelRecord | null {
  const patch: ChannelRecord = { id: next.id };
  let changed = false;
  for (const key of Object.keys(next) as Array<keyof T & string>) {
    if (key === 'id' || key === 'updatedAt') continue;
    if (!Object.is(prev[key], next[key])) {
      patch[key] = next[key] as Json;
      changed = true;
    }
  }
  if (!changed) return null;
  if (next.updatedAt !== undefined) patch.updatedAt = next.updatedAt;
  return patch;
}

/** Splits the step's budget by `CHANNEL_WEIGHTS`, carrying fractions, capped by channel size. */
function quotas(
  updates: number,
  carry: Readonly<Record<RecordChannel, number>>,
  capacity: Readonly<Record<RecordChannel, number>>,
): { quota: Record<RecordChannel, number>; carry: Record<RecordChannel, number> } {
  const channels: RecordChannel[] = ['fleet', 'backlog', 'kpi'];
  const quota = { kpi: 0, backlog: 0, fleet: 0 };
  const nextCarry = { kpi: 0, backlog: 0, fleet: 0 };
  let overflow = 0;
  for (const c of channels) {
    const exact = Math.max(0, updates) * CHANNEL_WEIGHTS[c] + carry[c];
    const whole = Math.floor(exact + 1e-9);
    nextCarry[c] = Math.max(0, exact - whole);
    quota[c] = Math.min(whole, capacity[c]);
    overflow += whole - quota[c];
  }
  for (const c of channels) {
    const extra = Math.min(overflow, capacity[c] - quota[c]);
    quota[c] += extra;
    overflow -= extra;
  }
  return { quota, carry: nextCarry };
}

/**
 * Visits records in random order, each at most once, until `quota` of them produced a change.
 * `visit` returns whether the record changed. Returns how many changes are still owed.
 */
function visitRandomly(random: Random, size: number, quota: number, visit: (index: number) => boolean): number {
  if (quota <= 0) return 0;
  const order = Array.from({ length: size }, (_, i) => i);
  let produced = 0;
  for (let k = 0; k < size && produced < quota; k++) {
    const j = k + Math.floor(random() * (size - k));
    [order[k], order[j]] = [order[j], order[k]];
    if (visit(order[k])) produced++;
  }
  return quota - produced;
}

export function step(state: SimState, random: Random, { now, updates }: StepOptions): StepResult {
  const time = Math.max(state.time, now);
  const queues = state.queues.slice();
  const nodes = state.nodes.slice();
  const result: Omit<StepResult, 'state'> = { kpi: [], backlog: [], fleet: [], alerts: [] };
  let tokens = Math.min(ALERT_BURST, state.alertTokens + ((time - state.time) / 1000) * ALERTS_PER_S);

  const emit = (event: EventInput) => {
    if (tokens < 1) return;
    tokens -= 1;
    result.alerts.push(event);
  };

  const advanceQueueAt = (i: number): QueueState => {
    const { state: sim, signals } = advanceQueue(queues[i].sim, random, time);
    for (const signal of signals) emit(queueAlert(signal, sim, random));
    return sim;
  };

  const { quota, carry } = quotas(updates, state.carry, { kpi: queues.length, backlog: queues.length, fleet: nodes.length });

  let shortfall = visitRandomly(random, queues.length, quota.kpi, (i) => {
    const sim = advanceQueueAt(i);
    const record = kpiRecord(sim, time);
    const patch = diffRecord(queues[i].kpi, record);
    queues[i] = { ...queues[i], sim, kpi: patch ? record : queues[i].kpi };
    if (patch) result.kpi.push(patch);
    return patch !== null;
  });

  shortfall += visitRandomly(random, queues.length, quota.backlog, (i) => {
    const sim = advanceQueueAt(i);
    const record = backlogRecord(sim, time);
    const patch = diffRecord(queues[i].backlog, record);
    queues[i] = { ...queues[i], sim, backlog: patch ? record : queues[i].backlog };
    if (patch) result.backlog.push(patch);
    return patch !== null;
  });

  // Queue records often have nothing new to say over a short step; the fleet takes up the slack.
  visitRandomly(random, nodes.length, Math.min(nodes.length, quota.fleet + shortfall), (i) => {
    const entry = nodes[i];
    const { state: sim, signals } = advanceNode(entry.sim, random, time);
    for (const signal of signals) emit(nodeAlert(signal, sim, random));
    const record = fleetRecord(sim, time);
    const patch = diffRecord(entry.record, record);
    nodes[i] = { sim, record: patch ? record : entry.record };
    if (patch) result.fleet.push(patch);
    return patch !== null;
  });

  return { state: { time, queues, nodes, carry, alertTokens: tokens }, ...result };
}

// ---- alerts --------------------------------------------------------------------------------

/** Chance that an alert of each kind is escalated to `critical`; tuned for ~2–5% overall. */
const CRITICAL_CHANCE: Record<QueueSignal | NodeSignal, number> = {
  sla: 0.1,
  capacity: 0.06,
  offline: 0.08,
  degraded: 0.015,
  'battery-low': 0.02,
  recovered: 0,
};

function escalate(kind: QueueSignal | NodeSignal, base: Priority, random: Random): Priority {
  return random() < CRITICAL_CHANCE[kind] ? 'critical' : base;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function queueAlert(kind: QueueSignal, q: QueueState, random: Random): EventInput {
  const { spec } = q;
  const risk = slaRisk(q);
  const waiting = waitingOf(q);
  const oldestWaitS = waiting === 0 ? 0 : Math.round(q.oldestS);
  const refs = {
    queue: spec.id,
    queueName: spec.queue,
    org: spec.org,
    department: spec.department,
    slaRisk: round(risk, 3),
    utilization: round(q.util, 3),
    waiting,
    oldestWaitS,
    agentsOnline: q.agents,
  };
  if (kind === 'sla') {
    const priority = escalate('sla', risk >= 0.85 ? 'high' : 'normal', random);
    const message =
      priority === 'critical'
        ? `SLA breach imminent on ${spec.queue} (${spec.org}): ${waiting} waiting, oldest ${oldestWaitS}s against a ${spec.slaTargetS}s target`
        : `SLA risk ${percent(risk)} on ${spec.queue} (${spec.org}), oldest wait ${oldestWaitS}s`;
    return { type: 'alert.sla', priority, data: { message, ...refs } };
  }
  const short = q.agents < spec.baseAgents * 0.85;
  const priority = escalate('capacity', short ? 'high' : 'normal', random);
  const message =
    priority === 'critical'
      ? `${spec.queue} (${spec.org}) is out of capacity: ${percent(q.util)} utilisation with ${q.agents} agents, ${waiting} waiting`
      : `${spec.queue} (${spec.org}) at ${percent(q.util)} utilisation with ${q.agents} agents online`;
  return { type: 'alert.capacity', priority, data: { message, ...refs } };
}

function nodeAlert(kind: NodeSignal, n: NodeState, random: Random): EventInput {
  const battery = Math.round(n.battery);
  const refs = {
    node: n.id,
    nodeName: n.name,
    metro: n.metro.id,
    status: n.status,
    battery,
    lat: round(n.lat, 5),
    lon: round(n.lon, 5),
  };
  const where = n.metro.name;
  switch (kind) {
    case 'offline': {
      const priority = escalate('offline', 'high', random);
      const message =
        priority === 'critical'
          ? `Node ${n.name} lost contact in ${where} and is not answering (battery ${battery}%)`
          : `Node ${n.name} went offline in ${where}`;
      return { type: 'alert.node', priority, data: { message, reason: 'offline', ...refs } };
    }
    case 'degraded': {
      const priority = escalate('degraded', 'normal', random);
      const message =
        priority === 'critical'
          ? `Node ${n.name} in ${where} is failing health checks repeatedly`
          : `Node ${n.name} link degraded in ${where}`;
      return { type: 'alert.node', priority, data: { message, reason: 'degraded', ...refs } };
    }
    case 'battery-low': {
      const priority = escalate('battery-low', 'normal', random);
      const message =
        priority === 'critical'
          ? `Node ${n.name} battery critical at ${battery}% in ${where}`
          : `Node ${n.name} battery low (${battery}%), returning to charge in ${where}`;
      return { type: 'alert.node', priority, data: { message, reason: 'battery', ...refs } };
    }
    case 'recovered':
      return {
        type: 'alert.node',
        priority: 'low',
        data: { message: `Node ${n.name} back online in ${where}`, reason: 'recovered', ...refs },
      };
  }
}

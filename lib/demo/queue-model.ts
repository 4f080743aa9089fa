/**
 * One contact-centre queue as a small stochastic model. Demand wanders around its staffed level
 * (mean-reverting walk) with occasional surges that decay; agents log in and out; utilisation,
 * the queue length and the oldest wait follow with some inertia. The published KPI and backlog
 * records are read off this state, so the numbers on both channels tell one consistent story.
 */
import type { QueueSpec } from './catalog';
import { approach, clamp, gaussian, happens, meanRevert, round, sigmoid, uniform, type Random } from './random';
import type { BacklogRecord, KpiRecord } from './records';

export interface QueueState {
  readonly spec: QueueSpec;
  /** Simulation time this state describes, ms. */
  readonly t: number;
  /** Demand multiplier around 1 (mean-reverting). */
  readonly demand: number;
  /** Extra demand from a surge, decaying towards 0. */
  readonly surge: number;
  readonly agents: number;
  /** Smoothed utilisation, 0–1. */
  readonly util: number;
  /** Contacts queued by ordinary randomness of arrivals (Erlang-style). */
  readonly queued: number;
  /** Contacts queued because demand exceeds capacity (fluid backlog). */
  readonly overflow: number;
  readonly oldestS: number;
  readonly handled: number;
  readonly abandoned: number;
  /** Alert latches: an alert fires on crossing up, and re-arms only after a clear recovery. */
  readonly slaArmed: boolean;
  readonly capacityArmed: boolean;
}

export type QueueSignal = 'sla' | 'capacity';

/** Thresholds of the queue alerts (crossing up fires, falling below `rearm` re-arms). */
export const QUEUE_ALERTS = {
  sla: { fire: 0.7, rearm: 0.45 },
  capacity: { fire: 0.95, rearm: 0.88 },
} as const;

const MAX_CHUNK_S = 10;
const PATIENCE_S = 240;
const UTIL_CAP = 0.97;

function arrivalRate(spec: QueueSpec, demand: number, surge: number): number {
  return ((spec.baseAgents * spec.targetUtilization) / spec.ahtS) * demand * (1 + surge);
}

/** Expected queue length of a busy multi-agent queue, a cheap stand-in for Erlang C. */
function erlangQueue(util: number, agents: number): number {
  const waitProbability = util ** Math.sqrt(2 * (agents + 1));
  return (waitProbability * util) / (1 - util + 0.01);
}

function oldestTarget(waiting: number, arrivalsPerS: number): number {
  return waiting < 0.5 ? 0 : (waiting / Math.max(arrivalsPerS, 1e-3)) * 1.6 + 3;
}

export function initQueue(spec: QueueSpec, random: Random, now: number): QueueState {
  const demand = 1 + 0.06 * gaussian(random);
  const agents = Math.max(1, Math.round(spec.baseAgents * uniform(random, 0.9, 1.08)));
  const lambda = arrivalRate(spec, demand, 0);
  const util = clamp((lambda * spec.ahtS) / agents, 0, UTIL_CAP);
  const queued = erlangQueue(util, agents);
  // A plausible "so far today" count, so counters do not start at zero.
  const handled = Math.round(spec.baseAgents * uniform(random, 40, 120));
  return {
    spec,
    t: now,
    demand,
    surge: 0,
    agents,
    util,
    queued,
    overflow: 0,
    oldestS: oldestTarget(queued, lambda),
    handled,
    abandoned: Math.round(handled * uniform(random, 0.01, 0.04)),
    slaArmed: true,
    capacityArmed: true,
  };
}

/** Advances the queue to `now` (ms). Returns the new state and the alerts it crossed into. */
export function advanceQueue(q: QueueState, random: Random, now: number): { state: QueueState; signals: QueueSignal[] } {
  const spec = q.spec;
  let { demand, surge, agents, util, queued, overflow, oldestS, handled, abandoned } = q;
  let remaining = Math.max(0, (now - q.t) / 1000);

  while (remaining > 1e-9) {
    const h = Math.min(MAX_CHUNK_S, remaining);
    remaining -= h;

    demand = clamp(meanRevert(random, demand, 1, 180, 0.07, h), 0.6, 1.5);
    surge *= Math.exp(-h / 120);
    if (happens(random, 1 / 900, h)) surge += uniform(random, 0.2, 0.5);

    if (happens(random, 1 / 45, h)) {
      const up = clamp(0.5 + (spec.baseAgents - agents) / (spec.baseAgents * 0.4), 0.1, 0.9);
      agents += random() < up ? 1 : -1;
      agents = clamp(agents, Math.max(1, Math.round(spec.baseAgents * 0.5)), Math.round(spec.baseAgents * 1.3));
    }

    const lambda = arrivalRate(spec, demand, surge);
    const capacity = agents / spec.ahtS;
    util = clamp(approach(util, Math.min(lambda / capacity, UTIL_CAP), 25, h), 0, 1);
    queued = Math.max(0, approach(queued, erlangQueue(util, agents), 20, h));

    const gaveUp = overflow * (1 - Math.exp(-h / PATIENCE_S));
    overflow = Math.max(0, overflow + (lambda - capacity) * h - gaveUp);
    abandoned += gaveUp + (queued * h) / 900;
    handled += util * capacity * h;

    oldestS = Math.max(0, approach(oldestS, oldestTarget(queued + overflow, lambda), 20, h));
  }

  const next: QueueState = { ...q, t: Math.max(q.t, now), demand, surge, agents, util, queued, overflow, oldestS, handled, abandoned };
  const signals: QueueSignal[] = [];
  const risk = slaRisk(next);
  let { slaArmed, capacityArmed } = q;
  if (slaArmed && risk >= QUEUE_ALERTS.sla.fire) {
    signals.push('sla');
    slaArmed = false;
  } else if (!slaArmed && risk < QUEUE_ALERTS.sla.rearm) slaArmed = true;
  if (capacityArmed && util >= QUEUE_ALERTS.capacity.fire) {
    signals.push('capacity');
    capacityArmed = false;
  } else if (!capacityArmed && util < QUEUE_ALERTS.capacity.rearm) capacityArmed = true;
  return { state: { ...next, slaArmed, capacityArmed }, signals };
}

export function waitingOf(q: QueueState): number {
  return Math.round(q.queued + q.overflow);
}

/** Probability-like risk of missing the answer-time target: long waits and saturation raise it. */
export function slaRisk(q: QueueState): number {
  return sigmoid(2.5 * (q.oldestS / q.spec.slaTargetS - 1.2) + 8 * (q.util - 0.95));
}

export function healthScore(q: QueueState): number {
  const saturation = clamp((q.util - 0.8) / 0.2, 0, 1);
  const pressure = clamp(waitingOf(q) / (q.agents * 1.5), 0, 1);
  return clamp(Math.round(100 - 55 * slaRisk(q) - 25 * saturation - 20 * pressure), 0, 100);
}

export function kpiRecord(q: QueueState, now: number): KpiRecord {
  const { spec } = q;
  return {
    id: spec.id,
    org: spec.org,
    department: spec.department,
    queue: spec.queue,
    utilization: round(q.util, 3),
    healthScore: healthScore(q),
    slaRisk: round(slaRisk(q), 3),
    agentsOnline: q.agents,
    updatedAt: Math.round(now),
  };
}

export function backlogRecord(q: QueueState, now: number): BacklogRecord {
  const { spec } = q;
  const waiting = waitingOf(q);
  return {
    id: spec.id,
    queue: spec.queue,
    org: spec.org,
    department: spec.department,
    waiting,
    oldestWaitS: waiting === 0 ? 0 : Math.round(q.oldestS),
    handled: Math.floor(q.handled),
    abandoned: Math.floor(q.abandoned),
    updatedAt: Math.round(now),
  };
}

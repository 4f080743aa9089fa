/**
 * The dashboard's headline numbers, derived from channel records. Pure functions: the server
 * render and the browser compute the same thing from the same records.
 */
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { BacklogRecord } from '@/lib/demo/records';

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/** One queue's `kpi` record, read defensively. */
export interface QueueKpi {
  id: string;
  org: string;
  queue: string;
  utilization: number | null;
  healthScore: number | null;
  slaRisk: number | null;
  agentsOnline: number;
}

export function asQueueKpi(record: ChannelRecord): QueueKpi {
  return {
    id: record.id,
    org: str(record.org),
    queue: str(record.queue, record.id),
    utilization: num(record.utilization),
    healthScore: num(record.healthScore),
    slaRisk: num(record.slaRisk),
    agentsOnline: num(record.agentsOnline) ?? 0,
  };
}

export interface KpiSummary {
  queues: number;
  orgs: number;
  agents: number;
  /** Busy share of agent time across queues, weighted by agents online (0–1). */
  utilization: number | null;
  /** Mean health score (0–100). */
  health: number | null;
  /** The queue in the worst shape by health score. */
  weakest: QueueKpi | null;
  /** The highest SLA risk of any queue (0–1), and that queue. */
  slaRisk: number | null;
  riskiest: QueueKpi | null;
}

/** Whole-floor figures over a set of queues. */
export function summarizeKpi(rows: readonly QueueKpi[]): KpiSummary {
  let agents = 0;
  let busy = 0;
  let weighted = 0;
  let healthSum = 0;
  let healthCount = 0;
  let weakest: QueueKpi | null = null;
  let riskiest: QueueKpi | null = null;
  for (const row of rows) {
    agents += row.agentsOnline;
    if (row.utilization !== null) {
      busy += row.utilization * row.agentsOnline;
      weighted += row.agentsOnline;
    }
    if (row.healthScore !== null) {
      healthSum += row.healthScore;
      healthCount++;
      if (weakest === null || row.healthScore < (weakest.healthScore ?? Infinity)) weakest = row;
    }
    if (row.slaRisk !== null && (riskiest === null || row.slaRisk > (riskiest.slaRisk ?? -Infinity))) riskiest = row;
  }
  return {
    queues: rows.length,
    orgs: new Set(rows.map((r) => r.org)).size,
    agents,
    utilization: weighted > 0 ? busy / weighted : null,
    health: healthCount > 0 ? healthSum / healthCount : null,
    weakest,
    slaRisk: riskiest?.slaRisk ?? null,
    riskiest,
  };
}

export interface BacklogSummary {
  waiting: number;
  handled: number;
  abandoned: number;
  /** The longest current wait (s) and its queue; `null` when nobody waits. */
  oldestWaitS: number | null;
  oldestQueue: string | null;
}

export function summarizeBacklog(rows: readonly BacklogRecord[]): BacklogSummary {
  let waiting = 0;
  let handled = 0;
  let abandoned = 0;
  let oldest: BacklogRecord | null = null;
  for (const row of rows) {
    waiting += row.waiting;
    handled += row.handled;
    abandoned += row.abandoned;
    if (row.waiting > 0 && (oldest === null || row.oldestWaitS > oldest.oldestWaitS)) oldest = row;
  }
  return { waiting, handled, abandoned, oldestWaitS: oldest?.oldestWaitS ?? null, oldestQueue: oldest?.queue ?? null };
}

export interface OrgSummary extends KpiSummary {
  org: string;
  waiting: number;
}

/** Per organisation, in the order the organisations first appear. */
export function summarizeOrgs(kpi: readonly QueueKpi[], backlog: readonly BacklogRecord[]): OrgSummary[] {
  const orgs = [...new Set(kpi.map((r) => r.org))];
  return orgs.map((org) => ({
    org,
    ...summarizeKpi(kpi.filter((r) => r.org === org)),
    waiting: backlog.filter((r) => r.org === org).reduce((sum, r) => sum + r.waiting, 0),
  }));
}

export interface FleetCounts {
  total: number;
  online: number;
  degraded: number;
  offline: number;
  moving: number;
  lowBattery: number;
}

/** Nodes by status, moving, and under `lowBattery` percent, over the `fleet` records in view. */
export function countFleet(records: readonly ChannelRecord[], lowBattery: number): FleetCounts {
  const counts: FleetCounts = { total: records.length, online: 0, degraded: 0, offline: 0, moving: 0, lowBattery: 0 };
  for (const record of records) {
    const status = record.status;
    if (status === 'online' || status === 'degraded' || status === 'offline') counts[status]++;
    if (record.moving === true) counts.moving++;
    const battery = num(record.battery);
    if (battery !== null && battery < lowBattery) counts.lowBattery++;
  }
  return counts;
}

/**
 * The ids of the records of each organisation, in record order: what an aggregate over one
 * organisation's queues sums or averages.
 *
 * @example
 * recordIdsByOrg([{ id: 'q1', org: 'acme' }, { id: 'q2', org: 'acme' }]); // { acme: ['q1', 'q2'] }
 */
export function recordIdsByOrg(rows: ReadonlyArray<{ id: string; org: string }>): Record<string, string[]> {
  const ids: Record<string, string[]> = {};
  for (const row of rows) (ids[row.org] ??= []).push(row.id);
  return ids;
}

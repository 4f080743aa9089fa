/**
 * The intraday console's alert lifecycle (docs/dashboards.md, "Alerts") as a pure function over
 * the queues: an alert record opens on channel `incidents` when a queue crosses a threshold (its
 * SLA risk, its utilisation, its agents available against its staffed level), is escalated when
 * nobody acknowledged it for a while, and is resolved when the condition clears, unless someone
 * resolved it already. A condition that stays true after someone resolved its alert opens no
 * new one until it has cleared once. Resolved alerts leave the channel after a while.
 *
 * Operators change the same records (acknowledge, escalate, resolve), so the model decides from
 * what the channel holds (`held`), not from what it published last: it never undoes an
 * operator's move, and it resolves the unresolved alerts it does not know (left by an earlier run).
 */
import { readAlert } from '../dashboards/alerts';
import type { ChannelRecord, Priority } from '../protocol/messages';
import type { QueueState } from './queue-model';
import { QUEUE_ALERTS, slaRisk } from './queue-model';
import type { AttendanceRecord, IncidentKind, IncidentRecord } from './records';

/** What a queue looks like to the incident rules. */
export interface QueueReading {
  readonly q: QueueState;
  readonly attendance: AttendanceRecord;
}

export interface IncidentModel {
  /** Per `kind:queue` whose condition holds: the id of its alert. */
  readonly active: Readonly<Record<string, string>>;
}

export interface IncidentChanges {
  model: IncidentModel;
  /** New alerts (whole records) and merge patches of held ones. */
  upsert: ChannelRecord[];
  delete: string[];
}

/** Who the simulator's own moves are attributed to. */
export const SIMULATOR_ACTOR = 'simulator';
/** An alert nobody acknowledged is escalated after this long, ms. */
export const ESCALATE_AFTER_MS = 3 * 60_000;
/** Resolved alerts stay this long, ms, and at most this many. */
export const KEEP_RESOLVED_MS = 10 * 60_000;
export const MAX_RESOLVED = 20;

interface Rule {
  /** How far into the condition the queue is: it opens at `fire` and clears below `clear`. */
  level(reading: QueueReading): number;
  fire: number;
  clear: number;
  priority(reading: QueueReading): Priority;
  title(reading: QueueReading): string;
}

const share = (x: number) => `${Math.round(x * 100)}%`;
const label = ({ q }: QueueReading) => `${q.spec.queue} (${q.spec.org})`;
/** Agents missing from the floor, as a share of the staffed level. */
const shortage = ({ q, attendance }: QueueReading) => 1 - attendance.available / q.spec.baseAgents;

export const INCIDENT_RULES: Readonly<Record<IncidentKind, Rule>> = {
  sla: {
    level: ({ q }) => slaRisk(q),
    fire: QUEUE_ALERTS.sla.fire,
    clear: QUEUE_ALERTS.sla.rearm,
    priority: ({ q }) => (slaRisk(q) >= 0.85 ? 'high' : 'normal'),
    title: (r) => `SLA at risk on ${label(r)}: ${share(slaRisk(r.q))}, oldest wait ${Math.round(r.q.oldestS)} s`,
  },
  capacity: {
    level: ({ q }) => q.util,
    fire: QUEUE_ALERTS.capacity.fire,
    clear: QUEUE_ALERTS.capacity.rearm,
    priority: () => 'normal',
    title: (r) => `${label(r)} over capacity: ${share(r.q.util)} utilisation`,
  },
  staffing: {
    level: shortage,
    fire: 0.12,
    clear: 0.05,
    priority: (r) => (shortage(r) >= 0.25 ? 'high' : 'normal'),
    title: (r) => `${label(r)} short-staffed: ${r.attendance.available} of ${r.q.spec.baseAgents} agents available, ${r.attendance.onBreak} on break`,
  },
};

const KINDS = Object.keys(INCIDENT_RULES) as IncidentKind[];

export function emptyIncidents(): IncidentModel {
  return { active: {} };
}

/**
 * The changes to the `incidents` channel at `now` (ms), given the queues and what the channel
 * holds. Returns the model to pass next time.
 *
 * @example
 * const { model: next, upsert, delete: gone } = advanceIncidents(model, readings, held, Date.now());
 */
export function advanceIncidents(model: IncidentModel, readings: readonly QueueReading[], held: ReadonlyMap<string, ChannelRecord>, now: number): IncidentChanges {
  const active: Record<string, string> = { ...model.active };
  const upsert: ChannelRecord[] = [];
  const at = Math.round(now);
  const alertOf = (id: string) => {
    const record = held.get(id);
    return record ? readAlert(record) : null;
  };

  for (const reading of readings) {
    const queue = reading.q.spec.id;
    for (const kind of KINDS) {
      const rule = INCIDENT_RULES[kind];
      const key = `${kind}:${queue}`;
      const id = active[key];
      const level = rule.level(reading);
      const holds = id !== undefined ? level >= rule.clear : level >= rule.fire;
      if (holds && id === undefined) {
        const record: IncidentRecord = {
          id: `${kind}-${queue}-${at.toString(36)}`,
          status: 'open',
          title: rule.title(reading),
          priority: rule.priority(reading),
          kind,
          queue,
          queueName: reading.q.spec.queue,
          org: reading.q.spec.org,
          openedAt: at,
        };
        active[key] = record.id;
        upsert.push(record as ChannelRecord);
        continue;
      }
      if (id === undefined) continue;
      const alert = alertOf(id);
      if (!holds) {
        delete active[key];
        if (alert && alert.status !== 'resolved') upsert.push({ id, status: 'resolved', resolvedBy: SIMULATOR_ACTOR, resolvedAt: at });
      } else if (alert?.status === 'open' && now - (alert.openedAt ?? now) >= ESCALATE_AFTER_MS) {
        upsert.push({ id, status: 'escalated', escalatedBy: SIMULATOR_ACTOR, escalatedAt: at, priority: 'critical' });
      }
    }
  }

  // Unresolved alerts this model does not track (an earlier run's) are stale: resolve them.
  const tracked = new Set(Object.values(active));
  const resolved: Array<{ id: string; at: number }> = [];
  for (const record of held.values()) {
    const alert = readAlert(record);
    if (!alert) continue;
    if (alert.status === 'resolved') resolved.push({ id: alert.id, at: alert.resolvedAt ?? 0 });
    else if (!tracked.has(alert.id) && !upsert.some((u) => u.id === alert.id)) {
      upsert.push({ id: alert.id, status: 'resolved', resolvedBy: SIMULATOR_ACTOR, resolvedAt: at });
    }
  }
  resolved.sort((a, b) => b.at - a.at);
  const remove = resolved.filter((r, index) => index >= MAX_RESOLVED || now - r.at >= KEEP_RESOLVED_MS).map((r) => r.id);
  return { model: { active }, upsert, delete: remove };
}

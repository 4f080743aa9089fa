/**
 * The records of the demo channels: what the simulator publishes and what the dashboard's
 * panels read. Types only, so browser code (components, the dashboard) imports them without
 * pulling in the simulator. Type aliases rather than interfaces, so they are assignable to
 * `ChannelRecord`.
 */
import type { AlertStatus } from '../dashboards/types';
import type { Priority } from '../protocol/messages';

export type NodeStatus = 'online' | 'degraded' | 'offline';

/** A queue's figures on channel `kpi`. */
export type KpiRecord = {
  id: string;
  org: string;
  department: string;
  queue: string;
  utilization: number;
  healthScore: number;
  slaRisk: number;
  agentsOnline: number;
  updatedAt: number;
};

/** A queue's backlog on channel `backlog`, and a row of the backlog table. */
export type BacklogRecord = {
  id: string;
  queue: string;
  org: string;
  department: string;
  waiting: number;
  oldestWaitS: number;
  handled: number;
  abandoned: number;
  /**
   * When a figure last changed (ms since the epoch). The simulator always sets it; the table
   * does not show it, so rows read from loose channel records leave it out.
   */
  updatedAt?: number;
};

/** A field node on channel `fleet`. */
export type FleetRecord = {
  id: string;
  name: string;
  metro: string;
  lat: number;
  lon: number;
  status: NodeStatus;
  battery: number;
  moving: boolean;
  speedKmh: number;
  updatedAt: number;
};

/**
 * A queue's attendance on channel `attendance` (the intraday console's view): of the agents
 * rostered for the day, who is checked in (available or on a break) and who is not.
 * `available` is the same number as the queue's `agentsOnline` on `kpi`.
 */
export type AttendanceRecord = {
  id: string;
  queue: string;
  org: string;
  department: string;
  rostered: number;
  checkedIn: number;
  checkedOut: number;
  onBreak: number;
  available: number;
  updatedAt: number;
};

/** What an incident on channel `incidents` is about. */
export type IncidentKind = 'sla' | 'capacity' | 'staffing';

/**
 * An alert record on channel `incidents` (docs/dashboards.md, "Alerts"): the simulator opens it
 * when a queue crosses a threshold, escalates it when nobody acknowledged it for a while, and
 * resolves it when the condition clears unless someone already did.
 */
export type IncidentRecord = {
  id: string;
  status: AlertStatus;
  title: string;
  priority: Priority;
  kind: IncidentKind;
  queue: string;
  queueName: string;
  org: string;
  openedAt: number;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  escalatedBy?: string;
  escalatedAt?: number;
  resolvedBy?: string;
  resolvedAt?: number;
};

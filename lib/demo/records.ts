/**
 * The records of the demo channels: what the simulator publishes and what the dashboard's
 * panels read. Types only, so browser code (components, the dashboard) imports them without
 * pulling in the simulator. Type aliases rather than interfaces, so they are assignable to
 * `ChannelRecord`.
 */

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

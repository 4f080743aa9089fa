/**
 * The fixed shape of the demo world: which queues exist in which organisation and department,
 * and the metro areas the fleet drives around in. Only the numbers move; this does not.
 */

export interface QueueSpec {
  id: string;
  org: string;
  department: string;
  /** Display name. */
  queue: string;
  /** Agents normally logged in. */
  baseAgents: number;
  /** Average handle time per contact, seconds. */
  ahtS: number;
  /** Answer-time target, seconds: waits beyond it put the SLA at risk. */
  slaTargetS: number;
  /** Long-run utilisation the queue is staffed for. */
  targetUtilization: number;
}

export const QUEUES: readonly QueueSpec[] = [
  { id: 'acme-support-t1', org: 'acme', department: 'support', queue: 'Support Tier 1', baseAgents: 34, ahtS: 360, slaTargetS: 60, targetUtilization: 0.79 },
  { id: 'acme-support-t2', org: 'acme', department: 'support', queue: 'Support Tier 2', baseAgents: 14, ahtS: 600, slaTargetS: 120, targetUtilization: 0.73 },
  { id: 'acme-billing', org: 'acme', department: 'billing', queue: 'Billing', baseAgents: 18, ahtS: 300, slaTargetS: 60, targetUtilization: 0.75 },
  { id: 'acme-sales', org: 'acme', department: 'sales', queue: 'Inbound Sales', baseAgents: 22, ahtS: 420, slaTargetS: 30, targetUtilization: 0.71 },
  { id: 'globex-claims-intake', org: 'globex', department: 'claims', queue: 'Claims Intake', baseAgents: 26, ahtS: 540, slaTargetS: 90, targetUtilization: 0.81 },
  { id: 'globex-claims-followup', org: 'globex', department: 'claims', queue: 'Claims Follow-up', baseAgents: 16, ahtS: 480, slaTargetS: 120, targetUtilization: 0.77 },
  { id: 'globex-members', org: 'globex', department: 'member-services', queue: 'Member Services', baseAgents: 30, ahtS: 300, slaTargetS: 45, targetUtilization: 0.78 },
  { id: 'globex-payments', org: 'globex', department: 'billing', queue: 'Payments', baseAgents: 12, ahtS: 240, slaTargetS: 60, targetUtilization: 0.69 },
  { id: 'initech-faults', org: 'initech', department: 'technical', queue: 'Network Faults', baseAgents: 28, ahtS: 480, slaTargetS: 60, targetUtilization: 0.8 },
  { id: 'initech-broadband', org: 'initech', department: 'technical', queue: 'Broadband Setup', baseAgents: 20, ahtS: 600, slaTargetS: 90, targetUtilization: 0.75 },
  { id: 'initech-retention', org: 'initech', department: 'retention', queue: 'Cancellations', baseAgents: 15, ahtS: 540, slaTargetS: 30, targetUtilization: 0.73 },
  { id: 'initech-upgrades', org: 'initech', department: 'sales', queue: 'Upgrades', baseAgents: 10, ahtS: 360, slaTargetS: 45, targetUtilization: 0.67 },
];

export interface Metro {
  id: string;
  name: string;
  /** Prefix of node names, e.g. `NYC-014`. */
  code: string;
  lat: number;
  lon: number;
  /** Nodes stay within this distance of the centre. */
  radiusKm: number;
  /** Share of the fleet based here. */
  share: number;
}

/**
 * Five large metros plus three around the antimeridian: Taveuni (Fiji) straddles 180°, so a
 * bounds box that crosses it actually selects something.
 */
export const METROS: readonly Metro[] = [
  { id: 'new-york', name: 'New York', code: 'NYC', lat: 40.7128, lon: -74.006, radiusKm: 28, share: 0.19 },
  { id: 'london', name: 'London', code: 'LON', lat: 51.5074, lon: -0.1278, radiusKm: 24, share: 0.17 },
  { id: 'singapore', name: 'Singapore', code: 'SIN', lat: 1.3521, lon: 103.8198, radiusKm: 16, share: 0.14 },
  { id: 'sao-paulo', name: 'São Paulo', code: 'SAO', lat: -23.5505, lon: -46.6333, radiusKm: 28, share: 0.14 },
  { id: 'sydney', name: 'Sydney', code: 'SYD', lat: -33.8688, lon: 151.2093, radiusKm: 28, share: 0.13 },
  { id: 'auckland', name: 'Auckland', code: 'AKL', lat: -36.8485, lon: 174.7633, radiusKm: 20, share: 0.09 },
  { id: 'suva', name: 'Suva', code: 'SUV', lat: -18.1416, lon: 178.4419, radiusKm: 14, share: 0.07 },
  { id: 'taveuni', name: 'Taveuni', code: 'TVU', lat: -16.85, lon: -179.95, radiusKm: 18, share: 0.07 },
];

/** Splits `total` into integer counts proportional to `shares` (largest remainder). */
export function apportion(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (total * s) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k].i]++;
  return counts;
}

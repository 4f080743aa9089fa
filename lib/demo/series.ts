/**
 * The series the demo keeps for its own channels (docs/protocol.md §13): every queue's KPI
 * figures, backlog and attendance, at one-second buckets over the last fifteen minutes, so the dashboard's
 * charts are full on first paint. The server adds these to the configuration file's `channels`
 * while the simulator runs; an entry of the file that matches one of these channels wins over
 * it (docs/configuration.md).
 *
 * Written in the shape of a `channels` entry of the configuration file, so the two can be
 * compared side by side, and typed against the records the simulator publishes.
 */
import type { AttendanceRecord, BacklogRecord, KpiRecord } from './records';
import { SIMULATOR_CHANNELS } from './simulator';

const RESOLUTION_MS = 1000;
const WINDOW_MS = 15 * 60 * 1000;

/** A `channels` entry of the configuration file (docs/configuration.md) whose fields are a record's. */
interface DemoChannel<R> {
  tenant: string;
  channel: string;
  series: { fields: (keyof R & string)[]; resolutionMs: number; windowMs: number };
}

/**
 * The demo's declarations for the tenant the simulator publishes to (`demo` unless told).
 *
 * @example
 * seriesLookup(fileChannels, simulatorOn ? demoChannels() : [])
 */
export function demoChannels(tenant = 'demo'): [DemoChannel<KpiRecord>, DemoChannel<BacklogRecord>, DemoChannel<AttendanceRecord>] {
  return [
    { tenant, channel: SIMULATOR_CHANNELS.kpi, series: { fields: ['utilization', 'healthScore', 'slaRisk'], resolutionMs: RESOLUTION_MS, windowMs: WINDOW_MS } },
    { tenant, channel: SIMULATOR_CHANNELS.backlog, series: { fields: ['waiting', 'oldestWaitS'], resolutionMs: RESOLUTION_MS, windowMs: WINDOW_MS } },
    {
      tenant,
      channel: SIMULATOR_CHANNELS.attendance,
      series: { fields: ['checkedIn', 'checkedOut', 'onBreak', 'available'], resolutionMs: RESOLUTION_MS, windowMs: WINDOW_MS },
    },
  ];
}

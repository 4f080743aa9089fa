/**
 * The intraday console's channels as data: `attendance` (per queue, agents checked in, checked
 * out and on a break) and `incidents` (alert records with a lifecycle), both read off the queues
 * the main step advances. Pure like `dataset.ts`: the simulator's shell supplies the time, the
 * queues and what `incidents` holds, and publishes what comes back.
 */
import type { ChannelRecord } from '../protocol/messages';
import { advanceAttendance, attendanceRecord, initAttendance, type AttendanceState } from './attendance-model';
import { diffRecord } from './dataset';
import { advanceIncidents, emptyIncidents, type IncidentModel } from './incident-model';
import type { QueueState } from './queue-model';
import type { Random } from './random';
import type { AttendanceRecord } from './records';

export interface IntradayState {
  readonly attendance: ReadonlyArray<{ readonly sim: AttendanceState; readonly record: AttendanceRecord }>;
  readonly incidents: IncidentModel;
}

export interface IntradayStep {
  state: IntradayState;
  /** Merge patches for `attendance`. */
  attendance: ChannelRecord[];
  /** What to publish to `incidents`. */
  incidents: { upsert: ChannelRecord[]; delete: string[] };
}

/** One attendance entry per queue, in the queues' order. */
export function createIntraday(queues: readonly QueueState[], random: Random, now: number): IntradayState {
  return {
    attendance: queues.map((q) => {
      const sim = initAttendance(q, random, now);
      return { sim, record: attendanceRecord(sim, q, now) };
    }),
    incidents: emptyIncidents(),
  };
}

/** Every attendance record, as published once at start. */
export function attendanceRecords(state: IntradayState): AttendanceRecord[] {
  return state.attendance.map((a) => a.record);
}

/**
 * Advances attendance to `now` (ms) after the queues, and decides the incidents given what the
 * channel `incidents` holds (`held`).
 */
export function stepIntraday(state: IntradayState, queues: readonly QueueState[], random: Random, now: number, held: ReadonlyMap<string, ChannelRecord>): IntradayStep {
  const patches: ChannelRecord[] = [];
  const attendance = state.attendance.map((entry, i) => {
    const sim = advanceAttendance(entry.sim, queues[i], random, now);
    const record = attendanceRecord(sim, queues[i], now);
    const patch = diffRecord(entry.record, record);
    if (patch) patches.push(patch);
    return { sim, record: patch ? record : entry.record };
  });
  const readings = queues.map((q, i) => ({ q, attendance: attendance[i].record }));
  const { model, upsert, delete: remove } = advanceIncidents(state.incidents, readings, held, now);
  return { state: { attendance, incidents: model }, attendance: patches, incidents: { upsert, delete: remove } };
}

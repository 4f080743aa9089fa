/**
 * The intraday console's attendance view of one queue: of the agents rostered for the day, who
 * is checked in and who is not, and who of those checked in is on a break. The agents available
 * to take contacts are the queue model's own (`QueueState.agents`, published as `agentsOnline`
 * on `kpi`), so the two channels agree; breaks come and go around a tenth of the floor, a little
 * more after a busy spell, and the roster is the rest.
 */
import { clamp, happens, round, type Random } from './random';
import type { QueueState } from './queue-model';
import type { AttendanceRecord } from './records';

export interface AttendanceState {
  readonly queue: string;
  /** Simulation time this state describes, ms. */
  readonly t: number;
  /** Agents scheduled today: enough for the queue model's largest floor plus breaks. */
  readonly rostered: number;
  readonly onBreak: number;
  /** The queue model's available agents when last advanced. */
  readonly available: number;
}

/** Share of the checked-in agents on a break at a calm moment. */
const BREAK_SHARE = 0.1;
/** How often, per second, someone goes on or comes back from a break (at the typical floor). */
const BREAK_MOVES_PER_S = 1 / 40;

/** The roster: the queue model lets available agents reach 1.3 × its staffed level; breaks come on top. */
export function rosterOf(baseAgents: number): number {
  return Math.ceil(baseAgents * 1.5);
}

export function initAttendance(q: QueueState, random: Random, now: number): AttendanceState {
  const rostered = rosterOf(q.spec.baseAgents);
  const onBreak = clamp(Math.round(q.agents * BREAK_SHARE * (0.5 + random())), 0, rostered - q.agents);
  return { queue: q.spec.id, t: now, rostered, onBreak, available: q.agents };
}

/**
 * Advances the attendance of `q`'s queue to `now` (ms): breaks start and end one agent at a
 * time, pulled towards their usual share (higher while the queue is busy, since agents then
 * take their breaks late and together). Agents available follow the queue model; the roster
 * bounds the rest.
 */
export function advanceAttendance(a: AttendanceState, q: QueueState, random: Random, now: number): AttendanceState {
  const dtS = Math.max(0, (now - a.t) / 1000);
  const room = Math.max(0, a.rostered - q.agents);
  let onBreak = Math.min(a.onBreak, room);
  // A few moves at most per advance, each as likely as the elapsed time allows.
  const moves = Math.min(3, Math.ceil(dtS / 10));
  for (let i = 0; i < moves; i++) {
    if (!happens(random, BREAK_MOVES_PER_S, dtS / moves)) continue;
    const busy = q.util > 0.9 ? 0.05 : 0;
    const wanted = q.agents * (BREAK_SHARE + busy);
    const up = clamp(0.5 + (wanted - onBreak) / Math.max(2, wanted), 0.1, 0.9);
    onBreak = clamp(onBreak + (random() < up ? 1 : -1), 0, room);
  }
  return { ...a, t: Math.max(a.t, now), onBreak, available: q.agents };
}

export function attendanceRecord(a: AttendanceState, q: QueueState, now: number): AttendanceRecord {
  const { spec } = q;
  const checkedIn = a.available + a.onBreak;
  return {
    id: spec.id,
    queue: spec.queue,
    org: spec.org,
    department: spec.department,
    rostered: a.rostered,
    checkedIn,
    checkedOut: a.rostered - checkedIn,
    onBreak: a.onBreak,
    available: a.available,
    updatedAt: round(now),
  };
}

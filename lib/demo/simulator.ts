/**
 * The built-in demo source: a contact-centre and field-fleet world published to tenant `demo`
 * on channels `kpi`, `backlog`, `fleet` (records) and `alerts` (events), and with `intraday`
 * the console's `attendance` (records) and `incidents` (alert records with a lifecycle).
 *
 * This file is only the timer shell. The world itself (initial state, one step forward) lives
 * in `dataset.ts` as deterministic functions, so tests drive it with a seeded generator.
 */
import type { ChannelRecord, PublishInput } from '../protocol/messages';
import { applyMergePatch } from '../protocol/merge-patch';
import { createInitialState, initialRecords, recordCapacity, step, type SimState } from './dataset';
import { attendanceRecords, createIntraday, stepIntraday, type IntradayState } from './intraday';
import type { Random } from './random';

export { createInitialState, initialRecords, step, diffRecord, CHANNEL_WEIGHTS } from './dataset';
export type { SimState, StepOptions, StepResult, InitOptions } from './dataset';
export type { KpiRecord, BacklogRecord, FleetRecord, NodeStatus, AttendanceRecord, IncidentRecord, IncidentKind } from './records';
export { QUEUES, METROS } from './catalog';
export { seededRandom } from './random';

/** Anything that can publish into a tenant's channel, such as the hub. */
export interface SimulatorPublisher {
  publish(tenant: string, channel: string, input: PublishInput): Promise<unknown>;
  /**
   * What a channel holds. With it, the incidents follow what operators did to them (an alert
   * someone acknowledged is not escalated, one someone resolved is not resolved again);
   * without it, the simulator goes by what it published itself.
   */
  snapshot?(tenant: string, channel: string): Promise<{ records: ChannelRecord[] }>;
}

export interface SimulatorOptions {
  /**
   * Record updates per second across all channels (`PULSE_SIMULATOR_RATE`); 0 publishes only
   * the initial state. A step changes each record at most once and only when its rounded values
   * moved, so with the default world the achieved rate levels off around 1,500/s; a larger
   * `nodes` raises that ceiling.
   */
  rate: number;
  /** Tenant to publish into (default `demo`). */
  tenant?: string;
  /** Uniform generator in [0, 1) (default `Math.random`); pass `seededRandom(n)` for a reproducible run. */
  random?: Random;
  /** Fleet size (default 300). */
  nodes?: number;
  /** Interval between batches, ms (default 200). */
  tickMs?: number;
  /** Clock, ms (default `Date.now`). */
  now?: () => number;
  /**
   * Also publish the intraday console: per queue attendance on `attendance`, and alert records
   * on `incidents` that open, escalate and resolve with the queues (default false). These
   * change at their own pace, outside `rate`.
   */
  intraday?: boolean;
  /** Interval between intraday updates, ms (default 1000). */
  intradayTickMs?: number;
}

export interface SimulatorHandle {
  stop(): void;
}

export const SIMULATOR_CHANNELS = { kpi: 'kpi', backlog: 'backlog', fleet: 'fleet', alerts: 'alerts', attendance: 'attendance', incidents: 'incidents' } as const;

/** After a stall (a paused process, a blocked loop) do not try to catch up more than this. */
const MAX_CATCH_UP_MS = 2000;
/** At most this many steps per tick when the rate exceeds what one step can change. */
const MAX_STEPS_PER_TICK = 20;
/** Skip ticks while this many publishes are still unsettled: a slow engine sheds load here. */
const MAX_IN_FLIGHT = 64;

/**
 * Starts publishing. The full state of each record channel goes out once, then small batches
 * of merge patches every `tickMs`, about `rate` record updates a second in all.
 *
 * @example
 * const sim = startSimulator(hub, { rate: config.simulatorRate });
 * // on shutdown
 * sim.stop();
 */
export function startSimulator(publisher: SimulatorPublisher, opts: SimulatorOptions): SimulatorHandle {
  if (!Number.isFinite(opts.rate) || opts.rate < 0) throw new RangeError(`simulator rate must be a finite number ≥ 0, got ${opts.rate}`);
  const tenant = opts.tenant ?? 'demo';
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const tickMs = Math.max(10, opts.tickMs ?? 200);

  let state: SimState = createInitialState(random, { now: now(), nodes: opts.nodes });
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let inFlight = 0;
  let budget = 0;
  let lastTick = state.time;

  const send = (channel: string, input: PublishInput): Promise<void> => {
    inFlight++;
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(publisher.publish(tenant, channel, input));
    } catch (error) {
      pending = Promise.reject(error);
    }
    // A publish may fail (for instance while the hub shuts down); the next batch carries on.
    return pending.then(
      () => void inFlight--,
      () => void inFlight--,
    );
  };

  const tick = () => {
    try {
      if (stopped) return;
      const t = now();
      const elapsed = Math.min(Math.max(0, t - lastTick), MAX_CATCH_UP_MS);
      lastTick = t;
      if (inFlight > MAX_IN_FLIGHT) return;

      budget += (opts.rate * elapsed) / 1000;
      const capacity = Math.max(1, recordCapacity(state));
      const steps = Math.min(MAX_STEPS_PER_TICK, Math.max(1, Math.ceil(Math.floor(budget) / capacity)));
      const wanted = Math.min(Math.floor(budget), steps * capacity);
      // what could not be placed is dropped rather than piling up into a later burst
      budget = Math.min(budget - wanted, capacity);
      if (wanted === 0) return;

      const from = state.time;
      const to = Math.max(from, t);
      for (let i = 0; i < steps; i++) {
        const updates = Math.floor((wanted * (i + 1)) / steps) - Math.floor((wanted * i) / steps);
        const result = step(state, random, { now: from + ((to - from) * (i + 1)) / steps, updates });
        state = result.state;
        if (result.kpi.length) void send(SIMULATOR_CHANNELS.kpi, { upsert: result.kpi });
        if (result.backlog.length) void send(SIMULATOR_CHANNELS.backlog, { upsert: result.backlog });
        if (result.fleet.length) void send(SIMULATOR_CHANNELS.fleet, { upsert: result.fleet });
        if (result.alerts.length) void send(SIMULATOR_CHANNELS.alerts, { events: result.alerts });
      }
    } catch {
      // A bad step must never take the process down through an uncaught timer exception.
    }
  };

  /**
   * The intraday channels, one update at a time: each waits for the last one's publishes, so
   * the snapshot of `incidents` it reads already holds the simulator's own last moves and
   * anything operators did since.
   */
  let intraday: IntradayState | undefined;
  let incidents = new Map<string, ChannelRecord>();
  let intradayTimer: ReturnType<typeof setTimeout> | undefined;
  const intradayTickMs = Math.max(10, opts.intradayTickMs ?? 1000);
  const intradayTick = async () => {
    try {
      if (stopped || !intraday) return;
      if (publisher.snapshot) {
        const { records } = await publisher.snapshot(tenant, SIMULATOR_CHANNELS.incidents);
        incidents = new Map(records.map((record) => [record.id, record]));
      }
      if (stopped) return;
      const result = stepIntraday(intraday, state.queues.map((q) => q.sim), random, state.time, incidents);
      intraday = result.state;
      const { upsert, delete: remove } = result.incidents;
      for (const patch of upsert) incidents.set(patch.id, applyMergePatch(incidents.get(patch.id), patch) as ChannelRecord);
      for (const id of remove) incidents.delete(id);
      await Promise.all([
        result.attendance.length ? send(SIMULATOR_CHANNELS.attendance, { upsert: result.attendance }) : undefined,
        upsert.length || remove.length ? send(SIMULATOR_CHANNELS.incidents, { ...(upsert.length ? { upsert } : {}), ...(remove.length ? { delete: remove } : {}) }) : undefined,
      ]);
    } catch {
      // A failed read or step is retried on the next update.
    } finally {
      if (!stopped) {
        intradayTimer = setTimeout(() => void intradayTick(), intradayTickMs);
        intradayTimer.unref?.();
      }
    }
  };

  const initial = initialRecords(state);
  // Patches must land after the full records they patch, so batches start once these settled.
  void Promise.all([
    send(SIMULATOR_CHANNELS.kpi, { upsert: initial.kpi }),
    send(SIMULATOR_CHANNELS.backlog, { upsert: initial.backlog }),
    initial.fleet.length ? send(SIMULATOR_CHANNELS.fleet, { upsert: initial.fleet }) : Promise.resolve(),
  ]).then(() => {
    if (stopped) return;
    lastTick = now();
    timer = setInterval(tick, tickMs);
    timer.unref?.();
    if (opts.intraday) {
      intraday = createIntraday(state.queues.map((q) => q.sim), random, state.time);
      void send(SIMULATOR_CHANNELS.attendance, { upsert: attendanceRecords(intraday) }).then(intradayTick);
    }
  });

  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      clearTimeout(intradayTimer);
      timer = undefined;
    },
  };
}

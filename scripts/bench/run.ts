/**
 * One workload, end to end: start the server under test in its own (pinned) process, open
 * the subscribers from the client processes, measure idle memory, publish for the set time,
 * wait until every subscriber holds the final state (or the drain timeout passes), and turn
 * what the processes report into figures.
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Child } from './ipc';
import type { ClientReport } from './client';
import { Histogram } from './histogram';
import type { FlushStats, PublishReport, ServerStats } from './server-common';
import { coreTimes, foreignLoad, stealTime, type Placement } from './system';
import type { Workload } from './workload';

export interface WorkloadResult {
  name: string;
  label: string;
  system: string;
  subscribers: number;
  connected: number;
  connectSeconds: number;
  seconds: number;
  rate: number;
  published: number;
  publishTarget: number;
  publishErrors: number;
  /** Updates the subscribers should have received, all together. */
  expected: number;
  delivered: number;
  /** delivered / expected, in percent. */
  completeness: number;
  /** Every update received as its own entry, no seq gap, final state right. */
  subscribersComplete: number;
  /** Final state right, no seq gap, every delta exact; some updates may have been merged in a batch. */
  subscribersConsistent: number;
  /** Updates superseded by a later update of the same record within one delta (all subscribers). */
  merged: number;
  /** Deltas whose content was not what their seq range must hold (a correctness failure). */
  invalidFrames: number;
  /** Catch-up deltas sent to subscribers the server held back as slow consumers. */
  catchUps: number;
  /** Presence frames all subscribers received (presence workload). */
  presenceFrames: number;
  chainBreaks: number;
  outsideFilter: number;
  closedEarly: number;
  incomplete: string[];
  frames: number;
  avgFrameBytes: number | null;
  /** From the first publish to the last update received. */
  deliverySeconds: number;
  deliveredPerSec: number;
  framesPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  cpuSeconds: number;
  /** Time the server's threads were ready to run but waited for a core (others on it, or its own threads). */
  runQueueSeconds: number;
  /** Where the server's CPU went: its JavaScript thread (user, kernel) and its other threads. */
  cpuBreakdown: { mainUser: number; mainSystem: number; otherThreads: number } | null;
  /** All subscriber processes together, over the same window. */
  subscriberCpuSeconds: number;
  subscriberRunQueueSeconds: number;
  /** 1-minute load average of the machine when publishing started and when it ended. */
  loadAverage: [number, number];
  /**
   * CPU seconds other processes (not this benchmark's server) used on the server's pinned
   * core while publishing: 0 on a quiet machine. Null when the server is not pinned.
   */
  otherLoadOnServerCore: number | null;
  /** Seconds the hypervisor held the server's core for other guests (steal time). */
  stealOnServerCore: number | null;
  /** Busy seconds of the subscribers' cores over the window, whoever used them. */
  subscriberCoresBusy: number | null;
  /** From the start of publishing to the last subscriber's final state (the CPU figures' window). */
  windowSeconds: number;
  cpuPerMillionUpdates: number;
  cpuPerThousandFrames: number;
  /** Server CPU seconds per MB (10^6 bytes) of delivered frames, where sizes are known. */
  cpuPerMegabyte: number | null;
  updatesPerCpuSecond: number;
  memory: {
    baselineMiB: number;
    idleMiB: number;
    loadMiB: number;
    /** Per connection, in kB (1000 bytes), as the target is stated. */
    idlePerConnectionKB: number;
    /** The JavaScript heap's share of the idle figure (the rest: sockets' native state, buffers, allocator). */
    idleHeapPerConnectionKB: number;
    loadPerConnectionKB: number;
  };
  maxPublisherTickGapMs: number;
  /**
   * The batching servers' own view: mean time of one flush tick, and the age of a window's
   * oldest update when its frame had been written to the socket (p50/p99 as the upper bound
   * of the hub's delivery-latency bucket). Null for Socket.IO.
   */
  serverSide: { meanTickMs: number; writtenP50Ms: number; writtenP99Ms: number } | null;
  /** On the Redis engine: redis-server's CPU over the window and the commands it ran per publish. */
  redis: {
    instances: number;
    cpuSeconds: number;
    /** Scripts run per publish: the publish's round trips (1 by design; catch-ups add reads). */
    roundTripsPerPublish: number;
    /** Commands Redis executed per publish, inside scripts included. */
    commandsPerPublish: number;
    cpuPerThousandPublishes: number;
  } | null;
  profile?: string;
}

export interface RunOptions {
  placement: Placement;
  concurrency: number;
  /** Pause between the last subscriber connecting and the idle memory reading. */
  settleMs: number;
  /**
   * Where CPU profiles of the server go, or undefined for none. `window` profiles the
   * publishing phase only (V8's profiler through the inspector); `process` runs the server
   * with `--cpu-prof` and covers its whole life, connection set-up included.
   */
  profile?: { dir: string; mode: 'window' | 'process' };
  /** The redis-server of Redis workloads, to measure its share. */
  redis?: RedisProbe;
  log(line: string): void;
}

/** Reads a redis-server's CPU time and the number of commands it has run. */
export interface RedisProbe {
  read(): Promise<{ cpuSeconds: number; commands: number; scripts: number }>;
}

const SERVER_SCRIPTS: Record<Workload['system'], string> = {
  pulseboard: 'server-pulse.ts',
  socketio: 'server-socketio.ts',
  floor: 'server-floor.ts',
};

const MiB = 2 ** 20;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runWorkload(w: Workload, options: RunOptions): Promise<WorkloadResult> {
  const { placement, log } = options;
  const nodeArgs = ['--expose-gc'];
  let profile: string | undefined;
  if (options.profile) {
    mkdirSync(options.profile.dir, { recursive: true });
    const name = `${w.name}-${options.profile.mode}-${Date.now()}.cpuprofile`;
    profile = join(options.profile.dir, name);
    // Node writes one profile per thread (tsx's module loader has its own), into a directory
    // of their own so the main thread's can be picked out after the server exits.
    if (options.profile.mode === 'process') nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profile}.d`);
  }
  const profileWindow = options.profile?.mode === 'window';
  const server = new Child({ script: SERVER_SCRIPTS[w.system], name: `${w.name} server`, cpus: placement.serverCpus, nofile: placement.serverNofile, nodeArgs });
  // Subscriber processes start up (load their modules) while the server does.
  const clients: Child[] = [];
  for (let i = 0; i < placement.clientProcesses; i++) {
    clients.push(new Child({ script: 'client.ts', name: `${w.name} subscribers #${i + 1}`, cpus: placement.clientCpus, nofile: placement.clientNofile }));
  }
  const k = clients.length;
  const crashed = () => [server, ...clients].find((c) => c.crashed);
  try {
    const started = await server.call<{ port: number; ports?: number[]; path: string; pid: number }>('start', { workload: w }, 120_000);
    const ports = started.ports ?? [started.port];
    log(`server pid ${started.pid}${placement.serverCpus ? ` on cpu ${placement.serverCpus}` : ''}, port ${started.port}`);
    const baseline = await server.call<ServerStats>('stats', { gc: true });

    const connectStarted = Date.now();
    const share = Math.ceil(w.subscribers / k);
    const connectTimeout = 60_000 + w.subscribers * 20;
    const connects = await Promise.all(
      clients.map((c, i) =>
        c.call<{ ready: number; failed: number; errors: string[] }>(
          'connect',
          { system: w.system, port: ports[i % ports.length], path: started.path, workload: w, from: i * share, to: Math.min(w.subscribers, (i + 1) * share), concurrency: options.concurrency },
          connectTimeout,
        ),
      ),
    );
    const connected = connects.reduce((n, c) => n + c.ready, 0);
    const connectSeconds = (Date.now() - connectStarted) / 1000;
    if (connected < w.subscribers) {
      const errors = [...new Set(connects.flatMap((c) => c.errors))].join('; ');
      throw new Error(`only ${connected} of ${w.subscribers} subscribers connected (${errors})`);
    }
    log(`${connected} subscribers ready in ${connectSeconds.toFixed(1)} s from ${k} processes`);

    await pause(options.settleMs);
    const idle = await server.call<ServerStats>('stats', { gc: true });
    log(`publishing ${w.rate} updates/s for ${w.seconds} s`);
    if (profileWindow) await server.call('profileStart');
    await Promise.all(clients.map((c) => c.call('mark')));
    const loadStart = loadavg()[0];
    const coresStart = coreTimes();
    const windowStart = Date.now();
    const redisStart = w.engine === 'redis' ? await options.redis?.read() : undefined;
    const pub = await server.call<PublishReport>('publish', { rate: w.rate, seconds: w.seconds }, w.seconds * 1000 + 120_000);
    const drainMs = Math.max(15_000, w.seconds * 3000);
    const reports = await Promise.all(clients.map((c) => c.call<ClientReport>('finish', { published: pub.published, timeoutMs: drainMs }, drainMs + 60_000)));
    const redisEnd = redisStart ? await options.redis!.read() : undefined;
    const end = await server.call<ServerStats>('stats', { gc: false });
    const loadEnd = loadavg()[0];
    const coresEnd = coreTimes();
    const windowSeconds = (Date.now() - windowStart) / 1000;
    if (profileWindow) await server.call('profileStop', { file: profile }, 60_000);
    const failure = crashed();
    if (failure) throw new Error(`${failure.options.name} ${failure.exitDescription}`);

    const latency = new Histogram();
    for (const r of reports) latency.merge(r.latency);
    const sum = (f: (r: ClientReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    const delivered = sum((r) => r.delivered);
    const expected = sum((r) => r.expected);
    const frames = sum((r) => r.frames);
    const bytes = sum((r) => r.bytes);
    const lastRecv = Math.max(...reports.map((r) => r.lastRecv));
    const deliverySeconds = Math.max((lastRecv - pub.startedAt) / 1000, (pub.endedAt - pub.startedAt) / 1000);
    const cpuSeconds = end.cpuSeconds - pub.cpuStart;
    const connections = Math.max(1, idle.connections);
    return {
      name: w.name,
      label: w.label,
      system: w.system,
      subscribers: w.subscribers,
      connected,
      connectSeconds,
      seconds: w.seconds,
      rate: w.rate,
      published: pub.published,
      publishTarget: pub.target,
      publishErrors: pub.errors,
      expected,
      delivered,
      completeness: expected ? (100 * delivered) / expected : 100,
      subscribersComplete: sum((r) => r.complete),
      subscribersConsistent: sum((r) => r.consistent),
      merged: sum((r) => r.merged),
      invalidFrames: sum((r) => r.invalidFrames),
      catchUps: sum((r) => r.recoveries),
      presenceFrames: sum((r) => r.presenceFrames),
      chainBreaks: sum((r) => r.chainBreaks),
      outsideFilter: sum((r) => r.foreign),
      closedEarly: sum((r) => r.closedEarly),
      incomplete: reports.flatMap((r) => r.incomplete).slice(0, 5),
      frames,
      avgFrameBytes: bytes > 0 ? bytes / frames : null,
      deliverySeconds,
      deliveredPerSec: delivered / deliverySeconds,
      framesPerSec: frames / deliverySeconds,
      latencyMs: { p50: latency.quantile(0.5), p95: latency.quantile(0.95), p99: latency.quantile(0.99), max: latency.max, mean: latency.mean },
      cpuSeconds,
      runQueueSeconds: end.runQueueSeconds - pub.runQueueStart,
      cpuBreakdown:
        end.threads && pub.threadsStart
          ? {
              mainUser: end.threads.mainUser - pub.threadsStart.mainUser,
              mainSystem: end.threads.mainSystem - pub.threadsStart.mainSystem,
              otherThreads: end.threads.otherThreads - pub.threadsStart.otherThreads,
            }
          : null,
      subscriberCpuSeconds: sum((r) => r.cpuSeconds),
      subscriberRunQueueSeconds: sum((r) => r.runQueueSeconds),
      loadAverage: [loadStart, loadEnd],
      otherLoadOnServerCore: placement.serverCpus === undefined ? null : foreignLoad(coresStart, coresEnd, Number(placement.serverCpus), end.cpuSeconds - pub.cpuStart),
      stealOnServerCore: placement.serverCpus === undefined ? null : stealTime(coresStart, coresEnd, Number(placement.serverCpus)),
      subscriberCoresBusy:
        placement.clientCpus === undefined || coresEnd.length === 0
          ? null
          : coresEnd.slice(1).reduce((n, core, i) => n + core.busy - coresStart[i + 1].busy, 0),
      windowSeconds,
      cpuPerMillionUpdates: delivered ? (cpuSeconds / delivered) * 1e6 : NaN,
      cpuPerThousandFrames: frames ? (cpuSeconds / frames) * 1e3 : NaN,
      cpuPerMegabyte: bytes > 0 ? (cpuSeconds / bytes) * 1e6 : null,
      updatesPerCpuSecond: cpuSeconds > 0 ? delivered / cpuSeconds : NaN,
      memory: {
        baselineMiB: baseline.rss / MiB,
        idleMiB: idle.rss / MiB,
        loadMiB: pub.rssMax / MiB,
        idlePerConnectionKB: (idle.rss - baseline.rss) / 1000 / connections,
        idleHeapPerConnectionKB: (idle.heapUsed - baseline.heapUsed) / 1000 / connections,
        loadPerConnectionKB: (pub.rssMax - baseline.rss) / 1000 / connections,
      },
      maxPublisherTickGapMs: pub.maxTickGapMs,
      serverSide: serverSide(idle.flush, end.flush),
      redis:
        redisStart && redisEnd
          ? {
              instances: w.instances,
              cpuSeconds: redisEnd.cpuSeconds - redisStart.cpuSeconds,
              roundTripsPerPublish: (redisEnd.scripts - redisStart.scripts) / Math.max(1, pub.published),
              // The probe's own INFO call is one of them.
              commandsPerPublish: (redisEnd.commands - redisStart.commands - 1) / Math.max(1, pub.published),
              cpuPerThousandPublishes: ((redisEnd.cpuSeconds - redisStart.cpuSeconds) / Math.max(1, pub.published)) * 1000,
            }
          : null,
      ...(profile ? { profile } : {}),
    };
  } catch (error) {
    const failure = crashed();
    const message = error instanceof Error ? error.message : String(error);
    if (failure && !message.includes(failure.exitDescription!)) throw new Error(`${failure.options.name} ${failure.exitDescription}: ${message}`);
    throw error;
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    await server.stop();
    if (profile && options.profile?.mode === 'process') collectProcessProfile(profile);
  }
}

function serverSide(before: FlushStats | undefined, after: FlushStats | undefined): WorkloadResult['serverSide'] {
  if (!before || !after || after.ticks === before.ticks) return null;
  const counts = after.counts.map((count, i) => count - (before.counts[i] ?? 0));
  return {
    meanTickMs: ((after.seconds - before.seconds) / (after.ticks - before.ticks)) * 1000,
    writtenP50Ms: bucketQuantile(after.buckets, counts, 0.5),
    writtenP99Ms: bucketQuantile(after.buckets, counts, 0.99),
  };
}

/** Upper bound of the bucket holding quantile `q`; past the last bound, twice the last bound. */
function bucketQuantile(buckets: readonly number[], counts: number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (total > 0 && seen >= q * total) return buckets[i] ?? buckets[buckets.length - 1] * 2;
  }
  return NaN;
}

/** Moves the main thread's profile (thread id 0 in Node's file name) to `file`. */
function collectProcessProfile(file: string): void {
  const dir = `${file}.d`;
  try {
    const main = readdirSync(dir).find((name) => name.split('.')[4] === '0');
    if (main) renameSync(join(dir, main), file);
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // no profile written (the server crashed): the report says it could not be read
  }
}

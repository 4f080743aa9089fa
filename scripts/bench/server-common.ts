/**
 * What every server under test shares: the IPC commands the orchestrator drives it with
 * (`start`, `stats`, `publish`, `profileStart`/`profileStop`, `exit`), its own CPU and memory
 * figures, and the in-process publisher that issues updates at a fixed rate, stamping each
 * with its publish time `t`.
 *
 * The publisher runs on the server's event loop, like a real in-process source: every 5 ms
 * it issues the updates that are due. When publishing itself is slow (a synchronous
 * broadcast to thousands of sockets), one tick stops after `TICK_BUDGET_MS` and yields, so
 * the sockets are served meanwhile; the rate reached is then the rate the server sustains,
 * and `published` says how far it got when the time was up.
 */
import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { serve } from './ipc';
import { cpuSeconds, now, runQueueSeconds, threadCpuSeconds } from './proc-stats';
import type { Workload } from './workload';
import { channelName, recordId, updateChannel, updateRecord } from './workload';

export interface Update {
  [field: string]: string | number;
  id: string;
  value: number;
  t: number;
}

export interface BenchServer {
  /** Starts listening on 127.0.0.1 and seeds the workload's records. */
  start(w: Workload): Promise<{ port: number; path: string; ports?: number[] }>;
  /** Publishes one update to a channel; a returned promise that rejects counts as an error. */
  publish(channel: string, update: Update): void | Promise<unknown>;
  /** Open connections as the server counts them. */
  connections(): number;
  /** Servers that batch: their flush figures so far (see `FlushStats`). */
  flushStats?(): FlushStats;
  close(): Promise<void>;
}

/**
 * What a batching server measures of its own flushes: how many ticks and how long they took,
 * and for every delivery the age of the window's oldest update when the frame was written
 * (weighted by sockets), in the hub's delivery-latency buckets. This is latency as the server
 * sees it, before the subscribers' side adds anything.
 */
export interface FlushStats {
  ticks: number;
  seconds: number;
  buckets: readonly number[];
  counts: number[];
}

export interface ServerStats {
  pid: number;
  /** Process CPU time so far, user + system, in seconds. */
  cpuSeconds: number;
  /** Time this process's threads spent runnable but waiting for a CPU, in seconds (Linux). */
  runQueueSeconds: number;
  threads: ReturnType<typeof threadCpuSeconds>;
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
  flush: FlushStats | undefined;
}

export interface PublishReport {
  target: number;
  published: number;
  errors: number;
  startedAt: number;
  endedAt: number;
  cpuStart: number;
  cpuEnd: number;
  runQueueStart: number;
  threadsStart: ReturnType<typeof threadCpuSeconds>;
  rssMax: number;
  /** Largest gap between timer ticks of the publisher (event-loop lag while publishing). */
  maxTickGapMs: number;
}

/** Longest a publisher tick keeps publishing before it yields to the event loop. */
const TICK_BUDGET_MS = 10;
/** After the set duration, time allowed for updates already due to go out. */
const END_GRACE_MS = 1000;

const gc = (globalThis as { gc?: () => void }).gc;

export function runServer(server: BenchServer): void {
  let workload: Workload | undefined;
  let publishErrors = 0;

  const stats = (args: { gc?: boolean }): ServerStats => {
    if (args.gc && gc) {
      gc();
      gc();
    }
    const memory = process.memoryUsage();
    return {
      pid: process.pid,
      cpuSeconds: cpuSeconds(),
      runQueueSeconds: runQueueSeconds(),
      threads: threadCpuSeconds(),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      connections: server.connections(),
      flush: server.flushStats?.(),
    };
  };

  const publish = (args: { rate: number; seconds: number }): Promise<PublishReport> => {
    const w = workload;
    if (!w) throw new Error('publish before start');
    const target = Math.round(args.rate * args.seconds);
    const names = Array.from({ length: w.channels }, (_, c) => channelName(w, c));
    const durationMs = args.seconds * 1000;
    const cpuStart = cpuSeconds();
    const runQueueStart = runQueueSeconds();
    const threadsStart = threadCpuSeconds();
    const startedAt = now();
    let k = 0;
    let rssMax = process.memoryUsage().rss;
    let lastTick = startedAt;
    let maxTickGapMs = 0;
    return new Promise((resolve) => {
      const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250);
      const tick = setInterval(() => {
        const at = now();
        maxTickGapMs = Math.max(maxTickGapMs, at - lastTick);
        lastTick = at;
        const elapsed = at - startedAt;
        const due = Math.min(target, Math.floor((elapsed / 1000) * args.rate));
        while (k < due) {
          const c = updateChannel(w, k);
          try {
            server.publish(names[c], { id: recordId(updateRecord(w, k)), value: k + 1, t: now() })?.catch(() => publishErrors++);
          } catch {
            publishErrors++;
          }
          k++;
          if (now() - at > TICK_BUDGET_MS) break;
        }
        if (k >= target || elapsed >= durationMs + END_GRACE_MS) {
          clearInterval(tick);
          clearInterval(rssTimer);
          rssMax = Math.max(rssMax, process.memoryUsage().rss);
          resolve({ target, published: k, errors: publishErrors, startedAt, endedAt: now(), cpuStart, cpuEnd: cpuSeconds(), runQueueStart, threadsStart, rssMax, maxTickGapMs });
        }
      }, 5);
    });
  };

  // The V8 CPU profiler (what `--cpu-prof` uses), started and stopped around the publishing
  // phase only, so connection set-up does not drown what fan-out costs.
  let profiler: Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<object | undefined>((resolve, reject) => profiler!.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

  serve({
    profileStart: async () => {
      profiler = new Session();
      profiler.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
      return true;
    },
    profileStop: async (args: { file: string }) => {
      const { profile } = (await post('Profiler.stop')) as Profiler.StopReturnType;
      profiler!.disconnect();
      profiler = undefined;
      writeFileSync(args.file, JSON.stringify(profile));
      return args.file;
    },
    start: async (args: { workload: Workload }) => {
      workload = args.workload;
      return { ...(await server.start(args.workload)), pid: process.pid };
    },
    stats,
    publish,
    exit: async () => {
      await server.close().catch(() => undefined);
      // Leave time for the reply to go out, then exit normally so --cpu-prof writes its file.
      setTimeout(() => process.exit(0), 50);
      return true;
    },
  });
}

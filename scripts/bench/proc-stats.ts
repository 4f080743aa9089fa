/**
 * This process's own CPU figures, for the server under test and the subscriber processes.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

/** CPU time of the whole process so far (every thread, user + system), in seconds. */
export function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Time the process's threads spent runnable but waiting for a CPU, in seconds: the sum of
 * the second field of /proc/self/task/<tid>/schedstat (ns). On a shared machine it shows how
 * long a process was ready to run while others held its core, which latency then reflects.
 * NaN where /proc does not provide it.
 */
export function runQueueSeconds(): number {
  try {
    let ns = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    }
    return ns / 1e9;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds of the main (JavaScript) thread, user and system, and of every other thread
 * together (V8's garbage-collection helpers, libuv's pool, the profiler when on), from
 * /proc/self/task/<tid>/stat in clock ticks of 10 ms. Undefined where /proc is missing.
 */
export function threadCpuSeconds(): { mainUser: number; mainSystem: number; otherThreads: number } | undefined {
  try {
    const out = { mainUser: 0, mainSystem: 0, otherThreads: 0 };
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // utime and stime are fields 14 and 15; the fields after the "(comm)" start at field 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const user = Number(fields[11]) / 100;
      const system = Number(fields[12]) / 100;
      if (Number(tid) === process.pid) {
        out.mainUser += user;
        out.mainSystem += system;
      } else {
        out.otherThreads += user + system;
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) of another process so far, from /proc/<pid>/stat; NaN where missing. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * The machine the benchmark runs on, and how processes are placed on it: CPU pinning with
 * `taskset` and the open-files limits every socket counts against (one descriptor per
 * socket on each side of the loopback connection).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  openFiles: { soft: number; hard: number } | undefined;
  taskset: boolean;
}

export function describeMachine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    openFiles: openFilesLimit(),
    taskset: spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0,
  };
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The soft and hard `RLIMIT_NOFILE` of this process (children inherit them). */
function openFilesLimit(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line!.replace('Max open files', '').trim().split(/\s+/);
    const parse = (v: string) => (v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));
    return { soft: parse(soft), hard: parse(hard) };
  } catch {
    return undefined;
  }
}

export interface Placement {
  /** `taskset -c` lists, or undefined when pinning is not possible. */
  serverCpus: string | undefined;
  clientCpus: string | undefined;
  clientProcesses: number;
  /** Soft open-files limit to set in the server / each client process (undefined: inherited one suffices). */
  serverNofile: number | undefined;
  clientNofile: number | undefined;
  notes: string[];
}

/** Descriptors a process needs besides its sockets (stdio, IPC, the event loop, tsx). */
const FD_HEADROOM = 256;

/**
 * Where the processes go and which limits they need. Throws with an explanation when the
 * hard limit is too low for the server, since no unprivileged process can raise it.
 */
export function placeProcesses(machine: Machine, subscribers: number, wantedClients: number): Placement {
  const notes: string[] = [];
  let serverCpus: string | undefined;
  let clientCpus: string | undefined;
  if (!machine.taskset) notes.push('taskset is not available: processes are not pinned, so server and subscribers share cores');
  else if (machine.cpus < 2) notes.push('only one core: server and subscribers share it, figures include the subscribers\' load');
  else {
    serverCpus = '0';
    clientCpus = machine.cpus === 2 ? '1' : `1-${machine.cpus - 1}`;
  }

  let clientProcesses = Math.max(1, Math.min(wantedClients, subscribers));
  let serverNofile: number | undefined;
  let clientNofile: number | undefined;
  const limit = machine.openFiles;
  if (limit) {
    const serverNeed = subscribers + FD_HEADROOM;
    if (serverNeed > limit.hard) {
      throw new Error(
        `the server needs about ${serverNeed} open files for ${subscribers} sockets but the hard limit (ulimit -Hn) is ${limit.hard}; ` +
          `raise it (e.g. in /etc/security/limits.conf or with prlimit as root) or run fewer --subscribers`,
      );
    }
    if (serverNeed > limit.soft) serverNofile = serverNeed;
    // Subscribers spread over more processes when one process may not hold its share.
    while (Math.ceil(subscribers / clientProcesses) + FD_HEADROOM > limit.hard) clientProcesses++;
    if (clientProcesses > wantedClients) notes.push(`open-files hard limit ${limit.hard}: subscribers spread over ${clientProcesses} processes`);
    const clientNeed = Math.ceil(subscribers / clientProcesses) + FD_HEADROOM;
    if (clientNeed > limit.soft) clientNofile = clientNeed;
    if (serverNofile || clientNofile) {
      notes.push(`open-files soft limit ${limit.soft} is below what the sockets need: raised to ${Math.max(serverNofile ?? 0, clientNofile ?? 0)} in the bench's child processes only (hard limit ${limit.hard})`);
    }
  } else {
    notes.push('could not read the open-files limit (/proc/self/limits): assuming it is high enough');
  }
  return { serverCpus, clientCpus, clientProcesses, serverNofile, clientNofile, notes };
}

/**
 * Seconds per core since boot, from /proc/stat (empty where it is missing): `busy` for
 * processes and interrupts, `steal` for time the hypervisor gave the virtual CPU to others.
 */
export function coreTimes(): Array<{ busy: number; steal: number; total: number }> {
  try {
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((line) => /^cpu\d+ /.test(line))
      .map((line) => {
        const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number);
        const busy = user + nice + system + irq + softirq;
        return { busy: busy / 100, steal: steal / 100, total: (busy + steal + idle + iowait) / 100 };
      });
  } catch {
    return [];
  }
}

/**
 * CPU seconds that processes other than the bench's own used on the server's core over a
 * window: the core's busy time minus the server's own CPU time. NaN without /proc/stat.
 */
export function foreignLoad(before: ReturnType<typeof coreTimes>, after: ReturnType<typeof coreTimes>, core: number, own: number): number {
  if (!before[core] || !after[core]) return NaN;
  return Math.max(0, after[core].busy - before[core].busy - own);
}

/** Seconds the hypervisor took a core away over a window (steal time). NaN without /proc/stat. */
export function stealTime(before: ReturnType<typeof coreTimes>, after: ReturnType<typeof coreTimes>, core: number): number {
  if (!before[core] || !after[core]) return NaN;
  return after[core].steal - before[core].steal;
}

/**
 * Starts a real `redis-server` (Debian's `redis-server` package) on a free port with its own
 * temp directory, for `npm run dev:cluster`, the benchmark and the tests (which import it from
 * here: this is its one home). Never used by the server itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess } from './processes';

export interface LocalRedisOptions {
  /** `aof`: every write is fsynced to an append-only file, so a restart loses nothing. */
  persistence?: 'none' | 'aof';
  port?: number;
  /** CPUs to pin the server to (`taskset -c`), to keep it off a measured process's core. */
  cpus?: string;
}

export interface LocalRedis {
  url: string;
  port: number;
  dir: string;
  /** The running server's process id (undefined while it is stopped). */
  readonly pid: number | undefined;
  /** Stops the server (SIGKILL: no save on the way out) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

export const REDIS_SERVER = process.env.PULSE_REDIS_SERVER ?? 'redis-server';

export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'pulse-redis-'));
  const persistence = options.persistence ?? 'none';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--loglevel', 'warning'];
  if (persistence === 'aof') args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');

  let child: ChildProcess | undefined;
  const launch = async () => {
    // taskset execs the server, so the child's pid is the server's.
    child = options.cpus ? spawn('taskset', ['-c', options.cpus, REDIS_SERVER, ...args], { stdio: ['ignore', 'ignore', 'inherit'] }) : spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const failed = new Promise<never>((_, reject) => {
      child!.once('error', (error) => reject(new Error(`cannot start ${REDIS_SERVER}: ${error.message}`)));
      child!.once('exit', (code) => reject(new Error(`${REDIS_SERVER} exited with ${code}`)));
    });
    failed.catch(() => {});
    await Promise.race([waitForPing(port), failed]);
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    await stopProcess(running, 'SIGKILL');
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    kill,
    restart: launch,
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the server answers PING (and has finished loading its data). */
async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

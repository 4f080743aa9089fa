/**
 * Request/response over the Node IPC channel between the orchestrator and its child
 * processes (the server under test, the subscriber processes). A child answers each
 * `{id, cmd, args}` with `{id, ok, result | error}`; a child whose parent goes away exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}

interface Response {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Each handler declares the arguments it takes; the parent's `call()` sends them as they are. */
export type Handlers = Record<string, (args: never) => unknown>;

/** Child side: answers requests with `handlers`; exits when the parent disconnects. */
export function serve(handlers: Handlers): void {
  if (!process.send) throw new Error('this script runs as a child of scripts/bench.ts');
  process.on('disconnect', () => process.exit(1));
  process.on('message', async (message: Request) => {
    let response: Response;
    try {
      const handler = handlers[message.cmd];
      if (!handler) throw new Error(`unknown command ${message.cmd}`);
      response = { id: message.id, ok: true, result: await handler(message.args as never) };
    } catch (error) {
      response = { id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    process.send!(response);
  });
}

export interface SpawnOptions {
  /** Path under scripts/bench/ of the TypeScript entry point. */
  script: string;
  name: string;
  /** CPU list for `taskset -c`, or undefined for no pinning. */
  cpus?: string;
  /** Raise the soft open-files limit of this child to this many (never above the hard limit). */
  nofile?: number;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** Parent side: one child process, with `call()` for requests. */
export class Child {
  private readonly proc: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer?: NodeJS.Timeout }>();
  private exitInfo: string | undefined;
  /** Set once the child has exited; expected exits come after `expectExit()`. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private expected = false;

  constructor(readonly options: SpawnOptions) {
    const script = resolve(__dirname, options.script);
    let argv = [process.execPath, ...(options.nodeArgs ?? []), '--import', 'tsx', script];
    if (options.cpus !== undefined) argv = ['taskset', '-c', options.cpus, ...argv];
    if (options.nofile !== undefined) argv = ['sh', '-c', `ulimit -Sn ${options.nofile} && exec "$@"`, 'sh', ...argv];
    this.proc = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...options.env },
    });
    this.proc.on('message', (message: Response) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${options.name}: ${message.error}`));
    });
    this.exited = new Promise((resolveExit) => {
      this.proc.on('exit', (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
        for (const waiter of this.pending.values()) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`${options.name} ${this.exitInfo} during a request`));
        }
        this.pending.clear();
        resolveExit({ code, signal });
      });
    });
    this.proc.on('error', (error) => {
      this.exitInfo = `failed to start: ${error.message}`;
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** True when the child exited before it was asked to. */
  get crashed(): boolean {
    return this.exitInfo !== undefined && !this.expected;
  }

  get exitDescription(): string | undefined {
    return this.exitInfo;
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.exitInfo) return Promise.reject(new Error(`${this.options.name} ${this.exitInfo}`));
    const id = this.nextId++;
    return new Promise<T>((resolveCall, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.options.name}: '${cmd}' timed out after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolveCall as (value: unknown) => void, reject, timer });
      this.proc.send({ id, cmd, args } satisfies Request);
    });
  }

  /** Asks the child to exit (`cmd`), waiting up to `graceMs` before killing it. */
  async stop(cmd = 'exit', graceMs = 15_000): Promise<void> {
    this.expected = true;
    if (this.exitInfo) return;
    this.call(cmd, {}, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.expected = true;
    if (!this.exitInfo) this.proc.kill('SIGKILL');
  }
}

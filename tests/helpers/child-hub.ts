/** Starts `hub-process.ts` in a child process and waits for the port it listens on. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface ChildHub {
  port: number;
  url: string;
  wsUrl: string;
  process: ChildProcess;
  /** Everything the child wrote to stderr so far (its logs). */
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export const ROOT = path.resolve(__dirname, '../..');

export function startChildHub(env: Record<string, string> = {}, timeoutMs = 20_000): Promise<ChildHub> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/helpers/hub-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', PULSE_LOG_LEVEL: 'info', PULSE_SIMULATOR: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before listening: ${stderr}`));
    });
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}/api/ws`,
        process: child,
        stderr: () => stderr,
        exited,
        kill: (signal = 'SIGTERM') => void child.kill(signal),
      });
    });
  });
}

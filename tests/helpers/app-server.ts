/**
 * Runs the whole product (server.ts: Next.js + hub) in a child process, in production mode
 * from the `.next` build, on an ephemeral port. Used by the browser tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface AppServer {
  url: string;
  wsUrl: string;
  process: ChildProcess;
  /** Log lines printed so far (pino JSON lines parsed, others as text). */
  logs: unknown[];
  stop(): Promise<number | null>;
}

const ROOT = path.resolve(__dirname, '../..');

export function startAppServer(env: Record<string, string> = {}, timeoutMs = 60_000): Promise<AppServer> {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PULSE_ANONYMOUS: '1',
      PORT: '0',
      HOST: '127.0.0.1',
      PULSE_LOG_LEVEL: 'info',
      NEXT_TELEMETRY_DISABLED: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: unknown[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: unknown = line;
      try {
        entry = JSON.parse(line);
      } catch {
        // Next.js prints plain text lines too.
      }
      logs.push(entry);
      const ready = entry as { msg?: string; url?: string };
      if (ready.msg === 'Pulseboard ready' && ready.url) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        const port = new URL(ready.url).port;
        resolve({
          url: `http://127.0.0.1:${port}`,
          wsUrl: `ws://127.0.0.1:${port}/api/ws`,
          process: child,
          logs,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done(child.exitCode);
              child.once('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

/**
 * The smoke-test CLI (`npm run test:websocket`) run as a child process against real servers:
 * every check passes against a healthy one, and a broken one gives ✗ lines and a non-zero exit.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { startTestServer, TEST_API_KEY, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken } from '../helpers/ws-client';

const ROOT = path.resolve(__dirname, '../..');
const CLI_TIMEOUT_MS = 45_000;

jest.setTimeout(60_000);

interface CliResult {
  code: number;
  stdout: string;
  lines: string[];
}

/** Runs the script to its end; never rejects, so a failing run still shows its output. */
function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    // The project's own tsx binary: what `npx tsx` runs, without npx's start-up cost.
    execFile(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/test-websocket.ts', ...args],
      { cwd: ROOT, timeout: CLI_TIMEOUT_MS },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, lines: stdout.split('\n').filter(Boolean) });
      },
    );
  });
}

function expectPassed(result: CliResult, names: string[]): void {
  for (const name of names) {
    expect(result.lines).toContainEqual(expect.stringMatching(new RegExp(`^✓ ${escape(name)} \\(\\d+ ms\\)$`)));
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A port on which nothing listens (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('against a healthy server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_BATCH_MS: '20' });
  });
  afterAll(() => server.close());

  test('anonymous: every check passes and publishing over the socket is skipped', async () => {
    const result = await runCli(['--url', server.wsUrl]);
    expect(result).toMatchObject({ code: 0 });
    expectPassed(result, [
      'health',
      'connect',
      'auth (anonymous)',
      'ping',
      'subscribe smoke-test',
      'publish over HTTP',
      'delta from HTTP publish',
      'resume with since after a drop',
      'stats (admin)',
    ]);
    expect(result.lines).toContainEqual(expect.stringMatching(/^- publish over socket: skipped: token may not publish/));
    expect(result.lines.filter((line) => line.startsWith('✗'))).toEqual([]);
    expect(result.lines.at(-1)).toMatch(/^9 passed, 0 failed, 2 skipped$/);
    // The script cleans up after itself: its record is gone again.
    const snapshot = await server.hub.snapshot('demo', 'smoke-test');
    expect(snapshot.records).toEqual([]);
  });
});

describe('with an API key and a token that may publish', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_BATCH_MS: '20', PULSE_API_KEY: TEST_API_KEY });
  });
  afterAll(() => server.close());

  test('every check passes, publishing over the socket included', async () => {
    const token = await signToken(TEST_SECRET, { sub: 'smoke', tenant: 'acme', channels: { subscribe: ['*'], publish: ['*'] } }, { expiresInS: 600 });
    const result = await runCli(['--url', server.wsUrl, '--token', token, '--api-key', TEST_API_KEY, '--channel', 'fleet:smoke']);
    expect(result).toMatchObject({ code: 0 });
    expectPassed(result, [
      'auth (token)',
      'subscribe fleet:smoke',
      'publish over HTTP',
      'delta from HTTP publish',
      'publish over socket',
      'delta from socket publish',
      'resume with since after a drop',
      'stats (admin)',
    ]);
    expect(result.lines.at(-1)).toBe('11 passed, 0 failed, 0 skipped');
  });

  test('without the API key the admin checks fail, naming the fix', async () => {
    const result = await runCli(['--url', server.wsUrl]);
    expect(result.code).toBe(1);
    expect(result.lines).toContainEqual(expect.stringMatching(/^✗ publish over HTTP: HTTP 401 AUTH_FAILED: .*\(pass --api-key\)$/));
    expect(result.lines).toContainEqual(expect.stringMatching(/^✗ stats \(admin\): HTTP 401 AUTH_FAILED: .*\(pass --api-key\)$/));
  });
});

describe('against a broken setup', () => {
  test('nothing listening: ✗ lines and a non-zero exit, within the time limits', async () => {
    const port = await closedPort();
    const result = await runCli(['--url', `ws://127.0.0.1:${port}/api/ws`, '--timeout', '2000']);
    expect(result.code).toBe(1);
    expect(result.lines).toContainEqual(expect.stringMatching(/^✗ health: /));
    expect(result.lines).toContainEqual(expect.stringMatching(/^✗ connect: .*ECONNREFUSED/));
    expect(result.lines).toContainEqual('- subscribe smoke-test: skipped: not authenticated');
  });

  test('anonymous mode off and no token: auth fails and the exit is non-zero', async () => {
    const server = await startTestServer({ PULSE_ANONYMOUS: '0' });
    try {
      const result = await runCli(['--url', server.wsUrl]);
      expect(result.code).toBe(1);
      expectPassed(result, ['health', 'connect']);
      expect(result.lines).toContainEqual(expect.stringMatching(/^✗ auth \(anonymous\): AUTH_FAILED/));
    } finally {
      await server.close();
    }
  });

  test('bad arguments exit with 2', async () => {
    const result = await runCli(['--url', 'http://127.0.0.1:1']);
    expect(result.code).toBe(2);
  });
});

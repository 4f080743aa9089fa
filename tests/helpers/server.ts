/** Starts a real Pulseboard server (hub + HTTP API, no Next.js) on an ephemeral port. */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@/lib/config';
import { createLogger } from '@/lib/log';
import { startPulseServer, type PulseServer } from '@/lib/server/start';
import type { SeriesLookup } from '@/lib/engine/series-spec';
import { connectPublisher } from './http';
import type { Msg, TestClient } from './ws-client';

export interface TestServer extends PulseServer {
  wsUrl: string;
}

/** At least 32 bytes: production refuses shorter HS256 secrets. */
export const TEST_SECRET = 'test-secret-0123456789abcdef-0123456789';
export const TEST_API_KEY = 'test-api-key-123';

/** The engine this suite runs on: `redis` in the `integration-redis` project, memory elsewhere. */
export const TEST_ENGINE: 'memory' | 'redis' = (globalThis as { PULSE_TEST_ENGINE?: 'redis' }).PULSE_TEST_ENGINE ?? 'memory';

/** Variables that put a server on the suite's engine: on Redis, a key prefix of its own. */
export function engineEnv(): Record<string, string> {
  if (TEST_ENGINE === 'memory') return {};
  const url = process.env.PULSE_TEST_REDIS_URL;
  if (!url) throw new Error('PULSE_TEST_REDIS_URL is not set: the integration-redis project starts redis-server in its global setup');
  return { REDIS_URL: url, PULSE_REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:` };
}

/** What a test server is started with besides its environment. */
export interface TestServerOptions {
  /** Which channels keep series (docs/protocol.md §13): `seriesLookup([...])`. None when absent. */
  series?: SeriesLookup;
}

export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PULSE_JWT_SECRET: TEST_SECRET,
    PULSE_LOG_LEVEL: 'silent',
    ...engineEnv(),
    ...env,
  });
  const server = await startPulseServer({ config, port: 0, host: '127.0.0.1', log: createLogger(config.logLevel), series: options.series });
  return { ...server, wsUrl: `ws://127.0.0.1:${server.port}/api/ws` };
}

/** A test server and a client on it that may publish and subscribe to every channel. */
export interface ServerWithPublisher {
  server: TestServer;
  pub: TestClient & { welcome: Msg };
}

/**
 * Starts a test server with `env` and connects a publisher to it, for a block's `beforeAll`;
 * `stopWithPublisher` closes both in its `afterAll`.
 */
export async function startWithPublisher(env: Record<string, string> = {}): Promise<ServerWithPublisher> {
  const server = await startTestServer(env);
  const pub = await connectPublisher(server.wsUrl, TEST_SECRET);
  return { server, pub };
}

export async function stopWithPublisher({ server, pub }: { server: TestServer; pub: TestClient }): Promise<void> {
  await pub.close();
  await server.close();
}

/**
 * Global setup of the `integration-redis` project: one real redis-server for the whole run.
 * Each test server gets its own key prefix on it (see `startTestServer`), so suites running
 * in parallel never see each other's channels.
 */
import { startLocalRedis, type LocalRedis } from '../../scripts/lib/local-redis';

declare global {
  var __pulseRedis: LocalRedis | undefined;
}

export default async function setup(): Promise<void> {
  const redis = await startLocalRedis();
  globalThis.__pulseRedis = redis;
  process.env.PULSE_TEST_REDIS_URL = redis.url;
}

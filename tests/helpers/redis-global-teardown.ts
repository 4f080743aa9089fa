import type { LocalRedis } from '../../lib/redis/local-server';

export default async function teardown(): Promise<void> {
  await (globalThis as { __pulseRedis?: LocalRedis }).__pulseRedis?.stop();
}

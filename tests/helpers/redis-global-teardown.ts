import type { LocalRedis } from '../../scripts/lib/local-redis';

export default async function teardown(): Promise<void> {
  await (globalThis as { __pulseRedis?: LocalRedis }).__pulseRedis?.stop();
}

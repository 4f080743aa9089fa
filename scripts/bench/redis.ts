/**
 * The Redis side of `npm run bench -- --engine redis`: a redis-server of the benchmark's own,
 * a probe of its CPU and command counts, and the most publishes one channel takes.
 */
import Redis from 'ioredis';
import { RedisEngine } from '../../lib/redis/engine';
import { RedisLink } from '../../lib/redis/link';
import { startLocalRedis, type LocalRedis } from '../lib/local-redis';
import { processCpuSeconds } from './proc-stats';
import type { RedisProbe } from './run';

export interface BenchRedis {
  server: LocalRedis;
  probe: RedisProbe;
  close(): Promise<void>;
}

/** `cpus`: where redis-server runs (the subscribers' cores: the hub's core stays its own). */
export async function startBenchRedis(cpus?: string): Promise<BenchRedis> {
  const server = await startLocalRedis({ cpus });
  const info = new Redis(server.url);
  const probe: RedisProbe = {
    async read() {
      const text = await info.info('commandstats');
      let commands = 0;
      let scripts = 0;
      for (const match of text.matchAll(/^cmdstat_([a-z_|]+):calls=(\d+)/gm)) {
        commands += Number(match[2]);
        if (match[1] === 'evalsha' || match[1] === 'eval') scripts += Number(match[2]);
      }
      return { cpuSeconds: processCpuSeconds(server.pid!), commands, scripts };
    },
  };
  return {
    server,
    probe,
    async close() {
      await info.quit();
      await server.stop();
    },
  };
}

export interface PublishCeiling {
  publishesPerSec: number;
  /** redis-server CPU seconds per 1,000 publishes at that rate. */
  redisCpuPerThousand: number;
  /** Share of one core redis-server used (1 = a whole core: Redis is the limit). */
  redisCoreShare: number;
  inFlight: number;
}

/**
 * The most publishes per second one channel takes: the engine alone (no hub, no
 * subscribers), `inFlight` publishes outstanding at once, for `seconds`.
 */
export async function publishCeiling(bench: BenchRedis, seconds: number, inFlight = 64): Promise<PublishCeiling> {
  const link = new RedisLink(bench.server.url);
  const engine = new RedisEngine({ historySize: 1000, historyTtlMs: 300_000, link, prefix: 'ceiling:' });
  try {
    if (!(await engine.ready(5000))) throw new Error('redis-server not reachable');
    const before = await bench.probe.read();
    const started = performance.now();
    const deadline = started + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async (_, lane) => {
        for (let i = lane; performance.now() < deadline; i += inFlight) {
          await engine.publish('demo', 'ceiling', { upsert: [{ id: `r${i % 500}`, value: i, t: Date.now() }] });
          done++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const after = await bench.probe.read();
    const cpu = after.cpuSeconds - before.cpuSeconds;
    return { publishesPerSec: done / elapsed, redisCpuPerThousand: (cpu / done) * 1000, redisCoreShare: cpu / elapsed, inFlight };
  } finally {
    await engine.close();
    await link.close();
  }
}

/**
 * The Redis side of `npm run bench -- --engine redis`: a redis-server of the benchmark's own,
 * a probe of its CPU and command counts, and the most publishes one channel takes.
 */
import Redis from 'ioredis';
import { seriesLookup, type SeriesSpec } from '../../lib/engine/series-spec';
import { RedisEngine } from '../../lib/redis/engine';
import { RedisLink } from '../../lib/redis/link';
import { startLocalRedis, type LocalRedis } from '../lib/local-redis';
import { cpuSeconds, processCpuSeconds } from './proc-stats';
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

export interface RedisSeriesFigures {
  /** Points reserved by the rings written, and Redis's `used_memory` growth per point (series on ÷ off). */
  points: number;
  bytesPerPoint: number;
  /** One publish at a time, 500 records round-robin: redis-server and caller CPU per publish (µs), series off and on. */
  publishes: number;
  redisUsPerPublish: { without: number; with: number };
  callerUsPerPublish: { without: number; with: number };
}

/**
 * Series on the Redis engine apart from fan-out: bytes per point (the same records published
 * to a channel keeping `spec` and to one keeping none, Redis's `used_memory` growth compared),
 * and the CPU one publish costs redis-server and the caller with and without series, the
 * engine alone (no hub), one publish in flight, rounds alternating.
 */
export async function redisSeriesFigures(bench: BenchRedis, spec: SeriesSpec, publishes: number, rounds = 3): Promise<RedisSeriesFigures> {
  const link = new RedisLink(bench.server.url);
  const info = new Redis(bench.server.url);
  const options = { historySize: 1000, historyTtlMs: 300_000, link };
  const plain = new RedisEngine({ ...options, prefix: 'series-off:' });
  const kept = new RedisEngine({ ...options, prefix: 'series-on:', series: seriesLookup([{ channel: 'dash', series: spec }]) });
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await info.info('memory'))![1]);
  try {
    if (!(await plain.ready(5000))) throw new Error('redis-server not reachable');
    const records = 500;
    const row = (r: number, k: number) => Object.fromEntries([['id', `r${r}`], ...spec.fields.map((field, f) => [field, k + f])]);
    const grow = async (engine: RedisEngine) => {
      const before = await usedMemory();
      for (let r = 0; r < records; r++) await engine.publish('demo', 'dash', { upsert: [row(r, 0)] });
      return (await usedMemory()) - before;
    };
    const plainBytes = await grow(plain);
    const keptBytes = await grow(kept);
    const points = records * spec.fields.length * Math.ceil(spec.windowMs / spec.resolutionMs);
    const round = async (engine: RedisEngine, from: number) => {
      const redis0 = bench.server.pid ? processCpuSeconds(bench.server.pid) : NaN;
      const caller0 = cpuSeconds();
      for (let k = from; k < from + publishes; k++) await engine.publish('demo', 'dash', { upsert: [row(k % records, k)] });
      const redisUs = ((processCpuSeconds(bench.server.pid!) - redis0) / publishes) * 1e6;
      return { redisUs, callerUs: ((cpuSeconds() - caller0) / publishes) * 1e6 };
    };
    const off: Array<{ redisUs: number; callerUs: number }> = [];
    const on: Array<{ redisUs: number; callerUs: number }> = [];
    for (let i = 1; i <= rounds; i++) {
      off.push(await round(plain, i * publishes));
      on.push(await round(kept, i * publishes));
    }
    const sum = (xs: Array<{ redisUs: number; callerUs: number }>, key: 'redisUs' | 'callerUs') => xs.reduce((n, x) => n + x[key], 0) / xs.length;
    return {
      points,
      bytesPerPoint: (keptBytes - plainBytes) / points,
      publishes: publishes * rounds,
      redisUsPerPublish: { without: sum(off, 'redisUs'), with: sum(on, 'redisUs') },
      callerUsPerPublish: { without: sum(off, 'callerUs'), with: sum(on, 'callerUs') },
    };
  } finally {
    await plain.close();
    await kept.close();
    await link.close();
    await info.quit();
  }
}

/**
 * The printed table, the Pulseboard / baseline ratios and the issue's performance targets.
 * Pure functions of the results, so the JSON file and the table always say the same thing.
 */
import type { PublishCeiling, RedisSeriesFigures } from './redis';
import type { MemoryPerPoint, PublishCost, SnapshotFigures } from './series-probe';
import type { WorkloadResult } from './run';

/** The targets as the issue states them, for fan-out at 5,000 subscribers on one server core. */
export const TARGETS = {
  subscribers: 5000,
  p99Ms: 150,
  cpuPerFrameVsFloor: 1.3,
  updatesPerCpuVsSocketIo: 10,
  idleKBPerConnection: 12,
  /** Hub CPU per delivered frame on the Redis engine, relative to the memory engine's. */
  redisCpuPerFrameVsMemory: 1.2,
  /** Hub CPU per delivered frame with a bounds box per subscriber, relative to plain fan-out. */
  viewportCpuPerFrameVsFanout: 1.5,
  /**
   * Hub CPU per delivered frame with half the subscribers paced, relative to plain fan-out:
   * the cost follows the frames sent (paced frames carry more entries, hence some slack).
   */
  pacedCpuPerFrameVsFanout: 1.2,
  /** Hub CPU per delivered frame with series of the channel's field, relative to without (same engine). */
  seriesCpuPerFrameVsFanout: 1.1,
  /** redis-server CPU per publish with series, relative to without. */
  seriesRedisCpuPerPublish: 1.3,
  /** A snapshot with series of 12 records × 5 fields × 900 buckets: server time and bytes on the wire. */
  seriesSnapshotMs: 5,
  seriesSnapshotKB: 60,
};

export interface Ratios {
  /** Server CPU per delivered frame, Pulseboard fan-out ÷ floor. */
  cpuPerFrameVsFloor?: number;
  /** Delivered updates per server CPU-second, Pulseboard fan-out ÷ Socket.IO. */
  updatesPerCpuVsSocketIo?: number;
  /** Server CPU per delivered byte, Pulseboard fan-out ÷ floor (frames of different sizes). */
  cpuPerByteVsFloor?: number;
  /** Server CPU per delivered update, Pulseboard fan-out ÷ Socket.IO (the inverse view). */
  cpuPerUpdateVsSocketIo?: number;
  p99VsSocketIo?: number;
  p99VsFloor?: number;
  idleMemoryVsSocketIo?: number;
  idleMemoryVsFloor?: number;
  /** Hub CPU per delivered frame, Redis engine ÷ memory engine (redis-server's own CPU not included). */
  redisCpuPerFrameVsMemory?: number;
  /** The same with redis-server's CPU added to the hubs'. */
  redisWithServerCpuPerFrameVsMemory?: number;
  /** Hub CPU per delivered delta frame, with presence and churn ÷ without. */
  presenceCpuPerFrameVsFanout?: number;
  presenceP99VsFanout?: number;
  /** Hub CPU per delivered frame and per delivered update, a bounds box per subscriber ÷ fan-out. */
  viewportCpuPerFrameVsFanout?: number;
  viewportCpuPerUpdateVsFanout?: number;
  /** Half the subscribers paced ÷ fan-out: frames sent, hub CPU, and hub CPU per frame. */
  pacedFramesVsFanout?: number;
  pacedCpuVsFanout?: number;
  pacedCpuPerFrameVsFanout?: number;
  /** The same frames from the raw `ws` floor (floor-paced ÷ floor): frames sent, CPU per frame. */
  floorPacedFramesVsFloor?: number;
  floorPacedCpuPerFrameVsFloor?: number;
  /** Hub CPU per delivered frame, series kept ÷ not (memory engine: series ÷ fanout). */
  seriesCpuPerFrameVsFanout?: number;
  /** The same on the Redis engine: redis-series ÷ redis. */
  redisSeriesCpuPerFrameVsRedis?: number;
  /** redis-server CPU per publish, redis-series ÷ redis. */
  redisSeriesRedisCpuPerPublish?: number;
}

export interface TargetCheck {
  target: string;
  value: string;
  met: boolean | null;
}

export function ratios(results: WorkloadResult[]): Ratios {
  const find = (name: string) => results.find((r) => r.name === name);
  const pulse = find('fanout');
  const io = find('socketio');
  const floor = find('floor');
  const out: Ratios = {};
  if (pulse && floor) {
    out.cpuPerFrameVsFloor = pulse.cpuPerThousandFrames / floor.cpuPerThousandFrames;
    if (pulse.cpuPerMegabyte !== null && floor.cpuPerMegabyte !== null) out.cpuPerByteVsFloor = pulse.cpuPerMegabyte / floor.cpuPerMegabyte;
    out.p99VsFloor = pulse.latencyMs.p99 / floor.latencyMs.p99;
    out.idleMemoryVsFloor = pulse.memory.idlePerConnectionKB / floor.memory.idlePerConnectionKB;
  }
  const withPresence = find('presence');
  if (pulse && withPresence) {
    out.presenceCpuPerFrameVsFanout = withPresence.cpuPerThousandFrames / pulse.cpuPerThousandFrames;
    out.presenceP99VsFanout = withPresence.latencyMs.p99 / pulse.latencyMs.p99;
  }
  const viewport = find('viewport');
  if (pulse && viewport) {
    out.viewportCpuPerFrameVsFanout = viewport.cpuPerThousandFrames / pulse.cpuPerThousandFrames;
    out.viewportCpuPerUpdateVsFanout = viewport.cpuPerMillionUpdates / pulse.cpuPerMillionUpdates;
  }
  const paced = find('paced');
  if (pulse && paced) {
    out.pacedFramesVsFanout = paced.frames / pulse.frames;
    out.pacedCpuVsFanout = paced.cpuSeconds / pulse.cpuSeconds;
    out.pacedCpuPerFrameVsFanout = paced.cpuPerThousandFrames / pulse.cpuPerThousandFrames;
  }
  const floorPaced = find('floor-paced');
  if (floor && floorPaced) {
    out.floorPacedFramesVsFloor = floorPaced.frames / floor.frames;
    out.floorPacedCpuPerFrameVsFloor = floorPaced.cpuPerThousandFrames / floor.cpuPerThousandFrames;
  }
  const series = find('series');
  if (pulse && series) out.seriesCpuPerFrameVsFanout = series.cpuPerThousandFrames / pulse.cpuPerThousandFrames;
  const onRedis = find('redis');
  const redisSeries = find('redis-series');
  if (onRedis && redisSeries) {
    out.redisSeriesCpuPerFrameVsRedis = redisSeries.cpuPerThousandFrames / onRedis.cpuPerThousandFrames;
    if (onRedis.redis && redisSeries.redis) out.redisSeriesRedisCpuPerPublish = redisSeries.redis.cpuPerThousandPublishes / onRedis.redis.cpuPerThousandPublishes;
  }
  if (pulse && onRedis) {
    out.redisCpuPerFrameVsMemory = onRedis.cpuPerThousandFrames / pulse.cpuPerThousandFrames;
    if (onRedis.redis) {
      const withServer = ((onRedis.cpuSeconds + onRedis.redis.cpuSeconds) / onRedis.frames) * 1e3;
      out.redisWithServerCpuPerFrameVsMemory = withServer / pulse.cpuPerThousandFrames;
    }
  }
  if (pulse && io) {
    out.updatesPerCpuVsSocketIo = pulse.updatesPerCpuSecond / io.updatesPerCpuSecond;
    out.cpuPerUpdateVsSocketIo = pulse.cpuPerMillionUpdates / io.cpuPerMillionUpdates;
    out.p99VsSocketIo = pulse.latencyMs.p99 / io.latencyMs.p99;
    out.idleMemoryVsSocketIo = pulse.memory.idlePerConnectionKB / io.memory.idlePerConnectionKB;
  }
  return out;
}

/** Each ratio's median over several rounds of the same workloads (the mean of the middle two for an even count). */
export function medianRatios(rounds: Ratios[]): Ratios {
  const out: Ratios = {};
  const keys = new Set(rounds.flatMap((r) => Object.keys(r))) as Set<keyof Ratios>;
  for (const key of keys) {
    const values = rounds.map((r) => r[key]).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    const middle = values.length >> 1;
    out[key] = values.length % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
  }
  return out;
}

export function checkTargets(results: WorkloadResult[], r: Ratios): TargetCheck[] {
  const pulse = results.find((x) => x.name === 'fanout');
  if (!pulse) return [];
  const floor = results.find((x) => x.name === 'floor');
  const sizes = floor && pulse.avgFrameBytes && floor.avgFrameBytes ? ` (frames of ${fmt(pulse.avgFrameBytes, 0)} vs ${fmt(floor.avgFrameBytes, 0)} bytes)` : '';
  const checks: TargetCheck[] = [
    {
      target: 'all updates delivered',
      value:
        `${fmtPercent(pulse.completeness)} (${pulse.subscribersComplete}/${pulse.connected} subscribers complete` +
        `${pulse.merged ? `, ${pulse.merged} merged in a batch` : ''}${pulse.published < pulse.publishTarget ? `, ${pulse.published}/${pulse.publishTarget} published` : ''})`,
      met: pulse.subscribersComplete === pulse.connected && pulse.delivered === pulse.expected && pulse.published === pulse.publishTarget,
    },
    { target: `p99 publish→receive ≤ ${TARGETS.p99Ms} ms`, value: `${fmt(pulse.latencyMs.p99)} ms`, met: pulse.latencyMs.p99 <= TARGETS.p99Ms },
    {
      target: `server CPU per delivered frame ≤ ${TARGETS.cpuPerFrameVsFloor}× floor`,
      value: r.cpuPerFrameVsFloor === undefined ? 'floor not run' : `${fmt(r.cpuPerFrameVsFloor, 2)}×${sizes}`,
      met: r.cpuPerFrameVsFloor === undefined ? null : r.cpuPerFrameVsFloor <= TARGETS.cpuPerFrameVsFloor,
    },
    {
      target: `delivered updates per server CPU-second ≥ ${TARGETS.updatesPerCpuVsSocketIo}× Socket.IO`,
      value: r.updatesPerCpuVsSocketIo === undefined ? 'Socket.IO not run' : `${fmt(r.updatesPerCpuVsSocketIo, 1)}×`,
      met: r.updatesPerCpuVsSocketIo === undefined ? null : r.updatesPerCpuVsSocketIo >= TARGETS.updatesPerCpuVsSocketIo,
    },
    {
      target: `RSS ≤ ${TARGETS.idleKBPerConnection} kB per idle connection`,
      value: `${fmt(pulse.memory.idlePerConnectionKB, 1)} kB`,
      met: pulse.memory.idlePerConnectionKB <= TARGETS.idleKBPerConnection,
    },
  ];
  const onRedis = results.find((x) => x.name === 'redis');
  if (onRedis) {
    checks.push(
      {
        target: 'all updates delivered on Redis',
        value: `${fmtPercent(onRedis.completeness)} (${onRedis.subscribersComplete}/${onRedis.connected} subscribers complete)`,
        met: onRedis.subscribersComplete === onRedis.connected && onRedis.delivered === onRedis.expected && onRedis.published === onRedis.publishTarget,
      },
      {
        target: `hub CPU per delivered frame on Redis ≤ ${TARGETS.redisCpuPerFrameVsMemory}× memory`,
        value: r.redisCpuPerFrameVsMemory === undefined ? 'memory fan-out not run' : `${fmt(r.redisCpuPerFrameVsMemory, 2)}×`,
        met: r.redisCpuPerFrameVsMemory === undefined ? null : r.redisCpuPerFrameVsMemory <= TARGETS.redisCpuPerFrameVsMemory,
      },
    );
  }
  const viewport = results.find((x) => x.name === 'viewport');
  if (viewport) {
    checks.push({
      target: `hub CPU per delivered frame, viewport ≤ ${TARGETS.viewportCpuPerFrameVsFanout}× fan-out`,
      value: `${fmt(r.viewportCpuPerFrameVsFanout, 2)}× (${viewport.subscribersConsistent}/${viewport.connected} viewport subscribers consistent)`,
      met: r.viewportCpuPerFrameVsFanout === undefined ? null : r.viewportCpuPerFrameVsFanout <= TARGETS.viewportCpuPerFrameVsFanout,
    });
  }
  for (const name of ['series', 'redis-series']) {
    const run = results.find((x) => x.name === name);
    if (!run) continue;
    const ratio = name === 'series' ? r.seriesCpuPerFrameVsFanout : r.redisSeriesCpuPerFrameVsRedis;
    checks.push({
      target: `hub CPU per delivered frame, ${name === 'series' ? 'series / fan-out' : 'Redis series / Redis'} ≤ ${TARGETS.seriesCpuPerFrameVsFanout}×`,
      value: `${fmt(ratio, 2)}× (${run.subscribersComplete}/${run.connected} series subscribers complete)`,
      met: ratio === undefined ? null : ratio <= TARGETS.seriesCpuPerFrameVsFanout,
    });
  }
  if (r.redisSeriesRedisCpuPerPublish !== undefined) {
    checks.push({
      target: `redis-server CPU per publish, series / without ≤ ${TARGETS.seriesRedisCpuPerPublish}×`,
      value: `${fmt(r.redisSeriesRedisCpuPerPublish, 2)}×`,
      met: r.redisSeriesRedisCpuPerPublish <= TARGETS.seriesRedisCpuPerPublish,
    });
  }
  const paced = results.find((x) => x.name === 'paced');
  if (paced) {
    checks.push({
      target: `hub CPU per delivered frame, paced ≤ ${TARGETS.pacedCpuPerFrameVsFanout}× fan-out`,
      value: `${fmt(r.pacedCpuPerFrameVsFanout, 2)}× (CPU ${fmt(r.pacedCpuVsFanout, 2)}× for ${fmt(r.pacedFramesVsFanout, 2)}× the frames)`,
      met: r.pacedCpuPerFrameVsFanout === undefined ? null : r.pacedCpuPerFrameVsFanout <= TARGETS.pacedCpuPerFrameVsFanout,
    });
  }
  return checks;
}

export function ceilingLines(c: PublishCeiling): string[] {
  return [
    `  publishes/s one channel takes (${c.inFlight} in flight)`.padEnd(68) + ` ${fmt(c.publishesPerSec, 0)}`,
    `  redis-server CPU per 1k publishes (ms)`.padEnd(68) + ` ${fmt(c.redisCpuPerThousand * 1000, 1)}`,
    `  redis-server share of one core at that rate`.padEnd(68) + ` ${fmt(c.redisCoreShare * 100, 0)}%`,
  ];
}

/** What the series probe and the Redis series figures measured (`npm run bench -- --only fanout,series`). */
export interface SeriesFigures {
  publishCost?: PublishCost;
  memory?: MemoryPerPoint;
  snapshot?: SnapshotFigures;
  redis?: RedisSeriesFigures;
}

/** The targets of the snapshot with series: the smallest compressed HTTP answer and the socket's frame. */
export function seriesTargetChecks(f: SeriesFigures): TargetCheck[] {
  const s = f.snapshot;
  if (!s) return [];
  const route = s.http.snapshot;
  const best = route.br.bytes <= route.gzip.bytes ? { coding: 'br', ...route.br } : { coding: 'gzip', ...route.gzip };
  return [
    {
      target: `snapshot with series (HTTP, ${best.coding}) ≤ ${TARGETS.seriesSnapshotKB} KB on the wire`,
      value: `${fmt(best.bytes / 1000, 1)} KB (gzip ${fmt(route.gzip.bytes / 1000, 1)}, plain ${fmt(route.plain.bytes / 1000, 1)}; socket frame ${fmt(s.socket.bytes / 1000, 1)} KB, uncompressed)`,
      met: best.bytes <= TARGETS.seriesSnapshotKB * 1000,
    },
    {
      target: `snapshot with series, server time (read, serialize, Brotli) < ${TARGETS.seriesSnapshotMs} ms`,
      value: `p50 ${fmt(s.server.br.p50Ms, 2)} ms, p95 ${fmt(s.server.br.p95Ms, 2)} ms (uncompressed p50 ${fmt(s.server.plain.p50Ms, 2)} ms; request to last byte, client included: ${best.coding} p50 ${fmt(best.p50Ms, 2)} ms, socket p50 ${fmt(s.socket.p50Ms, 2)} ms)`,
      met: s.server.br.p50Ms < TARGETS.seriesSnapshotMs,
    },
  ];
}

export function seriesLines(f: SeriesFigures): string[] {
  const lines: string[] = [];
  const add = (label: string, value: string) => lines.push(`  ${label.padEnd(66)} ${value}`);
  if (f.publishCost) {
    const c = f.publishCost;
    add(`server CPU per publish, memory engine, no subscribers (µs)`, `${fmt(c.withoutUs, 1)} without, ${fmt(c.withUs, 1)} with series (${fmt(c.withUs / c.withoutUs, 2)}×)`);
  }
  if (f.memory) add(`bytes per point, memory engine (${fmt(f.memory.points, 0)} points)`, fmt(f.memory.bytesPerPoint, 2));
  if (f.redis) {
    const r = f.redis;
    add(`bytes per point, Redis used_memory (${fmt(r.points, 0)} points)`, fmt(r.bytesPerPoint, 2));
    add(`redis-server CPU per publish, engine alone (µs)`, `${fmt(r.redisUsPerPublish.without, 1)} without, ${fmt(r.redisUsPerPublish.with, 1)} with series (${fmt(r.redisUsPerPublish.with / r.redisUsPerPublish.without, 2)}×)`);
    add(`caller CPU per publish, engine alone (µs)`, `${fmt(r.callerUsPerPublish.without, 1)} without, ${fmt(r.callerUsPerPublish.with, 1)} with series`);
  }
  const s = f.snapshot;
  if (s) {
    lines.push(`  snapshot with series, ${s.records} records × ${s.fields} fields × ${s.buckets} buckets (${fmt(s.numbers, 0)} numbers):`);
    const row = (label: string, x: SizeAndTimeLike) => add(`  ${label}`, `${fmt(x.bytes / 1000, 1)} KB, p50 ${fmt(x.p50Ms, 2)} ms, p95 ${fmt(x.p95Ms, 2)} ms, CPU ${fmt(x.cpuMs, 2)} ms`);
    row('socket snapshot frame (no compression)', s.socket);
    for (const route of ['snapshot', 'series'] as const) for (const coding of ['plain', 'gzip', 'br'] as const) row(`HTTP ${route === 'snapshot' ? '/snapshot?series=1' : '/series'}, ${coding}`, s.http[route][coding]);
  }
  return lines;
}

type SizeAndTimeLike = { bytes: number; p50Ms: number; p95Ms: number; cpuMs: number };

// ---- formatting ------------------------------------------------------------------------------

function fmt(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function fmtPercent(value: number): string {
  return value === 100 ? '100%' : `${value.toFixed(value > 99 ? 3 : 1)}%`;
}

const SHORT: Record<string, string> = {
  fanout: 'fan-out',
  filtered: 'filtered',
  channels: 'channels',
  socketio: 'Socket.IO',
  floor: 'ws floor',
  redis: 'Redis',
  presence: 'presence',
  viewport: 'viewport',
  paced: 'paced',
  'floor-paced': 'floor paced',
  series: 'series',
  'redis-series': 'Redis series',
};

/** The results as a fixed-width table: one row per figure, one column per workload. */
export function table(results: WorkloadResult[]): string {
  const rows: Array<[string, (r: WorkloadResult) => string]> = [
    ['subscribers connected', (r) => fmt(r.connected, 0)],
    ['updates published (of target)', (r) => (r.published === r.publishTarget ? fmt(r.published, 0) : `${fmt(r.published, 0)}/${fmt(r.publishTarget, 0)}`)],
    ['updates delivered', (r) => fmt(r.delivered, 0)],
    ['  expected', (r) => fmt(r.expected, 0)],
    ['  completeness', (r) => fmtPercent(r.completeness)],
    ['  merged within a batch', (r) => (r.system === 'socketio' ? '–' : fmt(r.merged, 0))],
    ['  wrong or missing deltas', (r) => (r.system === 'socketio' ? '–' : fmt(r.invalidFrames + r.chainBreaks, 0))],
    ['  subscribers complete', (r) => `${fmt(r.subscribersComplete, 0)}/${fmt(r.connected, 0)}`],
    ['  consistent (merges allowed)', (r) => `${fmt(r.subscribersConsistent, 0)}/${fmt(r.connected, 0)}`],
    ['  catch-up deltas (slow readers)', (r) => (r.system === 'socketio' ? '–' : fmt(r.catchUps, 0))],
    ['  presence frames received', (r) => (r.name === 'presence' ? fmt(r.presenceFrames, 0) : '–')],
    ['delivered updates/s', (r) => fmt(r.deliveredPerSec, 0)],
    ['delivered frames', (r) => fmt(r.frames, 0)],
    ['delivered frames/s', (r) => fmt(r.framesPerSec, 0)],
    ['avg frame bytes', (r) => fmt(r.avgFrameBytes, 0)],
    ['latency p50 (ms)', (r) => fmt(r.latencyMs.p50, 1)],
    ['latency p95 (ms)', (r) => fmt(r.latencyMs.p95, 1)],
    ['latency p99 (ms)', (r) => fmt(r.latencyMs.p99, 1)],
    ['latency max (ms)', (r) => fmt(r.latencyMs.max, 1)],
    ['server side: flush tick, mean (ms)', (r) => fmt(r.serverSide?.meanTickMs, 1)],
    ['  oldest update → written, p50 (ms)', (r) => (r.serverSide ? `≤ ${fmt(r.serverSide.writtenP50Ms, 0)}` : '–')],
    ['  oldest update → written, p99 (ms)', (r) => (r.serverSide ? `≤ ${fmt(r.serverSide.writtenP99Ms, 0)}` : '–')],
    ['server CPU (s)', (r) => fmt(r.cpuSeconds, 2)],
    ['  main thread user / kernel (s)', (r) => (r.cpuBreakdown ? `${fmt(r.cpuBreakdown.mainUser, 2)} / ${fmt(r.cpuBreakdown.mainSystem, 2)}` : '–')],
    ['  other threads (s)', (r) => (r.cpuBreakdown ? fmt(r.cpuBreakdown.otherThreads, 2) : '–')],
    ['server run-queue wait (s)', (r) => fmt(r.runQueueSeconds, 2)],
    ['CPU s per 1M updates', (r) => fmt(r.cpuPerMillionUpdates, 3)],
    ['CPU ms per 1k frames', (r) => fmt(r.cpuPerThousandFrames * 1000, 3)],
    ['CPU ms per MB of frames', (r) => fmt(r.cpuPerMegabyte === null ? null : r.cpuPerMegabyte * 1000, 2)],
    ['updates per CPU-second', (r) => fmt(r.updatesPerCpuSecond, 0)],
    ['subscriber CPU, all procs (s)', (r) => fmt(r.subscriberCpuSeconds, 1)],
    ['subscriber run-queue wait (s)', (r) => fmt(r.subscriberRunQueueSeconds, 1)],
    ['measured window (s)', (r) => fmt(r.windowSeconds, 1)],
    ['other processes on server core (s)', (r) => fmt(r.otherLoadOnServerCore, 2)],
    ['hypervisor steal on server core (s)', (r) => fmt(r.stealOnServerCore, 2)],
    ['subscriber cores busy, all (s)', (r) => fmt(r.subscriberCoresBusy, 1)],
    ['load average at start / end', (r) => `${fmt(r.loadAverage[0], 1)} / ${fmt(r.loadAverage[1], 1)}`],
    ['Redis: instances', (r) => (r.redis ? fmt(r.redis.instances, 0) : '–')],
    ['  redis-server CPU (s)', (r) => (r.redis ? fmt(r.redis.cpuSeconds, 2) : '–')],
    ['  redis-server CPU per 1k publishes (ms)', (r) => (r.redis ? fmt(r.redis.cpuPerThousandPublishes * 1000, 1) : '–')],
    ['  round trips per publish', (r) => (r.redis ? fmt(r.redis.roundTripsPerPublish, 2) : '–')],
    ['  Redis commands per publish', (r) => (r.redis ? fmt(r.redis.commandsPerPublish, 1) : '–')],
    ['RSS baseline (MiB)', (r) => fmt(r.memory.baselineMiB, 1)],
    ['RSS idle, connected (MiB)', (r) => fmt(r.memory.idleMiB, 1)],
    ['RSS under load, max (MiB)', (r) => fmt(r.memory.loadMiB, 1)],
    ['RSS per idle connection (kB)', (r) => fmt(r.memory.idlePerConnectionKB, 1)],
    ['  of which JS heap (kB)', (r) => fmt(r.memory.idleHeapPerConnectionKB, 1)],
    ['RSS per connection, load (kB)', (r) => fmt(r.memory.loadPerConnectionKB, 1)],
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  const widths = results.map((r) => Math.max(12, (SHORT[r.name] ?? r.name).length, ...rows.map(([, f]) => f(r).length)) + 2);
  const line = (label: string, cells: string[]) => label.padEnd(labelWidth) + cells.map((c, i) => c.padStart(widths[i])).join('');
  const out = [line('', results.map((r) => SHORT[r.name] ?? r.name)), '-'.repeat(labelWidth + widths.reduce((a, b) => a + b, 0))];
  for (const [label, f] of rows) out.push(line(label, results.map(f)));
  return out.join('\n');
}

export function ratioLines(r: Ratios): string[] {
  const lines: string[] = [];
  const add = (label: string, value: number | undefined, unit = '×') => {
    if (value !== undefined) lines.push(`  ${label.padEnd(66)} ${fmt(value, Math.abs(value) < 0.1 ? 4 : 2)}${unit}`);
  };
  add('server CPU per delivered frame, Pulseboard / floor', r.cpuPerFrameVsFloor);
  add('server CPU per delivered byte, Pulseboard / floor', r.cpuPerByteVsFloor);
  add('delivered updates per server CPU-second, Pulseboard / Socket.IO', r.updatesPerCpuVsSocketIo);
  add('server CPU per delivered update, Pulseboard / Socket.IO', r.cpuPerUpdateVsSocketIo);
  add('latency p99, Pulseboard / Socket.IO', r.p99VsSocketIo);
  add('latency p99, Pulseboard / floor', r.p99VsFloor);
  add('RSS per idle connection, Pulseboard / Socket.IO', r.idleMemoryVsSocketIo);
  add('RSS per idle connection, Pulseboard / floor', r.idleMemoryVsFloor);
  add('hub CPU per delivered delta frame, presence with churn / without', r.presenceCpuPerFrameVsFanout);
  add('latency p99, presence with churn / without', r.presenceP99VsFanout);
  add('hub CPU per delivered frame, viewport (a bounds box each) / fan-out', r.viewportCpuPerFrameVsFanout);
  add('hub CPU per delivered update, viewport / fan-out', r.viewportCpuPerUpdateVsFanout);
  add('frames sent, paced (half at 1 s) / fan-out', r.pacedFramesVsFanout);
  add('hub CPU, paced / fan-out', r.pacedCpuVsFanout);
  add('hub CPU per delivered frame, paced / fan-out', r.pacedCpuPerFrameVsFanout);
  add('frames sent, floor paced / floor', r.floorPacedFramesVsFloor);
  add('server CPU per delivered frame, floor paced / floor (the same frames)', r.floorPacedCpuPerFrameVsFloor);
  add('hub CPU per delivered frame, series kept / not (memory engine)', r.seriesCpuPerFrameVsFanout);
  add('hub CPU per delivered frame, series kept / not (Redis engine)', r.redisSeriesCpuPerFrameVsRedis);
  add('redis-server CPU per publish, series kept / not', r.redisSeriesRedisCpuPerPublish);
  add('hub CPU per delivered frame, Redis engine / memory engine', r.redisCpuPerFrameVsMemory);
  add('  with redis-server CPU counted too', r.redisWithServerCpuPerFrameVsMemory);
  return lines;
}

export function targetLines(checks: TargetCheck[], subscribers: number): string[] {
  const lines = checks.map((c) => `  [${c.met === null ? ' -- ' : c.met ? ' ok ' : 'MISS'}] ${c.target.padEnd(56)} ${c.value}`);
  if (subscribers !== TARGETS.subscribers) {
    lines.push(`  (the targets are stated for ${TARGETS.subscribers.toLocaleString('en-US')} subscribers; this run used ${subscribers.toLocaleString('en-US')})`);
  }
  return lines;
}

/**
 * What series cost apart from fan-out (`npm run bench -- --only fanout,series`), measured in a
 * process of its own, pinned like the server under test:
 *
 * - `publishCost`: server CPU per publish through `hub.publish`, with and without series of
 *   the channel's field, no subscribers (rounds alternate, so drift of a shared machine falls
 *   on both alike);
 * - `memory`: bytes per point in the memory engine: the same records published to an engine
 *   keeping series and to one keeping none, the difference over the points kept;
 * - `snapshot`: a dashboard's channel, 12 records × 5 fields × 900 buckets (the demo's queues
 *   and their models, 1 s buckets over 15 minutes), read as a socket snapshot with series and
 *   over HTTP (`/series`, `/snapshot?series=1`) plain, gzip and Brotli: time and bytes. The
 *   process clock is moved forward one bucket per round of publishes, so the window fills in a
 *   second instead of 15 minutes (the memory engine reads `Date.now`).
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import { loadConfig } from '../../lib/config';
import { QUEUES } from '../../lib/demo/catalog';
import { advanceQueue, backlogRecord, initQueue, kpiRecord, type QueueState } from '../../lib/demo/queue-model';
import { seededRandom } from '../../lib/demo/random';
import { MemoryEngine } from '../../lib/engine/memory';
import { seriesLookup, type SeriesSpec } from '../../lib/engine/series-spec';
import { createLogger } from '../../lib/log';
import { compress } from '../../lib/http/respond';
import { startPulseServer, WS_PATH, type PulseServer } from '../../lib/server/start';
import { Histogram } from './histogram';
import { serve } from './ipc';
import { cpuSeconds, now } from './proc-stats';
import { BENCH_SERIES, DASHBOARD_SERIES, seedRecord, TENANT } from './workload';

export interface PublishCost {
  publishes: number;
  /** Server CPU µs per publish, without and with series (median of the rounds). */
  withoutUs: number;
  withUs: number;
}

export interface MemoryPerPoint {
  points: number;
  bytesPerPoint: number;
}

export interface SizeAndTime {
  bytes: number;
  /** Wall time from the request to the whole answer received, ms: p50 and p95. */
  p50Ms: number;
  p95Ms: number;
  /** CPU of this process (server and client together) per read, ms. */
  cpuMs: number;
}

export interface SnapshotFigures {
  records: number;
  fields: number;
  buckets: number;
  numbers: number;
  socket: SizeAndTime;
  http: Record<'snapshot' | 'series', Record<'plain' | 'gzip' | 'br', SizeAndTime>>;
  /**
   * The server's own time for `/snapshot?series=1` without a client in the way: reading the
   * snapshot and its series, serializing, and compressing as the route does, ms (p50 and p95).
   */
  server: Record<'plain' | 'br', { p50Ms: number; p95Ms: number }>;
}

const gc = (globalThis as { gc?: () => void }).gc;
const config = () =>
  loadConfig({ NODE_ENV: 'development', PULSE_ANONYMOUS: '1', PULSE_LOG_LEVEL: 'warn', PULSE_SIMULATOR: 'off', PULSE_HTTP_RATE_LIMIT: '100000' });

async function start(series?: SeriesSpec, channel = 'bench'): Promise<PulseServer> {
  const c = config();
  return startPulseServer({ config: c, port: 0, host: '127.0.0.1', log: createLogger(c.logLevel), series: series && seriesLookup([{ channel, series }]) });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function publishCost(args: { publishes: number; rounds: number }): Promise<PublishCost> {
  const plain = await start();
  const kept = await start(BENCH_SERIES);
  const records = Array.from({ length: 500 }, (_, r) => seedRecord(r));
  await plain.hub.publish(TENANT, 'bench', { upsert: records });
  await kept.hub.publish(TENANT, 'bench', { upsert: records });
  const round = async (server: PulseServer, from: number) => {
    const cpu = cpuSeconds();
    for (let k = from; k < from + args.publishes; k++) await server.hub.publish(TENANT, 'bench', { upsert: [{ id: `r${k % 500}`, value: k + 1, t: now() }] });
    return ((cpuSeconds() - cpu) / args.publishes) * 1e6;
  };
  const without: number[] = [];
  const withSeries: number[] = [];
  // A first round of each warms the code up and is not counted.
  await round(plain, 0);
  await round(kept, 0);
  for (let i = 1; i <= args.rounds; i++) {
    without.push(await round(plain, i * args.publishes));
    withSeries.push(await round(kept, i * args.publishes));
  }
  await plain.close();
  await kept.close();
  return { publishes: args.publishes * args.rounds, withoutUs: median(without), withUs: median(withSeries) };
}

/** Heap and array buffers in use after collecting garbage. */
function used(): number {
  gc?.();
  gc?.();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
}

function memoryPerPoint(args: { records: number }): MemoryPerPoint {
  if (!gc) throw new Error('run with --expose-gc');
  const spec = DASHBOARD_SERIES;
  const options = { historySize: 100, historyTtlMs: 60_000 };
  const measure = (engine: MemoryEngine) => {
    const before = used();
    for (let r = 0; r < args.records; r++) {
      const record = { id: `r${r}`, utilization: 0.5, healthScore: 90, slaRisk: 0.1, waiting: r, oldestWaitS: 3 };
      engine.publishSync(TENANT, 'dash', { upsert: [record] });
    }
    return used() - before;
  };
  const plainEngine = new MemoryEngine(options);
  const plain = measure(plainEngine);
  const keptEngine = new MemoryEngine({ ...options, series: seriesLookup([{ channel: 'dash', series: spec }]) });
  const kept = measure(keptEngine);
  const points = keptEngine.seriesPoints.used;
  // Both engines stay reachable until measured.
  if (plainEngine.epoch === keptEngine.epoch) throw new Error('unreachable');
  return { points, bytesPerPoint: (kept - plain) / points };
}

interface Raw {
  bytes: number;
  ms: number;
}

function get(port: number, path: string, acceptEncoding?: string): Promise<Raw> {
  const started = now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve({ bytes, ms: now() - started }) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function timed(reads: number, read: () => Promise<Raw>): Promise<SizeAndTime> {
  await read();
  const times = new Histogram();
  let bytes = 0;
  const cpu = cpuSeconds();
  for (let i = 0; i < reads; i++) {
    const raw = await read();
    times.add(raw.ms);
    bytes = raw.bytes;
  }
  return { bytes, p50Ms: times.quantile(0.5), p95Ms: times.quantile(0.95), cpuMs: ((cpuSeconds() - cpu) / reads) * 1000 };
}

/** One socket's subscribe with series: the time to its snapshot and the snapshot frame's size. */
async function socketSnapshot(port: number, channel: string): Promise<Raw> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send('{"type":"auth"}'));
    ws.on('message', (data: Buffer) => {
      if (String(data).includes('"welcome"')) resolve();
    });
    ws.on('error', reject);
  });
  const started = now();
  const raw = await new Promise<Raw>((resolve, reject) => {
    ws.removeAllListeners('message');
    ws.on('message', (data: Buffer) => {
      if (data.subarray(0, 24).toString().includes('"snapshot"')) resolve({ bytes: data.length, ms: now() - started });
    });
    ws.on('error', reject);
    ws.send(JSON.stringify({ type: 'subscribe', ref: 1, channel, series: true }));
  });
  ws.terminate();
  return raw;
}

async function snapshot(args: { reads: number }): Promise<SnapshotFigures> {
  const spec = DASHBOARD_SERIES;
  const buckets = spec.windowMs / spec.resolutionMs;
  // The engine reads the clock through `Date.now`: moved one bucket per round from here on.
  const realNow = Date.now;
  let offset = 0;
  Date.now = () => realNow() + offset;
  const server = await start(spec, 'dashboard');
  const random = seededRandom(0x5e41e5);
  const t0 = Date.now();
  let queues: QueueState[] = QUEUES.map((q) => initQueue(q, random, t0));
  for (let b = 0; b < buckets; b++) {
    offset += spec.resolutionMs;
    const at = Date.now();
    queues = queues.map((q) => advanceQueue(q, random, at).state);
    const upsert = queues.map((q) => {
      const kpi = kpiRecord(q, at);
      const backlog = backlogRecord(q, at);
      return { ...kpi, waiting: backlog.waiting, oldestWaitS: backlog.oldestWaitS };
    });
    await server.hub.publish(TENANT, 'dashboard', { upsert });
  }
  const port = server.port;
  const socket = await timed(args.reads, () => socketSnapshot(port, 'dashboard'));
  const http = { snapshot: {}, series: {} } as SnapshotFigures['http'];
  for (const [route, path] of [['snapshot', '/api/channels/dashboard/snapshot?series=1'], ['series', '/api/channels/dashboard/series']] as const) {
    for (const coding of ['plain', 'gzip', 'br'] as const) http[route][coding] = await timed(args.reads, () => get(port, path, coding === 'plain' ? undefined : coding));
  }
  const serverTime = async (coding?: 'br'): Promise<{ p50Ms: number; p95Ms: number }> => {
    const times = new Histogram();
    for (let i = 0; i <= args.reads; i++) {
      const started = now();
      const snapshot = await server.hub.snapshot(TENANT, 'dashboard', {});
      const series = await server.hub.series(TENANT, 'dashboard', {}, true, new Set(snapshot.records.map((record) => String(record.id))));
      const body = Buffer.from(JSON.stringify({ ...snapshot, series: series?.series }));
      if (coding) await compress(body, coding);
      if (i > 0) times.add(now() - started); // the first read warms up
    }
    return { p50Ms: times.quantile(0.5), p95Ms: times.quantile(0.95) };
  };
  const serverFigures = { plain: await serverTime(), br: await serverTime('br') };
  await server.close();
  Date.now = realNow;
  return { records: QUEUES.length, fields: spec.fields.length, buckets, numbers: QUEUES.length * spec.fields.length * buckets, socket, http, server: serverFigures };
}

serve({
  publishCost,
  memory: memoryPerPoint,
  snapshot,
  exit: async () => {
    setTimeout(() => process.exit(0), 50);
    return true;
  },
});

/**
 * The server under test: a real Pulseboard hub (`startPulseServer`, no Next.js) on
 * 127.0.0.1, anonymous mode (tenant `demo`), 100 ms batches, with the bench's updates
 * published through `hub.publish` as server code would. On the Redis engine, `instances`
 * hubs share one redis-server from this process (each with its own port and its own Redis
 * connections, so fan-out between them goes through Redis); updates are published on the
 * first, and the CPU figures are all of them together.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { loadConfig } from '../../lib/config';
import { seriesLookup } from '../../lib/engine/series-spec';
import { createLogger } from '../../lib/log';
import { startPulseServer, WS_PATH, type PulseServer } from '../../lib/server/start';
import { runServer } from './server-common';
import { BENCH_SERIES, channelName, seedRecord, TENANT, type Workload } from './workload';

let servers: PulseServer[] = [];
let churn: { stop(): void } | undefined;

/**
 * Viewers coming and going: `perSec` anonymous connections a second subscribe to the channel
 * and leave a second later, so presence has joins and leaves to send all the time.
 */
function startChurn(port: number, channel: string, perSec: number): { stop(): void } {
  const sockets = new Set<WebSocket>();
  const timer = setInterval(() => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`);
    sockets.add(ws);
    ws.on('open', () => ws.send('{"type":"auth"}'));
    ws.on('message', (data) => {
      if (String(data).includes('"welcome"')) ws.send(JSON.stringify({ type: 'subscribe', channel }));
    });
    ws.on('error', () => undefined);
    ws.on('close', () => sockets.delete(ws));
    setTimeout(() => ws.close(), 1000).unref();
  }, 1000 / perSec);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      for (const ws of sockets) ws.terminate();
    },
  };
}

runServer({
  async start(w: Workload) {
    const limit = String(w.subscribers + 1000);
    const config = loadConfig({
      NODE_ENV: 'development',
      PULSE_ANONYMOUS: '1',
      PULSE_LOG_LEVEL: 'warn',
      PULSE_BATCH_MS: String(w.batchMs),
      PULSE_MAX_CONNECTIONS: limit,
      PULSE_MAX_CONNECTIONS_PER_TENANT: limit,
      PULSE_SIMULATOR: 'off',
      ...(w.engine === 'redis' ? { REDIS_URL: w.redisUrl, PULSE_REDIS_PREFIX: `bench${randomBytes(3).toString('hex')}:` } : {}),
    });
    // The series workloads keep `value` of every bench channel; the others keep nothing.
    const series = w.series ? seriesLookup([{ channel: 'bench*', series: BENCH_SERIES }]) : undefined;
    for (let i = 0; i < w.instances; i++) {
      servers.push(await startPulseServer({ config, port: 0, host: '127.0.0.1', log: createLogger(config.logLevel), series }));
    }
    if (w.presence) churn = startChurn(servers[servers.length - 1].port, channelName(w, 0), w.churnPerSec);
    const records = Array.from({ length: w.recordsPerChannel }, (_, r) => seedRecord(r, w.viewports));
    for (let c = 0; c < w.channels; c++) await servers[0].hub.publish(TENANT, channelName(w, c), { upsert: records });
    return { port: servers[0].port, ports: servers.map((s) => s.port), path: WS_PATH };
  },
  publish(channel, update) {
    return servers[0].hub.publish(TENANT, channel, { upsert: [update] });
  },
  connections() {
    return servers.reduce((n, s) => n + s.hub.counters().connections, 0);
  },
  flushStats() {
    const all = servers.map((s) => s.hub.counters());
    const counts = all[0].latency.counts.map((_, i) => all.reduce((n, stats) => n + stats.latency.counts[i], 0));
    // Ticks of one hub: the instances tick side by side, so their tick time adds up per tick.
    return { ticks: all[0].flushes, seconds: all.reduce((n, stats) => n + stats.flushSeconds, 0), buckets: all[0].latency.buckets, counts };
  },
  async close() {
    churn?.stop();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  },
});

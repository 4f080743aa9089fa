/**
 * The server under test: a real Pulseboard hub (`startPulseServer`, no Next.js) on
 * 127.0.0.1, anonymous mode (tenant `demo`), 100 ms batches, with the bench's updates
 * published through `hub.publish` as server code would. On the Redis engine, `instances`
 * hubs share one redis-server from this process (each with its own port and its own Redis
 * connections, so fan-out between them goes through Redis); updates are published on the
 * first, and the CPU figures are all of them together.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { startPulseServer, WS_PATH, type PulseServer } from '../../lib/server/start';
import { runServer } from './server-common';
import { channelName, seedRecord, TENANT, type Workload } from './workload';

let servers: PulseServer[] = [];

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
    for (let i = 0; i < w.instances; i++) {
      servers.push(await startPulseServer({ config, port: 0, host: '127.0.0.1', log: createLogger(config.logLevel) }));
    }
    const records = Array.from({ length: w.recordsPerChannel }, (_, r) => seedRecord(r));
    for (let c = 0; c < w.channels; c++) await servers[0].hub.publish(TENANT, channelName(w, c), { upsert: records });
    return { port: servers[0].port, ports: servers.map((s) => s.port), path: WS_PATH };
  },
  publish(channel, update) {
    return servers[0].hub.publish(TENANT, channel, { upsert: [update] });
  },
  connections() {
    return servers.reduce((n, s) => n + s.hub.connections.size, 0);
  },
  flushStats() {
    const all = servers.map((s) => s.hub.stats);
    const counts = all[0].latency.counts.map((_, i) => all.reduce((n, stats) => n + stats.latency.counts[i], 0));
    // Ticks of one hub: the instances tick side by side, so their tick time adds up per tick.
    return { ticks: all[0].flushes, seconds: all.reduce((n, stats) => n + stats.flushSeconds, 0), buckets: all[0].latency.buckets, counts };
  },
  async close() {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  },
});

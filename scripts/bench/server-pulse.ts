/**
 * The server under test: a real Pulseboard hub (`startPulseServer`, no Next.js) on
 * 127.0.0.1, anonymous mode (tenant `demo`), 100 ms batches, with the bench's updates
 * published through `hub.publish` as server code would.
 */
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { startPulseServer, WS_PATH, type PulseServer } from '../../lib/server/start';
import { runServer } from './server-common';
import { channelName, seedRecord, TENANT, type Workload } from './workload';

let server: PulseServer | undefined;

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
    });
    server = await startPulseServer({ config, port: 0, host: '127.0.0.1', log: createLogger(config.logLevel) });
    const records = Array.from({ length: w.recordsPerChannel }, (_, r) => seedRecord(r));
    for (let c = 0; c < w.channels; c++) await server.hub.publish(TENANT, channelName(w, c), { upsert: records });
    return { port: server.port, path: WS_PATH };
  },
  publish(channel, update) {
    return server!.hub.publish(TENANT, channel, { upsert: [update] });
  },
  connections() {
    return server?.hub.connections.size ?? 0;
  },
  flushStats() {
    const stats = server!.hub.stats;
    return { ticks: stats.flushes, seconds: stats.flushSeconds, buckets: stats.latency.buckets, counts: [...stats.latency.counts] };
  },
  async close() {
    await server?.close();
  },
});

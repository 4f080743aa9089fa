/**
 * Starts the declared sources (docs/sources.md) against a hub. Each publishes through the
 * hub's own publish path; their statuses, which the server that started them keeps, are what
 * `/api/ws/stats`, `/status` and `/metrics` show.
 */
import type { Logger } from '../log';
import type { SourceConfig } from './declared';
import { HttpPoller } from './http-poller';
import { MqttBridge } from './mqtt-bridge';
import { PostgresBridge } from './postgres-bridge';
import type { SourceStatus } from './status';
import type { SourceHub } from './writer';

export interface RunningSource {
  readonly status: SourceStatus;
  start(): void;
  stop(): Promise<void>;
}

export interface RunningSources {
  readonly sources: readonly RunningSource[];
  stop(): Promise<void>;
}

export function createSource(config: SourceConfig, hub: SourceHub, log: Logger): RunningSource {
  switch (config.kind) {
    case 'http':
      return new HttpPoller(config, hub, log);
    case 'mqtt':
      return new MqttBridge(config, hub, log);
    case 'postgres':
      return new PostgresBridge(config, hub, log);
  }
}

/** What sources start against: the server's hub, and the server's list of source statuses. */
export interface SourceServer {
  hub: SourceHub;
  sources: SourceStatus[];
}

/** Starts every source against the server's hub and registers its status with the server. */
export function startSources(server: SourceServer, configs: readonly SourceConfig[], log: Logger): RunningSources {
  const sources = configs.map((config) => createSource(config, server.hub, log.child({ source: config.name, kind: config.kind })));
  for (const source of sources) {
    server.sources.push(source.status);
    source.start();
  }
  return {
    sources,
    async stop() {
      await Promise.all(sources.map((source) => source.stop()));
    },
  };
}

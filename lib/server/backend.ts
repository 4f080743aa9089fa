/**
 * The one place that picks the backend a configuration asks for and builds it: the engine,
 * the cluster membership and presence replication. In memory and alone by default; on Redis,
 * shared with every instance on the same `REDIS_URL` and prefix, when it is set. The hub
 * receives what is built here and never picks for itself; nothing else imports lib/redis/.
 */
import { randomBytes } from 'node:crypto';
import { SingleCluster } from '../cluster/single';
import type { Cluster } from '../cluster/types';
import type { Config } from '../config';
import { MemoryEngine } from '../engine/memory';
import type { SeriesLookup } from '../engine/series-spec';
import type { Engine } from '../engine/types';
import type { Logger } from '../log';
import { localReplication } from '../presence/local';
import type { PresenceReplication } from '../presence/types';
import { RedisCluster } from '../redis/cluster';
import { RedisEngine } from '../redis/engine';
import { KeyLayout } from '../redis/keys';
import { RedisLink } from '../redis/link';
import { RedisPresence } from '../redis/presence';

export interface Backend {
  engine: Engine;
  /** The instances serving together; its `instance` is this process's id. */
  cluster: Cluster;
  /** How presence reaches the other instances. */
  presence: PresenceReplication;
  /** Releases what the backend holds (after the hub closed). */
  close(): Promise<void>;
}

/**
 * `series` says which channels keep series (the configuration file's `channels`, then the
 * demo's: `loadServerConfiguration` in config-file.ts builds it); none when absent.
 */
export function createBackend(config: Config, log: Logger, series?: SeriesLookup): Backend {
  if (!config.redisUrl) return createMemoryBackend(config, series);
  const instance = newInstanceId();
  const link = new RedisLink(config.redisUrl, log);
  const keys = new KeyLayout(config.redisPrefix);
  const engine = new RedisEngine({ ...historyOptions(config), series, link, prefix: config.redisPrefix, log });
  const cluster = new RedisCluster(instance, link, keys, log);
  return { engine, cluster, presence: new RedisPresence(link, keys, cluster, log), close: () => link.close() };
}

/** One process alone, everything in memory (also what tests build a hub on). */
export function createMemoryBackend(config: EngineConfig, series?: SeriesLookup): Backend {
  return { engine: new MemoryEngine({ ...historyOptions(config), series }), cluster: new SingleCluster(newInstanceId()), presence: localReplication, close: async () => {} };
}

/** What the engines read from the configuration (tests may leave the series cap out: no cap). */
type EngineConfig = Pick<Config, 'historySize' | 'historyTtlMs' | 'historyMaxBytes'> & Partial<Pick<Config, 'seriesMaxPoints'>>;

function historyOptions(config: EngineConfig) {
  return { historySize: config.historySize, historyTtlMs: config.historyTtlMs, historyMaxBytes: config.historyMaxBytes, seriesMaxPoints: config.seriesMaxPoints };
}

function newInstanceId(): string {
  return `i_${randomBytes(4).toString('hex')}`;
}

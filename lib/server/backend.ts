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

export function createBackend(config: Config, log: Logger): Backend {
  if (!config.redisUrl) return createMemoryBackend(config);
  const instance = newInstanceId();
  const link = new RedisLink(config.redisUrl, log);
  const keys = new KeyLayout(config.redisPrefix);
  const engine = new RedisEngine({ ...historyOptions(config), link, prefix: config.redisPrefix, log });
  const cluster = new RedisCluster(instance, link, keys, log);
  return { engine, cluster, presence: new RedisPresence(link, keys, cluster, log), close: () => link.close() };
}

/** One process alone, everything in memory (also what tests build a hub on). */
export function createMemoryBackend(config: Pick<Config, 'historySize' | 'historyTtlMs' | 'historyMaxBytes'>): Backend {
  return { engine: new MemoryEngine(historyOptions(config)), cluster: new SingleCluster(newInstanceId()), presence: localReplication, close: async () => {} };
}

function historyOptions(config: Pick<Config, 'historySize' | 'historyTtlMs' | 'historyMaxBytes'>) {
  return { historySize: config.historySize, historyTtlMs: config.historyTtlMs, historyMaxBytes: config.historyMaxBytes };
}

function newInstanceId(): string {
  return `i_${randomBytes(4).toString('hex')}`;
}

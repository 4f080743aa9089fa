/**
 * The engine and cluster a configuration asks for: in memory and alone by default, Redis and
 * shared with every instance on the same `REDIS_URL` and prefix when it is set.
 */
import type { Config } from '../config';
import type { Logger } from '../log';
import { RedisCluster } from '../cluster/redis';
import type { ClusterFactory } from '../cluster/types';
import { RedisLink } from '../redis/link';
import { MemoryEngine } from './memory';
import { RedisEngine } from './redis/engine';
import type { Engine } from './types';

export interface Backend {
  engine: Engine;
  cluster?: ClusterFactory;
  /** Releases what the backend holds (after the hub closed). */
  close(): Promise<void>;
}

export function createBackend(config: Config, log: Logger): Backend {
  const history = { historySize: config.historySize, historyTtlMs: config.historyTtlMs, historyMaxBytes: config.historyMaxBytes };
  if (!config.redisUrl) return { engine: new MemoryEngine(history), close: async () => {} };
  const link = new RedisLink(config.redisUrl, log);
  const engine = new RedisEngine({ ...history, link, prefix: config.redisPrefix, log });
  return {
    engine,
    cluster: (member) => new RedisCluster(member, link, engine.keys, log),
    close: () => link.close(),
  };
}

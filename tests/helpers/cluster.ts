/**
 * Several hub instances on one real redis-server, for the scale-out tests: each instance is a
 * whole server (hub + HTTP API, no Next.js) on its own port, sharing the key prefix.
 */
import { randomBytes } from 'node:crypto';
import { startLocalRedis, type LocalRedis, type LocalRedisOptions } from '@/scripts/lib/local-redis';
import { ChannelMirror } from './channel-mirror';
import { http, sleep } from './http';
import { startTestServer, TEST_API_KEY, type TestServer } from './server';
import { TestClient, type Msg } from './ws-client';

export interface TestCluster {
  redis: LocalRedis;
  instances: TestServer[];
  /** Starts one more instance on the same Redis and prefix. */
  add(env?: Record<string, string>): Promise<TestServer>;
  close(): Promise<void>;
}

export async function startCluster(size: number, env: Record<string, string> = {}, redisOptions: LocalRedisOptions = {}): Promise<TestCluster> {
  const redis = await startLocalRedis(redisOptions);
  const shared = { REDIS_URL: redis.url, PULSE_REDIS_PREFIX: `c${randomBytes(3).toString('hex')}:`, PULSE_API_KEY: TEST_API_KEY, ...env };
  const instances: TestServer[] = [];
  const add = async (extra: Record<string, string> = {}) => {
    const server = await startTestServer({ ...shared, ...extra });
    instances.push(server);
    return server;
  };
  for (let i = 0; i < size; i++) await add();
  return {
    redis,
    instances,
    add,
    async close() {
      await Promise.all(instances.map((server) => server.close()));
      await redis.stop();
    },
  };
}

/** A client whose every snapshot and delta of one channel goes into a mirror. */
export class MirroringClient {
  private constructor(
    readonly client: TestClient,
    readonly mirror: ChannelMirror,
  ) {
    client.socket.on('message', (data) => mirror.apply(JSON.parse(data.toString()) as Msg));
  }

  /**
   * Connects to `wsUrl` and subscribes to the mirror's channel, resuming from the mirror's
   * position when it has one (a client hopping between instances keeps its mirror).
   */
  static async connect(wsUrl: string, mirror: ChannelMirror): Promise<{ mc: MirroringClient; reply: Msg }> {
    const client = await TestClient.connect(wsUrl);
    const mc = new MirroringClient(client, mirror);
    const channel = mirror.channel;
    const since = mirror.seq >= 0 ? { epoch: mirror.epoch, seq: mirror.seq } : undefined;
    const reply = await client.request({ type: 'subscribe', channel, ...(since ? { since } : {}) });
    if (!reply.ok) throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
    return { mc, reply };
  }

  close(): Promise<unknown> {
    return this.client.close();
  }
}

/** Waits until the mirror reached the channel's current seq, then returns the snapshot it must equal. */
export async function settledSnapshot(baseUrl: string, mirror: ChannelMirror, timeoutMs = 5000): Promise<{ epoch: string; seq: number; records: Array<Record<string, unknown>> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = (await http(baseUrl, 'GET', `/api/channels/${mirror.channel}/snapshot`)).body;
    if ((mirror.epoch === snapshot.epoch && mirror.seq === snapshot.seq) || Date.now() > deadline) return snapshot;
    await sleep(50);
  }
}

/**
 * Instances that share one Redis (docs/scaling.md, "Cluster"). Each instance writes a
 * heartbeat key with its figures every second; the key expires a few seconds after the
 * instance stops beating, so a crashed instance disappears by itself and its connections stop
 * counting against tenant limits. Requests for another instance (a kick) go over a control
 * pub/sub channel, and each instance answers for itself.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log';
import type { KeyLayout } from '../engine/redis/keys';
import { ADMIT_SCRIPT } from '../engine/redis/scripts';
import { viaRedis, type RedisLink } from '../redis/link';
import type Redis from 'ioredis';
import type { PresenceBook } from '../hub/presence';
import { RedisPresence } from './redis-presence';
import type { Cluster, ClusterMember, InstanceInfo } from './types';

const HEARTBEAT_MS = 1000;
/** A heartbeat key outlives a few missed beats, not more. */
const HEARTBEAT_TTL_MS = 5000;
const KICK_TIMEOUT_MS = 1000;
/** A stopped instance stays in the index this long, so that every instance notices it stopped. */
const INDEX_RETENTION_MS = 60_000;

type ControlMessage =
  | { type: 'kick'; request: string; from: string; id: string }
  | { type: 'kicked'; request: string; closed: boolean };

interface PendingKick {
  /** Answers to wait for: unknown until PUBLISH says how many instances received the request. */
  expected: number | undefined;
  answered: number;
  resolve(closed: boolean): void;
}

type Scripted = Redis & { pulseAdmit(...args: Array<string | number>): Promise<number> };

export class RedisCluster implements Cluster {
  readonly kind = 'redis' as const;
  private readonly redis: Scripted;
  private readonly timer: NodeJS.Timeout;
  private readonly pendingKicks = new Map<string, PendingKick>();
  /** Tenants this instance has written a count for, so a count that went to zero is removed. */
  private readonly countedTenants = new Set<string>();
  private closed = false;
  private presence: RedisPresence | undefined;
  /** Instances already found stopped. */
  private readonly reaped = new Set<string>();

  constructor(
    private readonly member: ClusterMember,
    private readonly link: RedisLink,
    private readonly keys: KeyLayout,
    private readonly log?: Logger,
  ) {
    this.redis = link.command as Scripted;
    this.redis.defineCommand('pulseAdmit', { numberOfKeys: 1, lua: ADMIT_SCRIPT });
    link.subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.control) this.control(message);
    });
    link.on('up', () => void this.join());
    if (link.isUp) void this.join();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  async admit(tenant: string, local: number, limit: number): Promise<boolean> {
    if (!this.link.isUp) return local < limit;
    try {
      const admitted = await this.redis.pulseAdmit(this.keys.tenantConnections(tenant), this.member.instance, limit, this.keys.instance(''));
      this.countedTenants.add(tenant);
      return admitted === 1;
    } catch (error) {
      // Without Redis the limit holds per instance: clients keep connecting while it is away.
      this.log?.warn({ err: error, tenant }, 'cluster admission unavailable; applying the limit per instance');
      return local < limit;
    }
  }

  released(tenant: string): void {
    if (!this.link.isUp) return;
    this.redis.hincrby(this.keys.tenantConnections(tenant), this.member.instance, -1).catch(() => {});
  }

  /** Live instances; while Redis is unreachable only this one is known (stats keep working). */
  async instances(): Promise<InstanceInfo[]> {
    const self = this.member.describe();
    if (!this.link.isUp) return [self];
    try {
      const ids = await this.redis.zrange(this.keys.instances, 0, -1);
      const others = ids.filter((id) => id !== self.instance);
      if (others.length === 0) return [self];
      const beats = await this.redis.mget(others.map((id) => this.keys.instance(id)));
      const live: InstanceInfo[] = [];
      const gone: string[] = [];
      for (const beat of beats) if (beat) live.push(JSON.parse(beat) as InstanceInfo);
      return [self, ...live];
    } catch (error) {
      this.log?.debug({ err: error }, 'cluster view unavailable');
      return [self];
    }
  }

  sharePresence(book: PresenceBook): void {
    this.presence = new RedisPresence(book, this.link, this.keys, this.log);
  }

  async kick(id: string): Promise<boolean> {
    if (this.member.kickLocal(id)) return true;
    const request = randomBytes(6).toString('base64url');
    const message: ControlMessage = { type: 'kick', request, from: this.member.instance, id };
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => finish(false), KICK_TIMEOUT_MS);
      const finish = (closed: boolean) => {
        clearTimeout(timer);
        this.pendingKicks.delete(request);
        resolve(closed);
      };
      const pending: PendingKick = { expected: undefined, answered: 0, resolve: finish };
      this.pendingKicks.set(request, pending);
      viaRedis(() => this.redis.publish(this.keys.control, JSON.stringify(message))).then(
        (receivers) => {
          // Every receiver but this instance answers.
          pending.expected = receivers - 1;
          if (pending.answered >= pending.expected) finish(false);
        },
        (error) => {
          clearTimeout(timer);
          this.pendingKicks.delete(request);
          reject(error);
        },
      );
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (!this.link.isUp) return;
    // The index keeps this instance until the others have reaped it (and dropped its presence).
    const pipeline = this.redis.pipeline().del(this.keys.instance(this.member.instance));
    for (const tenant of this.countedTenants) pipeline.hdel(this.keys.tenantConnections(tenant), this.member.instance);
    await pipeline.exec().catch(() => {});
  }

  /** On (re)connecting: listen for control messages and announce this instance. */
  private async join(): Promise<void> {
    try {
      await this.link.subscriber.subscribe(this.keys.control, this.keys.presence);
      await this.beat();
      this.presence?.rejoin();
    } catch (error) {
      this.log?.warn({ err: error }, 'cluster join failed');
    }
  }

  /** Writes the heartbeat key and this instance's tenant counts. */
  private async beat(): Promise<void> {
    if (this.closed || !this.link.isUp) return;
    const info = this.member.describe();
    const pipeline = this.redis
      .pipeline()
      .set(this.keys.instance(info.instance), JSON.stringify(info), 'PX', HEARTBEAT_TTL_MS)
      .zadd(this.keys.instances, Date.now(), info.instance);
    for (const tenant of Object.keys(info.byTenant)) this.countedTenants.add(tenant);
    for (const tenant of this.countedTenants) {
      const count = info.byTenant[tenant] ?? 0;
      if (count > 0) pipeline.hset(this.keys.tenantConnections(tenant), info.instance, count);
      else {
        pipeline.hdel(this.keys.tenantConnections(tenant), info.instance);
        this.countedTenants.delete(tenant);
      }
    }
    await pipeline.exec().catch((error) => this.log?.debug({ err: error }, 'heartbeat failed'));
    await this.reap().catch((error) => this.log?.debug({ err: error }, 'instance reaping failed'));
  }

  /**
   * Finds instances whose heartbeat expired: their presence goes (each instance drops it from
   * its own view), and the index forgets them once every instance has had time to notice.
   */
  private async reap(): Promise<void> {
    const entries = await this.redis.zrange(this.keys.instances, 0, -1, 'WITHSCORES');
    const ids: string[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === this.member.instance) continue;
      ids.push(entries[i]);
      seen.set(entries[i], Number(entries[i + 1]));
    }
    if (ids.length === 0) return;
    const beats = await this.redis.mget(ids.map((id) => this.keys.instance(id)));
    const forget: string[] = [];
    ids.forEach((id, i) => {
      if (beats[i]) return void this.reaped.delete(id);
      if (!this.reaped.has(id)) {
        this.reaped.add(id);
        this.log?.info({ instance: id }, 'instance stopped');
        this.presence?.instanceGone(id);
      }
      if (Date.now() - seen.get(id)! > INDEX_RETENTION_MS) forget.push(id);
    });
    if (forget.length > 0) {
      await this.redis.zrem(this.keys.instances, ...forget);
      for (const id of forget) this.reaped.delete(id);
    }
  }

  private control(text: string): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    if (message.type === 'kick') {
      if (message.from === this.member.instance) return;
      const answer: ControlMessage = { type: 'kicked', request: message.request, closed: this.member.kickLocal(message.id) };
      this.redis.publish(this.keys.control, JSON.stringify(answer)).catch(() => {});
      return;
    }
    const pending = this.pendingKicks.get(message.request);
    if (!pending) return;
    if (message.closed) return pending.resolve(true);
    pending.answered++;
    if (pending.expected !== undefined && pending.answered >= pending.expected) pending.resolve(false);
  }
}

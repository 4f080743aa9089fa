/**
 * Instances that share one Redis (docs/scaling.md, "Cluster"). Each instance writes a
 * heartbeat key with its figures every second; the key expires a few seconds after the
 * instance stops beating, so a crashed instance disappears by itself and its connections stop
 * counting against tenant limits. Requests for another instance (a kick) go over a control
 * pub/sub channel, and each instance answers for itself.
 *
 * This is the one place that decides whether an instance is alive (its heartbeat key exists):
 * `live` answers it for others (presence loading a channel), `instances` and the reaping use
 * it, and the admission script applies the same test inside Redis. Each beat also compares
 * the index of instances with their heartbeats and reports who joined, went away or came back.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from '../log';
import { ClusterUnavailableError, type Cluster, type ClusterMember, type InstanceInfo, type MembershipEvent } from '../cluster/types';
import type { KeyLayout } from './keys';
import { RedisUnavailableError, viaRedis, type RedisLink } from './link';
import { ADMIT_SCRIPT } from './scripts';

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
  private member: ClusterMember | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly pendingKicks = new Map<string, PendingKick>();
  /** Tenants this instance has written a count for, so a count that went to zero is removed. */
  private readonly countedTenants = new Set<string>();
  private closed = false;
  /** Whether this instance has announced itself once (the next announcement is a comeback). */
  private announced = false;
  /** The other instances in the index, as the last beat found them. */
  private readonly others = new Map<string, 'alive' | 'gone'>();
  private readonly listeners = new Set<(event: MembershipEvent) => void>();

  constructor(
    readonly instance: string,
    private readonly link: RedisLink,
    private readonly keys: KeyLayout,
    private readonly log?: Logger,
  ) {
    this.redis = link.command as Scripted;
    this.redis.defineCommand('pulseAdmit', { numberOfKeys: 1, lua: ADMIT_SCRIPT });
  }

  join(member: ClusterMember): void {
    if (this.member) throw new Error('the cluster has a member already');
    this.member = member;
    this.link.subscriber.on('message', this.onMessage);
    this.link.on('up', this.onUp);
    if (this.link.isUp) void this.announce();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  async admit(tenant: string, local: number, limit: number): Promise<boolean> {
    if (!this.link.isUp) return local < limit;
    try {
      const admitted = await this.redis.pulseAdmit(this.keys.tenantConnections(tenant), this.instance, limit, this.keys.instance(''));
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
    this.redis.hincrby(this.keys.tenantConnections(tenant), this.instance, -1).catch(() => {});
  }

  /** Live instances; while Redis is unreachable only this one is known (stats keep working). */
  async instances(): Promise<InstanceInfo[]> {
    if (!this.member) return [];
    const self = this.member.describe();
    if (!this.link.isUp) return [self];
    try {
      const ids = await this.redis.zrange(this.keys.instances, 0, -1);
      const others = ids.filter((id) => id !== this.instance);
      if (others.length === 0) return [self];
      const live: InstanceInfo[] = [];
      for (const beat of await this.heartbeats(others)) if (beat) live.push(JSON.parse(beat) as InstanceInfo);
      return [self, ...live];
    } catch (error) {
      this.log?.debug({ err: error }, 'cluster view unavailable');
      return [self];
    }
  }

  async live(ids: string[]): Promise<Set<string>> {
    const others = ids.filter((id) => id !== this.instance);
    const beats = others.length > 0 ? await clusterCall(() => this.heartbeats(others)) : [];
    const alive = new Set(ids.filter((id) => id === this.instance));
    others.forEach((id, i) => {
      if (beats[i]) alive.add(id);
    });
    return alive;
  }

  async kick(id: string): Promise<boolean> {
    if (this.member?.kickLocal(id)) return true;
    const request = randomBytes(6).toString('base64url');
    const message: ControlMessage = { type: 'kick', request, from: this.instance, id };
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => finish(false), KICK_TIMEOUT_MS);
      const finish = (closed: boolean) => {
        clearTimeout(timer);
        this.pendingKicks.delete(request);
        resolve(closed);
      };
      const pending: PendingKick = { expected: undefined, answered: 0, resolve: finish };
      this.pendingKicks.set(request, pending);
      clusterCall(() => this.redis.publish(this.keys.control, JSON.stringify(message))).then(
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

  onMembership(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.listeners.clear();
    this.link.subscriber.off('message', this.onMessage);
    this.link.off('up', this.onUp);
    if (!this.link.isUp) return;
    // The index keeps this instance until the others have reaped it (and dropped its presence).
    const pipeline = this.redis.pipeline().del(this.keys.instance(this.instance));
    for (const tenant of this.countedTenants) pipeline.hdel(this.keys.tenantConnections(tenant), this.instance);
    await pipeline.exec().catch(() => {});
  }

  private readonly onMessage = (channel: string, message: string) => {
    if (channel === this.keys.control) this.control(message);
  };

  private readonly onUp = () => void this.announce();

  /** The heartbeat bodies of `ids` (null for an instance not alive). */
  private heartbeats(ids: string[]): Promise<Array<string | null>> {
    return this.redis.mget(ids.map((id) => this.keys.instance(id)));
  }

  /** On (re)connecting: listen for control messages, announce this instance, tell the listeners. */
  private async announce(): Promise<void> {
    try {
      await this.link.subscriber.subscribe(this.keys.control);
      await this.beat();
    } catch (error) {
      this.log?.warn({ err: error }, 'cluster join failed');
      return;
    }
    this.emit({ type: this.announced ? 'back' : 'joined', instance: this.instance });
    this.announced = true;
  }

  /** Writes the heartbeat key and this instance's tenant counts. */
  private async beat(): Promise<void> {
    if (this.closed || !this.member || !this.link.isUp) return;
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
   * Compares the index with the heartbeats: an instance beating for the first time joined,
   * one beating again after it was found stopped is back, one whose heartbeat expired is gone
   * (its presence goes: each instance drops it from its own view). The index forgets a
   * stopped instance once every instance has had time to notice.
   */
  private async reap(): Promise<void> {
    const entries = await this.redis.zrange(this.keys.instances, 0, -1, 'WITHSCORES');
    const ids: string[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === this.instance) continue;
      ids.push(entries[i]);
      seen.set(entries[i], Number(entries[i + 1]));
    }
    if (ids.length === 0) return;
    const beats = await this.heartbeats(ids);
    const forget: string[] = [];
    ids.forEach((id, i) => {
      const was = this.others.get(id);
      if (beats[i]) {
        if (was === 'alive') return;
        this.others.set(id, 'alive');
        return this.emit({ type: was === 'gone' ? 'back' : 'joined', instance: id });
      }
      if (was !== 'gone') {
        this.others.set(id, 'gone');
        this.log?.info({ instance: id }, 'instance stopped');
        this.emit({ type: 'gone', instance: id });
      }
      if (Date.now() - seen.get(id)! > INDEX_RETENTION_MS) forget.push(id);
    });
    if (forget.length > 0) {
      await this.redis.zrem(this.keys.instances, ...forget);
      for (const id of forget) this.others.delete(id);
    }
  }

  private emit(event: MembershipEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private control(text: string): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    if (message.type === 'kick') {
      if (message.from === this.instance || !this.member) return;
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

/** A Redis call for the cluster's callers: Redis out of reach is `ClusterUnavailableError` to them. */
async function clusterCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await viaRedis(call);
  } catch (error) {
    if (error instanceof RedisUnavailableError) throw new ClusterUnavailableError(error.message);
    throw error;
  }
}

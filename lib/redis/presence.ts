/**
 * Presence across instances (docs/scaling.md, "Presence"). Each instance writes its own share
 * of each user on each channel into the channel's presence hash (field `instance|user`) and
 * announces it on one pub/sub channel; every instance applies the others' announcements to
 * its view of the channels it has loaded. A view is loaded from the hash when first needed,
 * keeping only shares of instances the cluster finds alive. Shares are versioned per
 * instance, so a load racing an announcement converges whatever arrives first.
 *
 * It follows the cluster's membership: an instance gone (its heartbeat expired) loses its
 * shares on every instance (each computes the leaves itself, so none is lost or sent twice)
 * and its hash fields are removed; when this instance is back after losing Redis, it
 * publishes its shares again. It sees presence only through `PresenceReplica`.
 */
import type { Logger } from '../log';
import type { Cluster, MembershipEvent } from '../cluster/types';
import type { PresenceEntry, PresenceReplica, PresenceReplication, PresenceShare } from '../presence/types';
import type { KeyLayout } from './keys';
import { viaRedis, type RedisLink } from './link';

interface Announcement extends PresenceShare {
  instance: string;
}

/** What presence needs of the cluster: who this instance is, who is alive, who comes and goes. */
export type PresenceMembership = Pick<Cluster, 'instance' | 'live' | 'onMembership'>;

export class RedisPresence implements PresenceReplication {
  private replica: PresenceReplica | undefined;
  /** Channel keys loaded (or loading) into the view. */
  private readonly loads = new Map<string, Promise<void>>();
  private readonly instance: string;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: KeyLayout,
    private readonly membership: PresenceMembership,
    private readonly log?: Logger,
  ) {
    this.instance = membership.instance;
    link.subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.presence) this.receive(message);
    });
    link.on('up', () => void this.listen());
    if (link.isUp) void this.listen();
    membership.onMembership((event) => this.changed(event));
  }

  attach(replica: PresenceReplica): void {
    this.replica = replica;
  }

  publish(share: PresenceShare): void {
    if (!this.link.isUp) return; // published again once this instance is back
    const { key, user, entry } = share;
    const field = `${this.instance}|${user}`;
    const hash = this.keys.presenceOf(key);
    const announcement: Announcement = { ...share, instance: this.instance };
    const pipeline = this.link.command.pipeline();
    if (entry) pipeline.hset(hash, field, JSON.stringify({ entry, v: share.v, channel: share.channel }));
    else pipeline.hdel(hash, field);
    pipeline.publish(this.keys.presence, JSON.stringify(announcement));
    pipeline.exec().catch((error) => this.log?.debug({ err: error }, 'presence publish failed'));
  }

  load(key: string, channel: string): Promise<void> {
    let loading = this.loads.get(key);
    if (!loading) {
      loading = this.read(key, channel).catch((error) => {
        this.loads.delete(key);
        this.log?.warn({ err: error, channel }, 'presence load failed');
      });
      this.loads.set(key, loading);
    }
    return loading;
  }

  forget(key: string): void {
    this.loads.delete(key);
  }

  /** On (re)connecting: the other instances' announcements. */
  private async listen(): Promise<void> {
    try {
      await this.link.subscriber.subscribe(this.keys.presence);
    } catch (error) {
      this.log?.warn({ err: error }, 'presence subscription failed');
    }
  }

  private changed(event: MembershipEvent): void {
    if (event.instance === this.instance) {
      // Once this instance is in the cluster, again after an outage: every share of it again,
      // under fresh versions (the others may have dropped them meanwhile).
      if (event.type !== 'gone') for (const share of this.replica?.republish() ?? []) this.publish(share);
    } else if (event.type === 'gone') {
      this.instanceGone(event.instance);
    }
  }

  /** An instance stopped: its viewers leave, its fields go. */
  private instanceGone(instance: string): void {
    const dropped = this.replica?.dropInstance(instance) ?? [];
    if (dropped.length === 0 || !this.link.isUp) return;
    const pipeline = this.link.command.pipeline();
    for (const { key, user } of dropped) pipeline.hdel(this.keys.presenceOf(key), `${instance}|${user}`);
    pipeline.exec().catch(() => undefined);
  }

  private async read(key: string, channel: string): Promise<void> {
    const fields = await viaRedis(() => this.link.command.hgetall(this.keys.presenceOf(key)));
    const byInstance = new Map<string, Array<[string, { entry: PresenceEntry; v: number }]>>();
    for (const [field, value] of Object.entries(fields)) {
      const bar = field.indexOf('|');
      const instance = field.slice(0, bar);
      if (instance === this.instance) continue;
      if (!byInstance.has(instance)) byInstance.set(instance, []);
      byInstance.get(instance)!.push([field.slice(bar + 1), JSON.parse(value) as { entry: PresenceEntry; v: number }]);
    }
    const instances = [...byInstance.keys()];
    if (instances.length === 0) return;
    const alive = await this.membership.live(instances);
    for (const instance of instances) {
      if (!alive.has(instance)) {
        this.instanceGone(instance);
        continue;
      }
      for (const [user, { entry, v }] of byInstance.get(instance)!) this.replica?.apply(instance, { key, channel, user, entry, v });
    }
  }

  private receive(text: string): void {
    let message: Announcement;
    try {
      message = JSON.parse(text) as Announcement;
    } catch {
      return;
    }
    if (message.instance === this.instance || !this.loads.has(message.key)) return;
    const { instance, key, channel, user, entry, v } = message;
    this.replica?.apply(instance, { key, channel, user, entry, v });
  }
}

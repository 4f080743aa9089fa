/**
 * Presence across instances (docs/scaling.md, "Presence"). Each instance writes its own share
 * of each user on each channel into the channel's presence hash (field `instance|user`) and
 * announces it on one pub/sub channel; every instance applies the others' announcements to
 * its view of the channels it has loaded. A view is loaded from the hash when first needed,
 * keeping only shares of instances whose heartbeat is alive. Shares are versioned per
 * instance, so a load racing an announcement converges whatever arrives first.
 *
 * An instance that stops is noticed by its heartbeat key expiring (`RedisCluster` reaps it):
 * every instance drops its shares (each computes the leaves itself, so none is lost or sent
 * twice) and its hash fields are removed. After a Redis outage each instance publishes its
 * shares again.
 */
import type { Logger } from '../log';
import type { KeyLayout } from '../engine/redis/keys';
import type { PresenceBook, PresenceEntry, PresenceShare } from '../hub/presence';
import type { RedisLink } from '../redis/link';

interface Announcement {
  key: string;
  channel: string;
  instance: string;
  user: string;
  entry: PresenceEntry | null;
  v: number;
}

export class RedisPresence implements PresenceShare {
  /** Channel keys loaded (or loading) into the view. */
  private readonly loads = new Map<string, Promise<void>>();

  constructor(
    private readonly book: PresenceBook,
    private readonly link: RedisLink,
    private readonly keys: KeyLayout,
    private readonly log?: Logger,
  ) {
    link.subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.presence) this.receive(message);
    });
    book.shareWith(this);
  }

  publish(key: string, channel: string, user: string, entry: PresenceEntry | null, v: number): void {
    if (!this.link.isUp) return; // published again once Redis is back (`rejoin`)
    const field = `${this.book.instance}|${user}`;
    const hash = this.keys.presenceOf(key);
    const announcement: Announcement = { key, channel, instance: this.book.instance, user, entry, v };
    const pipeline = this.link.command.pipeline();
    if (entry) pipeline.hset(hash, field, JSON.stringify({ entry, v, channel }));
    else pipeline.hdel(hash, field);
    pipeline.publish(this.keys.presence, JSON.stringify(announcement));
    pipeline.exec().catch((error) => this.log?.debug({ err: error }, 'presence publish failed'));
  }

  load(key: string, channel: string): Promise<void> {
    let loading = this.loads.get(key);
    if (!loading) {
      // The view exists before the read, so announcements meanwhile are kept and ordered by version.
      this.book.open(key, channel);
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

  /** After (re)connecting: every share of this instance again, under fresh versions. */
  rejoin(): void {
    for (const { key, channel, user, entry } of this.book.localShares()) this.publish(key, channel, user, entry, this.book.nextVersion());
  }

  /** An instance stopped (its heartbeat expired): its viewers leave, its fields go. */
  instanceGone(instance: string): void {
    const shares = this.book.sharesOf(instance);
    this.book.dropInstance(instance);
    if (shares.length === 0 || !this.link.isUp) return;
    const pipeline = this.link.command.pipeline();
    for (const { key, user } of shares) pipeline.hdel(this.keys.presenceOf(key), `${instance}|${user}`);
    pipeline.exec().catch(() => undefined);
  }

  private async read(key: string, channel: string): Promise<void> {
    const fields = await this.link.command.hgetall(this.keys.presenceOf(key));
    const byInstance = new Map<string, Array<[string, { entry: PresenceEntry; v: number }]>>();
    for (const [field, value] of Object.entries(fields)) {
      const bar = field.indexOf('|');
      const instance = field.slice(0, bar);
      if (instance === this.book.instance) continue;
      if (!byInstance.has(instance)) byInstance.set(instance, []);
      byInstance.get(instance)!.push([field.slice(bar + 1), JSON.parse(value) as { entry: PresenceEntry; v: number }]);
    }
    const instances = [...byInstance.keys()];
    if (instances.length === 0) return;
    const alive = await this.link.command.mget(instances.map((id) => this.keys.instance(id)));
    instances.forEach((instance, i) => {
      if (!alive[i]) return this.instanceGone(instance);
      for (const [user, { entry, v }] of byInstance.get(instance)!) this.book.apply(key, channel, instance, user, entry, v);
    });
  }

  private receive(text: string): void {
    let message: Announcement;
    try {
      message = JSON.parse(text) as Announcement;
    } catch {
      return;
    }
    if (message.instance === this.book.instance || !this.loads.has(message.key)) return;
    this.book.apply(message.key, message.channel, message.instance, message.user, message.entry, message.v);
  }
}

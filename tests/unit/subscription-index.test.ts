/**
 * The subscription index groups a channel's subscriptions by pace and then by filter, so the
 * broadcaster computes each view's delta once per group; groups come and go with their
 * subscribers, and the version tells indexes built over the groups when to follow.
 */
import type { Connection } from '@/lib/hub/connection';
import { compileFilter } from '@/lib/hub/filter';
import { EVERY_BATCH, Subscription, SubscriptionIndex } from '@/lib/hub/subscription';
import { channelKey } from '@/lib/protocol/channel';
import type { Filter } from '@/lib/protocol/filter';

const KEY = channelKey('acme', 'fleet');

function connection(): Connection {
  return { subscriptions: new Map<string, Subscription>() } as unknown as Connection;
}

function subscription(conn: Connection, filter: Filter, options: { view?: string; intervalMs?: number } = {}): Subscription {
  return new Subscription(conn, 'acme', 'fleet', KEY, compileFilter(filter), options);
}

describe('SubscriptionIndex groups', () => {
  it('puts subscriptions with one pace and one filter (any spelling) in one group', () => {
    const index = new SubscriptionIndex();
    const a = subscription(connection(), { where: { status: 'offline', battery: { lt: 20 } } });
    const b = subscription(connection(), { where: { battery: { lt: 20 }, status: 'offline' } });
    const c = subscription(connection(), { where: { status: 'online' } });
    const paced = subscription(connection(), { where: { status: 'online' } }, { intervalMs: 1000 });
    for (const sub of [a, b, c, paced]) index.add(sub);

    const paces = index.paces(KEY)!;
    expect([...paces.keys()].sort()).toEqual([EVERY_BATCH, 1000]);
    const everyBatch = paces.get(EVERY_BATCH)!;
    expect(everyBatch.size).toBe(3);
    expect(everyBatch.groups.size).toBe(2);
    expect([...everyBatch.groups.get(a.filter.key)!.subscribers]).toEqual([a, b]);
    expect([...paces.get(1000)!.groups.get(paced.filter.key)!.subscribers]).toEqual([paced]);
  });

  it('drops a group with its last subscriber, and each pace with its last group, changing the version', () => {
    const index = new SubscriptionIndex();
    const a = subscription(connection(), { bounds: { south: 0, north: 10, west: 0, east: 10 } });
    const b = subscription(connection(), { bounds: { south: 0, north: 10, west: 0, east: 10 } });
    const c = subscription(connection(), {});
    index.add(a);
    const views = index.paces(KEY)!.get(EVERY_BATCH)!;
    const afterFirst = views.version;
    index.add(b);
    expect(views.version).toBe(afterFirst);
    index.add(c);
    expect(views.version).toBeGreaterThan(afterFirst);

    const beforeRemoval = views.version;
    index.remove(a);
    expect(views.version).toBe(beforeRemoval);
    expect(views.groups.size).toBe(2);
    index.remove(b);
    expect(views.version).toBeGreaterThan(beforeRemoval);
    expect(views.groups.has(a.filter.key)).toBe(false);
    index.remove(c);
    expect(index.paces(KEY)).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it('moves a replaced (channel, view) to the group of its new filter', () => {
    const index = new SubscriptionIndex();
    const conn = connection();
    const first = subscription(conn, { where: { status: 'online' } }, { view: 'table' });
    const second = subscription(conn, { where: { status: 'offline' } }, { view: 'table' });
    index.add(first);
    index.add(second);
    const views = index.paces(KEY)!.get(EVERY_BATCH)!;
    expect(first.active).toBe(false);
    expect([...views.groups.keys()]).toEqual([second.filter.key]);
    expect(views.size).toBe(1);
    expect(conn.subscriptions.get(second.id)).toBe(second);
  });
});

import type { Connection } from '@/lib/hub/connection';
import { compileFilter } from '@/lib/hub/filter';
import { PresenceBook } from '@/lib/hub/presence';
import { channelKey, Subscription, SubscriptionIndex } from '@/lib/hub/subscription';
import { Subscriptions, type SubscriptionPort } from '@/lib/client/subscriptions';
import type { PresenceState } from '@/lib/client/types';
import type { ServerMessage } from '@/lib/protocol';

const KEY = channelKey('acme', 'board');
const entry = (connections: number, joinedAt = 1) => ({ connections, joinedAt });

/** A watcher: a subscription with presence on a fake connection that records what it gets. */
function watcher(index: SubscriptionIndex, user: string) {
  const received: ServerMessage[] = [];
  const connection = {
    session: { user, tenant: 'acme' },
    subscriptions: new Map(),
    isOpen: true,
    stalledSince: null,
    bufferedBytes: 0,
    send: (message: ServerMessage) => received.push(JSON.parse(JSON.stringify(message)) as ServerMessage),
    sendFrame: (frame: Buffer) => received.push(JSON.parse(frame.toString()) as ServerMessage),
  };
  const sub = new Subscription(connection as unknown as Connection, 'acme', 'board', KEY, compileFilter({}), true);
  index.add(sub);
  return { sub, received };
}

describe('PresenceBook view', () => {
  function setup() {
    const index = new SubscriptionIndex();
    const book = new PresenceBook(index, 'i_self', { graceMs: 0, maxUsers: 10, slowConsumerBytes: 1e6 }, () => 1000);
    const w = watcher(index, 'me');
    return { index, book, w };
  }

  it('aggregates a user across instances: one join, connections summed, one leave after the last share', async () => {
    const { book, w } = setup();
    await book.start(w.sub);
    book.flush();
    expect(w.received).toEqual([{ type: 'presence', channel: 'board', count: 0, users: [], truncated: false }]);
    book.apply(KEY, 'board', 'i_a', 'ann', entry(1, 50), 1);
    book.apply(KEY, 'board', 'i_b', 'ann', entry(2, 40), 1);
    book.flush();
    expect(w.received.at(-1)).toEqual({ type: 'presence_diff', channel: 'board', count: 1, joins: [{ user: 'ann', connections: 3, joinedAt: 40 }], leaves: [] });
    book.apply(KEY, 'board', 'i_a', 'ann', null, 2);
    book.flush();
    expect(w.received).toHaveLength(2);
    book.dropInstance('i_b');
    book.flush();
    expect(w.received.at(-1)).toMatchObject({ type: 'presence_diff', count: 0, leaves: ['ann'] });
  });

  it('ignores a share older than the one held, so a load racing a change converges', () => {
    const { book } = setup();
    book.open(KEY, 'board');
    book.apply(KEY, 'board', 'i_a', 'bob', null, 5); // the removal arrives first
    book.apply(KEY, 'board', 'i_a', 'bob', entry(1), 4); // then the older state, from a load
    expect(book.list(KEY, 'board').count).toBe(0);
    book.apply(KEY, 'board', 'i_a', 'bob', entry(1), 6);
    expect(book.list(KEY, 'board').users).toEqual([{ user: 'bob', connections: 1, joinedAt: 1 }]);
  });

  it('sends nothing for a join and leave within one tick', async () => {
    const { book, w } = setup();
    await book.start(w.sub);
    book.flush();
    const count = w.received.length;
    book.apply(KEY, 'board', 'i_a', 'cy', entry(1), 1);
    book.apply(KEY, 'board', 'i_a', 'cy', null, 2);
    book.flush();
    expect(w.received).toHaveLength(count);
  });

  it('announces a user again in joins when their info changes, and not when it stays', async () => {
    const { book, w } = setup();
    await book.start(w.sub);
    book.apply(KEY, 'board', 'i_a', 'dee', { ...entry(1), info: { name: 'Dee' } }, 1);
    book.flush();
    const count = w.received.length;
    book.apply(KEY, 'board', 'i_a', 'dee', { ...entry(2), info: { name: 'Dee' } }, 2);
    book.flush();
    expect(w.received).toHaveLength(count);
    book.apply(KEY, 'board', 'i_a', 'dee', { ...entry(2), info: { name: 'Dee', team: 'ops' } }, 3);
    book.flush();
    expect(w.received.at(-1)).toEqual({
      type: 'presence_diff',
      channel: 'board',
      count: 1,
      joins: [{ user: 'dee', connections: 2, joinedAt: 1, info: { name: 'Dee', team: 'ops' } }],
      leaves: [],
    });
  });

  it('updateInfo shows a refreshed session\'s info for a subscription it keeps', async () => {
    const { index, book, w } = setup();
    await book.start(w.sub);
    const other = watcher(index, 'eve');
    const session = other.sub.connection.session as unknown as { info?: unknown };
    session.info = { name: 'Eve' };
    book.join(other.sub);
    book.flush();
    expect(book.list(KEY, 'board').users).toEqual([{ user: 'eve', connections: 1, joinedAt: 1000, info: { name: 'Eve' } }]);
    const count = w.received.length;
    book.updateInfo(other.sub);
    book.flush();
    expect(w.received).toHaveLength(count);
    session.info = { name: 'Eve B.' };
    book.updateInfo(other.sub);
    book.flush();
    expect(w.received.at(-1)).toMatchObject({ type: 'presence_diff', joins: [{ user: 'eve', info: { name: 'Eve B.' } }], leaves: [] });
    expect(book.list(KEY, 'board').users[0].info).toEqual({ name: 'Eve B.' });
  });
});

describe('client presence', () => {
  function port(): SubscriptionPort & { sent: unknown[] } {
    const sent: unknown[] = [];
    return { sent, isOpen: () => true, send: (message, callbacks) => (sent.push(message), callbacks.resolve({ recovered: false })), emit: () => {} };
  }

  it('asks for presence, keeps the list from presence and presence_diff, and tells its listeners', () => {
    const p = port();
    const subs = new Subscriptions(p);
    const seen: PresenceState[] = [];
    subs.add('board', { presence: true, onPresence: (state) => seen.push(state) });
    expect(p.sent[0]).toMatchObject({ type: 'subscribe', channel: 'board', presence: true });
    subs.handlePresence({ type: 'presence', channel: 'board', count: 1, users: [{ user: 'ann', connections: 1, joinedAt: 1 }], truncated: false });
    subs.handlePresenceDiff({ type: 'presence_diff', channel: 'board', count: 2, joins: [{ user: 'bob', connections: 1, joinedAt: 2 }], leaves: [] });
    subs.handlePresenceDiff({ type: 'presence_diff', channel: 'board', count: 1, joins: [], leaves: ['ann'] });
    expect(seen.map((s) => [s.count, s.users.map((u) => u.user)])).toEqual([
      [1, ['ann']],
      [2, ['ann', 'bob']],
      [1, ['bob']],
    ]);
    expect(subs.presence('board')).toMatchObject({ count: 1, truncated: false });
  });

  it('subscribes again with presence when a presence listener joins a channel already subscribed without', () => {
    const p = port();
    const subs = new Subscriptions(p);
    subs.add('board', {});
    subs.add('board', { presence: true });
    expect(p.sent).toEqual([expect.not.objectContaining({ presence: true }), expect.objectContaining({ type: 'subscribe', presence: true })]);
  });
});

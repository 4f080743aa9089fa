import { PresenceBook, type PresenceReplica, type PresenceReplication, type PresenceShare, type PresenceWatcher } from '@/lib/presence/presence';
import { localReplication } from '@/lib/presence/local';
import { channelKey } from '@/lib/protocol/channel';
import { Subscriptions, type SubscriptionPort } from '@/lib/client/subscriptions';
import type { PresenceState } from '@/lib/client/types';
import type { Json, ServerMessage } from '@/lib/protocol';

const KEY = channelKey('acme', 'board');
const entry = (connections: number, joinedAt = 1) => ({ connections, joinedAt });
const share = (user: string, value: PresenceShare['entry'], v: number): PresenceShare => ({ key: KEY, channel: 'board', user, entry: value, v });

/** A watcher as the hub hands it to presence: a subscription to `board` that records what it gets. */
interface FakeWatcher extends PresenceWatcher {
  received: ServerMessage[];
  /** Whether its socket takes more frames now. */
  open: boolean;
  active: boolean;
  connection: { session?: { user: string; info?: Json } };
}

function setup({ replication = localReplication as PresenceReplication, graceMs = 0 } = {}) {
  const watchers = new Map<string, Set<FakeWatcher>>();
  const book = new PresenceBook<FakeWatcher>(
    {
      instance: 'i_self',
      replication,
      watchers: (key) => watchers.get(key),
      canSend: (w) => w.open,
      send: (w, frame) => w.received.push(JSON.parse(frame.toString()) as ServerMessage),
      now: () => 1000,
    },
    { graceMs, maxUsers: 10 },
  );
  const watch = (user: string, presence = true): FakeWatcher => {
    const w: FakeWatcher = { key: KEY, channel: 'board', presence, active: true, present: false, presenceReady: false, connection: { session: { user } }, received: [], open: true };
    if (!watchers.has(KEY)) watchers.set(KEY, new Set());
    watchers.get(KEY)!.add(w);
    return w;
  };
  return { book, watch, w: watch('me') };
}

/** A replication that records what presence gives it and keeps the replica it was attached to. */
function recordingReplication() {
  const published: PresenceShare[] = [];
  const replication = {
    replica: undefined as PresenceReplica | undefined,
    published,
    attach(replica: PresenceReplica) {
      replication.replica = replica;
    },
    publish: (s: PresenceShare) => void published.push(s),
    load: async () => {},
    forget() {},
  };
  return replication;
}

describe('PresenceBook view', () => {
  it('aggregates a user across instances: one join, connections summed, one leave after the last share', async () => {
    const { book, w } = setup();
    await book.start(w);
    book.flush();
    expect(w.received).toEqual([{ type: 'presence', channel: 'board', count: 0, users: [], truncated: false }]);
    book.apply('i_a', share('ann', entry(1, 50), 1));
    book.apply('i_b', share('ann', entry(2, 40), 1));
    book.flush();
    expect(w.received.at(-1)).toEqual({ type: 'presence_diff', channel: 'board', count: 1, joins: [{ user: 'ann', connections: 3, joinedAt: 40 }], leaves: [] });
    book.apply('i_a', share('ann', null, 2));
    book.flush();
    expect(w.received).toHaveLength(2);
    expect(book.dropInstance('i_b')).toEqual([{ key: KEY, user: 'ann' }]);
    book.flush();
    expect(w.received.at(-1)).toMatchObject({ type: 'presence_diff', count: 0, leaves: ['ann'] });
  });

  it('ignores a share older than the one held, so a load racing a change converges', async () => {
    const { book } = setup();
    await book.read(KEY, 'board');
    book.apply('i_a', share('bob', null, 5)); // the removal arrives first
    book.apply('i_a', share('bob', entry(1), 4)); // then the older state, from a load
    expect(book.list(KEY, 'board').count).toBe(0);
    book.apply('i_a', share('bob', entry(1), 6));
    expect(book.list(KEY, 'board').users).toEqual([{ user: 'bob', connections: 1, joinedAt: 1 }]);
  });

  it('sends nothing for a join and leave within one tick', async () => {
    const { book, w } = setup();
    await book.start(w);
    book.flush();
    const count = w.received.length;
    book.apply('i_a', share('cy', entry(1), 1));
    book.apply('i_a', share('cy', null, 2));
    book.flush();
    expect(w.received).toHaveLength(count);
  });

  it('announces a user again in joins when their info changes, and not when it stays', async () => {
    const { book, w } = setup();
    await book.start(w);
    book.apply('i_a', share('dee', { ...entry(1), info: { name: 'Dee' } }, 1));
    book.flush();
    const count = w.received.length;
    book.apply('i_a', share('dee', { ...entry(2), info: { name: 'Dee' } }, 2));
    book.flush();
    expect(w.received).toHaveLength(count);
    book.apply('i_a', share('dee', { ...entry(2), info: { name: 'Dee', team: 'ops' } }, 3));
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
    const { book, watch, w } = setup();
    await book.start(w);
    const other = watch('eve', false);
    const session = other.connection.session!;
    session.info = { name: 'Eve' };
    book.join(other);
    book.flush();
    expect(book.list(KEY, 'board').users).toEqual([{ user: 'eve', connections: 1, joinedAt: 1000, info: { name: 'Eve' } }]);
    const count = w.received.length;
    book.updateInfo(other);
    book.flush();
    expect(w.received).toHaveLength(count);
    session.info = { name: 'Eve B.' };
    book.updateInfo(other);
    book.flush();
    expect(w.received.at(-1)).toMatchObject({ type: 'presence_diff', joins: [{ user: 'eve', info: { name: 'Eve B.' } }], leaves: [] });
    expect(book.list(KEY, 'board').users[0].info).toEqual({ name: 'Eve B.' });
  });

  it('gives a watcher whose socket was full no diff, and the whole list once it takes frames again', async () => {
    const { book, w } = setup();
    await book.start(w);
    book.flush();
    w.open = false;
    book.apply('i_a', share('fay', entry(1), 1));
    book.flush();
    expect(w.received).toHaveLength(1);
    book.flush();
    expect(w.received).toHaveLength(1);
    w.open = true;
    book.flush();
    expect(w.received.at(-1)).toEqual({ type: 'presence', channel: 'board', count: 1, users: [{ user: 'fay', connections: 1, joinedAt: 1 }], truncated: false });
  });
});

describe('PresenceBook replication', () => {
  it('publishes each change of this instance\'s share, versioned, and a leave as a null entry', () => {
    const replication = recordingReplication();
    const { book, watch } = setup({ replication });
    expect(replication.replica).toBe(book);
    const a = watch('gus');
    const b = watch('gus');
    book.join(a);
    book.join(b);
    book.leave(a);
    book.leave(b);
    expect(replication.published).toEqual([
      share('gus', { connections: 1, joinedAt: 1000 }, 1),
      share('gus', { connections: 2, joinedAt: 1000 }, 2),
      share('gus', { connections: 1, joinedAt: 1000 }, 3),
      share('gus', null, 4),
    ]);
  });

  it('republishes this instance\'s shares under fresh versions, and does not count them twice', async () => {
    const replication = recordingReplication();
    const { book, w } = setup({ replication });
    book.join(w);
    await book.start(w);
    const republished = replication.replica!.republish();
    expect(republished).toEqual([share('me', { connections: 1, joinedAt: 1000 }, 2)]);
    expect(book.list(KEY, 'board').users).toEqual([{ user: 'me', connections: 1, joinedAt: 1000 }]);
  });

  it('loads a channel through the replication before a watcher starts, and forgets the view nobody needs', async () => {
    const replication = recordingReplication();
    const loaded: string[] = [];
    const forgotten: string[] = [];
    const { book, w } = setup({ replication: { ...replication, load: async (key) => void loaded.push(key), forget: (key) => void forgotten.push(key) } });
    await book.start(w);
    expect(loaded).toEqual([KEY]);
    await book.read(channelKey('acme', 'empty'), 'empty');
    book.flush();
    expect(forgotten).toEqual([channelKey('acme', 'empty')]);
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

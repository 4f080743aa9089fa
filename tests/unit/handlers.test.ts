/**
 * The request handlers (lib/hub/handlers.ts) against the real parts of a hub on the memory
 * engine: authenticator, subscription index, broadcaster, presence and tenant slots. Only the
 * socket under each connection is a stand-in that records what was written to it.
 */
import type WebSocket from 'ws';
import { SingleCluster } from '@/lib/cluster/single';
import { loadConfig, type Config } from '@/lib/config';
import { MemoryEngine } from '@/lib/engine/memory';
import type { Engine } from '@/lib/engine/types';
import { Authenticator, type TokenClaims } from '@/lib/hub/auth';
import { Broadcaster } from '@/lib/hub/broadcaster';
import { Connection } from '@/lib/hub/connection';
import { authenticate, handleRequest, type HubContext } from '@/lib/hub/handlers';
import { createRateState } from '@/lib/hub/rate-limit';
import { HubStats } from '@/lib/hub/stats';
import { SubscriptionIndex, type Subscription } from '@/lib/hub/subscription';
import { TenantSlots } from '@/lib/hub/tenant-slots';
import { createLogger } from '@/lib/log';
import { localReplication } from '@/lib/presence/local';
import { PresenceBook } from '@/lib/presence/presence';
import { channelKey } from '@/lib/protocol/channel';
import { CloseCode, ErrorCode, type ClientMessage, type ServerMessage } from '@/lib/protocol';

const SECRET = 'handlers-test-secret-0123456789abcdef';
const TENANT = 'acme';

/** The socket under a connection: open, never backed up, recording every frame and the close. */
class RecordingSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: ServerMessage[] = [];
  closed: { code: number; reason: string } | undefined;

  send(frame: Buffer): void {
    this.sent.push(JSON.parse(frame.toString('utf8')) as ServerMessage);
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = 3;
  }

  pause(): void {}
  resume(): void {}

  /** Frames written since the last call. */
  take(): ServerMessage[] {
    return this.sent.splice(0);
  }
}

/** The parts a hub hands its request handlers, wired as `lib/hub/hub.ts` wires them. */
function setup(env: Record<string, string> = {}) {
  const config: Config = loadConfig({ NODE_ENV: 'test', PULSE_JWT_SECRET: SECRET, PULSE_LOG_LEVEL: 'silent', ...env });
  const log = createLogger('silent');
  const engine: Engine = new MemoryEngine({ historySize: config.historySize, historyTtlMs: config.historyTtlMs });
  const stats = new HubStats();
  const index: SubscriptionIndex = new SubscriptionIndex((sub, last) => {
    presence.leave(sub);
    if (last) engine.unwatch(sub.tenant, sub.channel);
  });
  const presence: PresenceBook<Subscription> = new PresenceBook<Subscription>(
    {
      instance: 'i_test',
      replication: localReplication,
      watchers: (key) => index.of(key),
      canSend: ({ connection }) => connection.isOpen && connection.canTakeMore(),
      send: ({ connection }, frame) => connection.sendFrame(frame),
    },
    { graceMs: 0, maxUsers: config.presenceMaxUsers },
  );
  const broadcaster = new Broadcaster(engine, index, stats, config, log, () => presence.flush());
  engine.onCommit((commit) => broadcaster.ingest(commit));
  const auth = new Authenticator({ secret: SECRET, anonymous: false, requireExp: false });
  const tenants = new TenantSlots(new SingleCluster('i_test'), config.maxConnectionsPerTenant);
  const context: HubContext = {
    config,
    instance: 'i_test',
    auth,
    index,
    broadcaster,
    stats,
    presence,
    log,
    async publish(tenant, channel, input) {
      const commit = await engine.publish(tenant, channel, input);
      return { channel, epoch: commit.epoch, seq: commit.seq };
    },
    admit: (connection, session) => tenants.admit(connection, session.tenant),
  };

  const token = (claims: Partial<Omit<TokenClaims, 'exp' | 'iat'>> = {}) => auth.sign({ sub: 'ann', tenant: TENANT, ...claims }, 3600);

  /** A new connection on a recording socket. */
  function open() {
    const socket = new RecordingSocket();
    const connection = new Connection(socket as unknown as WebSocket, '127.0.0.1', createRateState(config.rateLimit, Date.now()), stats, config.slowConsumerBytes);
    return { socket, connection };
  }

  /** A connection that authenticated with a token for `claims`; the welcome is consumed. */
  async function session(claims: Partial<Omit<TokenClaims, 'exp' | 'iat'>> = {}) {
    const opened = open();
    await authenticate(context, opened.connection, { type: 'auth', token: await token(claims), ref: 1 });
    expect(opened.socket.take()).toEqual([expect.objectContaining({ type: 'welcome' })]);
    const request = async (message: ClientMessage) => {
      await handleRequest(context, opened.connection, message);
      return opened.socket.take();
    };
    return { ...opened, request };
  }

  return { config, context, stats, index, tenants, token, open, session };
}

/** The failed reply a request with `ref` gets. */
const refused = (ref: number, code: ErrorCode, message: unknown = expect.any(String)) => ({ type: 'reply', ref, ok: false, error: { code, message } });

describe('auth: the first message of a connection', () => {
  it('welcomes a valid token with the session it opens', async () => {
    const { open, token, context } = setup();
    const { socket, connection } = open();
    await authenticate(context, connection, { type: 'auth', token: await token(), ref: 7 });
    expect(socket.take()).toEqual([
      { type: 'welcome', ref: 7, protocol: 1, connectionId: connection.id, instance: 'i_test', user: 'ann', tenant: TENANT, heartbeatMs: 25_000, expiresAt: expect.any(Number) },
    ]);
    expect(connection.session).toMatchObject({ user: 'ann', tenant: TENANT });
    expect(connection.tenant).toBe(TENANT);
  });

  it('refuses a bad token with AUTH_FAILED and closes with 4401', async () => {
    const { open, context, stats } = setup();
    const { socket, connection } = open();
    await authenticate(context, connection, { type: 'auth', token: 'not-a-token', ref: 1 });
    expect(socket.take()).toEqual([{ type: 'error', code: ErrorCode.AUTH_FAILED, message: 'token malformed', ref: 1 }]);
    expect(socket.closed).toEqual({ code: CloseCode.AUTH, reason: ErrorCode.AUTH_FAILED });
    expect(connection.session).toBeNull();
    expect(stats.errors.AUTH_FAILED).toBe(1);
  });

  it('refuses a connection over the tenant limit with 1013, and admits again once a slot is free', async () => {
    const { session, open, token, context, tenants } = setup({ PULSE_MAX_CONNECTIONS_PER_TENANT: '1' });
    const first = await session();
    const second = open();
    await authenticate(context, second.connection, { type: 'auth', token: await token({ sub: 'bob' }) });
    expect(second.socket.take()).toEqual([{ type: 'error', code: ErrorCode.CONNECTION_LIMIT, message: 'too many connections for this tenant' }]);
    expect(second.socket.closed?.code).toBe(CloseCode.TRY_AGAIN_LATER);
    expect(second.connection.session).toBeNull();
    expect(tenants.byTenant()).toEqual({ [TENANT]: 1 });

    tenants.release(first.connection);
    expect(tenants.byTenant()).toEqual({});
    await session({ sub: 'bob' });
    expect(tenants.byTenant()).toEqual({ [TENANT]: 1 });
  });
});

describe('subscribe', () => {
  it('replies before the first data, and the subscription is in the index', async () => {
    const { session, index } = setup();
    const { request, connection } = await session();
    expect(await request({ type: 'subscribe', channel: 'kpi', ref: 2 })).toEqual([
      { type: 'reply', ref: 2, ok: true, channel: 'kpi', recovered: false },
      expect.objectContaining({ type: 'snapshot', channel: 'kpi', seq: 0, records: [], gap: false }),
    ]);
    expect([...connection.subscriptions.keys()]).toEqual(['kpi']);
    expect(index.of(channelKey(TENANT, 'kpi'))?.size).toBe(1);
  });

  it('refuses a channel the token does not allow with FORBIDDEN, and nothing else arrives', async () => {
    const { session, stats } = setup();
    const { request, connection } = await session({ channels: { subscribe: ['kpi'] } });
    expect(await request({ type: 'subscribe', channel: 'payroll', ref: 2 })).toEqual([refused(2, ErrorCode.FORBIDDEN, 'cannot subscribe to payroll')]);
    expect(connection.subscriptions.size).toBe(0);
    expect(stats.errors.FORBIDDEN).toBe(1);
  });

  it('refuses presence where the token may subscribe but not see who is watching', async () => {
    const { session } = setup();
    const { request } = await session({ channels: { subscribe: ['kpi'], presence: [] } });
    expect(await request({ type: 'subscribe', channel: 'kpi', presence: true, ref: 2 })).toEqual([refused(2, ErrorCode.FORBIDDEN, 'cannot see presence on kpi')]);
    expect(await request({ type: 'subscribe', channel: 'kpi', ref: 3 })).toContainEqual(expect.objectContaining({ type: 'reply', ref: 3, ok: true }));
  });

  it('counts subscriptions per connection: a replaced one does not count, a removed one frees its place', async () => {
    const { session } = setup({ PULSE_MAX_SUBSCRIPTIONS: '2' });
    const { request, connection } = await session();
    await request({ type: 'subscribe', channel: 'a' });
    await request({ type: 'subscribe', channel: 'b' });
    expect(await request({ type: 'subscribe', channel: 'c', ref: 3 })).toEqual([refused(3, ErrorCode.SUBSCRIPTION_LIMIT, 'at most 2 subscriptions per connection')]);
    // Subscribing again to a held channel replaces that subscription.
    expect(await request({ type: 'subscribe', channel: 'a', filter: { where: { v: { gt: 1 } } }, ref: 4 })).toContainEqual(expect.objectContaining({ type: 'reply', ref: 4, ok: true }));
    expect(connection.subscriptions.size).toBe(2);
    await request({ type: 'unsubscribe', channel: 'b' });
    expect(await request({ type: 'subscribe', channel: 'c', ref: 5 })).toContainEqual(expect.objectContaining({ type: 'reply', ref: 5, ok: true }));
    expect([...connection.subscriptions.keys()].sort()).toEqual(['a', 'c']);
  });
});

describe('unsubscribe and resync', () => {
  it('answers NOT_SUBSCRIBED for a subscription the connection does not hold', async () => {
    const { session, stats } = setup();
    const { request } = await session();
    expect(await request({ type: 'unsubscribe', channel: 'kpi', ref: 2 })).toEqual([refused(2, ErrorCode.NOT_SUBSCRIBED, 'not subscribed to kpi')]);
    expect(await request({ type: 'resync', channel: 'kpi', ref: 3 })).toEqual([refused(3, ErrorCode.NOT_SUBSCRIBED, 'not subscribed to kpi')]);
    expect(stats.errors.NOT_SUBSCRIBED).toBe(2);
  });

  it('ends a held subscription: out of the connection and the index', async () => {
    const { session, index } = setup();
    const { request, connection } = await session();
    await request({ type: 'subscribe', channel: 'kpi' });
    expect(await request({ type: 'unsubscribe', channel: 'kpi', ref: 2 })).toEqual([{ type: 'reply', ref: 2, ok: true, channel: 'kpi' }]);
    expect(connection.subscriptions.size).toBe(0);
    expect(index.of(channelKey(TENANT, 'kpi'))).toBeUndefined();
  });

  it('answers resync with a reply, then a fresh snapshot without a gap', async () => {
    const { session } = setup();
    const { request } = await session();
    await request({ type: 'subscribe', channel: 'kpi' });
    expect(await request({ type: 'resync', channel: 'kpi', ref: 2 })).toEqual([
      { type: 'reply', ref: 2, ok: true, channel: 'kpi' },
      expect.objectContaining({ type: 'snapshot', channel: 'kpi', gap: false }),
    ]);
  });
});

describe('auth on an open session: a refresh', () => {
  it('narrows what the session holds: a subscription the new token no longer allows ends with FORBIDDEN', async () => {
    const { session, token, index } = setup();
    const { request, connection } = await session({ channels: { subscribe: ['a', 'b'] } });
    await request({ type: 'subscribe', channel: 'a' });
    await request({ type: 'subscribe', channel: 'b' });
    const answer = await request({ type: 'auth', token: await token({ channels: { subscribe: ['a'] } }), ref: 9 });
    expect(answer).toEqual([
      expect.objectContaining({ type: 'welcome', ref: 9, user: 'ann' }),
      { type: 'error', code: ErrorCode.FORBIDDEN, message: 'subscription to b ended: the refreshed token does not allow it', channel: 'b' },
    ]);
    expect([...connection.subscriptions.keys()]).toEqual(['a']);
    expect(index.of(channelKey(TENANT, 'b'))).toBeUndefined();
    expect(await request({ type: 'subscribe', channel: 'b', ref: 10 })).toEqual([refused(10, ErrorCode.FORBIDDEN)]);
  });

  it('ends a presence subscription whose presence the new token no longer allows', async () => {
    const { session, token } = setup();
    const { request, connection } = await session({ channels: { subscribe: ['a'] } });
    await request({ type: 'subscribe', channel: 'a', presence: true });
    const answer = await request({ type: 'auth', token: await token({ channels: { subscribe: ['a'], presence: [] } }) });
    expect(answer).toContainEqual({ type: 'error', code: ErrorCode.FORBIDDEN, message: 'subscription to a ended: the refreshed token does not allow presence on it', channel: 'a' });
    expect(connection.subscriptions.size).toBe(0);
  });

  it('refuses a token for another user and keeps the session as it was', async () => {
    const { session, token } = setup();
    const { request, connection } = await session({ channels: { subscribe: ['a'] } });
    const before = connection.session;
    expect(await request({ type: 'auth', token: await token({ sub: 'mallory' }), ref: 2 })).toEqual([
      refused(2, ErrorCode.AUTH_FAILED, 'a refresh token must be for the same user and tenant'),
    ]);
    expect(connection.session).toBe(before);
    expect(connection.isOpen).toBe(true);
  });
});

describe('publish and ping', () => {
  it('publishes where the token allows it and answers with the new position', async () => {
    const { session } = setup();
    const { request } = await session({ channels: { subscribe: ['kpi'], publish: ['kpi'] } });
    expect(await request({ type: 'publish', channel: 'kpi', upsert: [{ id: 'r1', v: 1 }], ref: 2 })).toEqual([
      { type: 'reply', ref: 2, ok: true, channel: 'kpi', epoch: expect.any(String), seq: 1 },
    ]);
    expect(await request({ type: 'publish', channel: 'other', upsert: [{ id: 'r1' }], ref: 3 })).toEqual([refused(3, ErrorCode.FORBIDDEN, 'cannot publish to other')]);
  });

  it('answers ping with the server time', async () => {
    const { session } = setup();
    const { request } = await session();
    expect(await request({ type: 'ping', ref: 2 })).toEqual([{ type: 'reply', ref: 2, ok: true, ts: expect.any(Number) }]);
  });
});

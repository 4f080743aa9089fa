/**
 * docs/protocol.md §2: the session. Auth first, welcome, auth failures and their close code,
 * anonymous mode, refresh, expiry, tenant isolation and channel permissions.
 */
import { startTestServer, TEST_API_KEY, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';
import { bearer, http, publishOk, sleep, subscribe } from '../helpers/http';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '10', PULSE_HEARTBEAT_MS: '7000' });
});
afterAll(() => server.close());

const token = (claims: Parameters<typeof signToken>[1], options: Parameters<typeof signToken>[2] = { expiresInS: 3600 }) =>
  signToken(TEST_SECRET, claims, options);

/** Opens a socket, sends `frame` first, and returns the error that follows and the close. */
async function firstFrameRefused(url: string, frame: Msg | string): Promise<{ error: Msg; close: { code: number; reason: string } }> {
  const client = await TestClient.open(url);
  client.send(frame);
  const error = await client.next((m) => m.type === 'error');
  const close = await client.closed;
  expect(client.received.filter((m) => m.type === 'welcome')).toEqual([]);
  return { error, close };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('auth first', () => {
  it('answers auth with a welcome carrying every field and echoing the ref', async () => {
    const jwt = await token({ sub: 'u_17', tenant: 'acme' }, { expiresInS: 600 });
    const exp = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).exp as number;
    const client = await TestClient.open(server.wsUrl);
    client.send({ type: 'auth', ref: 1, token: jwt });
    const welcome = await client.next();
    expect(welcome).toEqual({
      type: 'welcome',
      ref: 1,
      protocol: 1,
      connectionId: expect.any(String),
      instance: server.hub.instance,
      user: 'u_17',
      tenant: 'acme',
      heartbeatMs: 7000,
      expiresAt: exp * 1000,
    });
    const health = await http(server.url, 'GET', '/api/health');
    expect(welcome.instance).toBe(health.body.instance);

    const other = await TestClient.connect(server.wsUrl, jwt);
    expect(other.welcome.connectionId).not.toBe(welcome.connectionId);
    expect(other.welcome.ref).toBe('auth');
    await Promise.all([client.close(), other.close()]);
  });

  it('lets requests sent right behind auth wait for it', async () => {
    const client = await TestClient.open(server.wsUrl);
    client.send({ type: 'auth', ref: 'a' });
    client.send({ type: 'ping', ref: 'p' });
    const welcome = await client.next();
    expect(welcome).toMatchObject({ type: 'welcome', ref: 'a' });
    expect(await client.next()).toMatchObject({ type: 'reply', ref: 'p', ok: true });
    await client.close();
  });

  it('closes with 4401 when no auth arrives within PULSE_AUTH_TIMEOUT_MS', async () => {
    const quick = await startTestServer({ PULSE_AUTH_TIMEOUT_MS: '300' });
    try {
      const silent = await TestClient.open(quick.wsUrl);
      const authed = await TestClient.connect(quick.wsUrl);
      const started = Date.now();
      const close = await silent.closed;
      expect(close.code).toBe(4401);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      // An authenticated connection is not affected by the auth timer.
      await sleep(200);
      expect(await authed.request({ type: 'ping' })).toMatchObject({ ok: true });
      await authed.close();
    } finally {
      await quick.close();
    }
  });
});

describe('first auth that fails: AUTH_FAILED or TOKEN_EXPIRED, then 4401', () => {
  const cases: Array<[string, () => Promise<string>]> = [
    ['a bad signature', () => signToken('another-secret-0123456789', { sub: 'u1', tenant: 'acme' }, { expiresInS: 600 })],
    ['algorithm HS512', () => signToken(TEST_SECRET, { sub: 'u1', tenant: 'acme' }, { expiresInS: 600, alg: 'HS512' })],
    [
      'algorithm none',
      async () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'u1', tenant: 'acme', exp: Math.floor(Date.now() / 1000) + 600 })}.`,
    ],
    [
      'a none header on an HS256 signature',
      async () => {
        const [, payload, signature] = (await token({ sub: 'u1', tenant: 'acme' })).split('.');
        return `${base64url({ alg: 'none' })}.${payload}.${signature}`;
      },
    ],
    ['a missing sub', () => token({ sub: '', tenant: 'acme' })],
    ['a missing tenant', () => token({ sub: 'u1' } as never)],
    ['a tenant that is not a string', () => token({ sub: 'u1', tenant: 42 } as never)],
    ['a channels claim of the wrong shape', () => token({ sub: 'u1', tenant: 'acme', channels: { subscribe: 'kpi' } } as never)],
    ['a malformed token', async () => 'not-a-jwt'],
  ];

  it.each(cases)('refuses %s with AUTH_FAILED', async (_name, make) => {
    const { error, close } = await firstFrameRefused(server.wsUrl, { type: 'auth', ref: 1, token: await make() });
    expect(error).toMatchObject({ type: 'error', code: 'AUTH_FAILED', message: expect.any(String) });
    expect(close.code).toBe(4401);
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const jwt = await token({ sub: 'u1', tenant: 'acme' }, { expiresInS: -30 });
    const { error, close } = await firstFrameRefused(server.wsUrl, { type: 'auth', ref: 1, token: jwt });
    expect(error).toMatchObject({ type: 'error', code: 'TOKEN_EXPIRED' });
    expect(close.code).toBe(4401);
  });

  it('refuses a missing token with AUTH_FAILED when anonymous mode is off', async () => {
    const closed = await startTestServer({ PULSE_ANONYMOUS: '0' });
    try {
      const { error, close } = await firstFrameRefused(closed.wsUrl, { type: 'auth', ref: 1 });
      expect(error).toMatchObject({ type: 'error', code: 'AUTH_FAILED' });
      expect(close.code).toBe(4401);
      // A real token still works there.
      const client = await TestClient.connect(closed.wsUrl, await token({ sub: 'u1', tenant: 'acme' }));
      expect(client.welcome).toMatchObject({ user: 'u1', tenant: 'acme' });
      await client.close();
    } finally {
      await closed.close();
    }
  });

  it('accepts a token without exp outside production (expiresAt null), and refuses it in production', async () => {
    const noExp = await token({ sub: 'u1', tenant: 'acme' }, {});
    const dev = await TestClient.connect(server.wsUrl, noExp);
    expect(dev.welcome.expiresAt).toBeNull();
    await dev.close();

    const production = await startTestServer({ NODE_ENV: 'production', PULSE_API_KEY: TEST_API_KEY });
    try {
      const { error, close } = await firstFrameRefused(production.wsUrl, { type: 'auth', ref: 1, token: noExp });
      expect(error).toMatchObject({ code: 'AUTH_FAILED' });
      expect(close.code).toBe(4401);
      // Anonymous mode is off by default in production.
      const anonymous = await firstFrameRefused(production.wsUrl, { type: 'auth', ref: 2 });
      expect(anonymous.error).toMatchObject({ code: 'AUTH_FAILED' });
      expect(anonymous.close.code).toBe(4401);
      const ok = await TestClient.connect(production.wsUrl, await token({ sub: 'u1', tenant: 'acme' }, { expiresInS: 60 }));
      expect(ok.welcome.user).toBe('u1');
      await ok.close();
    } finally {
      await production.close();
    }
  });
});

describe('AUTH_REQUIRED before a successful auth', () => {
  const frames: Array<[string, Msg | string]> = [
    ['a ping', { type: 'ping', ref: 1 }],
    ['a subscribe', { type: 'subscribe', ref: 1, channel: 'kpi' }],
    ['a publish', { type: 'publish', ref: 1, channel: 'kpi', upsert: [{ id: 'a' }] }],
    ['a frame that is not JSON', 'hello'],
    ['a JSON array', '[1,2]'],
    ['an object without type', { ref: 1 }],
    ['an unknown type', { type: 'hello', ref: 1 }],
    ['an auth with a token of the wrong type', { type: 'auth', ref: 1, token: 42 }],
  ];

  it.each(frames)('answers %s with AUTH_REQUIRED and close 4401', async (_name, frame) => {
    const { error, close } = await firstFrameRefused(server.wsUrl, frame);
    expect(error).toMatchObject({ type: 'error', code: 'AUTH_REQUIRED' });
    expect(close.code).toBe(4401);
  });
});

describe('anonymous mode', () => {
  it('makes an anon-* user of tenant demo who may subscribe to anything and publish nothing', async () => {
    const a = await TestClient.connect(server.wsUrl);
    const b = await TestClient.connect(server.wsUrl);
    expect(a.welcome).toMatchObject({ tenant: 'demo', expiresAt: null });
    expect(a.welcome.user).toMatch(/^anon-.+/);
    expect(b.welcome.user).toMatch(/^anon-.+/);
    expect(b.welcome.user).not.toBe(a.welcome.user);
    for (const channel of ['kpi', 'fleet:eu', 'anything.at_all']) {
      expect(await a.request({ type: 'subscribe', channel })).toMatchObject({ ok: true, channel });
    }
    const published = await a.request({ type: 'publish', channel: 'kpi', upsert: [{ id: 'x' }] });
    expect(published).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // The anonymous user sees tenant demo's data.
    await server.hub.publish('demo', 'anon-check', { upsert: [{ id: 'r1', v: 1 }] });
    const { first } = await subscribe(a, 'anon-check');
    expect(first).toMatchObject({ type: 'snapshot', seq: 1, records: [{ id: 'r1', v: 1 }] });
    await Promise.all([a.close(), b.close()]);
  });
});

describe('refresh and expiry', () => {
  it('refreshes with a fresh token; fails refreshes without harm; expires at exp without a refresh', async () => {
    const claims = { sub: 'u_exp', tenant: 'acme' };
    const short = () => token(claims, { expiresInS: 2 });
    const refreshed = await TestClient.connect(server.wsUrl, await short());
    const expiring = await TestClient.connect(server.wsUrl, await short());
    const stubborn = await TestClient.connect(server.wsUrl, await short());

    // A successful refresh: a new welcome with the new expiresAt, same connection.
    const fresh = await token(claims, { expiresInS: 3600 });
    refreshed.send({ type: 'auth', ref: 'r1', token: fresh });
    const welcome = await refreshed.next((m) => m.type === 'welcome' || m.type === 'reply');
    expect(welcome).toMatchObject({ type: 'welcome', ref: 'r1', user: 'u_exp', tenant: 'acme', connectionId: refreshed.welcome.connectionId });
    expect(welcome.expiresAt).toBeGreaterThan(refreshed.welcome.expiresAt + 3000 * 1000);

    // Failed refreshes: reply ok:false, and the session goes on under its old token.
    const failures: Array<[string, string]> = [
      [await signToken('wrong-secret-0123456789abc', claims, { expiresInS: 3600 }), 'AUTH_FAILED'],
      [await token(claims, { expiresInS: -30 }), 'TOKEN_EXPIRED'],
      [await token({ sub: 'someone-else', tenant: 'acme' }), 'AUTH_FAILED'],
      [await token({ sub: 'u_exp', tenant: 'globex' }), 'AUTH_FAILED'],
      ['garbage', 'AUTH_FAILED'],
    ];
    for (const [jwt, code] of failures) {
      const reply = await stubborn.request({ type: 'auth', token: jwt });
      expect(reply).toMatchObject({ type: 'reply', ok: false, error: { code } });
    }
    expect(await stubborn.request({ type: 'subscribe', channel: 'refresh-check' })).toMatchObject({ ok: true });
    expect(stubborn.received.filter((m) => m.type === 'welcome')).toHaveLength(1);

    // At exp: TOKEN_EXPIRED and 4401 for both un-refreshed sessions; the refreshed one lives on.
    for (const client of [expiring, stubborn]) {
      const error = await client.next((m) => m.type === 'error', 4000);
      expect(error).toMatchObject({ code: 'TOKEN_EXPIRED' });
      expect((await client.closed).code).toBe(4401);
    }
    expect(await refreshed.request({ type: 'ping' })).toMatchObject({ ok: true });
    await refreshed.close();
  }, 15_000);

  it('applies the permissions of a refreshed token to later requests, and keeps the old ones after a failed refresh', async () => {
    const claims = { sub: 'u_perm', tenant: 'acme' };
    const client = await TestClient.connect(server.wsUrl, await token(claims));
    const publish = () => client.request({ type: 'publish', channel: 'perm-refresh', upsert: [{ id: 'x' }] });
    expect(await publish()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // A failed refresh carrying wider rights changes nothing.
    const other = await token({ sub: 'someone-else', tenant: 'acme', channels: { publish: ['*'] } });
    expect(await client.request({ type: 'auth', token: other })).toMatchObject({ ok: false });
    expect(await publish()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    client.send({ type: 'auth', ref: 'wider', token: await token({ ...claims, channels: { publish: ['perm-*'], subscribe: ['*'] } }) });
    expect(await client.next((m) => m.ref === 'wider')).toMatchObject({ type: 'welcome' });
    expect(await publish()).toMatchObject({ ok: true, seq: 1 });
    await client.close();
  });

  it('ends the subscriptions a narrower refreshed token no longer allows, with FORBIDDEN naming the channel, and keeps the others', async () => {
    const claims = { sub: 'u_narrow', tenant: 'acme' };
    const publisher = await TestClient.connect(server.wsUrl, await token({ sub: 'p_narrow', tenant: 'acme', channels: { publish: ['*'] } }));
    const client = await TestClient.connect(server.wsUrl, await token({ ...claims, channels: { subscribe: ['public', 'private', 'lobby'] } }));
    for (const channel of ['public', 'private']) await subscribe(client, channel, {}, 30);
    await subscribe(client, 'lobby', { presence: true }, 30);

    // Only `public` now; `lobby` still, but without presence.
    client.send({ type: 'auth', ref: 'narrower', token: await token({ ...claims, channels: { subscribe: ['public', 'lobby'], presence: ['public'] } }) });
    expect(await client.next((m) => m.ref === 'narrower')).toMatchObject({ type: 'welcome', user: 'u_narrow' });
    const ended = [await client.next((m) => m.type === 'error'), await client.next((m) => m.type === 'error')];
    expect(ended.sort((a, b) => a.channel.localeCompare(b.channel))).toEqual([
      { type: 'error', code: 'FORBIDDEN', message: 'subscription to lobby ended: the refreshed token does not allow presence on it', channel: 'lobby' },
      { type: 'error', code: 'FORBIDDEN', message: 'subscription to private ended: the refreshed token does not allow it', channel: 'private' },
    ]);

    // No more data for the ended ones; the allowed one goes on.
    for (const channel of ['private', 'lobby', 'public']) await publishOk(publisher, channel, { upsert: [{ id: `${channel}-after` }] });
    expect(await client.next((m) => m.type === 'delta')).toMatchObject({ channel: 'public', upsert: [{ id: 'public-after' }] });
    expect(await client.nothing((m) => m.type === 'delta' || m.type === 'snapshot', 200)).toBe(true);
    expect(await client.request({ type: 'unsubscribe', channel: 'private' })).toMatchObject({ ok: false, error: { code: 'NOT_SUBSCRIBED' } });
    expect(await client.request({ type: 'subscribe', channel: 'private' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Subscribing again within the new rights works.
    await subscribe(client, 'lobby');
    expect([...server.hub.connection(client.welcome.connectionId)!.subscriptions.keys()].sort()).toEqual(['lobby', 'public']);
    await Promise.all([client.close(), publisher.close()]);
  });

  it('ends nothing when the refreshed token allows as much', async () => {
    const claims = { sub: 'u_same', tenant: 'acme', channels: { subscribe: ['kept-*'] } };
    const client = await TestClient.connect(server.wsUrl, await token(claims));
    await subscribe(client, 'kept-1', { presence: true });
    client.send({ type: 'auth', ref: 'same', token: await token(claims) });
    expect(await client.next((m) => m.ref === 'same')).toMatchObject({ type: 'welcome' });
    expect(await client.nothing((m) => m.type === 'error', 150)).toBe(true);
    await client.close();
  });

  it('refuses a refresh without a token for a session that came from a token', async () => {
    const closed = await startTestServer({ PULSE_ANONYMOUS: '0' });
    try {
      // A user id that merely looks anonymous, on a token without exp: still a token session.
      for (const url of [server.wsUrl, closed.wsUrl]) {
        const client = await TestClient.connect(url, await token({ sub: 'anon-lookalike', tenant: 'acme' }, {}));
        expect(client.welcome.expiresAt).toBeNull();
        expect(await client.request({ type: 'auth' })).toMatchObject({ type: 'reply', ok: false, error: { code: 'AUTH_FAILED' } });
        expect(client.received.filter((m) => m.type === 'welcome')).toHaveLength(1);
        expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true });
        await client.close();
      }
    } finally {
      await closed.close();
    }
  });

  it('lets an anonymous session re-auth without a token', async () => {
    const client = await TestClient.connect(server.wsUrl);
    client.send({ type: 'auth', ref: 9 });
    const again = await client.next((m) => m.ref === 9);
    expect(again).toMatchObject({ type: 'welcome', user: client.welcome.user, tenant: 'demo' });
    await client.close();
  });
});

describe('token policy: nbf tolerance, audience, issuer, maximum lifetime', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ PULSE_JWT_AUDIENCE: 'pulseboard', PULSE_JWT_ISSUER: 'https://id.example.com', PULSE_JWT_MAX_LIFETIME_S: '3600' });
  });
  afterAll(() => strict.close());

  const nowS = () => Math.floor(Date.now() / 1000);
  /** A token with exactly these claims (times in seconds). */
  async function raw(claims: Record<string, unknown>): Promise<string> {
    const { SignJWT } = await import('jose');
    return new SignJWT({ sub: 'u_policy', tenant: 'acme', aud: 'pulseboard', iss: 'https://id.example.com', iat: nowS(), exp: nowS() + 600, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_SECRET));
  }

  it('accepts a token for this audience and issuer within the lifetime, and nbf up to 5 s ahead', async () => {
    for (const jwt of [await raw({}), await raw({ nbf: nowS() + 3 }), await raw({ aud: ['other', 'pulseboard'] })]) {
      const client = await TestClient.connect(strict.wsUrl, jwt);
      expect(client.welcome.user).toBe('u_policy');
      await client.close();
    }
  });

  it.each([
    ['nbf 10 s ahead', { nbf: 10 }, 'nbf'],
    ['another audience', { aud: 'billing' }, 'aud'],
    ['no audience', { aud: undefined }, 'aud'],
    ['another issuer', { iss: 'https://evil.example.com' }, 'iss'],
    ['a lifetime over PULSE_JWT_MAX_LIFETIME_S', { exp: 7200 }, '3600 s'],
  ])('refuses %s with AUTH_FAILED and 4401, over the socket and HTTP', async (_what, shifts, named) => {
    const claims = Object.fromEntries(Object.entries(shifts).map(([k, v]) => [k, typeof v === 'number' && (k === 'nbf' || k === 'exp') ? nowS() + v : v]));
    const jwt = await raw(claims);
    const { error, close } = await firstFrameRefused(strict.wsUrl, { type: 'auth', ref: 1, token: jwt });
    expect(error).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining(named) });
    expect(close.code).toBe(4401);
    const answer = await http(strict.url, 'GET', '/api/channels/kpi/snapshot', { headers: bearer(jwt) });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('refuses a refresh to a token that breaks the policy, and the session goes on', async () => {
    const client = await TestClient.connect(strict.wsUrl, await raw({}));
    expect(await client.request({ type: 'auth', token: await raw({ iss: 'https://evil.example.com' }) })).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    expect(await client.request({ type: 'ping' })).toMatchObject({ ok: true });
    await client.close();
  });
});

describe('tenant isolation', () => {
  it('keeps acme kpi and globex kpi apart, over sockets and HTTP', async () => {
    const acmePub = await TestClient.connect(server.wsUrl, await token({ sub: 'p', tenant: 'acme', channels: { publish: ['*'], subscribe: ['*'] } }));
    const acme = await TestClient.connect(server.wsUrl, await token({ sub: 'a', tenant: 'acme' }));
    const globex = await TestClient.connect(server.wsUrl, await token({ sub: 'g', tenant: 'globex' }));
    const globexToken = await token({ sub: 'g', tenant: 'globex', channels: { publish: ['*'], subscribe: ['*'] } });
    await subscribe(acme, 'kpi');
    const { first: globexSnap } = await subscribe(globex, 'kpi');
    expect(globexSnap).toMatchObject({ seq: 0, records: [] });

    const reply = await publishOk(acmePub, 'kpi', { upsert: [{ id: 'q1', secret: 'acme-only' }] });
    expect(reply.seq).toBe(1);
    expect(await acme.next((m) => m.type === 'delta')).toMatchObject({ seq: 1, upsert: [{ id: 'q1', secret: 'acme-only' }] });
    expect(await globex.nothing((m) => m.type === 'delta', 200)).toBe(true);

    // globex's kpi has its own seq.
    const globexPublish = await http(server.url, 'POST', '/api/channels/kpi/publish', { headers: bearer(globexToken), body: { upsert: [{ id: 'g1' }] } });
    expect(globexPublish.body).toMatchObject({ channel: 'kpi', seq: 1 });
    expect(await globex.next((m) => m.type === 'delta')).toMatchObject({ seq: 1, upsert: [{ id: 'g1' }] });
    expect(await acme.nothing((m) => m.type === 'delta', 200)).toBe(true);

    const snapshot = await http(server.url, 'GET', '/api/channels/kpi/snapshot', { headers: bearer(globexToken) });
    expect(snapshot.body.records).toEqual([{ id: 'g1' }]);
    // A tenant prefix in a channel name does not reach another tenant: it is just a name.
    const sneaky = await acmePub.request({ type: 'subscribe', channel: 'globex:kpi' });
    expect(sneaky).toMatchObject({ ok: true });
    expect(await acmePub.next((m) => m.type === 'snapshot')).toMatchObject({ channel: 'globex:kpi', seq: 0, records: [] });
    expect(await acmePub.request({ type: 'subscribe', channel: 'globex/kpi' })).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    await Promise.all([acmePub.close(), acme.close(), globex.close()]);
  });
});

describe('channel permissions', () => {
  it('matches patterns with * as any run of characters', async () => {
    const client = await TestClient.connect(
      server.wsUrl,
      await token({ sub: 'perm', tenant: 'acme', channels: { subscribe: ['fleet:*', 'kpi', 'a*b*c'], publish: ['fleet:eu*'] } }),
    );
    const sub = async (channel: string) => (await client.request({ type: 'subscribe', channel })).ok;
    const pub = async (channel: string) => {
      const reply = await client.request({ type: 'publish', channel, upsert: [{ id: 'x' }] });
      if (!reply.ok) expect(reply.error.code).toBe('FORBIDDEN');
      return reply.ok;
    };
    expect(await sub('fleet:eu')).toBe(true);
    expect(await sub('fleet:')).toBe(true);
    expect(await sub('fleet')).toBe(false);
    expect(await sub('kpi')).toBe(true);
    expect(await sub('kpi2')).toBe(false);
    expect(await sub('abc')).toBe(true);
    expect(await sub('a.x.b.y.c')).toBe(true);
    expect(await sub('a.x.c.y.b')).toBe(false);
    expect(await sub('backlog')).toBe(false);
    const forbidden = await client.request({ type: 'subscribe', channel: 'backlog' });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    expect(await pub('fleet:eu')).toBe(true);
    expect(await pub('fleet:eu:north')).toBe(true);
    expect(await pub('fleet:us')).toBe(false);
    expect(await pub('kpi')).toBe(false);
    await client.close();
  });

  it('without channels: subscribe to all, publish to none', async () => {
    const client = await TestClient.connect(server.wsUrl, await token({ sub: 'plain', tenant: 'acme' }));
    expect(await client.request({ type: 'subscribe', channel: 'anything:here' })).toMatchObject({ ok: true });
    expect(await client.request({ type: 'publish', channel: 'anything:here', upsert: [{ id: 'x' }] })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    await client.close();
  });

  it('with channels, a missing list grants nothing', async () => {
    const publishOnly = await TestClient.connect(server.wsUrl, await token({ sub: 'po', tenant: 'acme', channels: { publish: ['kpi'] } }));
    expect(await publishOnly.request({ type: 'publish', channel: 'kpi', upsert: [{ id: 'x' }] })).toMatchObject({ ok: true });
    expect(await publishOnly.request({ type: 'subscribe', channel: 'kpi' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const subscribeOnly = await TestClient.connect(server.wsUrl, await token({ sub: 'so', tenant: 'acme', channels: { subscribe: ['kpi'] } }));
    expect(await subscribeOnly.request({ type: 'subscribe', channel: 'kpi' })).toMatchObject({ ok: true });
    expect(await subscribeOnly.request({ type: 'publish', channel: 'kpi', upsert: [{ id: 'x' }] })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });

    const empty = await TestClient.connect(server.wsUrl, await token({ sub: 'none', tenant: 'acme', channels: {} }));
    expect(await empty.request({ type: 'subscribe', channel: 'kpi' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await Promise.all([publishOnly.close(), subscribeOnly.close(), empty.close()]);
  });
});

describe('development secret', () => {
  it('makes a random secret per run when PULSE_JWT_SECRET is unset', async () => {
    const one = await startTestServer({ PULSE_JWT_SECRET: '' });
    const two = await startTestServer({ PULSE_JWT_SECRET: '' });
    try {
      const refused = await firstFrameRefused(one.wsUrl, { type: 'auth', token: await token({ sub: 'u', tenant: 'acme' }) });
      expect(refused.error.code).toBe('AUTH_FAILED');
      const issued = await http(one.url, 'POST', '/api/token', { body: { user: 'u', tenant: 'acme' } });
      expect(issued.status).toBe(200);
      const ok = await TestClient.connect(one.wsUrl, issued.body.token);
      expect(ok.welcome).toMatchObject({ user: 'u', tenant: 'acme' });
      await ok.close();
      const elsewhere = await firstFrameRefused(two.wsUrl, { type: 'auth', token: issued.body.token });
      expect(elsewhere.error.code).toBe('AUTH_FAILED');
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

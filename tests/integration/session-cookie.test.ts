/**
 * docs/protocol.md §2 and §10: the session cookie. `POST /api/session` verifies a token and
 * keeps it in an HTTP-only cookie, `DELETE` removes it; a socket whose upgrade carried the
 * cookie authenticates with it when `auth` has no token (the origin check still guards the
 * upgrade); HTTP reads accept it, writes do not. Anonymous sessions belong to
 * `PULSE_DASHBOARD_TENANT`.
 */
import { startTestServer, TEST_API_KEY, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';
import { bearer, http } from '../helpers/http';

const token = (claims: Parameters<typeof signToken>[1], expiresInS = 3600) => signToken(TEST_SECRET, claims, { expiresInS });

/** Opens a socket with `headers` on the upgrade, sends `auth` (without a token unless given) and returns the first answer. */
async function authWith(url: string, headers: Record<string, string>, authToken?: string): Promise<{ client: TestClient; answer: Msg }> {
  const client = await TestClient.open(url, { headers });
  client.send({ type: 'auth', ref: 1, ...(authToken ? { token: authToken } : {}) });
  return { client, answer: await client.next((m) => m.type === 'welcome' || m.type === 'error') };
}

describe('with anonymous mode off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_ANONYMOUS: '0', PULSE_API_KEY: TEST_API_KEY, PULSE_BATCH_MS: '10' });
    const publish = (tenant: string, id: string) =>
      http(server.url, 'POST', '/api/channels/kpi/publish', { headers: { ...bearer(TEST_API_KEY), 'x-tenant-id': tenant }, body: { upsert: [{ id, v: 1 }] } });
    expect((await publish('demo', 'demo-only')).status).toBe(200);
    expect((await publish('acme', 'acme-only')).status).toBe(200);
  });
  afterAll(() => server.close());

  describe('POST /api/session', () => {
    it('sets the verified token as an HTTP-only, same-site cookie that expires with it', async () => {
      const jwt = await token({ sub: 'ada', tenant: 'acme' }, 600);
      const result = await http(server.url, 'POST', '/api/session', { headers: bearer(jwt) });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ user: 'ada', tenant: 'acme', expiresAt: expect.any(Number) });
      const cookie = result.headers.get('set-cookie')!;
      expect(cookie).toMatch(new RegExp(`^pulse_token=${jwt.replace(/\./g, '\\.')}; Path=/; HttpOnly; SameSite=Lax; Max-Age=(59\\d|600)$`));
      expect(cookie).not.toContain('Secure');
    });

    it('marks the cookie Secure when the request came over HTTPS', async () => {
      const jwt = await token({ sub: 'ada', tenant: 'acme' });
      const result = await http(server.url, 'POST', '/api/session', { headers: { ...bearer(jwt), 'x-forwarded-proto': 'https' } });
      expect(result.status).toBe(200);
      expect(result.headers.get('set-cookie')).toMatch(/; Secure$/);
    });

    it('answers 401 and sets nothing for a missing, wrong or expired token', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{}, 'AUTH_FAILED'],
        [bearer(await signToken('another-secret-0123456789abcdef', { sub: 'ada', tenant: 'acme' }, { expiresInS: 600 })), 'AUTH_FAILED'],
        [bearer(await token({ sub: 'ada', tenant: 'acme' }, -10)), 'TOKEN_EXPIRED'],
        [bearer(TEST_API_KEY), 'AUTH_FAILED'],
      ];
      for (const [headers, code] of cases) {
        const result = await http(server.url, 'POST', '/api/session', { headers });
        expect([result.status, result.body.error.code]).toEqual([401, code]);
        expect(result.headers.get('set-cookie')).toBeNull();
      }
    });

    it('refuses a request from another site', async () => {
      const jwt = await token({ sub: 'mallory', tenant: 'evil' });
      const result = await http(server.url, 'POST', '/api/session', { headers: { ...bearer(jwt), origin: 'https://evil.example' } });
      expect(result.status).toBe(403);
      expect(result.headers.get('set-cookie')).toBeNull();
    });
  });

  it('DELETE /api/session removes the cookie', async () => {
    const result = await http(server.url, 'DELETE', '/api/session');
    expect(result.status).toBe(204);
    expect(result.headers.get('set-cookie')).toBe('pulse_token=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
  });

  describe('the socket', () => {
    it('authenticates an auth without token with the cookie of its upgrade, refresh included', async () => {
      const jwt = await token({ sub: 'ada', tenant: 'acme', channels: { subscribe: ['kpi'] } });
      const { client, answer } = await authWith(server.wsUrl, { cookie: `theme=dark; pulse_token=${jwt}` });
      expect(answer).toMatchObject({ type: 'welcome', ref: 1, user: 'ada', tenant: 'acme' });
      expect(await client.request({ type: 'subscribe', channel: 'kpi' })).toMatchObject({ ok: true });
      const snapshot = await client.next((m) => m.type === 'snapshot');
      expect(snapshot.records.map((r: Msg) => r.id)).toEqual(['acme-only']);
      expect((await client.request({ type: 'subscribe', channel: 'backlog' })).error.code).toBe('FORBIDDEN');
      client.send({ type: 'auth', ref: 'refresh' });
      expect(await client.next((m) => m.ref === 'refresh')).toMatchObject({ type: 'welcome', user: 'ada', tenant: 'acme' });
      await client.close();
    });

    it('lets a token in auth win over the cookie', async () => {
      const cookieJwt = await token({ sub: 'ada', tenant: 'acme' });
      const { client, answer } = await authWith(server.wsUrl, { cookie: `pulse_token=${cookieJwt}` }, await token({ sub: 'bob', tenant: 'globex' }));
      expect(answer).toMatchObject({ type: 'welcome', user: 'bob', tenant: 'globex' });
      await client.close();
    });

    it('refuses an auth without token when there is no cookie, or a cookie the hub does not accept', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{}, 'AUTH_FAILED'],
        [{ cookie: 'pulse_token=' }, 'AUTH_FAILED'],
        [{ cookie: 'pulse_token=not-a-token' }, 'AUTH_FAILED'],
        [{ cookie: `pulse_token=${await token({ sub: 'ada', tenant: 'acme' }, -10)}` }, 'TOKEN_EXPIRED'],
      ];
      for (const [headers, code] of cases) {
        const { client, answer } = await authWith(server.wsUrl, headers);
        expect(answer).toMatchObject({ type: 'error', code });
        expect((await client.closed).code).toBe(4401);
      }
    });

    it('keeps refusing the upgrade from a foreign origin, cookie or not', async () => {
      const jwt = await token({ sub: 'ada', tenant: 'acme' });
      await expect(TestClient.open(server.wsUrl, { headers: { cookie: `pulse_token=${jwt}`, origin: 'https://evil.example' } })).rejects.toThrow('HTTP 403');
      // the page's own origin passes
      const { client, answer } = await authWith(server.wsUrl, { cookie: `pulse_token=${jwt}`, origin: server.url });
      expect(answer).toMatchObject({ type: 'welcome', user: 'ada' });
      await client.close();
    });
  });

  describe('HTTP', () => {
    it('accepts the cookie on reads, within the token’s channels', async () => {
      const jwt = await token({ sub: 'ada', tenant: 'acme', channels: { subscribe: ['kpi'] } });
      const read = await http(server.url, 'GET', '/api/channels/kpi/snapshot', { headers: { cookie: `pulse_token=${jwt}` } });
      expect(read.status).toBe(200);
      expect(read.body.records.map((r: Msg) => r.id)).toEqual(['acme-only']);
      const forbidden = await http(server.url, 'GET', '/api/channels/backlog/snapshot', { headers: { cookie: `pulse_token=${jwt}` } });
      expect(forbidden.status).toBe(403);
      expect((await http(server.url, 'GET', '/api/channels/kpi/snapshot')).status).toBe(401);
    });

    it('never takes the cookie for a write', async () => {
      const jwt = await token({ sub: 'ada', tenant: 'acme', channels: { subscribe: ['*'], publish: ['*'] } });
      const result = await http(server.url, 'POST', '/api/channels/kpi/publish', { headers: { cookie: `pulse_token=${jwt}` }, body: { upsert: [{ id: 'x' }] } });
      expect(result.status).toBe(401);
    });
  });
});

describe('with anonymous mode on and PULSE_DASHBOARD_TENANT', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_ANONYMOUS: '1', PULSE_DASHBOARD_TENANT: 'acme', PULSE_API_KEY: TEST_API_KEY });
    const result = await http(server.url, 'POST', '/api/channels/kpi/publish', { headers: { ...bearer(TEST_API_KEY), 'x-tenant-id': 'acme' }, body: { upsert: [{ id: 'acme-only' }] } });
    expect(result.status).toBe(200);
  });
  afterAll(() => server.close());

  it('puts anonymous sessions, on the socket and over HTTP, in that tenant', async () => {
    const client = await TestClient.connect(server.wsUrl);
    expect(client.welcome).toMatchObject({ tenant: 'acme', user: expect.stringMatching(/^anon-/) });
    await client.close();
    const read = await http(server.url, 'GET', '/api/channels/kpi/snapshot');
    expect(read.body.records.map((r: Msg) => r.id)).toEqual(['acme-only']);
  });

  it('lets a session cookie, when present, decide the session instead', async () => {
    const jwt = await token({ sub: 'bob', tenant: 'globex' });
    const { client, answer } = await authWith(server.wsUrl, { cookie: `pulse_token=${jwt}` });
    expect(answer).toMatchObject({ type: 'welcome', user: 'bob', tenant: 'globex' });
    await client.close();
  });
});

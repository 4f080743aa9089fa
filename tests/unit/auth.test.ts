import { SignJWT } from 'jose';
import { Authenticator, NBF_TOLERANCE_S, type AuthOptions, type AuthResult, type Session } from '@/lib/hub/auth';

const SECRET = 'test-secret-of-a-decent-length-0123456789';
const OPTIONS: AuthOptions = { secret: SECRET, anonymous: false, requireExp: true };
const nowS = () => Math.floor(Date.now() / 1000);

/** Signs `claims` with HS256 (or `alg`) and `secret`; `exp` in seconds when given. */
async function token(claims: Record<string, unknown>, { secret = SECRET, alg = 'HS256' } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** An unsigned token (`alg: none`), which no verifier may accept. */
function unsigned(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

function session(result: AuthResult): Session {
  if (!result.ok) throw new Error(`expected a session, got ${result.code}: ${result.message}`);
  return result.session;
}

const failure = (result: AuthResult) => (result.ok ? 'ok' : result.code);

describe('Authenticator: tokens', () => {
  const auth = new Authenticator(OPTIONS);

  it('accepts a valid HS256 token', async () => {
    const exp = nowS() + 600;
    const s = session(await auth.authenticate(await token({ sub: 'u_17', tenant: 'acme', exp })));
    expect(s.user).toBe('u_17');
    expect(s.tenant).toBe('acme');
    expect(s.expiresAt).toBe(exp * 1000);
  });

  it('refuses a token signed with another secret', async () => {
    const result = await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp: nowS() + 600 }, { secret: 'another-secret-0123456789-abcdef' }));
    expect(failure(result)).toBe('AUTH_FAILED');
  });

  it('refuses alg none and other algorithms, even with the right secret', async () => {
    const claims = { sub: 'u', tenant: 'acme', exp: nowS() + 600 };
    expect(failure(await auth.authenticate(unsigned(claims)))).toBe('AUTH_FAILED');
    expect(failure(await auth.authenticate(await token(claims, { alg: 'HS512' })))).toBe('AUTH_FAILED');
    expect(failure(await auth.authenticate(await token(claims, { alg: 'HS384' })))).toBe('AUTH_FAILED');
  });

  it('reports an expired token as TOKEN_EXPIRED', async () => {
    const result = await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp: nowS() - 60 }));
    expect(result).toEqual({ ok: false, code: 'TOKEN_EXPIRED', message: expect.any(String) });
  });

  it('reports an expired token with a bad signature as AUTH_FAILED', async () => {
    const result = await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp: nowS() - 60 }, { secret: 'another-secret-0123456789-abcdef' }));
    expect(failure(result)).toBe('AUTH_FAILED');
  });

  it('refuses missing or malformed sub and tenant', async () => {
    const exp = nowS() + 600;
    const cases: Array<Record<string, unknown>> = [
      { tenant: 'acme', exp },
      { sub: '', tenant: 'acme', exp },
      { sub: 42, tenant: 'acme', exp },
      { sub: 'u', exp },
      { sub: 'u', tenant: '', exp },
      { sub: 'u', tenant: 'ac/me', exp },
      { sub: 'u', tenant: 'ac me', exp },
      { sub: 'u', tenant: 'acme\n', exp },
      { sub: 'u', tenant: 'a'.repeat(129), exp },
      { sub: 'u', tenant: 7, exp },
    ];
    for (const claims of cases) {
      const result = await auth.authenticate(await token(claims));
      expect([JSON.stringify(claims), failure(result)]).toEqual([JSON.stringify(claims), 'AUTH_FAILED']);
    }
  });

  it('accepts tenants made of the channel-name characters', async () => {
    const tenant = 'Acme_1.eu:west-2';
    expect(session(await auth.authenticate(await token({ sub: 'u', tenant, exp: nowS() + 600 }))).tenant).toBe(tenant);
    expect(session(await auth.authenticate(await token({ sub: 'u', tenant: 'a'.repeat(128), exp: nowS() + 600 }))).tenant).toHaveLength(128);
  });

  it('refuses malformed tokens and a wrongly typed exp', async () => {
    for (const bad of ['', 'garbage', 'a.b.c', `${await token({ sub: 'u', tenant: 'acme', exp: nowS() + 600 })}x`]) {
      expect(failure(await auth.authenticate(bad))).toBe('AUTH_FAILED');
    }
    expect(failure(await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp: 'tomorrow' })))).toBe('AUTH_FAILED');
  });

  it('requires exp when requireExp is set, and allows its absence otherwise', async () => {
    const withoutExp = await token({ sub: 'u', tenant: 'acme' });
    expect(failure(await new Authenticator(OPTIONS).authenticate(withoutExp))).toBe('AUTH_FAILED');
    const s = session(await new Authenticator({ ...OPTIONS, requireExp: false }).authenticate(withoutExp));
    expect(s.user).toBe('u');
    expect(s.expiresAt).toBeNull();
  });

  it('still refuses an expired token when exp is optional', async () => {
    const lenient = new Authenticator({ ...OPTIONS, requireExp: false });
    expect(failure(await lenient.authenticate(await token({ sub: 'u', tenant: 'acme', exp: nowS() - 60 })))).toBe('TOKEN_EXPIRED');
  });
});

describe('Authenticator: time claims', () => {
  const auth = new Authenticator(OPTIONS);
  /** Fakes the clock (Date only: jose's crypto runs on promises) at `ms`. */
  const at = (ms: number) => jest.useFakeTimers({ now: ms, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
  afterEach(() => jest.useRealTimers());

  it(`accepts nbf up to ${NBF_TOLERANCE_S} s ahead (an issuer's clock running early) and refuses it further ahead`, async () => {
    const exp = nowS() + 600;
    const early = session(await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp, nbf: nowS() + 3 })));
    expect(early.user).toBe('u');
    const future = await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp, nbf: nowS() + 10 }));
    expect(future).toEqual({ ok: false, code: 'AUTH_FAILED', message: expect.stringContaining('nbf') });
  });

  it('keeps exp exact: valid up to the millisecond before it, TOKEN_EXPIRED from it on, with no tolerance', async () => {
    const exp = nowS() + 60;
    const jwt = await token({ sub: 'u', tenant: 'acme', exp });
    at(exp * 1000 - 1);
    expect(session(await auth.authenticate(jwt)).expiresAt).toBe(exp * 1000);
    at(exp * 1000);
    expect(failure(await auth.authenticate(jwt))).toBe('TOKEN_EXPIRED');
    at(exp * 1000 + 2000);
    expect(failure(await auth.authenticate(jwt))).toBe('TOKEN_EXPIRED');
  });
});

describe('Authenticator: audience and issuer', () => {
  const auth = new Authenticator({ ...OPTIONS, audience: 'pulseboard', issuer: 'https://id.example.com' });
  const claims = (extra: Record<string, unknown>) => ({ sub: 'u', tenant: 'acme', exp: nowS() + 600, ...extra });

  it('accepts a token for this audience from this issuer (aud as a string or a list)', async () => {
    expect(session(await auth.authenticate(await token(claims({ aud: 'pulseboard', iss: 'https://id.example.com' })))).user).toBe('u');
    expect(session(await auth.authenticate(await token(claims({ aud: ['billing', 'pulseboard'], iss: 'https://id.example.com' })))).user).toBe('u');
  });

  it.each([
    ['another audience', { aud: 'billing', iss: 'https://id.example.com' }, 'aud'],
    ['no audience', { iss: 'https://id.example.com' }, 'aud'],
    ['another issuer', { aud: 'pulseboard', iss: 'https://evil.example.com' }, 'iss'],
    ['no issuer', { aud: 'pulseboard' }, 'iss'],
  ])('refuses %s with AUTH_FAILED naming the claim', async (_what, extra, claim) => {
    const result = await auth.authenticate(await token(claims(extra)));
    expect(result).toEqual({ ok: false, code: 'AUTH_FAILED', message: expect.stringContaining(claim) });
  });

  it('ignores aud and iss when none is configured', async () => {
    expect(session(await new Authenticator(OPTIONS).authenticate(await token(claims({ aud: 'anything', iss: 'anyone' })))).user).toBe('u');
  });

  it('signs development tokens for the configured audience and issuer', async () => {
    expect(session(await auth.authenticate(await auth.sign({ sub: 'dev', tenant: 'acme' }, 60))).user).toBe('dev');
  });
});

describe('Authenticator: maximum lifetime', () => {
  const auth = new Authenticator({ ...OPTIONS, requireExp: false, maxLifetimeS: 3600 });
  const base = { sub: 'u', tenant: 'acme' };

  it('accepts a token valid for the maximum, counted from iat', async () => {
    const iat = nowS() - 100;
    expect(session(await auth.authenticate(await token({ ...base, iat, exp: iat + 3600 }))).user).toBe('u');
  });

  it.each([
    ['exp - iat over the maximum', () => ({ iat: nowS() - 100, exp: nowS() - 100 + 3601 })],
    ['exp - now over the maximum without iat', () => ({ exp: nowS() + 3700 })],
    ['a future iat that would hide the lifetime', () => ({ iat: nowS() + 86_400, exp: nowS() + 86_400 + 60 })],
    ['no exp at all, even where exp is optional', () => ({ iat: nowS() })],
  ])('refuses %s with AUTH_FAILED', async (_what, times) => {
    const result = await auth.authenticate(await token({ ...base, ...times() }));
    expect(result).toEqual({ ok: false, code: 'AUTH_FAILED', message: expect.any(String) });
  });

  it('names the limit', async () => {
    const result = await auth.authenticate(await token({ ...base, exp: nowS() + 7200 }));
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('3600 s') });
  });

  it('refuses to sign a token over the maximum', async () => {
    await expect(auth.sign(base, 3601)).rejects.toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('3600') });
    expect(session(await auth.authenticate(await auth.sign(base, 3600))).user).toBe('u');
  });
});

describe('Authenticator: anonymous mode', () => {
  it('gives a token-less auth an anonymous demo session when on', async () => {
    const auth = new Authenticator({ ...OPTIONS, anonymous: true });
    const first = session(await auth.authenticate(undefined));
    const second = session(await auth.authenticate(undefined));
    expect(first.user).toMatch(/^anon-.+/);
    expect(second.user).not.toBe(first.user);
    expect(first.tenant).toBe('demo');
    expect(first.expiresAt).toBeNull();
    expect(first.canSubscribe('kpi')).toBe(true);
    expect(first.canSubscribe('fleet:eu')).toBe(true);
    expect(first.canPublish('kpi')).toBe(false);
  });

  it('still verifies tokens that are given', async () => {
    const auth = new Authenticator({ ...OPTIONS, anonymous: true });
    expect(failure(await auth.authenticate('garbage'))).toBe('AUTH_FAILED');
    expect(session(await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp: nowS() + 60 }))).user).toBe('u');
  });

  it('refuses a missing token when off', async () => {
    expect(failure(await new Authenticator(OPTIONS).authenticate(undefined))).toBe('AUTH_FAILED');
  });
});

describe('Authenticator: channels claim', () => {
  const auth = new Authenticator(OPTIONS);
  const withChannels = async (channels?: unknown) =>
    session(await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp: nowS() + 600, ...(channels === undefined ? {} : { channels }) })));

  it('without channels: subscribe to everything, publish nothing', async () => {
    const s = await withChannels();
    for (const channel of ['kpi', 'fleet:eu', 'x']) {
      expect(s.canSubscribe(channel)).toBe(true);
      expect(s.canPublish(channel)).toBe(false);
    }
  });

  it('applies subscribe and publish patterns, * matching any run', async () => {
    const s = await withChannels({ subscribe: ['kpi', 'fleet:*'], publish: ['fleet:*:ops'] });
    expect(s.canSubscribe('kpi')).toBe(true);
    expect(s.canSubscribe('fleet:eu')).toBe(true);
    expect(s.canSubscribe('fleet:')).toBe(true);
    expect(s.canSubscribe('fleet')).toBe(false);
    expect(s.canSubscribe('kpi:eu')).toBe(false);
    expect(s.canPublish('fleet:eu:ops')).toBe(true);
    expect(s.canPublish('fleet::ops')).toBe(true);
    expect(s.canPublish('fleet:eu')).toBe(false);
    expect(s.canPublish('kpi')).toBe(false);
  });

  it('grants nothing for a missing list once channels is given', async () => {
    const onlySubscribe = await withChannels({ subscribe: ['*'] });
    expect(onlySubscribe.canSubscribe('anything')).toBe(true);
    expect(onlySubscribe.canPublish('anything')).toBe(false);

    const onlyPublish = await withChannels({ publish: ['kpi'] });
    expect(onlyPublish.canSubscribe('kpi')).toBe(false);
    expect(onlyPublish.canPublish('kpi')).toBe(true);

    const empty = await withChannels({});
    expect(empty.canSubscribe('kpi')).toBe(false);
    expect(empty.canPublish('kpi')).toBe(false);

    const emptyLists = await withChannels({ subscribe: [], publish: [] });
    expect(emptyLists.canSubscribe('kpi')).toBe(false);
  });

  it('refuses a malformed channels claim', async () => {
    for (const channels of [['kpi'], { subscribe: 'kpi' }, { publish: [1] }, 'all']) {
      const result = await auth.authenticate(await token({ sub: 'u', tenant: 'acme', exp: nowS() + 600, channels }));
      expect(failure(result)).toBe('AUTH_FAILED');
    }
  });
});

describe('Authenticator.sign', () => {
  it('round-trips through authenticate', async () => {
    const auth = new Authenticator(OPTIONS);
    const before = Date.now();
    const signed = await auth.sign({ sub: 'u_9', tenant: 'globex', channels: { subscribe: ['kpi'], publish: ['kpi'] } }, 120);
    const s = session(await auth.authenticate(signed));
    expect(s.user).toBe('u_9');
    expect(s.tenant).toBe('globex');
    expect(s.expiresAt! % 1000).toBe(0);
    expect(s.expiresAt!).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 120_000);
    expect(s.expiresAt!).toBeLessThanOrEqual(Date.now() + 120_000);
    expect(s.canSubscribe('kpi')).toBe(true);
    expect(s.canSubscribe('fleet')).toBe(false);
    expect(s.canPublish('kpi')).toBe(true);
  });

  it('signs without channels as subscribe-all, publish-none', async () => {
    const auth = new Authenticator(OPTIONS);
    const s = session(await auth.authenticate(await auth.sign({ sub: 'u', tenant: 'acme' }, 60)));
    expect(s.canSubscribe('anything')).toBe(true);
    expect(s.canPublish('anything')).toBe(false);
  });

  it('makes tokens another secret refuses', async () => {
    const signed = await new Authenticator(OPTIONS).sign({ sub: 'u', tenant: 'acme' }, 60);
    expect(failure(await new Authenticator({ ...OPTIONS, secret: 'other-secret-0123456789-abcdefgh' }).authenticate(signed))).toBe('AUTH_FAILED');
  });

  it('makes tokens that expire', async () => {
    const auth = new Authenticator(OPTIONS);
    const signed = await auth.sign({ sub: 'u', tenant: 'acme' }, -10);
    expect(failure(await auth.authenticate(signed))).toBe('TOKEN_EXPIRED');
  });
});

import {
  clearedSessionCookie,
  isCookieSafeToken,
  MAX_SESSION_TOKEN_LENGTH,
  readSessionCookie,
  sessionCookie,
} from '@/lib/hub/session-cookie';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl';

describe('readSessionCookie', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['theme=dark', undefined],
    [`pulse_token=${JWT}`, JWT],
    [`theme=dark;  pulse_token=${JWT} ; lang=en`, JWT],
    [`pulse_token="${JWT}"`, JWT],
    ['pulse_token=', undefined],
    [`xpulse_token=nope; pulse_token=${JWT}`, JWT],
    [`pulse_token=first.a.b; pulse_token=${JWT}`, 'first.a.b'],
  ])('%j → %j', (header, expected) => {
    expect(readSessionCookie(header)).toBe(expected);
  });
});

describe('sessionCookie', () => {
  const now = 1_700_000_000_000;

  it('is HTTP-only, same-site, for the whole site, and expires with the token', () => {
    expect(sessionCookie(JWT, now + 600_500, { secure: false }, now)).toBe(`pulse_token=${JWT}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`);
    expect(sessionCookie(JWT, now - 1000, { secure: true }, now)).toBe(`pulse_token=${JWT}; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure`);
  });

  it('lasts the browser session for a token without exp', () => {
    expect(sessionCookie(JWT, null, { secure: false }, now)).toBe(`pulse_token=${JWT}; Path=/; HttpOnly; SameSite=Lax`);
  });

  it('carries compact JWS values only, within the length a browser keeps', () => {
    expect(isCookieSafeToken(JWT)).toBe(true);
    expect(isCookieSafeToken('a.b.c; Domain=evil.example')).toBe(false);
    expect(isCookieSafeToken('a.b')).toBe(false);
    expect(isCookieSafeToken(`${'a'.repeat(MAX_SESSION_TOKEN_LENGTH)}.b.c`)).toBe(false);
    expect(() => sessionCookie('a.b.c\r\nX: y', null, { secure: false })).toThrow(TypeError);
  });

  it('is removed by a cookie that expires at once', () => {
    expect(clearedSessionCookie({ secure: false })).toBe('pulse_token=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
    expect(clearedSessionCookie({ secure: true })).toMatch(/; Secure$/);
  });
});

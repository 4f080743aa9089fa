/**
 * The session cookie (docs/protocol.md §2 and §10): a viewer's token, kept by the browser in an
 * HTTP-only cookie. Server-rendered pages verify it to decide whether they may carry data, and
 * the page's socket authenticates with it (an `auth` without `token`), so the page's scripts
 * never hold the token. Pure functions: reading a `Cookie` header, writing `Set-Cookie` values.
 */

export const SESSION_COOKIE = 'pulse_token';

/**
 * Longest token the cookie carries. Browsers drop a cookie over 4096 bytes (name, value and
 * attributes together) without a word, so a longer token is refused when the cookie is set.
 */
export const MAX_SESSION_TOKEN_LENGTH = 3800;

/** A compact JWS: base64url parts joined by dots. Nothing that could end the cookie's value. */
const TOKEN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2}$/;

/** True for a string the cookie can carry as it is: a compact JWS within the length limit. */
export function isCookieSafeToken(token: string): boolean {
  return token.length <= MAX_SESSION_TOKEN_LENGTH && TOKEN.test(token);
}

/**
 * The session cookie's value from a `Cookie` request header, or undefined when there is none
 * (or it is empty). When a browser sends the name twice, the first one counts, as browsers
 * list the most specific cookie first.
 *
 * @example readSessionCookie('theme=dark; pulse_token=eyJ...') // → 'eyJ...'
 */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value === '' ? undefined : value;
  }
  return undefined;
}

export interface SessionCookieOptions {
  /** Only over HTTPS: set when the request came over HTTPS. */
  secure: boolean;
}

/**
 * `Set-Cookie` for `token`, which must be cookie-safe (`isCookieSafeToken`). HTTP-only, so page
 * scripts cannot read it; `SameSite=Lax`, so cross-site requests other than top-level
 * navigations go without it; it expires with the token (`expiresAt`, ms), or with the browser
 * session for a token without `exp`.
 */
export function sessionCookie(token: string, expiresAt: number | null, { secure }: SessionCookieOptions, now = Date.now()): string {
  if (!isCookieSafeToken(token)) throw new TypeError('the session cookie carries a compact JWS only');
  const maxAge = expiresAt === null ? [] : [`Max-Age=${Math.max(0, Math.floor((expiresAt - now) / 1000))}`];
  return [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', ...maxAge, ...(secure ? ['Secure'] : [])].join('; ');
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedSessionCookie({ secure }: SessionCookieOptions): string {
  return [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0', ...(secure ? ['Secure'] : [])].join('; ');
}

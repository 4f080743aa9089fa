/**
 * Tokens on the tester page: reading a JWT's claims for display (never verifying it; the hub
 * does that) and asking the server for a development token (`POST /api/token`).
 */
import { compilePatterns } from '@/lib/protocol/patterns';

export interface TokenClaims {
  sub?: string;
  tenant?: string;
  /** Expiry, ms since epoch. */
  exp?: number;
  channels?: { subscribe?: string[]; publish?: string[] };
}

/** The claims of a JWT, or null when `token` does not look like one. */
export function readClaims(token: string): TokenClaims | null {
  const part = token.trim().split('.')[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const json = decodeURIComponent(
      Array.from(atob(base64), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    );
    const raw = JSON.parse(json) as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null) return null;
    const claims: TokenClaims = {};
    if (typeof raw.sub === 'string') claims.sub = raw.sub;
    if (typeof raw.tenant === 'string') claims.tenant = raw.tenant;
    if (typeof raw.exp === 'number') claims.exp = raw.exp * 1000;
    if (typeof raw.channels === 'object' && raw.channels !== null) claims.channels = raw.channels as TokenClaims['channels'];
    return claims;
  } catch {
    return null;
  }
}

/** What the token allows, in words, following docs/protocol.md §2. */
export function describeRights(claims: TokenClaims | null): { subscribe: string; publish: string } {
  if (!claims) return { subscribe: 'all channels of the tenant', publish: 'none' };
  if (!claims.channels) return { subscribe: 'all channels of the tenant', publish: 'none' };
  const list = (patterns: string[] | undefined) => (patterns && patterns.length > 0 ? patterns.join(', ') : 'none');
  return { subscribe: list(claims.channels.subscribe), publish: list(claims.channels.publish) };
}

/**
 * Whether `channel` matches one of `patterns` (`*` matches any run of characters), decided by
 * the hub's own matcher: the same answer, and linear time whatever the pattern (a regular
 * expression made of `*a*a*a*a*b` backtracks for minutes).
 */
export function matchesPattern(patterns: readonly string[] | undefined, channel: string): boolean {
  return compilePatterns(patterns ?? [])(channel);
}

export interface DevTokenRequest {
  user: string;
  tenant: string;
  /** Channel patterns; both undefined means the defaults (subscribe to all, publish none). */
  subscribe?: string[];
  publish?: string[];
  ttlS?: number;
}

export interface DevToken {
  token: string;
  expiresAt: number;
}

/** Splits a comma- or space-separated list of patterns; an empty field gives undefined. */
export function parsePatterns(text: string): string[] | undefined {
  const list = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/** Asks the server for a development token. Throws an Error with the server's message. */
export async function fetchDevToken(request: DevTokenRequest, baseUrl = ''): Promise<DevToken> {
  const body: Record<string, unknown> = { user: request.user, tenant: request.tenant };
  if (request.subscribe || request.publish) {
    body.channels = {
      ...(request.subscribe ? { subscribe: request.subscribe } : {}),
      ...(request.publish ? { publish: request.publish } : {}),
    };
  }
  if (request.ttlS !== undefined) body.ttlS = request.ttlS;
  const response = await fetch(`${baseUrl}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json().catch(() => null)) as
    | { token?: string; expiresAt?: number; error?: { code?: string; message?: string } }
    | null;
  if (!response.ok || !json || typeof json.token !== 'string') {
    const error = json?.error;
    throw new Error(error ? `${error.code ?? response.status}: ${error.message ?? ''}` : `HTTP ${response.status}`);
  }
  return { token: json.token, expiresAt: typeof json.expiresAt === 'number' ? json.expiresAt : 0 };
}

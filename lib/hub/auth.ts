/**
 * Session authentication (docs/protocol.md §2): HS256 JWTs verified with `jose`, the algorithm
 * pinned, `exp` honoured to the second, `nbf` with a few seconds of clock tolerance, optional
 * audience, issuer and lifetime checks; anonymous sessions when the server allows them. The
 * socket handshake, refreshes and the HTTP API all verify through `Authenticator.authenticate`.
 */
import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ErrorCode, TENANT_ID, type Json } from '../protocol';
import { HubError } from './errors';
import { ALLOW_ALL, compilePatterns, DENY_ALL } from './permissions';

export interface Session {
  user: string;
  tenant: string;
  /** True for a session opened without a token (anonymous mode); only such a session may re-auth without one. */
  anonymous: boolean;
  /** ms since epoch, or null for a token without `exp` (development only). */
  expiresAt: number | null;
  canSubscribe(channel: string): boolean;
  canPublish(channel: string): boolean;
  /** The patterns behind `canPublish` (the token's `channels.publish`), told to the client in `welcome`. */
  publishPatterns?: readonly string[];
  /** May see who is watching the channel (presence). */
  canSeePresence(channel: string): boolean;
  /** Shown to others in presence: the token's `info` claim. */
  info?: Json;
}

/** Largest `info` claim shown in presence (bytes of JSON); a larger one is left out. */
export const MAX_PRESENCE_INFO_BYTES = 1024;

export interface AuthOptions {
  secret: string;
  anonymous: boolean;
  /** Tenant of anonymous sessions (`PULSE_DASHBOARD_TENANT`). Default `demo`. */
  anonymousTenant?: string;
  /** In production a token must carry `exp`. */
  requireExp: boolean;
  /** When set, a token's `aud` (a string or a list) must include it. */
  audience?: string;
  /** When set, a token's `iss` must equal it. */
  issuer?: string;
  /** When set, a token must carry `exp`, at most this many seconds after its `iat` (or after now, whichever is earlier). */
  maxLifetimeS?: number;
}

/**
 * How far in the future `nbf` may lie and still be accepted: the issuer's clock may run a
 * little ahead of ours. It applies to `nbf` only; `exp` keeps its exact meaning (a session
 * ends at `exp`, docs/protocol.md §2), so it is checked here without tolerance.
 */
export const NBF_TOLERANCE_S = 5;

export type AuthResult =
  | { ok: true; session: Session }
  | { ok: false; code: typeof ErrorCode.AUTH_FAILED | typeof ErrorCode.TOKEN_EXPIRED; message: string };

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  tenant: z.string().regex(TENANT_ID, `tenant must match ${TENANT_ID.source}`),
  exp: z.number().optional(),
  iat: z.number().optional(),
  channels: z
    .object({
      subscribe: z.array(z.string().max(256)).max(256).optional(),
      publish: z.array(z.string().max(256)).max(256).optional(),
      presence: z.array(z.string().max(256)).max(256).optional(),
    })
    .optional(),
  info: z.unknown().optional(),
});

export type TokenClaims = z.infer<typeof claimsSchema>;

const ALGORITHM = 'HS256';

export class Authenticator {
  private readonly key: Uint8Array;

  constructor(private readonly options: AuthOptions) {
    this.key = new TextEncoder().encode(options.secret);
  }

  /** Verifies a token (or its absence) into a session. Never throws. */
  async authenticate(token: string | undefined): Promise<AuthResult> {
    if (token === undefined) {
      if (!this.options.anonymous) return { ok: false, code: ErrorCode.AUTH_FAILED, message: 'a token is required' };
      return {
        ok: true,
        session: {
          user: `anon-${randomBytes(4).toString('hex')}`,
          tenant: this.options.anonymousTenant ?? 'demo',
          anonymous: true,
          expiresAt: null,
          canSubscribe: ALLOW_ALL,
          canPublish: DENY_ALL,
          canSeePresence: ALLOW_ALL,
        },
      };
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        // jose applies one tolerance to nbf and exp alike; exp is checked exactly below.
        clockTolerance: NBF_TOLERANCE_S,
        ...(this.options.audience === undefined ? {} : { audience: this.options.audience }),
        ...(this.options.issuer === undefined ? {} : { issuer: this.options.issuer }),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) return expired();
      return { ok: false, code: ErrorCode.AUTH_FAILED, message: describeJoseError(error) };
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0];
      return { ok: false, code: ErrorCode.AUTH_FAILED, message: `bad claim ${issue.path.join('.') || 'payload'}: ${issue.message}` };
    }
    const { sub, tenant, exp, iat, channels, info } = claims.data;
    if (exp !== undefined && exp * 1000 <= Date.now()) return expired();
    const { maxLifetimeS, requireExp } = this.options;
    if (exp === undefined && (requireExp || maxLifetimeS !== undefined)) {
      return { ok: false, code: ErrorCode.AUTH_FAILED, message: 'token must carry exp' };
    }
    if (exp !== undefined && maxLifetimeS !== undefined) {
      // From iat, or from now when iat is absent or in the future: a future iat cannot stretch a token.
      const nowS = Math.floor(Date.now() / 1000);
      const lifetimeS = exp - Math.min(iat ?? nowS, nowS);
      if (lifetimeS > maxLifetimeS) {
        return { ok: false, code: ErrorCode.AUTH_FAILED, message: `token lifetime of ${Math.ceil(lifetimeS)} s is over the maximum of ${maxLifetimeS} s` };
      }
    }
    return {
      ok: true,
      session: {
        user: sub,
        tenant,
        anonymous: false,
        expiresAt: exp === undefined ? null : exp * 1000,
        // Without `channels`: subscribe to all of the tenant, publish nothing.
        // With `channels`, a missing list grants nothing.
        canSubscribe: channels ? compilePatterns(channels.subscribe ?? []) : ALLOW_ALL,
        canPublish: channels ? compilePatterns(channels.publish ?? []) : DENY_ALL,
        ...(channels?.publish?.length ? { publishPatterns: channels.publish } : {}),
        // Presence: where `channels.presence` allows, else wherever the token may subscribe.
        canSeePresence: channels?.presence ? compilePatterns(channels.presence) : channels ? compilePatterns(channels.subscribe ?? []) : ALLOW_ALL,
        ...(presenceInfo(info) === undefined ? {} : { info: presenceInfo(info) }),
      },
    };
  }

  /**
   * Signs a token with the server's secret (development tokens, tests), with the configured
   * audience and issuer so that it passes `authenticate`. Throws `HubError` (`INVALID_MESSAGE`)
   * for a lifetime over the configured maximum.
   */
  async sign(claims: Omit<TokenClaims, 'exp' | 'iat'>, ttlSeconds: number): Promise<string> {
    const { audience, issuer, maxLifetimeS } = this.options;
    if (maxLifetimeS !== undefined && ttlSeconds > maxLifetimeS) {
      throw new HubError(ErrorCode.INVALID_MESSAGE, `a token may last at most ${maxLifetimeS} s`);
    }
    const jwt = new SignJWT({ tenant: claims.tenant, ...(claims.channels ? { channels: claims.channels } : {}), ...(claims.info === undefined ? {} : { info: claims.info }) })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
    if (audience !== undefined) jwt.setAudience(audience);
    if (issuer !== undefined) jwt.setIssuer(issuer);
    return jwt.sign(this.key);
  }
}

function expired(): AuthResult {
  return { ok: false, code: ErrorCode.TOKEN_EXPIRED, message: 'token expired' };
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed (HS256 only)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') return 'token not valid yet (nbf is in the future)';
    return `token claim ${error.claim} ${error.reason === 'missing' ? 'missing' : 'invalid'}`;
  }
  if (error instanceof errors.JOSEError) return 'token malformed';
  return 'token invalid';
}

/** The `info` claim as presence shows it: any JSON up to `MAX_PRESENCE_INFO_BYTES`, else nothing. */
function presenceInfo(info: unknown): Json | undefined {
  if (info === undefined || info === null) return undefined;
  const text = JSON.stringify(info);
  return text !== undefined && Buffer.byteLength(text) <= MAX_PRESENCE_INFO_BYTES ? (info as Json) : undefined;
}

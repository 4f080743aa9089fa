/**
 * Session authentication (PROTOCOL.md §2): HS256 JWTs verified with `jose`, the algorithm
 * pinned, `exp` honoured; anonymous sessions when the server allows them.
 */
import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ErrorCode, TENANT_ID, type Json } from '../protocol';
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
  /** In production a token must carry `exp`. */
  requireExp: boolean;
}

export type AuthResult =
  | { ok: true; session: Session }
  | { ok: false; code: typeof ErrorCode.AUTH_FAILED | typeof ErrorCode.TOKEN_EXPIRED; message: string };

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  tenant: z.string().regex(TENANT_ID, `tenant must match ${TENANT_ID.source}`),
  exp: z.number().optional(),
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
          tenant: 'demo',
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
      ({ payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM] }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, code: ErrorCode.TOKEN_EXPIRED, message: 'token expired' };
      return { ok: false, code: ErrorCode.AUTH_FAILED, message: describeJoseError(error) };
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0];
      return { ok: false, code: ErrorCode.AUTH_FAILED, message: `bad claim ${issue.path.join('.') || 'payload'}: ${issue.message}` };
    }
    const { sub, tenant, exp, channels, info } = claims.data;
    if (exp === undefined && this.options.requireExp) {
      return { ok: false, code: ErrorCode.AUTH_FAILED, message: 'token must carry exp' };
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
        // Presence: where `channels.presence` allows, else wherever the token may subscribe.
        canSeePresence: channels?.presence ? compilePatterns(channels.presence) : channels ? compilePatterns(channels.subscribe ?? []) : ALLOW_ALL,
        ...(presenceInfo(info) === undefined ? {} : { info: presenceInfo(info) }),
      },
    };
  }

  /** Signs a token with the server's secret (development tokens, tests). */
  async sign(claims: Omit<TokenClaims, 'exp'>, ttlSeconds: number): Promise<string> {
    return new SignJWT({ tenant: claims.tenant, ...(claims.channels ? { channels: claims.channels } : {}), ...(claims.info === undefined ? {} : { info: claims.info }) })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed (HS256 only)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim ${error.claim} invalid`;
  if (error instanceof errors.JOSEError) return 'token malformed';
  return 'token invalid';
}

/** The `info` claim as presence shows it: any JSON up to `MAX_PRESENCE_INFO_BYTES`, else nothing. */
function presenceInfo(info: unknown): Json | undefined {
  if (info === undefined || info === null) return undefined;
  const text = JSON.stringify(info);
  return text !== undefined && Buffer.byteLength(text) <= MAX_PRESENCE_INFO_BYTES ? (info as Json) : undefined;
}

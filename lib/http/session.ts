/**
 * `POST /api/session` and `DELETE /api/session` (docs/protocol.md §10): put a verified token
 * into the session cookie, or take it out. With the cookie, server-rendered pages render data
 * for the viewer and the page's socket authenticates without the token passing through scripts.
 *
 * The token comes as `Authorization: Bearer`, never in a body: a cross-site form cannot send
 * that header, so another site cannot sign a visitor in under its own token, and a wrong token
 * counts against the caller's address like any refused credential.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Hub } from '../hub/hub';
import { HubError } from '../hub/errors';
import { clearedSessionCookie, isCookieSafeToken, MAX_SESSION_TOKEN_LENGTH, sessionCookie } from '../hub/session-cookie';
import { ErrorCode } from '../protocol';
import { sendJson } from './respond';

export interface SessionRoute {
  method: 'POST' | 'DELETE';
  pattern: RegExp;
  run(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

const SESSION = /^\/api\/session$/;

/**
 * Whether the browser reached us over HTTPS, directly or through a proxy that says so. Trusting
 * `X-Forwarded-Proto` here can only add `Secure` to the caller's own cookie.
 */
function overHttps(req: IncomingMessage): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',', 1)[0].trim().toLowerCase();
  return proto === 'https';
}

export function sessionRoutes(hub: Hub): SessionRoute[] {
  return [
    {
      method: 'POST',
      pattern: SESSION,
      async run(req, res) {
        const header = req.headers.authorization;
        const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
        if (!token) throw new HubError(ErrorCode.AUTH_FAILED, 'send the token as Authorization: Bearer <token>');
        const result = await hub.authenticate(token);
        if (!result.ok) throw new HubError(result.code, result.message);
        if (!isCookieSafeToken(token)) {
          throw new HubError(ErrorCode.INVALID_MESSAGE, `token longer than ${MAX_SESSION_TOKEN_LENGTH} characters: too long for a cookie`);
        }
        const { user, tenant, expiresAt } = result.session;
        res.setHeader('set-cookie', sessionCookie(token, expiresAt, { secure: overHttps(req) }));
        hub.log.info({ user, tenant }, 'session cookie set');
        sendJson(res, 200, { user, tenant, expiresAt });
      },
    },
    {
      method: 'DELETE',
      pattern: SESSION,
      async run(req, res) {
        res.setHeader('set-cookie', clearedSessionCookie({ secure: overHttps(req) }));
        res.writeHead(204, { 'cache-control': 'no-store' });
        res.end();
      },
    },
  ];
}

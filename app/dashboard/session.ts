/**
 * The dashboard's sign-in, as the browser sees it: the token goes to `POST /api/session`, which
 * keeps it in an HTTP-only cookie (docs/protocol.md §10); from then on the server renders this
 * viewer's data and the page's socket authenticates with the cookie. Scripts never keep the token.
 */

/** Who the page shows data to, when signed in with the session cookie. */
export interface Viewer {
  user: string;
  tenant: string;
}

/** Why the page asks to sign in: no session, an expired one, or one the server refused. */
export type SignInReason = 'required' | 'expired' | 'rejected';

export type SignInResult = { ok: true; viewer: Viewer } | { ok: false; message: string };

/** Exchanges `token` for the session cookie. Never throws. */
export async function signIn(token: string): Promise<SignInResult> {
  try {
    const response = await fetch('/api/session', { method: 'POST', headers: { authorization: `Bearer ${token}` }, credentials: 'same-origin' });
    const body = (await response.json().catch(() => null)) as { user?: string; tenant?: string; error?: { message?: string } } | null;
    if (response.ok && body?.user && body.tenant) return { ok: true, viewer: { user: body.user, tenant: body.tenant } };
    return { ok: false, message: body?.error?.message ?? `the server answered ${response.status}` };
  } catch {
    return { ok: false, message: 'the server could not be reached' };
  }
}

/** Removes the session cookie, then loads the page again as a viewer without a session. */
export async function signOut(): Promise<void> {
  await fetch('/api/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
  window.location.reload();
}

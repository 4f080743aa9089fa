/**
 * The browser side of the admin API: requests with the operator's key, errors that say what
 * went wrong, and the key's home in sessionStorage (this tab only, gone when it closes).
 */

/** Where the key lives in sessionStorage. */
const KEY_STORAGE = 'pulseboard.adminKey';

/** Why an admin request failed: an HTTP error (with the API's code) or no answer at all. */
export class AdminApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** The API's error code (`AUTH_FAILED`, `FORBIDDEN`...), when it sent one. */
    readonly code?: string,
    /** The key the request carried, so a late answer to an old key is recognised as such. */
    readonly sentKey: string | null = null,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }

  /** The key is missing or wrong. */
  get unauthorized(): boolean {
    return this.status === 401;
  }

  /** Refused whatever the key (development without a key, from a non-loopback address). */
  get forbidden(): boolean {
    return this.status === 403;
  }

  get unreachable(): boolean {
    return this.status === 0;
  }
}

/**
 * Calls an admin route with `Authorization: Bearer <key>` (no header without a key) and
 * returns the JSON body; throws `AdminApiError` otherwise.
 */
export async function adminRequest<T>(path: string, key: string | null, init: { method?: string; signal?: AbortSignal } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers: key ? { authorization: `Bearer ${key}` } : {},
      cache: 'no-store',
      signal: init.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new AdminApiError('The server did not answer.', 0, undefined, key);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new AdminApiError(detail?.message ?? `HTTP ${response.status}`, response.status, detail?.code, key);
  }
  return body as T;
}

/** The SWR fetcher: keys are `[path, adminKey]`. */
export function adminFetcher<T>([path, key]: readonly [string, string | null]): Promise<T> {
  return adminRequest<T>(path, key);
}

export function loadStoredKey(): string | null {
  try {
    return window.sessionStorage.getItem(KEY_STORAGE);
  } catch {
    // Storage can be disabled (privacy settings); the key then lasts as long as the page.
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) window.sessionStorage.removeItem(KEY_STORAGE);
    else window.sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // See loadStoredKey.
  }
}

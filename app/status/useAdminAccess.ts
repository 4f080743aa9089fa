'use client';

/**
 * The admin key's life in the page: read from sessionStorage once mounted, checked against
 * the server before it is kept, dropped when the server refuses it or the operator forgets it.
 */
import { useCallback, useEffect, useReducer } from 'react';
import { AdminApiError, adminRequest, loadStoredKey, storeKey } from './admin-api';
import { accessReducer, initialAccess, type Access } from './access';

export interface AdminAccess {
  access: Access;
  /** Checks `key` against the server; keeps it and opens the page when accepted, else says why. */
  unlock(key: string): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Feeds an admin request's failure into the state (401 locks, 403 explains). */
  report(error: unknown): void;
  forget(): void;
  retry(): void;
}

export function useAdminAccess(): AdminAccess {
  const [access, dispatch] = useReducer(accessReducer, initialAccess);

  // sessionStorage exists only in the browser, so it is read after hydration.
  useEffect(() => dispatch({ type: 'loaded', key: loadStoredKey() }), []);

  const report = useCallback((error: unknown) => {
    if (!(error instanceof AdminApiError)) return;
    const key = error.sentKey;
    if (error.unauthorized) {
      // Drop the stored key only if it is the refused one (not one entered since).
      if (key !== null && loadStoredKey() === key) storeKey(null);
      dispatch({ type: 'refused', key });
    } else if (error.forbidden) {
      dispatch({ type: 'forbidden', key, message: error.message });
    }
  }, []);

  const unlock = useCallback(async (key: string) => {
    try {
      await adminRequest('/api/ws/stats', key);
    } catch (error) {
      if (error instanceof AdminApiError) {
        if (error.unauthorized) return { ok: false as const, message: 'The server refused this key. Check the value of PULSE_API_KEY and try again.' };
        if (error.unreachable) return { ok: false as const, message: 'The server did not answer. Check that it is running, then try again.' };
        return { ok: false as const, message: `The server answered ${error.status}: ${error.message}` };
      }
      return { ok: false as const, message: 'The key could not be checked.' };
    }
    storeKey(key);
    dispatch({ type: 'unlocked', key });
    return { ok: true as const };
  }, []);

  const forget = useCallback(() => {
    storeKey(null);
    dispatch({ type: 'forget' });
  }, []);

  const retry = useCallback(() => dispatch({ type: 'retry' }), []);

  return { access, unlock, report, forget, retry };
}

/**
 * Whether the status page may read the admin API, as one closed state changed by one reducer.
 *
 *   starting ──loaded──► open(key | none) ──401──► locked(required | rejected)
 *                            ▲    └──403──► forbidden ──retry──┘
 *                            └──unlocked── locked ◄──forget── open(key)
 */

export type LockReason =
  /** The server wants a key and none was given. */
  | 'required'
  /** The key in use was refused (wrong, or the server's key changed). */
  | 'rejected'
  /** The operator asked to forget the key. */
  | 'forgotten';

export type Access =
  | { phase: 'starting' }
  | { phase: 'open'; key: string | null }
  | { phase: 'locked'; reason: LockReason }
  | { phase: 'forbidden'; message: string; key: string | null };

export type AccessAction =
  /** The stored key (or none) was read from sessionStorage. */
  | { type: 'loaded'; key: string | null }
  /** A key was checked against the server and accepted. */
  | { type: 'unlocked'; key: string }
  /** A request made with `key` got 401. */
  | { type: 'refused'; key: string | null }
  /** A request made with `key` got 403. */
  | { type: 'forbidden'; key: string | null; message: string }
  | { type: 'retry' }
  | { type: 'forget' };

export const initialAccess: Access = { phase: 'starting' };

export function accessReducer(state: Access, action: AccessAction): Access {
  switch (action.type) {
    case 'loaded':
      return state.phase === 'starting' ? { phase: 'open', key: action.key } : state;
    case 'unlocked':
      return { phase: 'open', key: action.key };
    case 'refused':
      // Only the answer to the key still in use counts; a late reply to an older one does not.
      if (state.phase !== 'open' || state.key !== action.key) return state;
      return { phase: 'locked', reason: action.key === null ? 'required' : 'rejected' };
    case 'forbidden':
      if (state.phase !== 'open' || state.key !== action.key) return state;
      return { phase: 'forbidden', message: action.message, key: action.key };
    case 'retry':
      return state.phase === 'forbidden' ? { phase: 'open', key: state.key } : state;
    case 'forget':
      return state.phase === 'open' && state.key !== null ? { phase: 'locked', reason: 'forgotten' } : state;
  }
}

'use client';
/**
 * The client's connection state, bound with `useSyncExternalStore` to the client's `state`
 * event. Server renders (and the hydration pass) see `idle`, which is also the client's state
 * until the provider connects, so first paint and hydration agree.
 */
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { ClientState } from '@/lib/client/states';
import { usePulse } from './usePulse';

export interface ConnectionStatus {
  state: ClientState;
  /** The session is open. */
  connected: boolean;
  /** Data comes from HTTP polling (`fallback`). */
  polling: boolean;
  /** Retrying: `reconnecting`, `fallback` or `offline`. */
  degraded: boolean;
}

const serverState = (): ClientState => 'idle';

/** Just the state; re-renders on every state change and nothing else. */
export function useConnectionState(): ClientState {
  const { client } = usePulse();
  const subscribe = useCallback((onChange: () => void) => client.on('state', onChange), [client]);
  const getSnapshot = useCallback(() => client.state, [client]);
  return useSyncExternalStore(subscribe, getSnapshot, serverState);
}

/**
 * @example
 * const { state, connected } = useConnectionStatus();
 * return <span data-state={state}>{connected ? 'Live' : state}</span>;
 */
export function useConnectionStatus(): ConnectionStatus {
  const state = useConnectionState();
  return useMemo(
    () => ({
      state,
      connected: state === 'open',
      polling: state === 'fallback',
      degraded: state === 'reconnecting' || state === 'fallback' || state === 'offline',
    }),
    [state],
  );
}

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
  /**
   * Every view the provider holds is paused (the page was hidden, or every panel is out of
   * sight): the connection may be up, but no data flows until something is seen again.
   */
  paused: boolean;
}

const serverState = (): ClientState => 'idle';
const notPaused = () => false;

/** Just the state; re-renders on every state change and nothing else. */
export function useConnectionState(): ClientState {
  const { client } = usePulse();
  const subscribe = useCallback((onChange: () => void) => client.on('state', onChange), [client]);
  const getSnapshot = useCallback(() => client.state, [client]);
  return useSyncExternalStore(subscribe, getSnapshot, serverState);
}

/** True while every view the provider holds is paused (see `ConnectionStatus.paused`). */
export function useAllPaused(): boolean {
  const { binder } = usePulse();
  return useSyncExternalStore(binder.subscribe, binder.allPaused, notPaused);
}

/**
 * @example
 * const { state, connected, paused } = useConnectionStatus();
 * return <ConnectionIndicator state={state} paused={paused} />;
 */
export function useConnectionStatus(): ConnectionStatus {
  const state = useConnectionState();
  const paused = useAllPaused();
  return useMemo(
    () => ({
      state,
      connected: state === 'open',
      polling: state === 'fallback',
      degraded: state === 'reconnecting' || state === 'fallback' || state === 'offline',
      paused,
    }),
    [state, paused],
  );
}

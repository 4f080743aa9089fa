'use client';
/**
 * `<PulseProvider>`: one Pulseboard client and one store per provider instance, shared with the
 * hooks below it through React context. Rendered on the server it creates both for that request
 * only (and connects nothing); in the browser it connects on mount and closes on unmount.
 *
 * It also pauses what nobody sees: once the page has been hidden for `pauseHiddenAfterMs`,
 * every view is unsubscribed (its data stays on screen) until the page is shown again, when
 * each view resumes from its position and catches up in one recovery delta.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { createPulseClient, type PulseClient } from '@/lib/client/client';
import { fetchSnapshot } from '@/lib/client/http';
import type { GetToken, PulseClientOptions } from '@/lib/client/types';
import { createChannelBinder } from '@/lib/store/binding';
import { createPulseStore } from '@/lib/store/store';
import type { InitialSnapshot } from '@/lib/store/types';
import { PulseContext, type PulseContextValue } from '@/hooks/usePulse';
import { watchHiddenPage } from '@/hooks/visibility';

export interface PulseProviderProps {
  children: ReactNode;
  /** Hub URL. Default: `ws(s)://<this page's host>/api/ws`. */
  url?: string;
  /** Token for `auth` (and for polling); called before every connect and refresh. Default: anonymous. */
  getToken?: GetToken;
  /** Server-rendered snapshots the store starts with: every hook sees them on first paint. */
  initial?: readonly InitialSnapshot[];
  /** Further client options (backoff, timeouts, WebSocket implementation). Read once, on the first render. */
  options?: Omit<PulseClientOptions, 'url' | 'getToken'>;
  /** Use this client instead of creating one; the provider then does not close it on unmount. */
  client?: PulseClient;
  /** Origin of the HTTP API for snapshot polling. Default: same origin. */
  apiBaseUrl?: string;
  /** How long a change stays in `changed` (flash duration), ms. Default 1000. Read once. */
  flashMs?: number;
  /** Snapshot polling interval while the socket is in fallback, ms. Default 2000. Read once. */
  pollIntervalMs?: number;
  /** Connect when mounted. Default true. */
  autoConnect?: boolean;
  /**
   * Pause every view once the page has been hidden (`document.visibilityState`) this long, ms;
   * `null` never pauses. Default 30 000. Read once.
   */
  pauseHiddenAfterMs?: number | null;
  /**
   * How long an element given to a hook's `pauseWhenOffscreen` stays out of the viewport before
   * its view pauses, ms. Default 5000. Read once.
   */
  pauseOffscreenAfterMs?: number;
}

const DEFAULT_PAUSE_HIDDEN_AFTER_MS = 30_000;
const DEFAULT_PAUSE_OFFSCREEN_AFTER_MS = 5000;

/** `ws://host/api/ws` or `wss://host/api/ws` for the page's own host. Browser only. */
export function defaultHubUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/api/ws`;
}

/**
 * @example
 * // app/ops/layout.tsx (server component)
 * <PulseProvider initial={[await readSnapshot('kpi')]}>{children}</PulseProvider>
 */
export function PulseProvider(props: PulseProviderProps) {
  const { children, autoConnect = true } = props;

  // The latest `getToken` prop, read at call time, so a new function does not recreate the client.
  const getToken = useRef(props.getToken);
  useEffect(() => {
    getToken.current = props.getToken;
  });

  // eslint-disable-next-line react-hooks/refs -- the client and the poller call these closures later, never during render
  const [value] = useState<PulseContextValue>(() => {
    const tokenFor: GetToken = (context) => getToken.current?.(context);
    const client =
      props.client ??
      createPulseClient({ ...props.options, url: props.url ?? defaultHubUrl, ...(props.getToken ? { getToken: tokenFor } : {}) });
    const store = createPulseStore(props.initial ? { initial: props.initial } : {});
    return {
      client,
      store,
      binder: createChannelBinder(client, store),
      seeds: new Map(),
      pollIntervalMs: props.pollIntervalMs ?? 2000,
      pauseOffscreenAfterMs: props.pauseOffscreenAfterMs ?? DEFAULT_PAUSE_OFFSCREEN_AFTER_MS,
      fetchSnapshot: async (channel, filter) => {
        const token = await getToken.current?.({ reason: 'poll' });
        return fetchSnapshot(channel, { filter, token, baseUrl: props.apiBaseUrl ?? '' });
      },
    };
  });

  const ownsClient = !props.client;
  const [flashMs] = useState(props.flashMs ?? 1000);
  const [pauseHiddenAfterMs] = useState(props.pauseHiddenAfterMs === undefined ? DEFAULT_PAUSE_HIDDEN_AFTER_MS : props.pauseHiddenAfterMs);

  useEffect(() => {
    const { client, store } = value;
    const stopWatching = client.on('state', ({ newState }) => {
      if (newState !== 'open') store.getState().markNotLive();
    });
    const expiry = setInterval(() => store.getState().expireChanges(flashMs), Math.max(50, Math.min(500, flashMs / 2)));
    if (autoConnect) client.connect();
    return () => {
      stopWatching();
      clearInterval(expiry);
      if (ownsClient) client.close();
    };
  }, [value, autoConnect, ownsClient, flashMs]);

  useEffect(() => {
    if (pauseHiddenAfterMs === null || typeof document === 'undefined') return;
    const { binder } = value;
    const stop = watchHiddenPage(document, pauseHiddenAfterMs, (hidden) => binder.setSuspended(hidden));
    return () => {
      stop();
      binder.setSuspended(false);
    };
  }, [value, pauseHiddenAfterMs]);

  return <PulseContext.Provider value={value}>{children}</PulseContext.Provider>;
}

export default PulseProvider;

/**
 * Where the client learns whether the device is online. Browsers have `navigator.onLine` and
 * `online`/`offline` events on `window`; Node has neither and counts as always online.
 */
export interface NetworkMonitor {
  /** False only when the platform is sure there is no network. */
  isOnline(): boolean;
  /** Calls `listener` on every change; returns the disposer. */
  subscribe(listener: (online: boolean) => void): () => void;
}

export const alwaysOnline: NetworkMonitor = {
  isOnline: () => true,
  subscribe: () => () => {},
};

/** The browser's monitor, or `alwaysOnline` where there is no `window`/`navigator`. */
export function defaultNetworkMonitor(): NetworkMonitor {
  const g = globalThis as {
    navigator?: { onLine?: boolean };
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
    window?: unknown;
  };
  if (g.window === undefined || typeof g.navigator?.onLine !== 'boolean' || typeof g.addEventListener !== 'function') {
    return alwaysOnline;
  }
  return {
    // `onLine === true` does not prove connectivity, but `false` reliably means none.
    isOnline: () => g.navigator?.onLine !== false,
    subscribe(listener) {
      const online = () => listener(true);
      const offline = () => listener(false);
      g.addEventListener!('online', online);
      g.addEventListener!('offline', offline);
      return () => {
        g.removeEventListener?.('online', online);
        g.removeEventListener?.('offline', offline);
      };
    },
  };
}

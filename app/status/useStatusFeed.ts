'use client';

/**
 * Polls the admin API for the status page (SWR, every `REFRESH_MS`), keeps the recent samples
 * for the charts, and kicks connections. Failures are reported to `onFailure` so the access
 * state can react to 401 and 403; anything else is retried every few seconds.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import useSWR, { type SWRConfiguration } from 'swr';
import { AdminApiError, adminFetcher, adminRequest } from './admin-api';
import { appendSample, REFRESH_MS, toSample, type StatsSample } from './history';
import type { ConnectionInfo, ConnectionList, ServerStats } from './types';

/** A kicked connection stays hidden this long while its close handshake completes. */
const KICK_HIDE_MS = 15_000;

type AdminKey = readonly [string, string | null];

/** Retries a failed poll after 1, 2, 4, then every 5 seconds; never on 401 or 403. */
const onErrorRetry: SWRConfiguration['onErrorRetry'] = (error, _key, _config, revalidate, { retryCount }) => {
  if (error instanceof AdminApiError && (error.unauthorized || error.forbidden)) return;
  setTimeout(() => revalidate({ retryCount }), Math.min(5000, 1000 * 2 ** (retryCount - 1)));
};

export interface StatusFeed {
  stats: ServerStats | undefined;
  statsError: AdminApiError | undefined;
  connections: ConnectionInfo[] | undefined;
  connectionsError: AdminApiError | undefined;
  history: StatsSample[];
  /** Browser time of the last successful stats refresh. */
  refreshedAt: number | null;
  kick(id: string): Promise<void>;
  /** Connections with a kick in flight. */
  kicking: ReadonlySet<string>;
  kickError: string | null;
}

/**
 * @param adminKey `undefined` pauses polling (no access yet); `null` polls without a key.
 */
export function useStatusFeed(adminKey: string | null | undefined, onFailure: (error: unknown) => void): StatusFeed {
  const [history, setHistory] = useState<StatsSample[]>([]);
  const [refreshedAt, setRefreshedAt] = useState<number | null>(null);
  const [kicking, setKicking] = useState<ReadonlySet<string>>(new Set());
  const [kicked, setKicked] = useState<ReadonlyMap<string, number>>(new Map());
  const [kickError, setKickError] = useState<string | null>(null);
  const failure = useRef(onFailure);
  useEffect(() => {
    failure.current = onFailure;
  });

  const paused = adminKey === undefined;
  const options = {
    refreshInterval: REFRESH_MS,
    dedupingInterval: REFRESH_MS / 2,
    onErrorRetry,
    onError: (error: AdminApiError) => failure.current(error),
  };

  const stats = useSWR<ServerStats, AdminApiError, AdminKey | null>(paused ? null : ['/api/ws/stats', adminKey], adminFetcher, {
    ...options,
    onSuccess(data) {
      const at = Date.now();
      setRefreshedAt(at);
      setHistory((h) => appendSample(h, toSample(data, at)));
    },
  });
  const list = useSWR<ConnectionList, AdminApiError, AdminKey | null>(paused ? null : ['/api/ws/connections', adminKey], adminFetcher, {
    ...options,
    // Forget kicked ids once the server no longer lists them (or after the grace period).
    onSuccess(data) {
      const ids = new Set(data.connections.map((c) => c.id));
      const now = Date.now();
      setKicked((kicked) => {
        const still = [...kicked].filter(([id, at]) => ids.has(id) && now - at < KICK_HIDE_MS);
        return still.length === kicked.size ? kicked : new Map(still);
      });
    },
  });

  // Without access the figures go away with the key; they come back fresh with the next one.
  // Reset while rendering the change (not in an effect after it), so no render shows the old figures.
  const [wasPaused, setWasPaused] = useState(paused);
  if (paused !== wasPaused) {
    setWasPaused(paused);
    if (paused) {
      setHistory([]);
      setRefreshedAt(null);
    }
  }

  const listed = list.data?.connections;

  const { mutate: refreshStats } = stats;
  const { mutate: refreshList } = list;
  const kick = useCallback(
    async (id: string) => {
      if (adminKey === undefined) return;
      setKickError(null);
      setKicking((s) => new Set(s).add(id));
      try {
        await adminRequest(`/api/ws/connections/${encodeURIComponent(id)}`, adminKey, { method: 'DELETE' });
      } catch (error) {
        // 404: it closed on its own meanwhile, which is what the operator wanted.
        if (!(error instanceof AdminApiError && error.status === 404)) {
          failure.current(error);
          setKickError(`Could not close ${id}: ${(error as Error).message}`);
          return;
        }
      } finally {
        setKicking((s) => {
          const next = new Set(s);
          next.delete(id);
          return next;
        });
      }
      setKicked((m) => new Map(m).set(id, Date.now()));
      void refreshList();
      void refreshStats();
    },
    [adminKey, refreshList, refreshStats],
  );

  const connections = listed?.filter((c) => !kicked.has(c.id));

  return {
    stats: paused ? undefined : stats.data,
    statsError: stats.error,
    connections: paused ? undefined : connections,
    connectionsError: list.error,
    history,
    refreshedAt,
    kick,
    kicking,
    kickError,
  };
}

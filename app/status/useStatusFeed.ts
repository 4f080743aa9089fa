'use client';

/**
 * Polls the admin API for the status page (SWR, every `REFRESH_MS`), keeps the lines of the
 * charts, and kicks connections. The lines start from the server's own series of its figures
 * (the last fifteen minutes, read once) and each poll's figures are appended to them
 * (`history.ts`); when a poll does not continue them (another instance, a restart, a long
 * pause) the series are read again. Failures are reported to `onFailure` so the access state
 * can react to 401 and 403; anything else is retried every few seconds.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import useSWR, { type SWRConfiguration } from 'swr';
import { AdminApiError, adminFetcher, adminRequest } from './admin-api';
import { appendStats, continues, historyFromSeries, historyFromStats, REFRESH_MS, type StatsHistory } from './history';
import type { ConnectionInfo, ConnectionList, ServerStats, StatsSeriesBody } from './types';

/** A kicked connection stays hidden this long while its close handshake completes. */
const KICK_HIDE_MS = 15_000;

type AdminKey = readonly [string, string | null];

/** Retries a failed poll after 1, 2, 4, then every 5 seconds; never on 401 or 403. */
const onErrorRetry: SWRConfiguration['onErrorRetry'] = (error, _key, _config, revalidate, { retryCount }) => {
  if (error instanceof AdminApiError && (error.unauthorized || error.forbidden)) return;
  setTimeout(() => revalidate({ retryCount }), Math.min(5000, 1000 * 2 ** (retryCount - 1)));
};

/** The charts' lines, and whether a poll found them not continuing (they are read again). */
interface Lines {
  history: StatsHistory | null;
  stale: boolean;
}

type LinesAction =
  | { type: 'series'; body: StatsSeriesBody }
  /** `fallback`: the series cannot be read, so lines start from this poll instead. */
  | { type: 'stats'; stats: ServerStats; fallback: boolean }
  | { type: 'reset' };

const NO_LINES: Lines = { history: null, stale: false };

function linesReducer(state: Lines, action: LinesAction): Lines {
  switch (action.type) {
    case 'series':
      return { history: historyFromSeries(action.body), stale: false };
    case 'stats': {
      const { history } = state;
      if (history && continues(history, action.stats)) return { history: appendStats(history, action.stats), stale: false };
      if (action.fallback) return { history: historyFromStats(action.stats), stale: false };
      return state.stale ? state : { ...state, stale: true };
    }
    case 'reset':
      return NO_LINES;
  }
}

export interface StatusFeed {
  stats: ServerStats | undefined;
  statsError: AdminApiError | undefined;
  connections: ConnectionInfo[] | undefined;
  connectionsError: AdminApiError | undefined;
  /** The figures over the last fifteen minutes; null until the first answer. */
  history: StatsHistory | null;
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
  const [lines, dispatch] = useReducer(linesReducer, NO_LINES);
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

  // Read once when access opens, and again when the polls no longer continue the lines.
  const series = useSWR<StatsSeriesBody, AdminApiError, AdminKey | null>(paused ? null : ['/api/ws/stats/series', adminKey], adminFetcher, {
    onErrorRetry,
    revalidateOnFocus: false,
    revalidateOnReconnect: false,
    onSuccess: (body) => dispatch({ type: 'series', body }),
  });
  const seriesError = series.error;
  const stats = useSWR<ServerStats, AdminApiError, AdminKey | null>(paused ? null : ['/api/ws/stats', adminKey], adminFetcher, {
    ...options,
    onSuccess(data) {
      setRefreshedAt(Date.now());
      // A server that cannot give its series (not 401/403: those close access) still gets charts, from now on.
      const fallback = seriesError !== undefined && !seriesError.unauthorized && !seriesError.forbidden;
      dispatch({ type: 'stats', stats: data, fallback });
    },
  });
  const { mutate: reloadSeries, isValidating: seriesLoading } = series;
  useEffect(() => {
    if (lines.stale && !seriesLoading && seriesError === undefined) void reloadSeries();
  }, [lines.stale, seriesLoading, seriesError, reloadSeries]);
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
      dispatch({ type: 'reset' });
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
    history: paused ? null : lines.history,
    refreshedAt,
    kick,
    kicking,
    kickError,
  };
}

'use client';
/**
 * The header's manual refresh. What "refresh" means depends on the connection:
 * - live: ask the hub to `resync` every channel (a fresh snapshot each, on the same socket);
 * - polling (fallback): read every polled snapshot again now instead of at the next interval;
 * - anything else (reconnecting, offline, closed): retry the connection now.
 */
import { useCallback, useState } from 'react';
import { useSWRConfig } from 'swr';
import { usePulse } from '@/hooks';
import { CHANNELS } from './config';

/** The key prefix `useChannel` polls under in fallback. */
const POLL_KEY = 'pulse:snapshot';

export interface Refresh {
  run(): void;
  busy: boolean;
}

export function useRefresh(): Refresh {
  const { client } = usePulse();
  const { mutate } = useSWRConfig();
  const [busy, setBusy] = useState(false);

  const run = useCallback(() => {
    let work: Promise<unknown>;
    if (client.state === 'open') {
      work = Promise.allSettled(Object.values(CHANNELS).map((channel) => client.request('resync', { channel })));
    } else if (client.state === 'fallback') {
      work = mutate((key) => Array.isArray(key) && key[0] === POLL_KEY);
    } else {
      client.reconnect();
      work = Promise.resolve();
    }
    setBusy(true);
    // a short minimum, so the button visibly acknowledges a click that finishes at once
    void Promise.all([work, new Promise((done) => setTimeout(done, 400))]).finally(() => setBusy(false));
  }, [client, mutate]);

  return { run, busy };
}

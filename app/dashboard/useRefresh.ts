'use client';
/**
 * The header's manual refresh. What "refresh" means depends on the connection:
 * - live: ask the hub to `resync` every view of every channel (a fresh snapshot each, on the
 *   same socket);
 * - polling (fallback): read every polled snapshot again now instead of at the next interval;
 * - anything else (reconnecting, offline, closed): retry the connection now.
 */
import { useCallback, useEffect, useState } from 'react';
import { useSWRConfig } from 'swr';
import { usePulse } from '@/hooks';
import type { PulseClient } from '@/lib/client/client';

/** The key prefix `useChannel` polls under in fallback. */
const POLL_KEY = 'pulse:snapshot';

/** A subscription as the wire names it (docs/protocol.md §12): no `view` for a channel's default view. */
export interface WireView {
  channel: string;
  view?: string;
}

/**
 * The subscriptions on the current connection, by wire name: added when the hub answers a
 * `subscribe`, removed by an `unsubscribe`, all gone with the connection. The client names
 * views itself (the first view of a channel is its default view), so the page learns the names
 * from what crosses the socket rather than guessing them.
 */
export function trackWireViews(client: PulseClient, views: Map<string, WireView>): () => void {
  const key = (channel: string, view: string | undefined) => `${channel}\u0000${view ?? ''}`;
  const offs = [
    client.on('subscribed', ({ channel, view }) => {
      views.set(key(channel, view), { channel, ...(view !== undefined ? { view } : {}) });
    }),
    client.on('disconnect', () => views.clear()),
    client.on('frame', ({ direction, data }) => {
      // outgoing frames are few (requests), and only an unsubscribe matters here
      if (direction !== 'out' || !data.includes('"unsubscribe"')) return;
      const message = JSON.parse(data) as { type?: string; channel?: string; view?: string };
      if (message.type === 'unsubscribe' && typeof message.channel === 'string') views.delete(key(message.channel, message.view));
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

export interface Refresh {
  run(): void;
  busy: boolean;
}

export function useRefresh(): Refresh {
  const { client } = usePulse();
  const { mutate } = useSWRConfig();
  const [busy, setBusy] = useState(false);
  const [views] = useState(() => new Map<string, WireView>());

  // Bound before the provider connects (a child's effects run first), so no answer is missed.
  useEffect(() => trackWireViews(client, views), [client, views]);

  const run = useCallback(() => {
    let work: Promise<unknown>;
    if (client.state === 'open') {
      // paused views are not subscribed, so they are not resynced: they catch up when seen
      work = Promise.allSettled([...views.values()].map((view) => client.request('resync', { ...view })));
    } else if (client.state === 'fallback') {
      work = mutate((key) => Array.isArray(key) && key[0] === POLL_KEY);
    } else {
      client.reconnect();
      work = Promise.resolve();
    }
    setBusy(true);
    // a short minimum, so the button visibly acknowledges a click that finishes at once
    void Promise.all([work, new Promise((done) => setTimeout(done, 400))]).finally(() => setBusy(false));
  }, [client, mutate, views]);

  return { run, busy };
}

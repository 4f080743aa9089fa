'use client';
/**
 * `usePresence`: who is watching a channel, live (docs/protocol.md, "Presence"). Subscribes
 * with `presence: true` (sharing the channel's one subscription with `useChannel`), and
 * follows the joins and leaves; after a reconnect the server sends the list again.
 */
import { useEffect, useState } from 'react';
import type { PresenceState } from '@/lib/client/types';
import { usePulse } from './usePulse';

/**
 * @example
 * const presence = usePresence('kpi');
 * return <span>{presence ? `${presence.count} watching` : '…'}</span>;
 */
export function usePresence(channel: string): PresenceState | undefined {
  const { client } = usePulse();
  const [state, setState] = useState<PresenceState | undefined>(() => client.presence(channel));
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- another channel (or client): show what it knows now, not the previous one's until its next event
    setState(client.presence(channel));
    return client.subscribe(channel, { presence: true, onPresence: setState });
  }, [client, channel]);
  return state;
}

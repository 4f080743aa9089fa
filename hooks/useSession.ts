'use client';
/**
 * The session the provider's client holds: who the viewer is and where they may publish, from
 * the socket's `welcome` (docs/protocol.md §2). `null` while the socket is not open, and during
 * server renders and hydration, so first paint shows no actions that the session may not allow.
 */
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { WelcomeMessage } from '@/lib/protocol/messages';
import { compilePatterns } from '@/lib/protocol/patterns';
import { usePulse } from './usePulse';

const noSession = (): WelcomeMessage | null => null;

/**
 * The open session's `welcome`, updated on reconnects and token refreshes.
 *
 * @example
 * const session = useSession();
 * return session ? <span>Signed in as {session.user}</span> : null;
 */
export function useSession(): WelcomeMessage | null {
  const { client } = usePulse();
  const subscribe = useCallback(
    (onChange: () => void) => {
      const offWelcome = client.on('welcome', onChange);
      const offState = client.on('state', onChange);
      return () => {
        offWelcome();
        offState();
      };
    },
    [client],
  );
  const getSnapshot = useCallback(() => (client.state === 'open' ? client.session : null), [client]);
  return useSyncExternalStore(subscribe, getSnapshot, noSession);
}

/** Whether a session's token lets it publish to `channel` (its `welcome.publish` patterns). */
export function sessionCanPublish(session: Pick<WelcomeMessage, 'publish'> | null, channel: string): boolean {
  return session?.publish ? compilePatterns(session.publish)(channel) : false;
}

/**
 * Whether the viewer may publish to `channel`: the hub would accept it as far as the token
 * says. Use it to offer actions; the hub still decides every publish.
 *
 * @example
 * const canAct = useCanPublish('incidents');
 */
export function useCanPublish(channel: string): boolean {
  const session = useSession();
  return useMemo(() => sessionCanPublish(session, channel), [session, channel]);
}

'use client';
/**
 * The React context `PulseProvider` fills: one client, one store and one channel binder per
 * provider instance (so per request on the server).
 */
import { createContext, useContext } from 'react';
import type { PulseClient } from '@/lib/client/client';
import type { HttpSnapshot } from '@/lib/client/http';
import type { Filter } from '@/lib/protocol/filter';
import type { ChannelBinder } from '@/lib/store/binding';
import type { PulseStore } from '@/lib/store/store';
import type { ChannelData } from '@/lib/store/types';

export interface PulseContextValue {
  client: PulseClient;
  store: PulseStore;
  binder: ChannelBinder;
  /** Reads a channel's snapshot over HTTP (polling while the socket is in fallback). */
  fetchSnapshot(channel: string, filter?: Filter): Promise<HttpSnapshot>;
  /** Polling interval while in fallback (ms). */
  pollIntervalMs: number;
  /** How long an element stays out of the viewport before a hook watching it pauses its view (ms). */
  pauseOffscreenAfterMs: number;
  /**
   * Server-rendered view states handed to `useChannel({initial})`, by view key (`viewStoreKey`),
   * readable by every hook of the provider during the first render, before they are hydrated
   * into the store.
   */
  seeds: Map<string, ChannelData>;
}

export const PulseContext = createContext<PulseContextValue | null>(null);
PulseContext.displayName = 'PulseContext';

/** The provider's client, store and binder. Throws outside `<PulseProvider>`. */
export function usePulse(): PulseContextValue {
  const value = useContext(PulseContext);
  if (!value) throw new Error('Pulseboard hooks need a <PulseProvider> above them');
  return value;
}

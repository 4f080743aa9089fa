/**
 * Binds client subscriptions to a store: while anyone holds a channel, its snapshots and deltas
 * flow into the store. Holders are ref-counted per channel, so ten components showing `kpi`
 * cause one subscription and one store update per delta.
 */
import type { PulseClient } from '../client/client';
import { filterKey } from '../protocol/filter-key';
import type { Unsubscribe } from '../client/types';
import type { Filter } from '../protocol/filter';
import type { StreamPosition } from '../protocol/messages';
import { own } from './dict';
import type { PulseStore } from './store';

export interface ChannelBinder {
  /**
   * Keeps `channel` subscribed and feeding the store until the returned disposer runs. One
   * filter per channel: the newest holder's is in force, and when it leaves the previous one's
   * comes back (each change is a new subscribe and a fresh snapshot).
   */
  acquire(channel: string, filter?: Filter): Unsubscribe;
  /** How many holders `channel` has. */
  holders(channel: string): number;
}

interface Holder {
  filter: Filter | undefined;
  key: string;
}

interface Binding {
  readonly holders: Holder[];
  key: string;
  stop: Unsubscribe;
}

export function createChannelBinder(client: PulseClient, store: PulseStore): ChannelBinder {
  const bindings = new Map<string, Binding>();

  const subscribe = (channel: string, filter: Filter | undefined, since: StreamPosition | undefined): Unsubscribe =>
    client.subscribe(channel, {
      ...(filter ? { filter } : {}),
      ...(since ? { since } : {}),
      onSnapshot: (snapshot) => store.getState().ingestSnapshot(snapshot, 'socket'),
      onDelta: (delta) => store.getState().ingestDelta(delta),
      onSubscribed: (event) => store.getState().setRecovered(channel, event.recovered),
      onError: (error) => store.getState().setError(channel, { code: error.code, message: error.message }),
    });

  /** Subscribes with `holder`'s filter first, then drops the old listener, so the server subscription stays. */
  const rebind = (channel: string, binding: Binding, holder: Holder) => {
    const previous = binding.stop;
    binding.key = holder.key;
    binding.stop = subscribe(channel, holder.filter, undefined);
    previous();
  };

  return {
    acquire(channel, filter) {
      const holder: Holder = { filter, key: filterKey(filter) };
      let binding = bindings.get(channel);
      if (!binding) {
        // Resume from what the store holds (a server render, an earlier visit, polled data).
        const data = own(store.getState().channels, channel);
        const since = data?.epoch ? { epoch: data.epoch, seq: data.seq } : undefined;
        binding = { holders: [holder], key: holder.key, stop: subscribe(channel, filter, since) };
        bindings.set(channel, binding);
      } else {
        binding.holders.push(holder);
        if (holder.key !== binding.key) rebind(channel, binding, holder);
      }

      const owner = binding;
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        const index = owner.holders.indexOf(holder);
        if (index >= 0) owner.holders.splice(index, 1);
        const newest = owner.holders.at(-1);
        if (!newest) {
          if (bindings.get(channel) === owner) bindings.delete(channel);
          owner.stop();
        } else if (newest.key !== owner.key) {
          rebind(channel, owner, newest);
        }
      };
    },

    holders(channel) {
      return bindings.get(channel)?.holders.length ?? 0;
    },
  };
}

/**
 * Binds client subscriptions to a store: while anyone holds a view of a channel, its snapshots
 * and deltas flow into the store under the view's key (`viewStoreKey`). Holders are ref-counted
 * per view, so ten components showing `kpi` cause one subscription and one store update per
 * delta; a holder with another filter or pace gets a view of its own beside it, and leaving
 * never disturbs another view.
 *
 * Pausing (docs/protocol.md §12, "Pausing"): a holder may be paused (its panel is out of sight)
 * and the whole binder suspended (the page is hidden). A view none of whose holders is active
 * is unsubscribed, and its data stays in the store marked `paused`; when a holder is active
 * again the view subscribes with `since` = the position the store holds, so what changed
 * meanwhile arrives once, as a recovery delta.
 *
 * Series (docs/protocol.md §13): a holder may ask for series; the view's subscription asks for
 * what its holders ask together. A holder that asks more than the subscription did gets a fresh
 * snapshot (through the client: lib/client/subscriptions.ts); a view that resumes asking more
 * than the subscription its data came from subscribes without `since`, since a resume would only
 * bring the series of the time missed. Server-rendered data is trusted to have asked what the
 * page asks (the page and the browser share their view options).
 */
import type { PulseClient } from '../client/client';
import { mergeSeriesAsks, seriesAskCovers } from '../client/series-ask';
import type { Unsubscribe } from '../client/types';
import { viewStoreKey, type ViewOptions } from '../client/views';
import type { SeriesAsk, StreamPosition } from '../protocol/messages';
import { own } from './dict';
import type { PulseStore } from './store';

/** What `acquire` returns: call it to let go; `setPaused` pauses or resumes this holder. */
export interface Holding {
  (): void;
  /** A paused holder does not keep its view subscribed (the view pauses when all its holders do). */
  setPaused(paused: boolean): void;
}

export interface AcquireOptions {
  /** Start paused. Default false. */
  paused?: boolean;
  /** Also keep the view's series (docs/protocol.md §13): `true`, or `{fields, windowMs}`. */
  series?: SeriesAsk;
}

export interface ChannelBinder {
  /**
   * Keeps the view of `channel` that `view` names (its filter and pace) subscribed and feeding
   * the store until the returned holding is called. Holders of equal options share one view.
   *
   * @example
   * const hold = binder.acquire('fleet', { filter: { where: { status: 'offline' } } });
   * hold.setPaused(true); // out of sight: unsubscribed, data kept
   * hold(); // gone
   */
  acquire(channel: string, view?: ViewOptions, options?: AcquireOptions): Holding;
  /** How many holders the view has. */
  holders(channel: string, view?: ViewOptions): number;
  /** Pauses every view (the page is hidden), or lets them resume. */
  setSuspended(suspended: boolean): void;
  isSuspended(): boolean;
  /** True while at least one view is held and every held view is paused. */
  allPaused(): boolean;
  /** `listener` runs whenever a view pauses or resumes, or the set of held views changes. */
  subscribe(listener: () => void): Unsubscribe;
}

/**
 * How many released views' data the store keeps (most recently released first), so that coming
 * back to one resumes from where it was; older ones are forgotten. Views of a map panned around
 * would otherwise pile up.
 */
export const RETAINED_RELEASED_VIEWS = 16;

interface Holder {
  paused: boolean;
  readonly series: SeriesAsk | undefined;
}

interface Binding {
  readonly channel: string;
  readonly key: string;
  readonly view: ViewOptions;
  readonly holders: Set<Holder>;
  /** The client listener, while the view is active. */
  stop: Unsubscribe | null;
  paused: boolean;
  /** What the client listener asks of series (what the store's series of the view answer). */
  asked: SeriesAsk | undefined;
}

export function createChannelBinder(client: PulseClient, store: PulseStore): ChannelBinder {
  const bindings = new Map<string, Binding>();
  /** Keys of released views whose data is kept, oldest first. */
  const released = new Set<string>();
  const listeners = new Set<() => void>();
  /** What the socket subscription whose data the store holds asked of series, by view key. */
  const dataAsked = new Map<string, SeriesAsk | undefined>();
  let suspended = false;

  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  const subscribe = (binding: Binding, since: StreamPosition | undefined, series: SeriesAsk | undefined): Unsubscribe => {
    const { key, view } = binding;
    binding.asked = series;
    dataAsked.set(key, series);
    return client.subscribe(binding.channel, {
      ...(view.filter ? { filter: view.filter } : {}),
      ...(view.intervalMs !== undefined ? { intervalMs: view.intervalMs } : {}),
      ...(since ? { since } : {}),
      ...(series !== undefined ? { series } : {}),
      onSnapshot: (snapshot) => store.getState().ingestSnapshot(snapshot, 'socket', key),
      onDelta: (delta) => store.getState().ingestDelta(delta, key),
      onSubscribed: (event) => {
        store.getState().setRecovered(key, event.recovered);
        if (series !== undefined) store.getState().setSeriesKept(key, event.series !== false);
      },
      onError: (error) => store.getState().setError(key, { code: error.code, message: error.message }),
    });
  };

  /** Subscribes or unsubscribes the view as its holders and the suspension say. */
  const sync = (binding: Binding) => {
    const active = !suspended && [...binding.holders].some((holder) => !holder.paused);
    const series = mergeSeriesAsks([...binding.holders].map((holder) => holder.series));
    if (active && !binding.stop) {
      // Resume from what the store holds (a server render, an earlier visit, polled data, the
      // last delta before a pause), unless its subscription asked less of series than asked
      // now: a resume would only bring the span missed.
      const data = own(store.getState().channels, binding.key);
      const lacking =
        series !== undefined &&
        data?.noSeries !== true &&
        dataAsked.has(binding.key) &&
        !seriesAskCovers(dataAsked.get(binding.key), series);
      const since = data?.epoch && !lacking ? { epoch: data.epoch, seq: data.seq } : undefined;
      binding.stop = subscribe(binding, since, series);
    } else if (active && binding.stop && !seriesAskCovers(binding.asked, series)) {
      // A holder asks more series: the client subscribes the view again for them (its new
      // listener asks more than the view's subscription did), then the old listener goes.
      const stop = binding.stop;
      binding.stop = subscribe(binding, undefined, series);
      stop();
    } else if (!active && binding.stop) {
      const stop = binding.stop;
      binding.stop = null;
      stop();
    }
    store.getState().setPaused(binding.key, !active);
    if (binding.paused !== !active) {
      binding.paused = !active;
      notify();
    }
  };

  const retain = (key: string) => {
    released.delete(key);
    released.add(key);
    for (const oldest of released) {
      if (released.size <= RETAINED_RELEASED_VIEWS) break;
      released.delete(oldest);
      if (bindings.has(oldest)) continue;
      store.getState().removeChannel(oldest);
      dataAsked.delete(oldest);
    }
  };

  return {
    acquire(channel, view = {}, options = {}) {
      const key = viewStoreKey(channel, view);
      const holder: Holder = { paused: options.paused === true, series: options.series };
      let binding = bindings.get(key);
      if (!binding) {
        binding = { channel, key, view, holders: new Set(), stop: null, paused: false, asked: undefined };
        bindings.set(key, binding);
        released.delete(key);
        notify();
      }
      binding.holders.add(holder);
      sync(binding);

      const owner = binding;
      let held = true;
      const release = (() => {
        if (!held) return;
        held = false;
        owner.holders.delete(holder);
        if (owner.holders.size > 0) {
          sync(owner);
          return;
        }
        if (bindings.get(key) === owner) bindings.delete(key);
        owner.stop?.();
        owner.stop = null;
        // Nobody shows it any more: not paused, just unbound (its data kept for a while).
        store.getState().setPaused(key, false);
        retain(key);
        notify();
      }) as Holding;
      release.setPaused = (paused) => {
        if (!held || holder.paused === paused) return;
        holder.paused = paused;
        sync(owner);
      };
      return release;
    },

    holders(channel, view) {
      return bindings.get(viewStoreKey(channel, view))?.holders.size ?? 0;
    },

    setSuspended(value) {
      if (suspended === value) return;
      suspended = value;
      for (const binding of [...bindings.values()]) sync(binding);
      notify();
    },

    isSuspended: () => suspended,

    allPaused() {
      if (bindings.size === 0) return false;
      for (const binding of bindings.values()) if (!binding.paused) return false;
      return true;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

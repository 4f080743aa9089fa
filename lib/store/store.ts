/**
 * The channel store: a zustand vanilla store (no React), one per provider or per request.
 * There is deliberately no module-level instance: on the server every render creates its own,
 * so one request's data can never appear in another's page.
 *
 * It keeps each view's data apart (docs/protocol.md §12), by the view's key (`viewStoreKey`):
 * the channel name for a channel read without filter and pace, `channel#<view name>` for any
 * other view. Actions take that key; it defaults to the channel name.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { parseViewStoreKey, viewStoreKey } from '../client/views';
import type { DeltaMessage } from '../protocol/messages';
import { copyDict, dict, own, type Dict } from './dict';
import {
  applyDelta,
  applySnapshot,
  DEFAULT_MAX_EVENTS,
  emptyChannel,
  expireChanges,
  fromInitial,
  initialSnapshotInput,
  type SnapshotInput,
} from './reducers';
import type { ChannelData, ChannelError, DataSource, InitialSnapshot } from './types';

export interface PulseStoreState {
  /**
   * View states by view key (`viewStoreKey(channel, {filter, intervalMs})`): `channels.kpi` is
   * channel `kpi` read whole, `channels['fleet#v-…']` a filtered or paced view of `fleet`.
   */
  channels: Readonly<Record<string, ChannelData>>;
  /**
   * Applies a snapshot to the view `key` (default: the channel's plain view). From the socket it
   * always replaces the state; from polling or a server render only when it is newer than what
   * is held (and never over live data of another epoch).
   */
  ingestSnapshot(snapshot: SnapshotInput, source?: DataSource, key?: string): void;
  /** Applies a delta from the socket (already checked for gaps by the client) to the view `key`. */
  ingestDelta(delta: DeltaMessage, key?: string): void;
  /** Server-rendered snapshots, each into the view its `filter` and `intervalMs` name: taken where newer than what is held. */
  hydrate(initial: InitialSnapshot | readonly InitialSnapshot[]): void;
  /** The subscribe reply's `recovered`. */
  setRecovered(key: string, recovered: boolean): void;
  /** The reply to a subscribe that asked for series: `false` when the channel keeps none (its series are dropped). */
  setSeriesKept(key: string, kept: boolean): void;
  /** The subscribe was refused, or the server ended it. */
  setError(key: string, error: ChannelError): void;
  /** The view was paused (unsubscribed while nobody shows it, its data kept) or resumed. */
  setPaused(key: string, paused: boolean): void;
  /** The socket dropped: no view is live until the socket delivers again. */
  markNotLive(): void;
  /** Drops change marks older than `maxAgeMs`. */
  expireChanges(maxAgeMs: number, now?: number): void;
  /** Forgets a view. */
  removeChannel(key: string): void;
}

export type PulseStore = StoreApi<PulseStoreState>;

export interface PulseStoreOptions {
  /** Server-rendered snapshots the store starts with (also what `getInitialState()` returns, for hydration). */
  initial?: readonly InitialSnapshot[];
  /** Most recent events kept per channel. Default 100. */
  maxEvents?: number;
  /** Clock for `updatedAt` and change marks. Default `Date.now`. */
  now?: () => number;
}

/**
 * Creates a store. Call it once per provider (or per request on the server), never at module level.
 *
 * @example
 * const store = createPulseStore({ initial: [kpiSnapshot] });
 * client.subscribe('kpi', { onSnapshot: (s) => store.getState().ingestSnapshot(s), onDelta: (d) => store.getState().ingestDelta(d) });
 */
export function createPulseStore(options: PulseStoreOptions = {}): PulseStore {
  const now = options.now ?? Date.now;
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;

  const initialChannels = dict<ChannelData>();
  for (const snapshot of options.initial ?? []) {
    initialChannels[viewStoreKey(snapshot.channel, snapshot)] = fromInitial(snapshot, { now: now(), maxEvents });
  }

  return createStore<PulseStoreState>()((set) => {
    /** Replaces one view; returns the same state when nothing changed, so nobody is notified. */
    const update = (key: string, change: (current: ChannelData | undefined) => ChannelData | undefined) =>
      set((state) => {
        const current = own(state.channels, key);
        const next = change(current);
        if (next === current || next === undefined) return state;
        const channels = copyDict(state.channels);
        channels[key] = next;
        return { channels };
      });
    const empty = (key: string) => emptyChannel(parseViewStoreKey(key).channel);

    return {
      channels: initialChannels,

      ingestSnapshot: (snapshot, source = 'socket', key = snapshot.channel) =>
        update(key, (current) => {
          if (source !== 'socket' && !accepts(current, snapshot)) return current;
          const next = applySnapshot(current, snapshot, { now: now(), maxEvents });
          return { ...next, live: source === 'socket' };
        }),

      ingestDelta: (delta, key = delta.channel) =>
        update(key, (current) => {
          const next = applyDelta(current, delta, { now: now(), maxEvents });
          return next.live ? next : { ...next, live: true };
        }),

      hydrate: (initial) => {
        const list: readonly InitialSnapshot[] = Array.isArray(initial) ? initial : [initial as InitialSnapshot];
        for (const snapshot of list) {
          update(viewStoreKey(snapshot.channel, snapshot), (current) => {
            if (!accepts(current, snapshot)) return current;
            if (current === undefined) return fromInitial(snapshot, { now: now(), maxEvents });
            const next = applySnapshot(current, initialSnapshotInput(snapshot), { now: now(), maxEvents });
            return { ...next, live: false, updatedAt: snapshot.at ?? next.updatedAt };
          });
        }
      },

      setRecovered: (key, recovered) =>
        update(key, (current) => {
          if (current?.recovered === recovered) return current;
          return { ...(current ?? empty(key)), recovered };
        }),

      setSeriesKept: (key, kept) =>
        update(key, (current) => {
          if ((current?.noSeries ?? false) === !kept && (kept || !current?.series)) return current;
          return { ...(current ?? empty(key)), noSeries: !kept, ...(kept ? {} : { series: null }) };
        }),

      setError: (key, error) => update(key, (current) => ({ ...(current ?? empty(key)), error })),

      setPaused: (key, paused) =>
        update(key, (current) => {
          if ((current?.paused ?? false) === paused) return current;
          return { ...(current ?? empty(key)), paused };
        }),

      markNotLive: () =>
        set((state) => {
          const live = Object.keys(state.channels).filter((name) => state.channels[name]!.live);
          if (live.length === 0) return state;
          const channels = copyDict(state.channels);
          for (const name of live) channels[name] = { ...channels[name]!, live: false };
          return { channels };
        }),

      expireChanges: (maxAgeMs, at = now()) =>
        set((state) => {
          let channels: Dict<ChannelData> | undefined;
          for (const name of Object.keys(state.channels)) {
            const current = state.channels[name]!;
            const next = expireChanges(current, at - maxAgeMs);
            if (next !== current) (channels ??= copyDict(state.channels))[name] = next;
          }
          return channels ? { channels } : state;
        }),

      removeChannel: (key) =>
        set((state) => {
          if (own(state.channels, key) === undefined) return state;
          const channels = copyDict(state.channels);
          delete channels[key];
          return { channels };
        }),
    };
  });
}

/**
 * Whether data that is not from the live socket may replace `current`: when nothing is held,
 * when it is newer in the same epoch, or when it is of another epoch and `current` is not live
 * (live socket data of another epoch is the truth, a poll that raced it is not).
 */
function accepts(current: ChannelData | undefined, incoming: { epoch: string; seq: number }): boolean {
  if (current === undefined || current.epoch === null) return true;
  if (current.epoch === incoming.epoch) return incoming.seq > current.seq;
  return !current.live;
}

/**
 * The client's channel subscriptions: who listens to which channel, each channel's position
 * `{epoch, seq}`, gap detection, and resubscribing with `since` after every reconnect.
 *
 * The protocol allows one subscription per channel per connection, so listeners of one channel
 * share it (ref-counted); the filter sent is the newest live listener's. The connection itself
 * is someone else's job: this module talks to it through a `SubscriptionPort`.
 */
import type { Filter } from '../protocol/filter';
import { filterKey } from '../protocol/filter-key';
import type { DeltaMessage, PresenceDiffMessage, PresenceMessage, PresenceUser, SnapshotMessage, StreamPosition, SubscribeRequest, ClientMessage } from '../protocol/messages';
import { ClientErrorCode, PulseClientError } from './errors';
import type { ClientEvents, PresenceState, SubscribeOptions, SubscribedEvent, Unsubscribe } from './types';

/** What the subscriptions need from the connection. */
export interface SubscriptionPort {
  /** True while a session is open, so requests can go out now. */
  isOpen(): boolean;
  /** Sends a request on the open session; exactly one callback runs. */
  send(message: ClientMessage, callbacks: RequestCallbacks): void;
  emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void;
}

export interface RequestCallbacks {
  resolve(value: unknown): void;
  reject(error: PulseClientError): void;
}

/**
 * What a channel waits for before it accepts deltas again:
 * - `none`: nothing; a delta must continue the position, or it is a gap;
 * - `subscribe`: the answer to a subscribe; deltas that do not continue the position are left
 *   over from the subscription being replaced, and are dropped without a resync;
 * - `snapshot`: a snapshot (after `recovered: false`, or after a `resync`); deltas are dropped.
 */
export type Awaiting = 'none' | 'subscribe' | 'snapshot';

export type DeltaVerdict = 'apply' | 'ignore' | 'gap';

/**
 * Whether a delta continues the channel: it must carry the same `epoch` and a `prevSeq` equal
 * to the last seen `seq` (docs/protocol.md §5, gap rule). Pure.
 */
export function deltaVerdict(position: StreamPosition | undefined, awaiting: Awaiting, delta: Pick<DeltaMessage, 'epoch' | 'prevSeq'>): DeltaVerdict {
  if (awaiting === 'snapshot') return 'ignore';
  const continues = position !== undefined && position.epoch === delta.epoch && position.seq === delta.prevSeq;
  if (continues) return 'apply';
  return awaiting === 'subscribe' ? 'ignore' : 'gap';
}

interface Listener {
  readonly options: SubscribeOptions;
  readonly filterKey: string;
}

interface Entry {
  readonly channel: string;
  /** In subscription order; the last one's filter is the channel's. */
  readonly listeners: Listener[];
  filter: Filter | undefined;
  filterKey: string;
  /** The last snapshot or delta applied, which the next delta must continue. */
  position: StreamPosition | undefined;
  awaiting: Awaiting;
  /** Bumped by every subscribe sent and every disconnect, so stale answers are ignored. */
  generation: number;
  /** Data arrived since the last subscribe went out (tolerates a server that sends it before the reply). */
  synced: boolean;
  recovered: boolean | null;
  /** Some listener follows presence: the subscribe asks for it. */
  presence: boolean;
  /** Who is watching, by user, once the server sent the list. */
  people: Map<string, PresenceUser> | undefined;
  peopleCount: number;
  truncated: boolean;
}

const noop = () => {};

export class Subscriptions {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly port: SubscriptionPort) {}

  /** Adds a listener to `channel`, subscribing on the wire if it is the first. */
  add(channel: string, options: SubscribeOptions): Unsubscribe {
    const listener: Listener = { options, filterKey: filterKey(options.filter) };
    let entry = this.entries.get(channel);
    if (!entry) {
      entry = {
        channel,
        listeners: [listener],
        filter: options.filter,
        filterKey: listener.filterKey,
        position: options.since ? { epoch: options.since.epoch, seq: options.since.seq } : undefined,
        awaiting: 'none',
        generation: 0,
        synced: false,
        recovered: null,
        presence: options.presence === true,
        people: undefined,
        peopleCount: 0,
        truncated: false,
      };
      this.entries.set(channel, entry);
      if (this.port.isOpen()) this.subscribe(entry);
    } else {
      entry.listeners.push(listener);
      // A listener that joins with a position (server-rendered data) gives the channel one when
      // it has none yet, e.g. behind a presence-only listener that subscribed first: without
      // it every subscribe would go out without `since` until the first snapshot arrives.
      if (!entry.position && options.since && listener.filterKey === entry.filterKey) {
        entry.position = { epoch: options.since.epoch, seq: options.since.seq };
      }
      if (listener.filterKey !== entry.filterKey) this.refilter(entry, listener);
      else if (options.presence && !entry.presence) {
        // Subscribe again, resuming from the position, now asking for presence.
        entry.presence = true;
        if (this.port.isOpen()) this.subscribe(entry);
      } else if (options.presence && entry.people) {
        safeCall(options.onPresence, this.presenceState(entry)!);
      }
    }

    const owner = entry;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.remove(owner, listener);
    };
  }

  /** The channel's last applied position, if it is subscribed and has one. */
  position(channel: string): StreamPosition | undefined {
    const position = this.entries.get(channel)?.position;
    return position ? { ...position } : undefined;
  }

  /** Who is watching `channel`, once a listener asked and the server answered. */
  presence(channel: string): PresenceState | undefined {
    const entry = this.entries.get(channel);
    return entry ? this.presenceState(entry) : undefined;
  }

  handlePresence(message: PresenceMessage): void {
    const entry = this.entries.get(message.channel);
    if (!entry) return;
    entry.people = new Map(message.users.map((user) => [user.user, user]));
    entry.peopleCount = message.count;
    entry.truncated = message.truncated;
    this.presenceChanged(entry);
  }

  handlePresenceDiff(message: PresenceDiffMessage): void {
    const entry = this.entries.get(message.channel);
    if (!entry?.people) return;
    for (const user of message.leaves) entry.people.delete(user);
    for (const user of message.joins) entry.people.set(user.user, user);
    entry.peopleCount = message.count;
    this.presenceChanged(entry);
  }

  private presenceChanged(entry: Entry): void {
    const state = this.presenceState(entry)!;
    for (const listener of [...entry.listeners]) if (listener.options.presence) safeCall(listener.options.onPresence, state);
  }

  private presenceState(entry: Entry): PresenceState | undefined {
    if (!entry.people) return undefined;
    const users = [...entry.people.values()].sort((a, b) => a.joinedAt - b.joinedAt || a.user.localeCompare(b.user));
    return { channel: entry.channel, count: entry.peopleCount, users, truncated: entry.truncated };
  }

  /** Subscribed channel names. */
  channels(): string[] {
    return [...this.entries.keys()];
  }

  /** A session opened: subscribe every channel again, resuming from its position. */
  onOpen(): void {
    for (const entry of this.entries.values()) this.subscribe(entry);
  }

  /** The session ended: whatever was awaited will not come on this connection. */
  onClose(): void {
    for (const entry of this.entries.values()) {
      entry.generation++;
      entry.awaiting = 'none';
    }
  }

  /**
   * The server ended a subscription on its own (a refreshed token no longer allows it): the
   * listeners hear why, as for a refused subscribe. The entry stays, so a later token that
   * allows the channel again resubscribes it on the next reconnect.
   */
  handleEnded(channel: string, error: PulseClientError): void {
    const entry = this.entries.get(channel);
    if (!entry) return;
    entry.generation++;
    entry.awaiting = 'none';
    for (const listener of [...entry.listeners]) safeCall(listener.options.onError, error);
    this.port.emit('subscriptionError', { channel, error });
  }

  handleSnapshot(message: SnapshotMessage): void {
    const entry = this.entries.get(message.channel);
    if (!entry) return;
    entry.position = { epoch: message.epoch, seq: message.seq };
    if (entry.awaiting === 'snapshot') entry.awaiting = 'none';
    entry.synced = true;
    for (const listener of [...entry.listeners]) safeCall(listener.options.onSnapshot, message);
    this.port.emit('snapshot', message);
  }

  handleDelta(message: DeltaMessage): void {
    const entry = this.entries.get(message.channel);
    if (!entry) return;
    const verdict = deltaVerdict(entry.position, entry.awaiting, message);
    if (verdict === 'ignore') return;
    if (verdict === 'gap') {
      this.resync(entry, message);
      return;
    }
    entry.position = { epoch: message.epoch, seq: message.seq };
    entry.synced = true;
    for (const listener of [...entry.listeners]) safeCall(listener.options.onDelta, message);
    this.port.emit('delta', message);
  }

  private remove(entry: Entry, listener: Listener): void {
    const index = entry.listeners.indexOf(listener);
    if (index < 0) return;
    entry.listeners.splice(index, 1);
    if (this.entries.get(entry.channel) !== entry) return;

    const newest = entry.listeners.at(-1);
    if (newest) {
      if (newest.filterKey !== entry.filterKey) this.refilter(entry, newest);
      return;
    }
    // Released at the end of the current task: a listener that comes back in the same tick
    // (React StrictMode effects, a filter change done as dispose-then-subscribe) keeps the
    // server subscription instead of causing an unsubscribe/subscribe pair.
    void Promise.resolve().then(() => {
      if (this.entries.get(entry.channel) !== entry || entry.listeners.length > 0) return;
      this.entries.delete(entry.channel);
      entry.generation++;
      if (this.port.isOpen()) this.port.send({ type: 'unsubscribe', channel: entry.channel }, { resolve: noop, reject: noop });
    });
  }

  /** Another filter: the server replaces the subscription and sends a fresh snapshot. */
  private refilter(entry: Entry, listener: Listener): void {
    entry.filter = listener.options.filter;
    entry.filterKey = listener.filterKey;
    entry.position = undefined;
    entry.recovered = null;
    if (this.port.isOpen()) this.subscribe(entry);
    else entry.generation++;
  }

  private subscribe(entry: Entry): void {
    const generation = ++entry.generation;
    const since = entry.position;
    entry.awaiting = 'subscribe';
    entry.synced = false;
    const message: SubscribeRequest = { type: 'subscribe', channel: entry.channel };
    if (entry.filter && entry.filterKey) message.filter = entry.filter;
    if (since) message.since = { epoch: since.epoch, seq: since.seq };
    if (entry.presence) message.presence = true;

    this.port.send(message, {
      resolve: (value) => {
        if (!this.current(entry, generation)) return;
        const recovered = (value as { recovered?: unknown }).recovered === true;
        entry.recovered = recovered;
        if (entry.awaiting === 'subscribe') entry.awaiting = recovered || entry.synced ? 'none' : 'snapshot';
        const event: SubscribedEvent = since ? { channel: entry.channel, recovered, since } : { channel: entry.channel, recovered };
        for (const listener of [...entry.listeners]) safeCall(listener.options.onSubscribed, event);
        this.port.emit('subscribed', event);
      },
      reject: (error) => {
        if (!this.current(entry, generation) || isConnectionLoss(error)) return;
        entry.awaiting = 'none';
        for (const listener of [...entry.listeners]) safeCall(listener.options.onError, error);
        this.port.emit('subscriptionError', { channel: entry.channel, error });
      },
    });
  }

  private resync(entry: Entry, delta: DeltaMessage): void {
    this.port.emit('gap', {
      channel: entry.channel,
      ...(entry.position ? { position: { ...entry.position } } : {}),
      epoch: delta.epoch,
      prevSeq: delta.prevSeq,
    });
    entry.awaiting = 'snapshot';
    if (!this.port.isOpen()) return;
    const generation = entry.generation;
    this.port.send({ type: 'resync', channel: entry.channel }, {
      resolve: noop,
      reject: (error) => {
        if (!this.current(entry, generation) || isConnectionLoss(error)) return;
        // The server refused the resync (NOT_SUBSCRIBED after a lost subscription, a rate
        // limit): a subscribe with `since` recovers just as well, and reports its own errors.
        this.subscribe(entry);
      },
    });
  }

  private current(entry: Entry, generation: number): boolean {
    return entry.generation === generation && this.entries.get(entry.channel) === entry;
  }
}

function isConnectionLoss(error: PulseClientError): boolean {
  return error.code === ClientErrorCode.DISCONNECTED || error.code === ClientErrorCode.CLOSED;
}

/** Calls a caller's handler so that its exceptions cannot break the client. */
export function safeCall<T>(handler: ((value: T) => void) | undefined, value: T): void {
  if (!handler) return;
  try {
    handler(value);
  } catch (error) {
    console.error('[pulse] a subscription handler threw', error);
  }
}

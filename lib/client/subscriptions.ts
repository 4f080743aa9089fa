/**
 * The client's subscriptions: who listens to which view of which channel, each view's position
 * `{epoch, seq}`, gap detection, and resubscribing with `since` after every reconnect.
 *
 * A subscription is a channel and a view (docs/protocol.md §12). Listeners that ask for the same
 * filter and pace share a view (ref-counted); a listener that asks for another gets a view of its
 * own beside the others, named after what it selects (`views.ts`), and removing it leaves the
 * others alone. The first view of a channel goes out as the default view, without `view`, so a
 * channel read through one filter and pace is protocol v1 on the wire.
 *
 * Series (docs/protocol.md §13) do not make a view either: a view's subscribe asks for what its
 * listeners ask together (`mergeSeriesAsks`). A listener that asks more than the view's
 * subscription asked subscribes the view again without `since`, for a fresh snapshot whose
 * series cover the whole window (a resume would only bring the missed span). Resuming after a
 * reconnect keeps asking, so the recovery delta brings the series of the time missed.
 *
 * Presence counts users, not views, so one subscription per channel asks for it (the channel's
 * presence carrier): a view that is subscribed anyway when there is one, otherwise a holder
 * subscription that selects nothing (`PRESENCE_ONLY_FILTER`).
 *
 * The connection itself is someone else's job: this module talks to it through a
 * `SubscriptionPort`.
 */
import type { Filter } from '../protocol/filter';
import { filterKey } from '../protocol/filter-key';
import type { ClientMessage, DeltaMessage, PresenceDiffMessage, PresenceMessage, SeriesAsk, SnapshotMessage, StreamPosition, SubscribeRequest } from '../protocol/messages';
import { ClientErrorCode, PulseClientError } from './errors';
import { ChannelPresence } from './presence';
import { checkSeriesAsk, mergeSeriesAsks, seriesAskCovers } from './series-ask';
import type { ClientEvents, PresenceState, SubscribeOptions, SubscribedEvent, Unsubscribe, ViewInfo } from './types';
import { checkInterval, nameOfKey, PRESENCE_ONLY_FILTER, viewKey, type ViewOptions } from './views';

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
 * What a view waits for before it accepts deltas again:
 * - `none`: nothing; a delta must continue the position, or it is a gap;
 * - `subscribe`: the answer to a subscribe; deltas that do not continue the position are left
 *   over from the subscription being replaced, and are dropped without a resync;
 * - `reply`: the answer to a subscribe that took over the wire slot of another view (another
 *   filter or pace replacing the channel's default view): every delta before it belongs to the
 *   subscription replaced, even one that happens to continue the position, and is dropped;
 * - `snapshot`: a snapshot (after `recovered: false`, or after a `resync`); deltas are dropped.
 */
export type Awaiting = 'none' | 'subscribe' | 'reply' | 'snapshot';

export type DeltaVerdict = 'apply' | 'ignore' | 'gap';

/**
 * Whether a delta continues the view: it must carry the same `epoch` and a `prevSeq` equal
 * to the last seen `seq` (docs/protocol.md §5, gap rule). Pure.
 */
export function deltaVerdict(position: StreamPosition | undefined, awaiting: Awaiting, delta: Pick<DeltaMessage, 'epoch' | 'prevSeq'>): DeltaVerdict {
  if (awaiting === 'snapshot' || awaiting === 'reply') return 'ignore';
  const continues = position !== undefined && position.epoch === delta.epoch && position.seq === delta.prevSeq;
  if (continues) return 'apply';
  return awaiting === 'subscribe' ? 'ignore' : 'gap';
}

/**
 * A listener that follows presence and reads no data (no filter, pace, position, series or data
 * handler): it does not make a view of its own but rides on the channel's presence carrier.
 */
export function isPresenceOnly(options: SubscribeOptions): boolean {
  return (
    options.presence === true &&
    filterKey(options.filter) === '' &&
    options.intervalMs === undefined &&
    options.since === undefined &&
    options.series === undefined &&
    options.onSnapshot === undefined &&
    options.onDelta === undefined
  );
}

interface Listener {
  readonly options: SubscribeOptions;
  readonly entry: ChannelEntry;
  /** The view whose data it reads; null for a presence-only listener. */
  readonly view: View | null;
}

interface View {
  readonly entry: ChannelEntry;
  /** `viewKey` of its options (or `HOLDER_KEY`). */
  readonly key: string;
  /** Its stable name (`viewName`), what it is called on the wire unless it is the default view. */
  readonly name: string;
  /** Name on the wire: undefined while the view is the channel's default view. */
  wire: string | undefined;
  readonly filter: Filter | undefined;
  readonly intervalMs: number | undefined;
  /** Listeners of its data, in subscription order; none while it is being released, or for a holder. */
  readonly listeners: Listener[];
  /** Subscribed only to carry the channel's presence request. */
  readonly holder: boolean;
  /** A subscribe went out on the current connection and nothing ended it. */
  onWire: boolean;
  /** Its next subscribe replaces another view's subscription in the same wire slot. */
  replacing: boolean;
  /** The last snapshot or delta applied, which the next delta must continue. */
  position: StreamPosition | undefined;
  awaiting: Awaiting;
  /** Bumped by every subscribe sent and every disconnect, so stale answers are ignored. */
  generation: number;
  /** Data arrived since the last subscribe went out (tolerates a server that sends it before the reply). */
  synced: boolean;
  recovered: boolean | null;
  /** What the last subscribe sent asked of series; `sent` is false before the first one. */
  asked: { sent: boolean; series: SeriesAsk | undefined };
  /** Whether the channel keeps series, as the last reply to a subscribe asking them said (`series: false`: none); null before. */
  seriesKept: boolean | null;
}

interface ChannelEntry {
  readonly channel: string;
  /** By `viewKey`. */
  readonly views: Map<string, View>;
  /** The view subscribed as the channel's default view (no `view` on the wire). */
  defaultView: View | undefined;
  /** Listeners with `presence: true`, presence-only or not. */
  readonly presenceListeners: Listener[];
  /** The one view whose subscribe asks for presence, while any listener wants it. */
  carrier: View | undefined;
  readonly presence: ChannelPresence;
}

/** Key of a channel's presence holder; `viewKey` never yields it (its keys contain `|`). */
const HOLDER_KEY = 'presence';
const HOLDER_NAME = nameOfKey(viewKey({ filter: PRESENCE_ONLY_FILTER }));

const noop = () => {};

export class Subscriptions {
  private readonly entries = new Map<string, ChannelEntry>();

  constructor(private readonly port: SubscriptionPort) {}

  /**
   * Adds a listener to the view its options name, subscribing that view on the wire if it is
   * new. Throws a `TypeError` for an `intervalMs` the protocol never accepts.
   */
  add(channel: string, options: SubscribeOptions): Unsubscribe {
    checkInterval(options.intervalMs);
    checkSeriesAsk(options.series);
    const entry = this.entries.get(channel) ?? this.createEntry(channel);

    if (isPresenceOnly(options)) {
      const listener: Listener = { options, entry, view: null };
      entry.presenceListeners.push(listener);
      this.ensureCarrier(entry);
      this.tellPresence(entry, listener);
      return this.disposer(listener);
    }

    const key = viewKey(options);
    const existing = entry.views.get(key);
    const view = existing ?? this.createView(entry, key, options);
    const listener: Listener = { options, entry, view };
    view.listeners.push(listener);
    if (options.presence) entry.presenceListeners.push(listener);
    // A listener that joins with a position (server-rendered data) gives the view one when it
    // has none yet: without it every subscribe would go out without `since` until the first
    // snapshot arrives.
    if (!view.position && options.since) view.position = { epoch: options.since.epoch, seq: options.since.seq };

    if (!existing) {
      this.open(view);
    } else {
      if (options.presence) this.ensureCarrier(entry);
      // Not on the wire: its subscribe was refused, or the server ended it; a new listener tries
      // again. On the wire without the series this listener asks: subscribe again for them.
      if ((!view.onWire || this.wantsMoreSeries(view)) && this.port.isOpen()) this.subscribe(view);
    }
    if (options.presence) this.tellPresence(entry, listener);
    return this.disposer(listener);
  }

  /**
   * A view's last applied position. Without options: the channel's default view (the channel's
   * only view when it has one).
   */
  position(channel: string, options?: ViewOptions): StreamPosition | undefined {
    const entry = this.entries.get(channel);
    if (!entry) return undefined;
    const view = options ? entry.views.get(viewKey(options)) : this.mainView(entry);
    return view?.position ? { ...view.position } : undefined;
  }

  /** Who is watching `channel`, once a listener asked and the server answered. */
  presence(channel: string): PresenceState | undefined {
    return this.entries.get(channel)?.presence.state();
  }

  /** Subscribed channel names. */
  channels(): string[] {
    return [...this.entries.keys()];
  }

  /** Every view held (of `channel`, or of every channel), as the wire names it. */
  views(channel?: string): ViewInfo[] {
    const infos: ViewInfo[] = [];
    for (const entry of this.selected(channel)) {
      for (const view of entry.views.values()) {
        infos.push({
          channel: entry.channel,
          ...wireField(view),
          name: view.name,
          ...(view.filter && filterKey(view.filter) ? { filter: view.filter } : {}),
          ...(view.intervalMs !== undefined ? { intervalMs: view.intervalMs } : {}),
          listeners: view.listeners.length,
          presence: entry.carrier === view,
          ...(seriesOf(view) !== undefined ? { series: seriesOf(view) } : {}),
          subscribed: view.onWire,
          ...(view.position ? { position: { ...view.position } } : {}),
        });
      }
    }
    return infos;
  }

  /**
   * Asks for a fresh snapshot of every subscribed view (of `channel`, or of every channel), as
   * after a gap; resolves once every `resync` is answered (a refused one subscribes again with
   * `since`, as after a gap).
   */
  resyncAll(channel?: string): Promise<void> {
    const answers: Array<Promise<void>> = [];
    for (const entry of this.selected(channel)) {
      for (const view of entry.views.values()) {
        if (view.onWire && !view.holder && this.port.isOpen()) answers.push(this.sendResync(view));
      }
    }
    return Promise.all(answers).then(noop);
  }

  private selected(channel: string | undefined): ChannelEntry[] {
    if (channel === undefined) return [...this.entries.values()];
    const entry = this.entries.get(channel);
    return entry ? [entry] : [];
  }

  // ---- the connection ----------------------------------------------------------------------

  /** A session opened: subscribe every view again, each resuming from its own position. */
  onOpen(): void {
    for (const entry of this.entries.values()) {
      this.deal(entry);
      for (const view of entry.views.values()) {
        if (view.listeners.length > 0 || view === entry.carrier) this.subscribe(view);
      }
    }
  }

  /** The session ended: whatever was awaited will not come on this connection. */
  onClose(): void {
    for (const entry of this.entries.values()) {
      for (const view of entry.views.values()) {
        view.generation++;
        view.awaiting = 'none';
        view.onWire = false;
        view.replacing = false;
      }
    }
  }

  // ---- frames in ---------------------------------------------------------------------------

  handleSnapshot(message: SnapshotMessage): void {
    const view = this.route(message.channel, message.view);
    if (!view) return;
    view.position = { epoch: message.epoch, seq: message.seq };
    if (view.awaiting === 'snapshot') view.awaiting = 'none';
    view.synced = true;
    for (const listener of [...view.listeners]) safeCall(listener.options.onSnapshot, message);
    this.port.emit('snapshot', message);
  }

  handleDelta(message: DeltaMessage): void {
    const view = this.route(message.channel, message.view);
    if (!view) return;
    const verdict = deltaVerdict(view.position, view.awaiting, message);
    if (verdict === 'ignore') return;
    if (verdict === 'gap') {
      this.resync(view, message);
      return;
    }
    view.position = { epoch: message.epoch, seq: message.seq };
    view.synced = true;
    for (const listener of [...view.listeners]) safeCall(listener.options.onDelta, message);
    this.port.emit('delta', message);
  }

  /** A whole presence list, whichever view of the channel it came with. */
  handlePresence(message: PresenceMessage): void {
    const entry = this.entries.get(message.channel);
    if (!entry) return;
    entry.presence.reset(message);
    this.presenceChanged(entry);
  }

  handlePresenceDiff(message: PresenceDiffMessage): void {
    const entry = this.entries.get(message.channel);
    if (entry?.presence.apply(message)) this.presenceChanged(entry);
  }

  /**
   * The server ended a subscription on its own (a refreshed token no longer allows it): the
   * listeners of that view hear why, as for a refused subscribe. The view stays, so a later
   * token that allows the channel again resubscribes it on the next reconnect.
   */
  handleEnded(channel: string, wire: string | undefined, error: PulseClientError): void {
    const view = this.route(channel, wire);
    if (!view) return;
    view.generation++;
    view.awaiting = 'none';
    view.onWire = false;
    for (const listener of this.audience(view)) safeCall(listener.options.onError, error);
    this.port.emit('subscriptionError', { channel, ...wireField(view), error });
  }

  // ---- views -------------------------------------------------------------------------------

  private createEntry(channel: string): ChannelEntry {
    const entry: ChannelEntry = {
      channel,
      views: new Map(),
      defaultView: undefined,
      presenceListeners: [],
      carrier: undefined,
      presence: new ChannelPresence(channel),
    };
    this.entries.set(channel, entry);
    return entry;
  }

  /**
   * A view, given its wire slot: the channel's default view when it is free, or when the view
   * holding it has no listener left (its last one left this tick, say for a filter change, or it
   * is a presence holder): the new view then takes its place, and its subscribe replaces the old
   * subscription on the server, with no unsubscribe in between. Otherwise the view is named.
   */
  private createView(entry: ChannelEntry, key: string, options: ViewOptions, holder = false): View {
    const view: View = {
      entry,
      key,
      name: this.uniqueName(entry, holder ? HOLDER_NAME : nameOfKey(key)),
      wire: undefined,
      filter: holder ? PRESENCE_ONLY_FILTER : options.filter,
      intervalMs: holder ? undefined : options.intervalMs,
      listeners: [],
      holder,
      onWire: false,
      replacing: false,
      position: undefined,
      awaiting: 'none',
      generation: 0,
      synced: false,
      recovered: null,
      asked: { sent: false, series: undefined },
      seriesKept: null,
    };
    const slot = entry.defaultView;
    if (slot === undefined) {
      entry.defaultView = view;
    } else if (slot.listeners.length === 0) {
      // Were it the presence carrier, the new view carries presence from its first subscribe (`open`).
      view.replacing = slot.onWire;
      this.discard(slot);
      entry.defaultView = view;
    } else {
      view.wire = view.name;
    }
    entry.views.set(key, view);
    return view;
  }

  /** Two keys whose names collide (improbable): the later one gets a suffix. */
  private uniqueName(entry: ChannelEntry, name: string): string {
    const taken = new Set([...entry.views.values()].map((view) => view.name));
    let candidate = name;
    for (let n = 2; taken.has(candidate); n++) candidate = `${name}-${n}`;
    return candidate;
  }

  /**
   * A view just created: carries presence when the channel has no carrier, or one that is a
   * holder or on its way out (its first subscribe asks, for free), and subscribes.
   */
  private open(view: View): void {
    const entry = view.entry;
    const carrier = entry.carrier;
    const holder = carrier?.holder ? carrier : undefined;
    if (this.presenceWanted(entry) && (carrier === undefined || carrier.listeners.length === 0)) entry.carrier = view;
    if (this.port.isOpen()) this.subscribe(view);
    // A holder in a named slot is no longer needed; one in the default slot was replaced already.
    if (holder && entry.views.get(holder.key) === holder) this.drop(holder);
  }

  /**
   * Makes sure one subscription of the channel asks for presence while a listener wants it: a
   * view with listeners subscribes again (resuming from its position, now asking for presence),
   * or, when the channel has none, a holder subscribes.
   */
  private ensureCarrier(entry: ChannelEntry): void {
    if (!this.presenceWanted(entry) || entry.carrier !== undefined) return;
    const candidate = this.mainView(entry);
    if (candidate) {
      entry.carrier = candidate;
      if (this.port.isOpen()) this.subscribe(candidate);
      return;
    }
    const holder = this.createView(entry, HOLDER_KEY, {}, true);
    entry.carrier = holder;
    if (this.port.isOpen()) this.subscribe(holder);
  }

  /**
   * A new connection holds no subscription, so slots can be dealt afresh: the oldest view with
   * listeners becomes the default view when the one holding it has none (a channel down to one
   * view speaks v1 again), and presence rides on a view with listeners rather than on a holder.
   */
  private deal(entry: ChannelEntry): void {
    const live = [...entry.views.values()].filter((view) => !view.holder && view.listeners.length > 0);
    const slot = entry.defaultView;
    if (live.length > 0 && (slot === undefined || slot.listeners.length === 0)) {
      if (slot) slot.wire = slot.name;
      live[0]!.wire = undefined;
      entry.defaultView = live[0];
    }
    const carrier = entry.carrier;
    if (!this.presenceWanted(entry)) {
      if (carrier?.holder) this.discard(carrier);
      return;
    }
    if (carrier && !carrier.holder && carrier.listeners.length > 0) return;
    const candidate = this.mainView(entry);
    if (!candidate) return; // the holder (or a view on its way out) carries on
    if (carrier?.holder) this.discard(carrier);
    entry.carrier = candidate;
  }

  /** The view that stands for the channel: its default view, or else its oldest view, with listeners. */
  private mainView(entry: ChannelEntry): View | undefined {
    const slot = entry.defaultView;
    if (slot && !slot.holder && slot.listeners.length > 0) return slot;
    for (const view of entry.views.values()) if (!view.holder && view.listeners.length > 0) return view;
    return undefined;
  }

  private presenceWanted(entry: ChannelEntry): boolean {
    return entry.presenceListeners.length > 0;
  }

  private disposer(listener: Listener): Unsubscribe {
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.remove(listener);
    };
  }

  private remove(listener: Listener): void {
    const { view, entry } = listener;
    const at = entry.presenceListeners.indexOf(listener);
    if (at >= 0) entry.presenceListeners.splice(at, 1);
    if (view) {
      const index = view.listeners.indexOf(listener);
      if (index >= 0) view.listeners.splice(index, 1);
      if (view.listeners.length === 0) this.releaseLater(view);
    }
    if (!this.presenceWanted(entry) && entry.carrier?.holder) this.releaseLater(entry.carrier);
  }

  /**
   * Released at the end of the current task: a listener that comes back in the same tick (React
   * StrictMode effects, a filter change done as dispose-then-subscribe) keeps the subscription,
   * or hands its slot to the new view, instead of causing an unsubscribe/subscribe pair.
   */
  private releaseLater(view: View): void {
    void Promise.resolve().then(() => this.release(view));
  }

  private release(view: View): void {
    const entry = view.entry;
    if (!this.isCurrent(view) || view.listeners.length > 0) return;
    const wanted = this.presenceWanted(entry);
    if (view.holder && wanted && entry.carrier === view) return; // still carrying presence
    if (entry.carrier === view && wanted) {
      // Presence moves to a holder, so no other view is disturbed; the holder subscribes before
      // the view goes, so the user never leaves the channel's presence in between.
      const wasDefault = entry.defaultView === view;
      const onWire = view.onWire;
      if (wasDefault) this.discard(view);
      const holder = this.createView(entry, HOLDER_KEY, {}, true);
      if (wasDefault) holder.replacing = onWire;
      entry.carrier = holder;
      if (this.port.isOpen()) this.subscribe(holder);
      if (!wasDefault) this.drop(view);
      return;
    }
    this.drop(view);
    if (entry.views.size === 0 && !wanted && this.entries.get(entry.channel) === entry) this.entries.delete(entry.channel);
  }

  /** Unsubscribes a view (when it is subscribed) and forgets it. */
  private drop(view: View): void {
    const onWire = view.onWire && this.port.isOpen();
    const message = { type: 'unsubscribe' as const, channel: view.entry.channel, ...wireField(view) };
    this.discard(view);
    if (onWire) this.port.send(message, { resolve: noop, reject: noop });
  }

  /** Forgets a view without a word to the server; its late answers are ignored. */
  private discard(view: View): void {
    const entry = view.entry;
    if (entry.views.get(view.key) === view) entry.views.delete(view.key);
    if (entry.defaultView === view) entry.defaultView = undefined;
    if (entry.carrier === view) entry.carrier = undefined;
    view.generation++;
    view.onWire = false;
  }

  // ---- requests ----------------------------------------------------------------------------

  private subscribe(view: View): void {
    const entry = view.entry;
    const generation = ++view.generation;
    const series = seriesOf(view);
    // Asking more series than the view's data holds: a fresh snapshot, not a resume. The
    // subscription it replaces (if on the wire) sends deltas until the reply: all are dropped.
    const fresh = this.wantsMoreSeries(view);
    const since = fresh ? undefined : view.position;
    view.awaiting = view.replacing || (fresh && view.onWire) ? 'reply' : 'subscribe';
    view.replacing = false;
    view.synced = false;
    view.onWire = true;
    const message: SubscribeRequest = { type: 'subscribe', channel: entry.channel };
    if (view.wire !== undefined) message.view = view.wire;
    if (view.filter && filterKey(view.filter)) message.filter = view.filter;
    if (view.intervalMs !== undefined) message.intervalMs = view.intervalMs;
    if (since) message.since = { epoch: since.epoch, seq: since.seq };
    if (entry.carrier === view) message.presence = true;
    if (series !== undefined) message.series = series;
    view.asked = { sent: true, series };

    this.port.send(message, {
      resolve: (value) => {
        if (!this.current(view, generation)) return;
        const recovered = (value as { recovered?: unknown }).recovered === true;
        const keepsNone = (value as { series?: unknown }).series === false;
        view.recovered = recovered;
        if (series !== undefined) view.seriesKept = !keepsNone;
        if (view.awaiting === 'subscribe' || view.awaiting === 'reply') view.awaiting = recovered || view.synced ? 'none' : 'snapshot';
        const event: SubscribedEvent = {
          channel: entry.channel,
          ...wireField(view),
          recovered,
          ...(since ? { since } : {}),
          ...(keepsNone ? { series: false as const } : {}),
        };
        for (const listener of this.audience(view)) safeCall(listener.options.onSubscribed, event);
        this.port.emit('subscribed', event);
      },
      reject: (error) => {
        if (!this.current(view, generation) || isConnectionLoss(error)) return;
        view.awaiting = 'none';
        // Refused: nothing is subscribed. Unanswered: it may be, so a release still unsubscribes.
        if (error.code !== ClientErrorCode.TIMEOUT) view.onWire = false;
        for (const listener of this.audience(view)) safeCall(listener.options.onError, error);
        this.port.emit('subscriptionError', { channel: entry.channel, ...wireField(view), error });
      },
    });
  }

  private resync(view: View, delta: DeltaMessage): void {
    this.port.emit('gap', {
      channel: view.entry.channel,
      ...wireField(view),
      ...(view.position ? { position: { ...view.position } } : {}),
      epoch: delta.epoch,
      prevSeq: delta.prevSeq,
    });
    view.awaiting = 'snapshot';
    if (this.port.isOpen()) void this.sendResync(view);
  }

  /** Sends `resync` for a view, whose deltas are dropped until the fresh snapshot; settles with the answer. */
  private sendResync(view: View): Promise<void> {
    view.awaiting = 'snapshot';
    const generation = view.generation;
    return new Promise((settle) => {
      this.port.send({ type: 'resync', channel: view.entry.channel, ...wireField(view) }, {
        resolve: () => settle(),
        reject: (error) => {
          settle();
          if (!this.current(view, generation) || isConnectionLoss(error)) return;
          // The server refused the resync (NOT_SUBSCRIBED after a lost subscription, a rate
          // limit): a subscribe with `since` recovers just as well, and reports its own errors.
          this.subscribe(view);
        },
      });
    });
  }

  // ---- helpers -----------------------------------------------------------------------------

  /**
   * The view was subscribed before, asking less of series than its listeners ask now (and the
   * channel was not found to keep none): its next subscribe must be a fresh one.
   */
  private wantsMoreSeries(view: View): boolean {
    if (!view.asked.sent || view.seriesKept === false) return false;
    return !seriesAskCovers(view.asked.series, seriesOf(view));
  }

  /** The view a server message is about: by its `view`, the default view without one. */
  private route(channel: string, wire: string | undefined): View | undefined {
    const entry = this.entries.get(channel);
    if (!entry) return undefined;
    if (wire === undefined) return entry.defaultView;
    for (const view of entry.views.values()) if (view.wire === wire) return view;
    return undefined;
  }

  /** Who hears about a view's subscribe: its listeners, and the presence-only ones when it carries presence. */
  private audience(view: View): Listener[] {
    const entry = view.entry;
    const riders = entry.carrier === view ? entry.presenceListeners.filter((listener) => listener.view === null) : [];
    return [...view.listeners, ...riders];
  }

  private presenceChanged(entry: ChannelEntry): void {
    const state = entry.presence.state();
    if (!state) return;
    for (const listener of [...entry.presenceListeners]) safeCall(listener.options.onPresence, state);
  }

  /** A listener that joins a channel whose presence is known hears it at once. */
  private tellPresence(entry: ChannelEntry, listener: Listener): void {
    const state = entry.presence.state();
    if (state) safeCall(listener.options.onPresence, state);
  }

  private isCurrent(view: View): boolean {
    return this.entries.get(view.entry.channel) === view.entry && view.entry.views.get(view.key) === view;
  }

  private current(view: View, generation: number): boolean {
    return view.generation === generation && this.isCurrent(view);
  }
}

/** What a view's listeners ask of series together; a presence holder asks nothing. */
function seriesOf(view: View): SeriesAsk | undefined {
  return mergeSeriesAsks(view.listeners.map((listener) => listener.options.series));
}

/** `{view}` for a named view, nothing for the default view: what messages about it carry. */
function wireField(view: View): { view?: string } {
  return view.wire === undefined ? {} : { view: view.wire };
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

/**
 * How the client names views (docs/protocol.md §12). Listeners of one channel that ask for the
 * same filter and pace share a view; listeners that differ get views of their own, named after
 * what they select: the name is a short hash of the canonical filter key (`filterKey`) and the
 * pace, so the same panel gets the same name on every connection and in every tab, and a
 * reconnect resumes each view under its name with its own `since`.
 *
 * Two names are at play, kept apart on purpose:
 * - the view's **name** (`viewName`) never changes; the store keys its data by it
 *   (`viewStoreKey`), so a server render, the hooks and the socket agree on where a view's
 *   records live;
 * - its **wire name** is what `subscribe` carries. The first view of a channel goes out as the
 *   default view (no `view` at all), so a channel shown through one filter and pace speaks
 *   protocol v1 exactly, to any server; only further views carry their name.
 *
 * Pure functions: no I/O, no state.
 */
import type { Filter } from '../protocol/filter';
import { filterKey } from '../protocol/filter-key';
import { MAX_INTERVAL_MS } from '../protocol/view';

/** What makes a view: its filter and its pace. Listeners with equal options share a view. */
export interface ViewOptions {
  /** Server-side filter (docs/protocol.md §6). */
  filter?: Filter;
  /** At most one delta per this many ms (docs/protocol.md §12, "Pace"); none: every batch. */
  intervalMs?: number;
}

/**
 * A filter that selects no record and no event. A subscription under it only carries presence
 * (the hub counts the user and sends who is watching) and costs the hub nothing else.
 */
export const PRESENCE_ONLY_FILTER: Readonly<Filter> = Object.freeze({ ids: [], eventTypes: [] });

/**
 * The canonical text of a view: equal for options that select the same records at the same
 * pace, whatever the spelling of the filter.
 */
export function viewKey(options: ViewOptions = {}): string {
  return `${filterKey(options.filter)}|${options.intervalMs ?? ''}`;
}

/** True for the view without filter and pace: the whole channel at the server's pace. */
export function isPlainView(options: ViewOptions = {}): boolean {
  return options.intervalMs === undefined && filterKey(options.filter) === '';
}

/**
 * The view's stable name, `v-` and 11 characters of hash: matches the protocol's view names
 * (`VIEW_NAME`) and is the same for equal options on every client.
 *
 * @example
 * viewName({ filter: { where: { status: 'offline' } } }) === viewName({ filter: { where: { status: 'offline' } } }) // true
 */
export function viewName(options: ViewOptions = {}): string {
  return nameOfKey(viewKey(options));
}

/** `viewName` of a key from `viewKey`. */
export function nameOfKey(key: string): string {
  return `v-${hash53(key).toString(36).padStart(11, '0')}`;
}

/**
 * Where the store keeps a view's data: the channel name for the plain view (so a channel read
 * without filter and pace is `channels[channel]`, as it always was), `channel#<view name>`
 * otherwise. Channel names cannot contain `#`, so keys never collide.
 *
 * @example
 * viewStoreKey('kpi') // 'kpi'
 * viewStoreKey('fleet', { filter: { bounds } }) // 'fleet#v-…'
 */
export function viewStoreKey(channel: string, options: ViewOptions = {}): string {
  return isPlainView(options) ? channel : `${channel}#${viewName(options)}`;
}

/** The channel and view name of a key from `viewStoreKey` (`view` is null for the plain view). */
export function parseViewStoreKey(key: string): { channel: string; view: string | null } {
  const at = key.indexOf('#');
  return at < 0 ? { channel: key, view: null } : { channel: key.slice(0, at), view: key.slice(at + 1) };
}

/**
 * Throws a `TypeError` for a pace the protocol can never accept (misuse). The lower bound is
 * the server's batch interval, which only the server knows: it refuses a shorter one with
 * `INVALID_MESSAGE`, reported to the listener.
 */
export function checkInterval(intervalMs: unknown): void {
  if (intervalMs === undefined) return;
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_INTERVAL_MS) {
    throw new TypeError(`invalid intervalMs ${String(intervalMs)}: must be an integer of ms up to ${MAX_INTERVAL_MS}`);
  }
}

/**
 * A 53-bit string hash (cyrb53: two multiplicative 32-bit lanes, mixed). Not cryptographic: it
 * only has to spread the few views one page uses; a collision is still resolved by the caller.
 */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

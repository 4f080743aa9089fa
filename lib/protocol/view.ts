/**
 * Views (docs/protocol.md §12): a subscription is named by its channel and its view, so one
 * connection may hold several subscriptions of one channel, each with its own filter and pace.
 */

/** A view name: letters, digits and `_ . : -`, 1–64 characters. Without one, the channel's default view. */
export const VIEW_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Longest pace a subscription may ask for (`intervalMs`); the shortest is the server's batch interval. */
export const MAX_INTERVAL_MS = 60_000;

export function isViewName(value: unknown): value is string {
  return typeof value === 'string' && VIEW_NAME.test(value);
}

/**
 * The `view` member of a server message about a subscription, to spread into it: none for the
 * default view, so a client that never names a view gets exactly the messages of a server
 * without views.
 *
 * @example
 * ({ type: 'delta', channel: 'fleet', ...viewField('map') }) // → { type: 'delta', channel: 'fleet', view: 'map' }
 * ({ type: 'delta', channel: 'fleet', ...viewField(undefined) }) // → { type: 'delta', channel: 'fleet' }
 */
export function viewField(view: string | undefined): { view?: string } {
  return view === undefined ? {} : { view };
}

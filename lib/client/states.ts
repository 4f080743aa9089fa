/**
 * The client's connection states: a closed union, changed only by the client's `setState`.
 *
 * ```
 * idle ──connect()──► connecting ──welcome──► open ──drop──► reconnecting ──welcome──► open
 *                         │                                   │  3 failures
 *                         └── failure ──► reconnecting ───────┴──────────► fallback (still retrying)
 * any active state ──browser offline──► offline ──online──► connecting / reconnecting / fallback
 * any state ──close() or close code 1000──► closed        close code 1009, protocol mismatch ──► error
 * ```
 */
export const CLIENT_STATES = [
  'idle',
  'connecting',
  'open',
  'reconnecting',
  'fallback',
  'offline',
  'closed',
  'error',
] as const;

/**
 * - `idle`: created, `connect()` not called yet.
 * - `connecting`: first attempt after `connect()`: token, socket, `auth`, waiting for `welcome`.
 * - `open`: `welcome` received; subscriptions and requests flow.
 * - `reconnecting`: the connection dropped or an attempt failed; a retry is scheduled or running.
 * - `fallback`: `fallbackAfter` attempts in a row failed (or there is no WebSocket at all); the
 *   client keeps retrying, and the React layer polls snapshots over HTTP meanwhile.
 * - `offline`: the browser reports no network; retries pause until it comes back.
 * - `closed`: `close()` was called or the server closed normally (1000); nothing is retried.
 * - `error`: a failure retrying cannot fix (frame too large, another protocol version).
 */
export type ClientState = (typeof CLIENT_STATES)[number];

/** States in which the client is working towards (or holding) a connection. */
export function isActiveState(state: ClientState): boolean {
  return state === 'connecting' || state === 'open' || state === 'reconnecting' || state === 'fallback' || state === 'offline';
}

/** States from which `connect()` starts afresh. */
export function isStoppedState(state: ClientState): boolean {
  return state === 'idle' || state === 'closed' || state === 'error';
}

/**
 * Error and close codes of protocol v1 (docs/protocol.md §9), shared by server and client.
 */

export const PROTOCOL_VERSION = 1;

export const ErrorCode = {
  AUTH_REQUIRED: 'AUTH_REQUIRED',
  AUTH_FAILED: 'AUTH_FAILED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  FORBIDDEN: 'FORBIDDEN',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  BAD_FILTER: 'BAD_FILTER',
  NOT_SUBSCRIBED: 'NOT_SUBSCRIBED',
  SUBSCRIPTION_LIMIT: 'SUBSCRIPTION_LIMIT',
  RATE_LIMITED: 'RATE_LIMITED',
  CONNECTION_LIMIT: 'CONNECTION_LIMIT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CloseCode = {
  /** Normal closure: stay closed. */
  NORMAL: 1000,
  /** Server shutting down: reconnect with backoff. */
  GOING_AWAY: 1001,
  /** Policy violation (abuse, kicked by an admin): reconnect with a long backoff. */
  POLICY_VIOLATION: 1008,
  /** Frame too large: a client bug, do not retry the same frame. */
  MESSAGE_TOO_BIG: 1009,
  /** Internal error: reconnect with backoff. */
  INTERNAL_ERROR: 1011,
  /** Try again later (limits, slow consumer): reconnect with backoff. */
  TRY_AGAIN_LATER: 1013,
  /** Auth failed, timed out or expired: get a fresh token, then reconnect. */
  AUTH: 4401,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** HTTP status that fits each error code, for the HTTP API (docs/protocol.md §10). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  AUTH_REQUIRED: 401,
  AUTH_FAILED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  INVALID_MESSAGE: 400,
  BAD_FILTER: 400,
  NOT_SUBSCRIBED: 404,
  SUBSCRIPTION_LIMIT: 429,
  RATE_LIMITED: 429,
  CONNECTION_LIMIT: 503,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL_ERROR: 500,
};

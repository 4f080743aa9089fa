/**
 * Errors the client hands to callers: always a `PulseClientError` carrying a machine-readable
 * `code`, either a protocol error code (docs/protocol.md §9) or one of the client's own below.
 */
import type { ErrorCode } from '../protocol/codes';

/** Failures that happen on this side of the socket, so the server never names them. */
export const ClientErrorCode = {
  /** No reply within the request timeout. */
  TIMEOUT: 'TIMEOUT',
  /** The connection dropped before the reply arrived; the request may or may not have run. */
  DISCONNECTED: 'DISCONNECTED',
  /** The client is idle, closed or in the error state, so nothing can be sent. */
  NOT_CONNECTED: 'NOT_CONNECTED',
  /** `close()` was called while the request waited. */
  CLOSED: 'CLOSED',
  /** `getToken()` threw or rejected. */
  TOKEN_UNAVAILABLE: 'TOKEN_UNAVAILABLE',
  /** No WebSocket implementation, or constructing a socket failed. */
  TRANSPORT_UNAVAILABLE: 'TRANSPORT_UNAVAILABLE',
  /** The server speaks another protocol version. */
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
  /** The server sent a frame the client cannot read. */
  BAD_FRAME: 'BAD_FRAME',
  /** An HTTP request (snapshot polling) failed without a protocol error body. */
  HTTP_ERROR: 'HTTP_ERROR',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export type PulseErrorCode = ErrorCode | ClientErrorCode;

export class PulseClientError extends Error {
  override readonly name = 'PulseClientError';
  /** Protocol error code, or a client-side `ClientErrorCode`. */
  readonly code: PulseErrorCode;
  /** HTTP status, for errors from the HTTP API. */
  readonly status?: number;

  constructor(code: PulseErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

export function isPulseClientError(value: unknown): value is PulseClientError {
  return value instanceof PulseClientError;
}

/** Wraps anything thrown into a `PulseClientError` with `code`, keeping the original as `cause`. */
export function toClientError(code: PulseErrorCode, error: unknown, fallbackMessage: string): PulseClientError {
  if (error instanceof PulseClientError) return error;
  const message = error instanceof Error && error.message ? error.message : fallbackMessage;
  return new PulseClientError(code, message, { cause: error });
}

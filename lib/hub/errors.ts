import { ClusterUnavailableError } from '../cluster/types';
import { EngineRefusalError, EngineUnavailableError } from '../engine/types';
import { ErrorCode } from '../protocol';

/** A request refused for a reason the caller can act on; carries its protocol error code. */
export class HubError extends Error {
  /** `status` overrides the code's usual HTTP status (503 for an unreachable engine or cluster). */
  constructor(readonly code: ErrorCode, message: string, readonly status?: number) {
    super(message);
    this.name = 'HubError';
  }
}

/**
 * The error a caller should see: a `HubError` as it is, an unreachable engine or cluster as
 * `INTERNAL_ERROR` with HTTP 503 (retry later; nothing was applied), content the engine
 * refuses as `INVALID_MESSAGE` (HTTP 400: resending it will not help), anything else undefined
 * (a bug, answered as a plain internal error).
 */
export function asHubError(error: unknown): HubError | undefined {
  if (error instanceof HubError) return error;
  if (error instanceof EngineUnavailableError) return new HubError(ErrorCode.INTERNAL_ERROR, `engine unavailable: ${error.message}`, 503);
  if (error instanceof ClusterUnavailableError) return new HubError(ErrorCode.INTERNAL_ERROR, `cluster unavailable: ${error.message}`, 503);
  if (error instanceof EngineRefusalError) return new HubError(ErrorCode.INVALID_MESSAGE, error.message);
  return undefined;
}

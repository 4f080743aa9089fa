import type { ErrorCode } from '../protocol';

/** A request refused for a reason the caller can act on; carries its protocol error code. */
export class HubError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'HubError';
  }
}

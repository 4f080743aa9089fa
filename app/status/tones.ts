/**
 * Which figures deserve attention. Thresholds an operator would agree with at a glance:
 * deliveries are batched every 100 ms, so a few hundred ms is normal and a second is not.
 */

export type Tone = 'ok' | 'warn' | 'critical';

/** Delivery latency: fine under 250 ms, a concern under 1 s, a problem beyond. */
export function latencyTone(ms: number): Tone | undefined {
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  if (ms < 250) return 'ok';
  if (ms < 1000) return 'warn';
  return 'critical';
}

/** A socket's unsent bytes: some is normal, 256 KiB is lagging, 1 MiB is a slow consumer by default. */
export function bufferTone(bytes: number): Tone | undefined {
  if (bytes >= 1024 * 1024) return 'critical';
  if (bytes >= 256 * 1024) return 'warn';
  return undefined;
}

export interface ErrorCodeInfo {
  tone: Tone | 'info';
  /** What the code means, for the tooltip. */
  meaning: string;
}

const ERROR_CODES: Record<string, ErrorCodeInfo> = {
  INTERNAL_ERROR: { tone: 'critical', meaning: 'A server fault: check the logs.' },
  CONNECTION_LIMIT: { tone: 'warn', meaning: 'Connections refused at the global or per-tenant limit.' },
  RATE_LIMITED: { tone: 'warn', meaning: 'Messages refused by the per-connection rate limit.' },
  PAYLOAD_TOO_LARGE: { tone: 'warn', meaning: 'Frames or bodies over PULSE_MAX_PAYLOAD.' },
  SUBSCRIPTION_LIMIT: { tone: 'warn', meaning: 'Subscriptions refused at the per-connection limit.' },
  AUTH_FAILED: { tone: 'info', meaning: 'Bad or missing tokens and admin keys.' },
  AUTH_REQUIRED: { tone: 'info', meaning: 'Frames sent before auth.' },
  TOKEN_EXPIRED: { tone: 'info', meaning: 'Sessions whose token expired.' },
  FORBIDDEN: { tone: 'info', meaning: 'Requests outside a token’s channel permissions.' },
  INVALID_MESSAGE: { tone: 'info', meaning: 'Malformed or invalid client messages.' },
  BAD_FILTER: { tone: 'info', meaning: 'Subscriptions with filters that did not parse.' },
  NOT_SUBSCRIBED: { tone: 'info', meaning: 'Unsubscribes from channels not subscribed to.' },
};

export function errorCodeInfo(code: string): ErrorCodeInfo {
  return ERROR_CODES[code] ?? { tone: 'info', meaning: 'Reported by the hub.' };
}

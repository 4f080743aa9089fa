/**
 * At most one log line per interval for something a peer can trigger at will (refused
 * upgrades, sockets pushed out by the admission budget), so that a flood of them cannot flood
 * the logs too. The first one is logged; those within the interval after it are only counted,
 * and the next line that is logged carries that count as `suppressed`.
 */
export class LogThrottle {
  private loggedAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(private readonly intervalMs = 1000) {}

  /**
   * Call once per occurrence: the number of occurrences suppressed since the last line when
   * this one is to be logged, or undefined when it is to be skipped.
   */
  take(now = Date.now()): number | undefined {
    if (now - this.loggedAt < this.intervalMs) {
      this.suppressed++;
      return undefined;
    }
    this.loggedAt = now;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return suppressed;
  }
}

/** Longest header value (an `Origin`, say) a log line carries; the rest is cut. */
export const MAX_LOGGED_HEADER_CHARS = 200;

/** A client-supplied header value cut to `MAX_LOGGED_HEADER_CHARS` for a log line. */
export function headerForLog(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : value;
  if (text === undefined || text.length <= MAX_LOGGED_HEADER_CHARS) return text;
  return `${text.slice(0, MAX_LOGGED_HEADER_CHARS)}… (${text.length} chars)`;
}

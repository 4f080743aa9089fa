'use client';

/**
 * "Live", "Just now", "5s ago", "2m ago": how fresh a panel's data is. Re-renders itself every
 * second, so a panel whose updates stop visibly goes stale. A paused panel (nobody saw it, so
 * its view was unsubscribed) says "Paused" instead of ageing: its data is old on purpose. A
 * refused view says "Not permitted" (or "Error"): its data will not come.
 */
import type { ChannelError } from '@/lib/store/types';
import { freshness, formatAge } from './format';
import { useNow } from './clock';

export { formatAge } from './format';

export interface LiveBadgeProps {
  /** Time of the last update (ms since epoch), or `null` before any data arrived. */
  updatedAt: number | null;
  /** Pins the clock (tests, or a parent that already ticks). */
  now?: number;
  /** The panel's view is paused (`useChannel().paused`). */
  paused?: boolean;
  /** Why the view was refused (`useChannel().error`): shown instead of the age. */
  error?: ChannelError | null;
  className?: string;
}

/** Refusals that mean "you may not see this", as opposed to a fault. */
const NOT_PERMITTED = new Set(['FORBIDDEN', 'AUTH_REQUIRED', 'AUTH_FAILED', 'TOKEN_EXPIRED']);

export function LiveBadge({ updatedAt, now: fixedNow, paused = false, error = null, className }: LiveBadgeProps) {
  const now = useNow(1000, updatedAt !== null && !paused && !error, fixedNow);
  const base = className ? `pb-live ${className}` : 'pb-live';

  if (error) {
    return (
      <span className={`${base} pb-live--error`} title={`${error.code}: ${error.message}`}>
        <span className="pb-live__dot" aria-hidden="true" />
        {NOT_PERMITTED.has(error.code) ? 'Not permitted' : 'Error'}
      </span>
    );
  }

  if (paused) {
    return (
      <span
        className={`${base} pb-live--paused`}
        title={updatedAt === null ? 'Paused while out of sight' : `Paused while out of sight; last update ${new Date(updatedAt).toISOString()}`}
      >
        <span className="pb-live__dot" aria-hidden="true" />
        Paused
      </span>
    );
  }

  if (updatedAt === null) {
    return (
      <span className={`${base} pb-live--none`}>
        <span className="pb-live__dot" aria-hidden="true" />
        No data yet
      </span>
    );
  }

  const age = Math.max(0, now - updatedAt);
  return (
    <time
      className={`${base} pb-live--${freshness(age)}`}
      dateTime={new Date(updatedAt).toISOString()}
      title={`Last update ${new Date(updatedAt).toISOString()}`}
      // server and browser clocks differ by the render delay; the first client tick corrects it
      suppressHydrationWarning
    >
      <span className="pb-live__dot" aria-hidden="true" />
      {formatAge(age)}
    </time>
  );
}

export default LiveBadge;

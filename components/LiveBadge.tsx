'use client';

/**
 * "Live", "Just now", "5s ago", "2m ago": how fresh a panel's data is. Re-renders itself every
 * second, so a panel whose updates stop visibly goes stale.
 */
import { freshness, formatAge } from './format';
import { useNow } from './clock';

export { formatAge } from './format';

export interface LiveBadgeProps {
  /** Time of the last update (ms since epoch), or `null` before any data arrived. */
  updatedAt: number | null;
  /** Pins the clock (tests, or a parent that already ticks). */
  now?: number;
  className?: string;
}

export function LiveBadge({ updatedAt, now: fixedNow, className }: LiveBadgeProps) {
  const now = useNow(1000, updatedAt !== null, fixedNow);
  const base = className ? `pb-live ${className}` : 'pb-live';

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

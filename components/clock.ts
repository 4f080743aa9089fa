'use client';

/**
 * A ticking clock for components that show relative times ("5s ago").
 */
import { useEffect, useState } from 'react';

/**
 * The current time, refreshed every `intervalMs` while `enabled`. `fixed` pins it (for tests
 * and for server rendering with a known time).
 */
export function useNow(intervalMs = 1000, enabled = true, fixed?: number): number {
  const [now, setNow] = useState(() => fixed ?? Date.now());
  useEffect(() => {
    if (fixed !== undefined || !enabled) return;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the clock is outside React: catch up at once when it (re)starts, then tick
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs, enabled, fixed]);
  return fixed ?? now;
}

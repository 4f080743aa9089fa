'use client';
/**
 * Short client-side histories for sparklines: every `intervalMs` the current value of each
 * metric goes into a ring of the last `size` samples. Sampling on a clock rather than on every
 * change keeps the x axis honest (one point a second) however bursty the updates are.
 */
import { useEffect, useRef, useState } from 'react';
import { HISTORY_INTERVAL_MS, HISTORY_SIZE } from './config';
import { pushRing } from './metrics';

export type Histories = Readonly<Record<string, readonly number[]>>;

function sample(history: Histories, values: Readonly<Record<string, number | null>>, size: number): Histories {
  const next: Record<string, readonly number[]> = { ...history };
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && Number.isFinite(value)) next[key] = pushRing(history[key] ?? [], value, size);
  }
  return next;
}

/**
 * @example
 * const history = useSampledHistory({ utilization: summary.utilization });
 * <Sparkline values={history.utilization ?? []} />
 */
export function useSampledHistory(
  values: Readonly<Record<string, number | null>>,
  size = HISTORY_SIZE,
  intervalMs = HISTORY_INTERVAL_MS,
): Histories {
  // The first sample is the server-rendered value, so first paint and hydration agree.
  const [history, setHistory] = useState<Histories>(() => sample({}, values, size));
  const latest = useRef(values);
  useEffect(() => {
    latest.current = values;
  });
  useEffect(() => {
    const timer = setInterval(() => setHistory((current) => sample(current, latest.current, size)), intervalMs);
    return () => clearInterval(timer);
  }, [size, intervalMs]);
  return history;
}

/**
 * The client-side time series behind the status page's charts: one sample per successful
 * stats refresh, kept for a few minutes. Pure functions over immutable arrays.
 */
import type { ServerStats } from './types';

/** How often the page refreshes its figures, so also the spacing of the samples. */
export const REFRESH_MS = 1500;

/** How much history the charts show. */
export const HISTORY_WINDOW_MS = 5 * 60_000;

export interface StatsSample {
  /** Browser time the sample arrived (ms since epoch). */
  at: number;
  connections: number;
  messagesInPerSec: number;
  messagesOutPerSec: number;
  bytesInPerSec: number;
  bytesOutPerSec: number;
  p95: number;
  /** Error counters since server start, for "in the last few minutes". */
  errors: Record<string, number>;
  instance: string;
  uptimeS: number;
}

export function toSample(stats: ServerStats, at: number): StatsSample {
  return {
    at,
    connections: stats.connections.total,
    messagesInPerSec: stats.messages.inPerSec,
    messagesOutPerSec: stats.messages.outPerSec,
    bytesInPerSec: stats.bytes.inPerSec,
    bytesOutPerSec: stats.bytes.outPerSec,
    p95: stats.latencyMs.p95,
    errors: stats.errors,
    instance: stats.instance,
    uptimeS: stats.uptimeS,
  };
}

/**
 * Appends a sample and drops those older than the window. A different instance, or an uptime
 * that went backwards, means the server restarted: its counters started over, so the old
 * samples no longer compare and are dropped.
 */
export function appendSample(history: readonly StatsSample[], sample: StatsSample, windowMs = HISTORY_WINDOW_MS): StatsSample[] {
  const last = history[history.length - 1];
  const restarted = last !== undefined && (last.instance !== sample.instance || sample.uptimeS < last.uptimeS);
  const kept = restarted ? [] : history.filter((s) => s.at > sample.at - windowMs && s.at < sample.at);
  kept.push(sample);
  return kept;
}

/** Errors per code counted since the oldest sample in the window. */
export function recentErrors(history: readonly StatsSample[]): Record<string, number> {
  if (history.length === 0) return {};
  const first = history[0].errors;
  const last = history[history.length - 1].errors;
  const recent: Record<string, number> = {};
  for (const [code, count] of Object.entries(last)) recent[code] = Math.max(0, count - (first[code] ?? 0));
  return recent;
}

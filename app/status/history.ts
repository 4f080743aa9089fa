/**
 * The lines behind the status page's charts: the server's own figures as series, read once
 * from `GET /api/ws/stats/series` (the last fifteen minutes, docs/protocol.md §10), then each
 * stats poll's figures written into the bucket of its server time `at`. Pure functions over
 * immutable values.
 *
 * Buckets hold the last value seen in them, as on the server (docs/protocol.md §13): a poll
 * that lands in the bucket after the next (timer jitter) carries the previous value over the
 * skipped one; a longer gap, another instance answering, or a server restart asks for the
 * series again (`continues` says which), so the lines never make up what they did not see.
 */
import { ErrorCode } from '@/lib/protocol/codes';
import { ERROR_FIGURE_PREFIX, SERVER_FIGURES } from '@/lib/protocol/server-figures';
import type { SeriesLine } from '@/lib/store/types';
import type { ServerStats, StatsSeriesBody } from './types';

/** How often the page polls its figures: the series' bucket width. */
export const REFRESH_MS = 1000;

/** Buckets a poll may skip before the lines are read again from the server. */
const MAX_CARRY_BUCKETS = 3;

/** The figures the charts draw, named as the server keeps them (docs/operations.md). */
export const FIGURES = SERVER_FIGURES;

export type Figure = (typeof FIGURES)[number];

/** One instance's figures over time: one list of values per field, all of the same buckets. */
export interface StatsHistory {
  /** The instance whose figures these are. */
  instance: string;
  /** Start (ms) of the first bucket. */
  start: number;
  resolutionMs: number;
  /** Most buckets kept: the server's window. */
  capacity: number;
  /** Per field (`FIGURES` and `errors.<CODE>`), one value per bucket, oldest first. */
  values: Readonly<Record<string, readonly (number | null)[]>>;
}

/** A poll's figures under the names the server keeps them by (its `statsRecord`). */
export function statsValues(stats: ServerStats): Record<string, number> {
  const values: Record<string, number> = {
    connections: stats.connections.total,
    subscriptions: stats.subscriptions,
    channels: stats.channels,
    messagesInPerSec: stats.messages.inPerSec,
    messagesOutPerSec: stats.messages.outPerSec,
    bytesInPerSec: stats.bytes.inPerSec,
    bytesOutPerSec: stats.bytes.outPerSec,
    latencyP50Ms: stats.latencyMs.p50,
    latencyP95Ms: stats.latencyMs.p95,
    latencyP99Ms: stats.latencyMs.p99,
    slowConsumers: stats.slowConsumers,
  };
  // Every code, 0 when it has none, as the server writes them.
  for (const code of Object.values(ErrorCode)) values[`${ERROR_FIGURE_PREFIX}${code}`] = stats.errors[code] ?? 0;
  return values;
}

/**
 * The history of `instance` (the answering one by default) from the series body. An instance
 * that has not written its figures yet gets the span with no values.
 *
 * @example
 * const history = historyFromSeries(await adminRequest('/api/ws/stats/series', key));
 * lineOf(history, 'messagesInPerSec'); // → { start, resolutionMs: 1000, values: [… 900 values] }
 */
export function historyFromSeries(body: StatsSeriesBody, instance = body.instance): StatsHistory {
  const { series } = body;
  const length = (series.end - series.start) / series.resolutionMs;
  const record = series.records[instance] ?? {};
  const values: Record<string, readonly (number | null)[]> = {};
  for (const field of series.fields) values[field] = record[field] ?? new Array<null>(length).fill(null);
  return { instance, start: series.start, resolutionMs: series.resolutionMs, capacity: length, values };
}

/** A history that starts with one poll: when the server could not give its series. */
export function historyFromStats(stats: ServerStats, resolutionMs = REFRESH_MS, capacity = 900): StatsHistory {
  const values = Object.fromEntries(Object.entries(statsValues(stats)).map(([field, value]) => [field, [value]]));
  return { instance: stats.instance, start: bucketStart(stats.at, resolutionMs), resolutionMs, capacity, values };
}

function bucketStart(at: number, resolutionMs: number): number {
  return Math.floor(at / resolutionMs) * resolutionMs;
}

/** Buckets in the history. */
export function bucketsOf(history: StatsHistory): number {
  let length = 0;
  for (const values of Object.values(history.values)) length = Math.max(length, values.length);
  return length;
}

/**
 * Whether a poll's figures continue `history`: the same instance, not restarted, and at most a
 * few buckets after its last one. When not, the page reads the series again.
 */
export function continues(history: StatsHistory, stats: ServerStats): boolean {
  if (stats.instance !== history.instance) return false;
  const last = history.start + (bucketsOf(history) - 1) * history.resolutionMs;
  const bucket = bucketStart(stats.at, history.resolutionMs);
  return bucket <= last + MAX_CARRY_BUCKETS * history.resolutionMs && bucket >= history.start;
}

/**
 * Writes a poll's figures into the bucket of its `at`: the last bucket again, or new buckets
 * after it (the skipped ones carrying the last values), dropping the oldest past the capacity.
 * A poll older than the last bucket changes nothing. Check `continues` first.
 *
 * @example
 * setHistory((h) => (h && continues(h, stats) ? appendStats(h, stats) : h));
 */
export function appendStats(history: StatsHistory, stats: ServerStats): StatsHistory {
  const { resolutionMs, capacity } = history;
  const length = bucketsOf(history);
  const bucket = (bucketStart(stats.at, resolutionMs) - history.start) / resolutionMs;
  if (bucket < length - 1) return history;
  const added = bucket - length + 1;
  const drop = Math.max(0, length + added - capacity);
  const fresh = statsValues(stats);
  const values: Record<string, (number | null)[]> = {};
  for (const field of new Set([...Object.keys(history.values), ...Object.keys(fresh)])) {
    const old = history.values[field] ?? new Array<null>(length).fill(null);
    const next = old.slice(drop, added === 0 ? length - 1 : length);
    const carried = old.length > 0 ? old[old.length - 1] : null;
    for (let i = 1; i < added; i++) next.push(carried);
    next.push(fresh[field] ?? null);
    values[field] = next;
  }
  return { ...history, start: history.start + drop * resolutionMs, values };
}

/**
 * One field as a chart line; an empty line for a field the history lacks.
 *
 * @example
 * <TimeChart line={lineOf(history, 'latencyP95Ms')} … />
 */
export function lineOf(history: StatsHistory, field: string): SeriesLine {
  return { start: history.start, resolutionMs: history.resolutionMs, values: history.values[field] ?? [] };
}

/**
 * One field as a chart line from its first value on, but at least its last `minMs`: what a
 * sparkline (which spaces buckets evenly) should show of a server that started a moment ago.
 */
export function seenLine(history: StatsHistory, field: string, minMs = 60_000): SeriesLine {
  const line = lineOf(history, field);
  const first = line.values.findIndex((v) => v !== null);
  const keep = Math.max(Math.ceil(minMs / line.resolutionMs), first < 0 ? 0 : line.values.length - first);
  const drop = Math.max(0, line.values.length - keep);
  return { start: line.start + drop * line.resolutionMs, resolutionMs: line.resolutionMs, values: line.values.slice(drop) };
}

/** The first and last values of a line that are not null, or null when it has none. */
function ends(values: readonly (number | null)[]): [number, number] | null {
  let first: number | null = null;
  let last: number | null = null;
  for (const value of values) {
    if (value === null) continue;
    first ??= value;
    last = value;
  }
  return first === null || last === null ? null : [first, last];
}

/** Errors per code counted within the history (its counts are since start, per code). */
export function recentErrors(history: StatsHistory | null): Record<string, number> {
  const recent: Record<string, number> = {};
  if (!history) return recent;
  for (const [field, values] of Object.entries(history.values)) {
    if (!field.startsWith(ERROR_FIGURE_PREFIX)) continue;
    const span = ends(values);
    if (span) recent[field.slice(ERROR_FIGURE_PREFIX.length)] = Math.max(0, span[1] - span[0]);
  }
  return recent;
}

/** How far back the history has values (ms), from its first bucket holding any to its last bucket. */
export function coveredMs(history: StatsHistory | null): number {
  if (!history) return 0;
  const connections = history.values.connections ?? [];
  const first = connections.findIndex((v) => v !== null);
  return first < 0 ? 0 : (connections.length - 1 - first) * history.resolutionMs;
}

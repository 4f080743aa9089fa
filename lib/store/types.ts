/**
 * The shape of the client-side channel state. Everything here is immutable: reducers return new
 * objects for what changed and keep the identity of everything else, so React can compare by
 * reference (a record that did not change stays the same object, and its row does not render).
 */
import type { Filter } from '../protocol/filter';
import type { ChannelEvent, ChannelRecord, SeriesPayload } from '../protocol/messages';
import type { PackedSeries } from './series-runs';

/** A record that just changed: when, which top-level fields, and whether it is new. */
export interface ChangeMark {
  /** Client time (ms) the change arrived. */
  at: number;
  /** Top-level fields whose value changed (added, altered or removed); never `id`. */
  fields: string[];
  /** The record appeared with this change. */
  added?: true;
}

/** Where a piece of data came from. */
export type DataSource = 'socket' | 'poll' | 'initial';

export interface ChannelData {
  channel: string;
  /** History lineage of `seq`; `null` until the first data arrives. */
  epoch: string | null;
  seq: number;
  /** Records by id. */
  records: Readonly<Record<string, ChannelRecord>>;
  /** Record ids in display order: the snapshot's order, records created later appended. */
  order: readonly string[];
  /** Recent events, oldest first and newest last, at most `maxEvents` (default 100). */
  events: readonly ChannelEvent[];
  /**
   * How many events arrived as news (in deltas, or in a snapshot with a `seq` beyond the one
   * held). Grows only; a reader that remembers it can tell which of `events` are new.
   */
  eventsReceived: number;
  /** Client time (ms) data last arrived; for server-rendered data, the render's time when known. */
  updatedAt: number | null;
  /** The last subscribe's `recovered` (lossless resume); `null` before any answer. */
  recovered: boolean | null;
  /** The last snapshot said continuity was lost (`gap: true`). */
  gap: boolean;
  /** True while the data comes from the live socket; false for server-rendered or polled data, and after a drop. */
  live: boolean;
  /**
   * True while the view is paused: nobody shows it (a hidden page, panels scrolled away), so it
   * is unsubscribed and its last data is kept; it resumes from `seq` when shown again.
   */
  paused: boolean;
  /** Records that just changed, for flashing; entries expire with `expireChanges`. */
  changed: Readonly<Record<string, ChangeMark>>;
  /** Why the last subscribe was refused (`BAD_FILTER`, `FORBIDDEN`, …); cleared when data arrives. */
  error: ChannelError | null;
  /**
   * The recent past of the view's kept numeric fields (docs/protocol.md §13), when it asked for
   * series and some arrived; read it with `seriesLine` and `aggregateSeries` (lib/store/series.ts).
   */
  series: ViewSeries | null;
  /** The last subscribe asked for series and the reply said the channel keeps none (`series: false`). */
  noSeries: boolean;
}

/**
 * One record's values of one field, as the store keeps them: `values[i]` is the value at the end
 * of the bucket starting at `start + i * resolutionMs`, and the last one holds for every later
 * bucket up to the series' `end` (a value is written only when it changes). Buckets before
 * `start` had no number. Replaced, never changed, when a value is written.
 */
export interface SeriesTrack {
  /** Start (ms) of the bucket of `values[0]`; a multiple of the resolution. */
  start: number;
  values: readonly (number | null)[];
}

/** A view's series as the store keeps them: per record, per kept field, a `SeriesTrack`. */
export interface ViewSeries {
  resolutionMs: number;
  fields: readonly string[];
  /** Start (ms) of the oldest bucket kept: `end - windowMs`. */
  start: number;
  /** End (ms, exclusive) of the current bucket: the bucket of the last data received. */
  end: number;
  /** How far back the view keeps; older buckets are dropped as time moves. */
  windowMs: number;
  /** Tracks by record id, then field; a record or field without one had no number in the window. */
  records: Readonly<Record<string, Readonly<Record<string, SeriesTrack>>>>;
}

export interface ChannelError {
  code: string;
  message: string;
}

/**
 * A channel's state as a server component or the snapshot route gives it, used to render the
 * first paint and to resume from (`since = {epoch, seq}`). It belongs to the view its `filter`
 * and `intervalMs` name (`viewStoreKey`), which must be the options the page subscribes with:
 * `since` only means something for the same filter.
 */
export interface InitialSnapshot {
  channel: string;
  /** The filter the snapshot was read with. */
  filter?: Filter;
  /** The pace of the view it is for (a snapshot is the same at any pace, but the view is not). */
  intervalMs?: number;
  epoch: string;
  seq: number;
  records: ChannelRecord[];
  events?: ChannelEvent[];
  /** Server time (ms) the snapshot was read, shown as the last update. */
  at?: number;
  /**
   * The series of its records, when the view asks for series and the channel keeps them
   * (docs/protocol.md §13); a server render embeds them packed (`packSeries`).
   */
  series?: SeriesPayload | PackedSeries;
}

export interface ReducerOptions {
  /** Client time of the change (ms). Default `Date.now()`. */
  now?: number;
  /** Most recent events kept per channel. Default 100. */
  maxEvents?: number;
}

/**
 * One line of a chart: a field's values per time bucket (docs/protocol.md §13), oldest first.
 * `values[i]` is the value of the bucket starting at `start + i * resolutionMs`; the last entry
 * is the current bucket; `null` where the record or the field did not exist.
 */
export interface SeriesLine {
  /** Start (ms since the Unix epoch) of the first bucket; a multiple of `resolutionMs`. */
  start: number;
  /** Bucket width, ms. */
  resolutionMs: number;
  values: readonly (number | null)[];
}

/**
 * A view's series in the store (docs/protocol.md §13): the snapshot's `series` replaces them,
 * each delta with `ts` writes the values its records now hold to the bucket of `ts`, and a
 * recovery delta's `series` fills the span the client missed. Pure functions over immutable
 * data, like the reducers.
 *
 * Kept cheap for the common case (hundreds of records, a few fields, ~900 buckets, a delta every
 * batch touching a few records): a record's values of one field are a `SeriesTrack` that holds
 * buckets up to the last one written, and the last value stands for every later bucket
 * (carried forward on read, as the server does). So a delta writes only the tracks whose value
 * changed, copying those alone; every other track, and every record's dictionary it did not
 * touch, keeps its identity, and a chart of an untouched record does not render again. A new
 * bucket moves `start` and `end` without copying anything. Lines (`SeriesLine`) are made on
 * read, memoized per track and span.
 */
import type { ChannelRecord, SeriesPayload } from '../protocol/messages';
import { copyDict, dict, own, type Dict } from './dict';
import type { ChannelData, SeriesLine, SeriesTrack, ViewSeries } from './types';

/**
 * Most buckets a series may have (docs/protocol.md §13): the window kept when a recovery's
 * series arrive before any snapshot's told how far back the view reaches.
 */
export const MAX_SERIES_BUCKETS = 10_000;

/** How `aggregateSeries` combines the values of one bucket. */
export type SeriesAggregate = 'sum' | 'avg' | 'min' | 'max' | 'count';

type Value = number | null;

/** A value as a series keeps it: a finite number, or null for anything else (docs/protocol.md §13). */
export function seriesValue(value: unknown): Value {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The bucket (its start, ms) holding time `ms`. */
export function bucketStart(ms: number, resolutionMs: number): number {
  return Math.floor(ms / resolutionMs) * resolutionMs;
}

/**
 * The series of a snapshot (or of a server render): they replace whatever the view held. The
 * window is the payload's span unless `windowMs` says otherwise.
 */
export function seriesFromPayload(payload: SeriesPayload, windowMs = payload.end - payload.start): ViewSeries {
  const records = dict<Dict<SeriesTrack>>();
  for (const id of Object.keys(payload.records)) {
    const fields = payload.records[id]!;
    const tracks = dict<SeriesTrack>();
    let any = false;
    for (const field of payload.fields) {
      const values = own(fields, field);
      if (!Array.isArray(values) || values.length === 0) continue;
      tracks[field] = { start: payload.start, values: values.slice(0, spanBuckets(payload)).map(seriesValue) };
      any = true;
    }
    if (any) records[id] = tracks;
  }
  return {
    resolutionMs: payload.resolutionMs,
    fields: [...payload.fields],
    start: payload.start,
    end: payload.end,
    windowMs: Math.max(windowMs, payload.resolutionMs),
    records,
  };
}

/**
 * A recovery delta's series (docs/protocol.md §13): they hold every record visible now over the
 * span `[payload.start, payload.end)`, so that span is replaced for every record (a record the
 * payload leaves out had no number there), and what came before it is kept. Without series
 * held, the payload starts them, keeping up to `MAX_SERIES_BUCKETS` as time goes on.
 */
export function fillSeries(series: ViewSeries | null, payload: SeriesPayload): ViewSeries {
  if (series === null || series.resolutionMs !== payload.resolutionMs) {
    return seriesFromPayload(payload, series?.windowMs ?? MAX_SERIES_BUCKETS * payload.resolutionMs);
  }
  const res = series.resolutionMs;
  const fields = [...series.fields, ...payload.fields.filter((field) => !series.fields.includes(field))];
  const end = Math.max(series.end, payload.end);
  const start = Math.max(series.start, end - series.windowMs);
  const spanEnd = payload.start + spanBuckets(payload) * res;
  const ids = new Set([...Object.keys(series.records), ...Object.keys(payload.records)]);
  const records = dict<Dict<SeriesTrack>>();
  for (const id of ids) {
    const held = own(series.records, id);
    const missed = own(payload.records, id);
    const tracks = dict<SeriesTrack>();
    let any = false;
    for (const field of fields) {
      const before = held ? own(held, field) : undefined;
      const span = missed ? own(missed, field) : undefined;
      const first = Math.max(start, Math.min(before ? before.start : payload.start, payload.start));
      const values: Value[] = [];
      let some = false;
      for (let t = first; t < spanEnd; t += res) {
        const value = t < payload.start ? valueAt(before, t, res) : seriesValue(span?.[(t - payload.start) / res]);
        if (value !== null) some = true;
        values.push(value);
      }
      if (!some || values.length === 0) continue;
      tracks[field] = { start: first, values };
      any = true;
    }
    if (any) records[id] = tracks;
  }
  return { ...series, fields, start, end, records };
}

/** What a delta did to the view's records: the ids it upserted or deleted, and the records after it. */
export interface SeriesChange {
  ids: Iterable<string>;
  records: Readonly<Record<string, ChannelRecord>>;
}

/**
 * Writes what a delta with `ts` left in its records to the bucket of `ts` (docs/protocol.md
 * §13, "Live"): each kept field's value (a merge patch leaves untouched fields as they were, so
 * the record after the patch is what counts), null once a record is gone. A `ts` in a bucket
 * after `end` moves the window there, dropping older buckets; one before the last bucket (a
 * clock behind another instance's) writes to the last bucket. Only tracks whose value changed
 * are copied; the result is `series` itself when nothing moved or changed.
 */
export function appendSeries(series: ViewSeries, ts: number, change: SeriesChange): ViewSeries {
  const res = series.resolutionMs;
  const moved = advanceSeries(series, ts);
  const bucket = moved.end - res;
  let records: Dict<Dict<SeriesTrack>> | undefined;
  for (const id of change.ids) {
    const record = own(change.records, id);
    const held = own((records ?? moved.records) as Dict<Dict<SeriesTrack>>, id);
    let tracks: Dict<SeriesTrack> | undefined;
    for (const field of moved.fields) {
      const track = held ? own(held, field) : undefined;
      const next = writeTrack(track, bucket, seriesValue(record?.[field]), moved.start, res);
      if (next === track) continue;
      tracks ??= held ? copyDict(held) : dict<SeriesTrack>();
      if (next === undefined) delete tracks[field];
      else tracks[field] = next;
    }
    if (!tracks) continue;
    records ??= copyDict(moved.records);
    if (Object.keys(tracks).length > 0) records[id] = tracks;
    else delete records[id];
  }
  return records ? { ...moved, records } : moved;
}

/**
 * The series with `end` moved to the end of the bucket of `ts` (when later), `start` following
 * within the window, and the records whose every track has had no number since the new `start`
 * forgotten. `series` itself when `ts` is within the current bucket or before it.
 */
export function advanceSeries(series: ViewSeries, ts: number): ViewSeries {
  const res = series.resolutionMs;
  const end = bucketStart(ts, res) + res;
  if (end <= series.end) return series;
  const start = Math.max(series.start, end - series.windowMs);
  let records: Dict<Dict<SeriesTrack>> | undefined;
  for (const id of Object.keys(series.records)) {
    const tracks = series.records[id]!;
    const silent = Object.keys(tracks).every((field) => {
      const track = tracks[field]!;
      return track.values[track.values.length - 1] === null && lastBucket(track, res) < start;
    });
    if (!silent) continue;
    records ??= copyDict(series.records);
    delete records[id];
  }
  return { ...series, start, end, records: records ?? series.records };
}

/**
 * The line of one record's field over the view's series span, oldest bucket first: what a chart
 * draws. Null when the view holds no series or does not keep `field`; a line of nulls for a
 * record that had no number in the window. The same object while the track and the span are.
 *
 * @example
 * const line = seriesLine(store.getState().channels.backlog, 'q1', 'waiting');
 * line?.values.at(-1); // the current bucket's value
 */
export function seriesLine(data: ChannelData | undefined, recordId: string, field: string): SeriesLine | null {
  const series = data?.series;
  if (!series || !series.fields.includes(field)) return null;
  const tracks = own(series.records, recordId);
  return lineOf(series, tracks ? own(tracks, field) : undefined);
}

/**
 * The lines of `field` for the records `ids` (default: every record the series hold, those gone
 * since included, so a total over time counts what was there then). Empty when the view holds
 * no series or does not keep `field`.
 */
export function seriesLines(data: ChannelData | undefined, field: string, ids?: readonly string[]): SeriesLine[] {
  const series = data?.series;
  if (!series || !series.fields.includes(field)) return [];
  const lines: SeriesLine[] = [];
  for (const id of ids ?? Object.keys(series.records)) {
    const tracks = own(series.records, id);
    const track = tracks ? own(tracks, field) : undefined;
    if (track || ids) lines.push(lineOf(series, track));
  }
  return lines;
}

/**
 * Combines lines bucket by bucket: their `sum`, `avg`, `min`, `max`, or the `count` of lines
 * with a value; null where no line has a value. The result spans every line (they share one
 * resolution, else `RangeError`), or `span` when given; no line and no span give an empty line.
 *
 * @example
 * aggregateSeries([q1, q2, q3], 'sum') // total waiting across the queues, per bucket
 */
export function aggregateSeries(
  lines: readonly SeriesLine[],
  op: SeriesAggregate,
  span?: { start: number; end: number; resolutionMs: number },
): SeriesLine {
  const res = span?.resolutionMs ?? lines[0]?.resolutionMs ?? 1;
  if (lines.some((line) => line.resolutionMs !== res)) throw new RangeError('aggregateSeries: lines of different resolutions');
  let start = span?.start ?? Infinity;
  let end = span?.end ?? -Infinity;
  if (!span) {
    for (const line of lines) {
      start = Math.min(start, line.start);
      end = Math.max(end, line.start + line.values.length * res);
    }
  }
  if (!(end > start)) return { start: Number.isFinite(start) ? start : 0, resolutionMs: res, values: [] };
  const n = Math.round((end - start) / res);
  const acc: Value[] = new Array<Value>(n).fill(null);
  const counts = new Array<number>(n).fill(0);
  for (const line of lines) {
    const offset = Math.round((line.start - start) / res);
    for (let i = Math.max(0, -offset); i < line.values.length && i + offset < n; i++) {
      const value = line.values[i];
      if (value === null || value === undefined) continue;
      const at = i + offset;
      const held = acc[at]!;
      counts[at]!++;
      if (held === null) acc[at] = value;
      else if (op === 'min') acc[at] = Math.min(held, value);
      else if (op === 'max') acc[at] = Math.max(held, value);
      else acc[at] = held + value;
    }
  }
  const values = acc.map((value, i) => {
    if (value === null) return null;
    if (op === 'count') return counts[i]!;
    if (op === 'avg') return value / counts[i]!;
    return value;
  });
  return { start, resolutionMs: res, values };
}

/**
 * A memoized aggregate for one reader (a hook instance): the same line object while the lines
 * it is made of are the same objects, so a delta that touched other records or fields gives the
 * reader nothing new to render.
 *
 * @example
 * const total = createAggregateSelector();
 * total(data, 'waiting', 'sum') === total(data, 'waiting', 'sum') // true
 */
export function createAggregateSelector(): (data: ChannelData | undefined, field: string, op: SeriesAggregate, ids?: readonly string[]) => SeriesLine | null {
  type Answer = { field: string; op: SeriesAggregate; ids: readonly string[] | undefined; result: SeriesLine };
  // By the series object, so a reader that alternates between two states (a server render and
  // the live store) gets the same answer for each; and the last lines, so a state whose lines
  // are the same objects gets the last answer.
  const answers = new WeakMap<ViewSeries, Answer>();
  let last: (Answer & { lines: readonly SeriesLine[]; start: number; end: number }) | undefined;
  return (data, field, op, ids) => {
    const series = data?.series;
    if (!series || !series.fields.includes(field)) return null;
    const known = answers.get(series);
    if (known && known.field === field && known.op === op && known.ids === ids) return known.result;
    const lines = seriesLines(data, field, ids);
    const same = last && last.field === field && last.op === op && last.ids === ids && last.start === series.start && last.end === series.end && sameItems(last.lines, lines);
    const result = same ? last!.result : aggregateSeries(lines, op, series);
    last = { field, op, ids, result, lines, start: series.start, end: series.end };
    answers.set(series, { field, op, ids, result });
    return result;
  };
}

// ---- tracks --------------------------------------------------------------------------------

/** Lines already made, per track: valid while the series span is the one they were made for. */
const lines = new WeakMap<SeriesTrack, { start: number; end: number; line: SeriesLine }>();
/** The line of nulls of the last span asked, shared by every record without a track. */
let nullLine: SeriesLine | undefined;

function lineOf(series: ViewSeries, track: SeriesTrack | undefined): SeriesLine {
  const { start, end, resolutionMs: res } = series;
  const n = Math.max(0, Math.round((end - start) / res));
  if (!track) {
    if (nullLine && nullLine.start === start && nullLine.resolutionMs === res && nullLine.values.length === n) return nullLine;
    nullLine = { start, resolutionMs: res, values: new Array<Value>(n).fill(null) };
    return nullLine;
  }
  const cached = lines.get(track);
  if (cached && cached.start === start && cached.end === end) return cached.line;
  const values = new Array<Value>(n);
  for (let i = 0; i < n; i++) values[i] = valueAt(track, start + i * res, res);
  const line: SeriesLine = { start, resolutionMs: res, values };
  lines.set(track, { start, end, line });
  return line;
}

/** A track's value in the bucket starting at `t`: null before it, its last value after it. */
function valueAt(track: SeriesTrack | undefined, t: number, res: number): Value {
  if (!track || t < track.start || track.values.length === 0) return null;
  return track.values[Math.min((t - track.start) / res, track.values.length - 1)] ?? null;
}

/** Start of a track's last bucket. */
function lastBucket(track: SeriesTrack, res: number): number {
  return track.start + (track.values.length - 1) * res;
}

/**
 * The track with `value` written to bucket `bucket` (the series' last): the same track when the
 * value is what it already holds there (carried forward), undefined for no track at all (a
 * null where nothing was ever a number). Buckets before `start` are dropped; buckets between
 * the track's last and `bucket` take its last value.
 */
function writeTrack(track: SeriesTrack | undefined, bucket: number, value: Value, start: number, res: number): SeriesTrack | undefined {
  if (!track || track.values.length === 0) return value === null ? track : { start: bucket, values: [value] };
  const last = track.values[track.values.length - 1] ?? null;
  if (last === value) return track;
  const lastAt = lastBucket(track, res);
  const first = Math.min(Math.max(track.start, start), bucket);
  const values: Value[] = [];
  let some = value !== null;
  for (let t = first; t < bucket; t += res) {
    const held = t <= lastAt ? track.values[(t - track.start) / res] ?? null : last;
    if (held !== null) some = true;
    values.push(held);
  }
  values.push(value);
  // Nothing but nulls left in the window: no track (a record without numbers).
  return some ? { start: first, values } : undefined;
}

function spanBuckets(payload: SeriesPayload): number {
  return Math.max(0, Math.round((payload.end - payload.start) / payload.resolutionMs));
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Series (docs/protocol.md §13): the recent past of chosen numeric record fields, in fixed
 * time buckets. The parts both engines share (what a read asks and answers, the span of a
 * read, assembling the answer from rings) and the in-memory keeping (`ChannelSeries`).
 *
 * What is kept, per record: a ring of `capacity` rows (the window's buckets), one row per
 * bucket holding the value of every kept field at the end of that bucket, in the spec's field
 * order, as doubles; NaN stands for `null` (the record or the field did not exist, or was not
 * a number). The row of bucket `b` sits at slot `(b - first) mod capacity`, where `first` is
 * the bucket the ring was started in, and `head` is the last bucket written. A publish writes
 * a row only when one of the record's kept values changed; a bucket after `head` reads as the
 * row of `head` (carried forward), a bucket before `first` as nulls. When a write lands
 * buckets after `head`, the buckets in between are filled with the row of `head`, so every
 * slot within the window is the value at the end of its bucket.
 *
 * The Redis engine keeps the same rows in a Redis string per record, with the head's row in
 * the string's header (lib/redis/scripts.ts).
 *
 * Bounds: a ring holds `capacity × fields` points, reserved whole when it starts; all rings
 * together hold at most `maxPoints` (`PULSE_SERIES_MAX_POINTS`). When a new ring would pass
 * that, it is not started: the record has no series until room frees up, and nothing already
 * kept is dropped (docs/operations.md, "Series"). A ring whose record was deleted (or lost
 * every kept value) is released once its window has passed.
 */
import type { ChannelRecord } from '../protocol';
import { bucketCount, type SeriesSpec } from './series-spec';

/** The `series` object of a snapshot, a recovery delta and the HTTP route (docs/protocol.md §13). */
export interface SeriesData {
  resolutionMs: number;
  /** First bucket's start (inclusive), a multiple of `resolutionMs`. */
  start: number;
  /** Last (current) bucket's end (exclusive), a multiple of `resolutionMs`. */
  end: number;
  fields: string[];
  /**
   * Per record, per field, one entry per bucket from `start` to `end`. A record with no value
   * in the span (every entry `null`) is left out.
   */
  records: Record<string, Record<string, Array<number | null>>>;
}

/** What a series read asks for. Every part is optional: all fields, the whole window, every record. */
export interface SeriesRequest {
  /** A subset of the kept fields, in the order wanted; every kept field when absent. */
  fields?: readonly string[];
  /** How far back, ms: at most the kept window (rounded up to whole buckets). */
  windowMs?: number;
  /** The records wanted (the subscription's filter, applied by the caller): ids, or a test on the id. */
  records?: ReadonlySet<string> | ((id: string) => boolean);
  /**
   * Only the buckets from the one holding this time (ms) on: for a recovery, the server time
   * of the first missed publish (`Recovery.fromTs`), so only the missed buckets travel.
   */
  from?: number;
}

/** A series read: the series and the channel position they were read at. */
export interface SeriesResult {
  epoch: string;
  seq: number;
  series: SeriesData;
}

/**
 * Why a request does not fit what a channel keeps, in words for an `INVALID_MESSAGE`, or
 * `undefined` when it fits. The engines throw a `RangeError` with it: callers check first.
 */
export function seriesRequestProblem(spec: SeriesSpec, request: Pick<SeriesRequest, 'fields' | 'windowMs' | 'from'>): string | undefined {
  if (request.fields) {
    const seen = new Set<string>();
    for (const field of request.fields) {
      if (!spec.fields.includes(field)) return `series.fields: ${JSON.stringify(field)} is not kept on this channel`;
      if (seen.has(field)) return `series.fields: ${JSON.stringify(field)} is named twice`;
      seen.add(field);
    }
    if (seen.size === 0) return 'series.fields: must name at least one field';
  }
  const { windowMs } = request;
  if (windowMs !== undefined && !(Number.isSafeInteger(windowMs) && windowMs > 0 && windowMs <= spec.windowMs)) {
    return `series.windowMs: must be a whole number of ms from 1 to ${spec.windowMs}`;
  }
  if (request.from !== undefined && !Number.isFinite(request.from)) return 'series.from: must be a time in ms';
  return undefined;
}

/** The buckets of a read, as bucket numbers (`ms / resolutionMs`): `start` to `now`, both included. */
export interface SeriesSpan {
  start: number;
  now: number;
}

/** The bucket holding time `ms`. */
export function bucketOf(ms: number, resolutionMs: number): number {
  return Math.floor(ms / resolutionMs);
}

/**
 * The buckets a read covers at `nowMs`: the requested window (whole buckets, the current one
 * last), starting no earlier than the bucket of `from`.
 */
export function seriesSpan(spec: SeriesSpec, nowMs: number, request: Pick<SeriesRequest, 'windowMs' | 'from'>): SeriesSpan {
  const now = bucketOf(nowMs, spec.resolutionMs);
  return { now, start: spanStart(now, windowBuckets(spec, request.windowMs), fromBucket(spec, request.from)) };
}

/** Buckets of the requested window: the kept window when absent, never more. */
export function windowBuckets(spec: SeriesSpec, windowMs: number | undefined): number {
  const kept = capacityOf(spec);
  return windowMs === undefined ? kept : Math.max(1, Math.min(kept, Math.ceil(windowMs / spec.resolutionMs)));
}

/** The bucket of a request's `from`, or undefined. */
export function fromBucket(spec: SeriesSpec, from: number | undefined): number | undefined {
  return from === undefined ? undefined : bucketOf(from, spec.resolutionMs);
}

/** First bucket of a read at bucket `now` (the Redis read script draws the same line). */
export function spanStart(now: number, buckets: number, from: number | undefined): number {
  const start = now - buckets + 1;
  return from === undefined ? start : Math.max(start, Math.min(now, from));
}

/** Rows in a ring: the window's buckets. */
export function capacityOf(spec: SeriesSpec): number {
  return Math.max(1, Math.ceil(bucketCount(spec)));
}

/** Points a ring reserves: every bucket of the window, for every kept field. */
export function pointsPerRing(spec: SeriesSpec): number {
  return capacityOf(spec) * spec.fields.length;
}

/** One record's ring as a read sees it (from memory or from a Redis reply). */
export interface RingReader {
  /** The bucket the ring started in: earlier buckets are null. */
  readonly first: number;
  /** The last bucket written: later buckets carry its row. */
  readonly head: number;
  /** Field `field` (index in the spec) in the row of `bucket` (`first` ≤ bucket ≤ `head`); NaN for null. */
  value(bucket: number, field: number): number;
}

/**
 * The `series` object for `span` from the rings of the records wanted. `fieldIndexes` are
 * the positions in the spec of `fields`. A record whose every entry is null is left out.
 */
export function assembleSeries(
  resolutionMs: number,
  span: SeriesSpan,
  fields: string[],
  fieldIndexes: readonly number[],
  rings: Iterable<readonly [string, RingReader]>,
): SeriesData {
  const length = span.now - span.start + 1;
  // Ids and field names are data: no prototype for `__proto__` to land on.
  const records = Object.create(null) as SeriesData['records'];
  for (const [id, ring] of rings) {
    const entry = Object.create(null) as Record<string, Array<number | null>>;
    let any = false;
    for (let i = 0; i < fields.length; i++) {
      const values = new Array<number | null>(length);
      for (let k = 0; k < length; k++) {
        const bucket = span.start + k;
        const value = bucket < ring.first ? NaN : ring.value(Math.min(bucket, ring.head), fieldIndexes[i]);
        if (Number.isNaN(value)) values[k] = null;
        else {
          values[k] = value;
          any = true;
        }
      }
      entry[fields[i]] = values;
    }
    if (any) records[id] = entry;
  }
  return { resolutionMs, start: span.start * resolutionMs, end: (span.now + 1) * resolutionMs, fields, records };
}

/** The fields a read returns and their positions in the spec. */
export function requestedFields(spec: SeriesSpec, fields: readonly string[] | undefined): { fields: string[]; indexes: number[] } {
  const names = fields ? [...fields] : [...spec.fields];
  return { fields: names, indexes: names.map((name) => spec.fields.indexOf(name)) };
}

/** Whether a read wants record `id`. */
export function wants(records: SeriesRequest['records'], id: string): boolean {
  if (!records) return true;
  return typeof records === 'function' ? records(id) : records.has(id);
}

/** The points all rings of an engine (or of a Redis) may hold together. */
export class PointBudget {
  used = 0;
  /** New rings refused because the budget was spent. */
  refused = 0;

  constructor(readonly max: number) {}

  /** Reserves `points` if they fit. */
  take(points: number): boolean {
    if (this.used + points > this.max) {
      this.refused++;
      return false;
    }
    this.used += points;
    return true;
  }

  give(points: number): void {
    this.used -= points;
  }
}

/** Whether a row holds no value at all. */
function isNullRow(row: Float64Array): boolean {
  for (const value of row) if (!Number.isNaN(value)) return false;
  return true;
}

function sameRow(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** A record's kept values, in the spec's order: NaN where absent or not a number. */
export function seriesRow(record: ChannelRecord | undefined, fields: readonly string[]): Float64Array {
  const row = new Float64Array(fields.length).fill(NaN);
  if (!record) return row;
  for (let i = 0; i < fields.length; i++) {
    const value = Object.hasOwn(record, fields[i]) ? record[fields[i]] : undefined;
    if (typeof value === 'number') row[i] = value;
  }
  return row;
}

/** One record's ring in memory: `capacity` rows of `width` doubles in one array. */
class Ring implements RingReader {
  readonly values: Float64Array;

  constructor(readonly first: number, public head: number, private readonly capacity: number, private readonly width: number) {
    this.values = new Float64Array(capacity * width).fill(NaN);
  }

  value(bucket: number, field: number): number {
    if (bucket < this.first || bucket > this.head || bucket <= this.head - this.capacity) return NaN;
    return this.values[this.slot(bucket) * this.width + field];
  }

  /** Writes `row` as the value at the end of `bucket`, carrying the head's row over the buckets between. */
  write(bucket: number, row: Float64Array): void {
    // A clock that stepped back writes into the head's bucket: a bucket never changes its past.
    if (bucket <= this.head) {
      this.values.set(row, this.slot(this.head) * this.width);
      return;
    }
    const headRow = this.values.slice(this.slot(this.head) * this.width, (this.slot(this.head) + 1) * this.width);
    const fill = Math.min(bucket - this.head - 1, this.capacity - 1);
    for (let b = bucket - fill; b < bucket; b++) this.values.set(headRow, this.slot(b) * this.width);
    this.values.set(row, this.slot(bucket) * this.width);
    this.head = bucket;
  }

  private slot(bucket: number): number {
    return (bucket - this.first) % this.capacity;
  }
}

/**
 * The series of one channel in memory. The engine calls `update` for every record a publish
 * changed, with the publish's time, inside the publish; reads call `read`.
 */
export class ChannelSeries {
  readonly capacity: number;
  private readonly fields: readonly string[];
  private readonly rings = new Map<string, Ring>();
  /** Rings whose last row is all null, by id → that row's bucket, oldest first: released once out of the window. */
  private readonly ended = new Map<string, number>();

  constructor(readonly spec: SeriesSpec, private readonly budget: PointBudget) {
    this.capacity = capacityOf(spec);
    this.fields = spec.fields;
  }

  /** Points this channel's rings hold. */
  get points(): number {
    return this.rings.size * pointsPerRing(this.spec);
  }

  /** Records one record's change at time `ts` (`after` undefined: deleted). Costs nothing when no kept value changed. */
  update(ts: number, id: string, before: ChannelRecord | undefined, after: ChannelRecord | undefined): void {
    const previous = seriesRow(before, this.fields);
    const row = seriesRow(after, this.fields);
    if (sameRow(previous, row)) return;
    const bucket = bucketOf(ts, this.spec.resolutionMs);
    const ended = isNullRow(row);
    let ring = this.rings.get(id);
    if (!ring) {
      // Nothing to keep (a record without series values deleted), or no room: no ring.
      if (ended || !this.budget.take(pointsPerRing(this.spec))) return;
      ring = new Ring(bucket, bucket, this.capacity, this.fields.length);
      this.rings.set(id, ring);
    }
    ring.write(bucket, row);
    // Re-inserted so that `ended` stays in the order the rings ended.
    this.ended.delete(id);
    if (ended) this.ended.set(id, ring.head);
  }

  /** Releases the rings whose whole window is null at `nowMs` (their record ended before it). */
  sweep(nowMs: number): void {
    const oldestKept = bucketOf(nowMs, this.spec.resolutionMs) - this.capacity + 1;
    for (const [id, bucket] of this.ended) {
      if (bucket >= oldestKept) break;
      this.ended.delete(id);
      this.rings.delete(id);
      this.budget.give(pointsPerRing(this.spec));
    }
  }

  /** Releases every ring (the channel's spec changed, or the channel is dropped). */
  release(): void {
    this.budget.give(this.points);
    this.rings.clear();
    this.ended.clear();
  }

  /** The series at `nowMs` as `request` asks (already checked with `seriesRequestProblem`). */
  read(nowMs: number, request: SeriesRequest = {}): SeriesData {
    this.sweep(nowMs);
    const { fields, indexes } = requestedFields(this.spec, request.fields);
    const span = seriesSpan(this.spec, nowMs, request);
    return assembleSeries(this.spec.resolutionMs, span, fields, indexes, this.selected(request.records));
  }

  private *selected(records: SeriesRequest['records']): Iterable<readonly [string, RingReader]> {
    if (records && typeof records !== 'function') {
      for (const id of records) {
        const ring = this.rings.get(id);
        if (ring) yield [id, ring];
      }
      return;
    }
    for (const entry of this.rings) if (wants(records, entry[0])) yield entry;
  }
}

/** The answer for a channel that keeps series but has none yet: the span, no records. */
export function emptySeries(spec: SeriesSpec, nowMs: number, request: SeriesRequest = {}): SeriesData {
  const { fields, indexes } = requestedFields(spec, request.fields);
  return assembleSeries(spec.resolutionMs, seriesSpan(spec, nowMs, request), fields, indexes, []);
}

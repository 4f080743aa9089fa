/**
 * Pure reducers of one channel's state: a `snapshot` replaces it, a `delta` patches it
 * (docs/protocol.md §5). Inputs are never mutated; unchanged records keep their identity.
 */
import { applyMergePatch, jsonEqual, stripNulls } from '../protocol/merge-patch';
import type { ChannelEvent, ChannelRecord, DeltaMessage, Json, SeriesPayload, StreamPosition } from '../protocol/messages';
import { copyDict, dict, own, type Dict } from './dict';
import { appendSeries, fillSeries, seriesFromPayload } from './series';
import { unpackSeries } from './series-runs';
import type { ChangeMark, ChannelData, InitialSnapshot, ReducerOptions } from './types';

export const DEFAULT_MAX_EVENTS = 100;

/** A snapshot as the socket, the snapshot route or a server render gives it. */
export interface SnapshotInput {
  channel: string;
  epoch: string;
  seq: number;
  records: readonly ChannelRecord[];
  events?: readonly ChannelEvent[];
  gap?: boolean;
  /** The view's series (docs/protocol.md §13): they replace those held; without them, those held stay. */
  series?: SeriesPayload;
}

/** A channel nothing has arrived for yet. */
export function emptyChannel(channel: string): ChannelData {
  return {
    channel,
    epoch: null,
    seq: 0,
    records: dict<ChannelRecord>(),
    order: [],
    events: [],
    eventsReceived: 0,
    updatedAt: null,
    recovered: null,
    gap: false,
    live: false,
    paused: false,
    changed: dict<ChangeMark>(),
    error: null,
    series: null,
    noSeries: false,
  };
}

/** True when `incoming` is no newer than `state` in the same history lineage. */
export function isStale(state: ChannelData | undefined, incoming: StreamPosition): boolean {
  return state !== undefined && state.epoch !== null && state.epoch === incoming.epoch && incoming.seq <= state.seq;
}

/** Top-level fields (other than `id`) whose values differ between two versions of a record. */
export function changedFields(before: ChannelRecord, after: ChannelRecord): string[] {
  const fields: string[] = [];
  for (const key of Object.keys(before)) {
    if (key !== 'id' && !jsonEqual(before[key], own<Json>(after, key))) fields.push(key);
  }
  for (const key of Object.keys(after)) {
    if (key !== 'id' && !Object.prototype.hasOwnProperty.call(before, key)) fields.push(key);
  }
  return fields;
}

/**
 * Replaces the channel's state with a snapshot. Records equal to the copy already held keep
 * its identity; records that differ from it are marked in `changed` (records that only appear
 * are not: a snapshot is a reload, not news). Events with a `seq` beyond the one held count as
 * received news (`eventsReceived`).
 */
export function applySnapshot(state: ChannelData | undefined, snapshot: SnapshotInput, options: ReducerOptions = {}): ChannelData {
  const now = options.now ?? Date.now();
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const base = state ?? emptyChannel(snapshot.channel);

  const records = dict<ChannelRecord>();
  const order: string[] = [];
  const marks: Array<[string, ChangeMark]> = [];
  let reused = 0;
  for (const record of snapshot.records) {
    const id = record.id;
    if (typeof id !== 'string') continue;
    if (own(records, id) === undefined) order.push(id);
    const previous = own(base.records, id);
    if (previous !== undefined && (previous === record || jsonEqual(previous, record))) {
      records[id] = previous;
      reused++;
      continue;
    }
    records[id] = record;
    if (previous !== undefined) marks.push([id, { at: now, fields: changedFields(previous, record) }]);
  }

  const sameOrder = sameIds(order, base.order);
  const sameRecords = sameOrder && reused === order.length;

  // Keep the marks of records still present, add the new ones.
  let changed = base.changed;
  const dropped = Object.keys(changed).some((id) => own(records, id) === undefined);
  if (dropped || marks.length > 0) {
    const next = dict<ChangeMark>();
    for (const id of Object.keys(changed)) if (own(records, id) !== undefined) next[id] = changed[id]!;
    for (const [id, mark] of marks) next[id] = mark;
    changed = next;
  }

  const events = (snapshot.events ?? []).slice(-maxEvents);
  const news = base.epoch !== null && base.epoch === snapshot.epoch ? events.filter((e) => e.seq > base.seq).length : 0;

  return {
    ...base,
    epoch: snapshot.epoch,
    seq: snapshot.seq,
    records: sameRecords ? base.records : records,
    order: sameOrder ? base.order : order,
    events,
    eventsReceived: base.eventsReceived + news,
    updatedAt: now,
    gap: snapshot.gap === true,
    changed,
    error: null,
    series: snapshot.series ? seriesFromPayload(snapshot.series) : base.series,
  };
}

/**
 * Applies a delta. Each `upsert` entry is a JSON Merge Patch (RFC 7386: a `null` field removes
 * it) on the record held, or, when `delta.recovery` is true, the whole record replacing it.
 * Records new to the channel come whole and are appended to the order; `delete` removes ids.
 * Events are appended in `seq` order, keeping the newest `maxEvents`. A delta no newer than the
 * state (same epoch, `seq` not beyond) is already reflected and returns `state` unchanged.
 *
 * Series (docs/protocol.md §13): a recovery delta's `series` fill the span it covers, then a
 * delta with `ts` writes what its records hold now to the bucket of `ts` (lib/store/series.ts).
 */
export function applyDelta(state: ChannelData | undefined, delta: DeltaMessage, options: ReducerOptions = {}): ChannelData {
  const base = state ?? emptyChannel(delta.channel);
  if (isStale(base, delta)) {
    // Records polled over HTTP while the socket was away may be as new as a recovery delta,
    // but polls carry no series: its series still fill the span missed.
    return delta.series ? { ...base, series: withDeltaSeries(base.series, delta, base.records) } : base;
  }
  const now = options.now ?? Date.now();
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;

  let records: Readonly<Dict<ChannelRecord>> = base.records;
  let writable: Dict<ChannelRecord> | undefined;
  const edit = (): Dict<ChannelRecord> => (writable ??= records = copyDict(base.records));
  let marks: Dict<ChangeMark> | undefined;
  const mark = (): Dict<ChangeMark> => (marks ??= copyDict(base.changed));
  const added: string[] = [];

  for (const patch of delta.upsert ?? []) {
    const id = patch.id;
    if (typeof id !== 'string') continue;
    const previous = own(records, id);
    if (previous === undefined) {
      const record = stripNulls(patch as Json) as ChannelRecord;
      edit()[id] = record;
      added.push(id);
      mark()[id] = { at: now, fields: Object.keys(record).filter((k) => k !== 'id'), added: true };
      continue;
    }
    const next = (delta.recovery ? stripNulls(patch as Json) : applyMergePatch(previous, patch as Json)) as ChannelRecord;
    if (next === previous || jsonEqual(previous, next)) continue;
    edit()[id] = next;
    mark()[id] = { at: now, fields: changedFields(previous, next) };
  }

  const deleted = new Set<string>();
  for (const id of delta.delete ?? []) {
    if (own(records, id) === undefined) continue;
    delete edit()[id];
    deleted.add(id);
    if (own(marks ?? base.changed, id) !== undefined) delete mark()[id];
  }

  let order = base.order;
  if (added.length > 0 || deleted.size > 0) {
    order = [...base.order, ...added].filter((id) => !deleted.has(id));
  }

  let events = base.events;
  const fresh = (delta.events ?? [])
    .filter((event) => !(base.epoch === delta.epoch && event.seq <= base.seq))
    .sort((a, b) => a.seq - b.seq);
  if (fresh.length > 0) events = [...base.events, ...fresh].slice(-maxEvents);

  const series = delta.series || delta.ts !== undefined ? withDeltaSeries(base.series, delta, records) : base.series;

  return {
    ...base,
    epoch: delta.epoch,
    seq: delta.seq,
    records,
    order,
    events,
    eventsReceived: base.eventsReceived + fresh.length,
    updatedAt: now,
    changed: marks ?? base.changed,
    error: null,
    series,
  };
}

/**
 * The series after a delta: a recovery delta's `series` fill the span they cover, then a delta
 * with `ts` writes what its records hold after it (`records`) to the bucket of `ts`.
 */
function withDeltaSeries(held: ChannelData['series'], delta: DeltaMessage, records: Readonly<Dict<ChannelRecord>>): ChannelData['series'] {
  let series = held;
  if (delta.series) series = fillSeries(series, delta.series);
  if (series && delta.ts !== undefined) {
    const ids = [...(delta.upsert ?? []).map((patch) => patch.id), ...(delta.delete ?? [])].filter((id) => typeof id === 'string');
    series = appendSeries(series, delta.ts, { ids, records });
  }
  return series;
}

/** A channel's state from a server-rendered snapshot (nothing marked as changed, not live). */
export function fromInitial(initial: InitialSnapshot, options: ReducerOptions = {}): ChannelData {
  const data = applySnapshot(undefined, initialSnapshotInput(initial), options);
  return { ...data, updatedAt: initial.at ?? null };
}

/** A server-rendered snapshot as `applySnapshot` takes it: its series unpacked, no gap. */
export function initialSnapshotInput(initial: InitialSnapshot): SnapshotInput {
  const { series, ...rest } = initial;
  return { ...rest, events: initial.events ?? [], gap: false, ...(series ? { series: unpackSeries(series) } : {}) };
}

/** Drops change marks made at or before `cutoff` (ms); returns `state` itself when none is. */
export function expireChanges(state: ChannelData, cutoff: number): ChannelData {
  const ids = Object.keys(state.changed);
  if (!ids.some((id) => state.changed[id]!.at <= cutoff)) return state;
  const changed = dict<ChangeMark>();
  for (const id of ids) if (state.changed[id]!.at > cutoff) changed[id] = state.changed[id]!;
  return { ...state, changed };
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

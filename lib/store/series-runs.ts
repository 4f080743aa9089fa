/**
 * Series as a server-rendered page embeds them: run-length encoded. A series keeps a value
 * until it changes (docs/protocol.md §13), so most of a 15-minute line at 1 s repeats its
 * previous bucket, and the same numbers written once per bucket made most of the page's RSC
 * payload. `packSeries` writes each line as `[value, count, value, count, …]` when that is
 * shorter, and keeps it plain otherwise (a line that changes every bucket); `unpackSeries`
 * gives back the payload exactly, value for value, for the store to hydrate from.
 *
 * Only pages use this; the wire protocol's `series` stay plain arrays.
 */
import type { SeriesPayload } from '../protocol/messages';
import { dict, own, type Dict } from './dict';

type Value = number | null;

/**
 * A `SeriesPayload` as a page embeds it: each line is in `plain` (as the wire has it) or in
 * `runs` (run-length encoded, see `runLengths`), never in both. No `records`, so nothing reads
 * it as a payload without `unpackSeries`.
 */
export interface PackedSeries extends Omit<SeriesPayload, 'records'> {
  /** Lines written one entry per bucket, by record id, then field. */
  plain: Record<string, Record<string, Value[]>>;
  /** Lines written as `[value, count, …]`, by record id, then field. */
  runs: Record<string, Record<string, Value[]>>;
}

/**
 * `values` as runs of one value: `[value, count, value, count, …]`, in order. Values compare
 * with `Object.is`, so the runs give back exactly the numbers they were made from.
 *
 * @example
 * runLengths([null, null, 4, 4, 4, 5]); // [null, 2, 4, 3, 5, 1]
 */
export function runLengths(values: readonly Value[]): Value[] {
  const runs: Value[] = [];
  for (let i = 0; i < values.length; ) {
    const value = values[i]!;
    let end = i + 1;
    while (end < values.length && Object.is(values[end], value)) end++;
    runs.push(value, end - i);
    i = end;
  }
  return runs;
}

/**
 * The values `runs` (from `runLengths`) stand for. A count that is not a whole number from 1
 * ends the line there: the embedded data came from this server, but a page must not loop on it.
 *
 * @example
 * expandRuns([null, 2, 4, 3, 5, 1]); // [null, null, 4, 4, 4, 5]
 */
export function expandRuns(runs: readonly Value[]): Value[] {
  const values: Value[] = [];
  for (let i = 0; i + 1 < runs.length; i += 2) {
    const count = runs[i + 1];
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) break;
    for (let n = 0; n < count; n++) values.push(runs[i]!);
  }
  return values;
}

/**
 * The payload with each line run-length encoded where that takes fewer entries. The object is
 * new; `payload` is not changed.
 *
 * @example
 * const packed = packSeries(series);    // embed in the page's props
 * unpackSeries(packed);                 // deep-equals `series`
 */
export function packSeries(payload: SeriesPayload): PackedSeries {
  const plain = dict<Dict<Value[]>>();
  const runs = dict<Dict<Value[]>>();
  for (const id of Object.keys(payload.records)) {
    const lines = payload.records[id]!;
    for (const field of Object.keys(lines)) {
      const values = lines[field]!;
      const packed = runLengths(values);
      const shorter = packed.length < values.length;
      const into = shorter ? runs : plain;
      (own(into, id) ?? (into[id] = dict<Value[]>()))[field] = shorter ? packed : [...values];
    }
  }
  return { resolutionMs: payload.resolutionMs, start: payload.start, end: payload.end, fields: [...payload.fields], plain, runs };
}

/**
 * The payload `packSeries` made `packed` from, or `series` itself when it is not packed (a
 * snapshot from the socket or the snapshot route).
 *
 * @example
 * applySnapshot(state, { ...initial, series: initial.series && unpackSeries(initial.series) });
 */
export function unpackSeries(series: SeriesPayload | PackedSeries): SeriesPayload {
  if (!('runs' in series)) return series;
  const records = dict<Dict<Value[]>>();
  const add = (source: PackedSeries['runs'], expand: boolean) => {
    for (const id of Object.keys(source)) {
      const into = own(records, id) ?? (records[id] = dict<Value[]>());
      for (const field of Object.keys(source[id]!)) into[field] = expand ? expandRuns(source[id]![field]!) : source[id]![field]!;
    }
  };
  add(series.plain, false);
  add(series.runs, true);
  return { resolutionMs: series.resolutionMs, start: series.start, end: series.end, fields: series.fields, records };
}

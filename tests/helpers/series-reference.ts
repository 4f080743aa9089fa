/**
 * The series a read must answer, computed from a channel's states after each publish alone
 * (docs/protocol.md §13): per record and field, in each bucket from `first` to `last`
 * (bucket numbers), the value the last publish at or before the bucket left (null when the
 * record or the field was absent or not a number); records with no value at all left out.
 * The unit and the engine tests check the series store against it.
 */
import { bucketOf, type SeriesData } from '@/lib/engine/series';
import type { ChannelRecord } from '@/lib/protocol';

export interface PublishedState {
  ts: number;
  state: Map<string, ChannelRecord>;
}

export function referenceRecords(
  resolutionMs: number,
  fields: readonly string[],
  publishes: readonly PublishedState[],
  first: number,
  last: number,
  keep: (id: string) => boolean = () => true,
): SeriesData['records'] {
  const ids = new Set(publishes.flatMap(({ state }) => [...state.keys()]));
  const records: SeriesData['records'] = {};
  for (const id of ids) {
    if (!keep(id)) continue;
    const entry: Record<string, Array<number | null>> = {};
    let any = false;
    for (const field of fields) {
      const values: Array<number | null> = [];
      for (let bucket = first; bucket <= last; bucket++) {
        let value: number | null = null;
        for (const { ts, state } of publishes) {
          if (bucketOf(ts, resolutionMs) > bucket) break;
          const v = state.get(id)?.[field];
          value = typeof v === 'number' ? v : null;
        }
        values.push(value);
        if (value !== null) any = true;
      }
      entry[field] = values;
    }
    // `__proto__` may be one of the ids: an own member, as JSON.parse makes it.
    if (any) Object.defineProperty(records, id, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  return records;
}

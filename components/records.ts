/**
 * Typed views of channel records for the components. Channel records are loosely typed JSON;
 * these read the fields a component needs, with safe defaults for anything missing.
 *
 * Results are cached per record object: the same record version always yields the same row
 * object, so memoised rows (BacklogTable, FleetMap dots) skip re-rendering when their record
 * did not change.
 */
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { BacklogRecord } from '@/lib/demo/records';
import type { FleetMapNode } from './FleetMap';

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function cached<T>(convert: (record: ChannelRecord) => T): (record: ChannelRecord) => T {
  const cache = new WeakMap<ChannelRecord, T>();
  return (record) => {
    let out = cache.get(record);
    if (out === undefined) {
      out = convert(record);
      cache.set(record, out);
    }
    return out;
  };
}

export const asBacklogRow = cached(
  (r): BacklogRecord => ({
    id: r.id,
    queue: str(r.queue, r.id),
    org: str(r.org),
    department: str(r.department),
    waiting: num(r.waiting),
    oldestWaitS: num(r.oldestWaitS),
    handled: num(r.handled),
    abandoned: num(r.abandoned),
  }),
);

export const asFleetNode = cached(
  (r): FleetMapNode => ({
    id: r.id,
    name: str(r.name, r.id),
    lat: num(r.lat, Number.NaN),
    lon: num(r.lon, Number.NaN),
    status: str(r.status, 'unknown'),
    moving: r.moving === true,
  }),
);

/** A numeric field of a record, or `null` when it is missing or not a number. */
export function numberField(record: ChannelRecord | undefined, field: string): number | null {
  const v = record?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

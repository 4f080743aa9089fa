'use client';
/**
 * A list of ids kept identical while its content is the same, so a hook that takes it (an
 * aggregate over some records) does not start over on every render of a channel's records.
 */
import { useMemo } from 'react';

/**
 * @example
 * const queues = useStableIds(rows.filter((r) => r.org === org).map((r) => r.id));
 * useSeriesAggregate('kpi', 'slaRisk', 'max', { records: queues });
 */
export function useStableIds(ids: readonly string[]): readonly string[] {
  const key = ids.join('\u0000');
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the key is the list's content
  return useMemo(() => ids, [key]);
}

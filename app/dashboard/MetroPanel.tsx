'use client';
/**
 * The fleet by metro area, over the nodes in the map's region: how many, in which state, how
 * many on the move. Each metro zooms the map (and so the server-side filter) to itself.
 */
import { useMemo, useRef } from 'react';
import { formatInteger } from '@/components/format';
import { sameBounds, type Bounds } from '@/components/geo';
import type { ChannelRecord } from '@/lib/protocol/messages';
import { METROS } from '@/lib/demo/catalog';
import { metroBounds } from './config';
import { useFleetView } from './fleetView';
import { Panel } from './Panel';

interface MetroRow {
  id: string;
  name: string;
  bounds: Bounds | null;
  total: number;
  online: number;
  degraded: number;
  offline: number;
  moving: number;
}

/** Every known metro (in the catalog's order), then any other metro the records name. */
export function metroRows(records: readonly ChannelRecord[]): MetroRow[] {
  const rows = new Map<string, MetroRow>();
  for (const metro of METROS) {
    rows.set(metro.id, { id: metro.id, name: metro.name, bounds: metroBounds(metro), total: 0, online: 0, degraded: 0, offline: 0, moving: 0 });
  }
  for (const record of records) {
    const id = typeof record.metro === 'string' ? record.metro : 'unknown';
    let row = rows.get(id);
    if (!row) {
      row = { id, name: id, bounds: null, total: 0, online: 0, degraded: 0, offline: 0, moving: 0 };
      rows.set(id, row);
    }
    row.total++;
    if (record.status === 'online' || record.status === 'degraded' || record.status === 'offline') row[record.status]++;
    if (record.moving === true) row.moving++;
  }
  return [...rows.values()];
}

function share(part: number, total: number): string {
  return total > 0 ? `${(part / total) * 100}%` : '0%';
}

export function MetroPanel({ className }: { className?: string }) {
  const panel = useRef<HTMLElement>(null);
  const { bounds, setBounds, fleet } = useFleetView(panel);
  const rows = useMemo(() => metroRows(fleet.records), [fleet.records]);
  const inView = rows.filter((r) => r.total > 0).length;

  return (
    <Panel
      ref={panel}
      id="metros"
      title="Fleet by metro"
      meta={`${inView} of ${rows.length} in view`}
      updatedAt={fleet.lastUpdate}
      paused={fleet.paused}
      flush
      className={className}
    >
      <ul className="pb-dash-metros">
        {rows.map((row) => {
          const zoomed = row.bounds !== null && sameBounds(row.bounds, bounds);
          return (
            <li key={row.id} className={row.total === 0 ? 'pb-dash-metro pb-dash-metro--empty' : 'pb-dash-metro'} data-metro={row.id}>
              <button
                type="button"
                className="pb-dash-metro__zoom"
                disabled={row.bounds === null}
                aria-pressed={zoomed}
                title={row.bounds ? `Show ${row.name} on the map` : undefined}
                onClick={() => row.bounds && setBounds(row.bounds)}
              >
                {row.name}
              </button>
              <span className="pb-dash-metro__count pb-num">
                {row.total > 0 ? (
                  <>
                    {formatInteger(row.total)} <span className="pb-dash-metro__unit">nodes</span>
                  </>
                ) : (
                  '—'
                )}
              </span>
              <span className="pb-dash-metro__bar" aria-hidden="true">
                <span className="pb-dash-metro__seg pb-dash-metro__seg--online" style={{ width: share(row.online, row.total) }} />
                <span className="pb-dash-metro__seg pb-dash-metro__seg--degraded" style={{ width: share(row.degraded, row.total) }} />
                <span className="pb-dash-metro__seg pb-dash-metro__seg--offline" style={{ width: share(row.offline, row.total) }} />
              </span>
              <span className="pb-dash-metro__detail">
                {row.total > 0 ? (
                  <>
                    <span>{formatInteger(row.moving)} moving</span>
                    <span className={row.degraded > 0 ? 'pb-dash-metro__warn' : undefined}>{formatInteger(row.degraded)} degraded</span>
                    <span className={row.offline > 0 ? 'pb-dash-metro__bad' : undefined}>{formatInteger(row.offline)} offline</span>
                  </>
                ) : (
                  <span>Outside the map&apos;s region</span>
                )}
              </span>
            </li>
          );
        })}
      </ul>
    </Panel>
  );
}

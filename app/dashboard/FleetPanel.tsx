'use client';
/**
 * The fleet map. The region the user picks is a server-side filter: changing it subscribes
 * the map's view of `fleet` again with the new `bounds`, and the hub sends only the nodes inside
 * (and, as they move, adds and removes them at the edges). Nothing is hidden in the browser.
 * Once the map and the metro list (which shares its view) have both been out of sight for a
 * while, the view pauses, and it catches up in one recovery delta when scrolled back.
 */
import { useCallback, useMemo, useRef } from 'react';
import { FleetMap } from '@/components/FleetMap';
import { formatInteger } from '@/components/format';
import type { Bounds } from '@/components/geo';
import { asFleetNode } from '@/components/records';
import { LOW_BATTERY, MAP_PRESETS, WORLD_BOUNDS } from './config';
import { useFleetView } from './fleetView';
import { countFleet } from './metrics';
import { Panel } from './Panel';

function Stat({ label, value, tone, name }: { label: string; value: number; tone?: 'warn' | 'bad'; name: string }) {
  return (
    <div className={tone ? `pb-dash-stat pb-dash-stat--${tone}` : 'pb-dash-stat'} data-stat={name}>
      <dt>{label}</dt>
      <dd className="pb-num">{formatInteger(value)}</dd>
    </div>
  );
}

export function FleetPanel({ className }: { className?: string }) {
  const panel = useRef<HTMLElement>(null);
  const { bounds, setBounds, fleet } = useFleetView(panel);
  const { records, lastUpdate, paused, error } = fleet;

  const nodes = useMemo(() => records.map(asFleetNode), [records]);
  const counts = useMemo(() => countFleet(records, LOW_BATTERY), [records]);
  const onBoundsChange = useCallback((next: Bounds | null) => setBounds(next ?? WORLD_BOUNDS), [setBounds]);

  return (
    <Panel
      ref={panel}
      id="fleet"
      title="Field fleet"
      meta={`${formatInteger(counts.total)} nodes in view`}
      updatedAt={lastUpdate}
      paused={paused}
      className={className}
    >
      <dl className="pb-dash-stats" aria-label="Nodes in view by status">
        <Stat name="total" label="In view" value={counts.total} />
        <Stat name="online" label="Online" value={counts.online} />
        <Stat name="degraded" label="Degraded" value={counts.degraded} tone={counts.degraded > 0 ? 'warn' : undefined} />
        <Stat name="offline" label="Offline" value={counts.offline} tone={counts.offline > 0 ? 'bad' : undefined} />
        <Stat name="moving" label="Moving" value={counts.moving} />
        <Stat name="lowBattery" label={`Battery < ${LOW_BATTERY}%`} value={counts.lowBattery} tone={counts.lowBattery > 0 ? 'warn' : undefined} />
      </dl>
      {error && (
        <p className="pb-dash-error" role="alert">
          The hub refused this region ({error.code}): {error.message}
        </p>
      )}
      <FleetMap nodes={nodes} bounds={bounds} onBoundsChange={onBoundsChange} presets={MAP_PRESETS} label="Field fleet" />
    </Panel>
  );
}

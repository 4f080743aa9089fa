'use client';
/**
 * One declared panel, whatever its kind: what a dashboard page renders for each entry of its
 * `panels` (docs/dashboards.md).
 */
import type { PanelSpec } from '@/lib/dashboards/types';
import type { InitialSnapshot } from '@/lib/store/types';
import { AlertsPanel } from './AlertsPanel';
import { BarListPanel } from './BarListPanel';
import { EventsPanel } from './EventsPanel';
import { MapPanel } from './MapPanel';
import { StatPanel } from './StatPanel';
import { TablePanel } from './TablePanel';
import { TimeSeriesPanel } from './TimeSeriesPanel';

export interface PanelViewProps {
  panel: PanelSpec;
  /** Server-rendered snapshot of the panel's view (its channel, filter and pace). */
  initial?: InitialSnapshot;
}

/**
 * @example
 * <PanelGrid>{dashboard.panels.map((panel, i) => <PanelView key={i} panel={panel} initial={snapshots[i]} />)}</PanelGrid>
 */
export function PanelView({ panel, initial }: PanelViewProps) {
  switch (panel.kind) {
    case 'stat': {
      const { kind: _kind, ...props } = panel;
      return <StatPanel {...props} initial={initial} />;
    }
    case 'table': {
      const { kind: _kind, ...props } = panel;
      return <TablePanel {...props} initial={initial} />;
    }
    case 'timeseries': {
      const { kind: _kind, ...props } = panel;
      return <TimeSeriesPanel {...props} initial={initial} />;
    }
    case 'barlist': {
      const { kind: _kind, ...props } = panel;
      return <BarListPanel {...props} initial={initial} />;
    }
    case 'events': {
      const { kind: _kind, ...props } = panel;
      return <EventsPanel {...props} initial={initial} />;
    }
    case 'map': {
      const { kind: _kind, ...props } = panel;
      return <MapPanel {...props} initial={initial} />;
    }
    case 'alerts': {
      const { kind: _kind, ...props } = panel;
      return <AlertsPanel {...props} initial={initial} />;
    }
  }
}

export default PanelView;

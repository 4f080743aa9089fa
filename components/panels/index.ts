/**
 * The panel kit (docs/dashboards.md, "Panels"): typed components a page composes, each a live
 * view of one channel, and `PanelView`, which renders a declared panel of any kind. All of them
 * need a `<PulseProvider>` above.
 *
 * @example
 * import { PanelGrid, StatPanel, TablePanel } from '@/components/panels';
 * <PanelGrid>
 *   <StatPanel title="Waiting" channel="backlog" field="waiting" aggregate="sum" width={3} />
 *   <TablePanel title="Queues" channel="backlog" columns={[{ field: 'queue' }, { field: 'waiting', format: 'bar' }]} width={9} />
 * </PanelGrid>
 */
export { PanelCard, PanelFrame, PanelGrid, panelSpan, type PanelCardProps, type PanelFrameProps } from './PanelFrame';
export { PanelView, type PanelViewProps } from './PanelView';
export { StatPanel, statCaption, type StatPanelProps } from './StatPanel';
export { TablePanel, nextSort, type TablePanelProps } from './TablePanel';
export { TimeSeriesPanel, seriesLineKeys, type TimeSeriesPanelProps } from './TimeSeriesPanel';
export { BarListPanel, type BarListPanelProps } from './BarListPanel';
export { EventsPanel, type EventsPanelProps } from './EventsPanel';
export { MapPanel, type MapPanelProps } from './MapPanel';
export { AlertsPanel, type AlertsPanelProps } from './AlertsPanel';
export { barFraction, cellTone, columnLabel, formatCell, statusTone, timestampOf } from './cells';

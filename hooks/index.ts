/**
 * React bindings of the Pulseboard client and store. All of them need a `<PulseProvider>` above.
 */
export { usePulse, PulseContext, type PulseContextValue } from './usePulse';
export { useChannel, useChannelData, useStableFilter, type ChannelView, type UseChannelOptions } from './useChannel';
export { useRecord, useRecordIds, type RecordView } from './useRecord';
export { useChannelEvents, type ChannelEventsView, type UseChannelEventsOptions } from './useChannelEvents';
export { useAllPaused, useConnectionState, useConnectionStatus, type ConnectionStatus } from './useConnectionStatus';
export { usePresence } from './usePresence';
export { useSession, useCanPublish, sessionCanPublish } from './useSession';
export { useSeries, useSeriesAggregate, type UseSeriesAggregateOptions, type UseSeriesOptions } from './useSeries';
export { useStableSeriesAsk, useView, useViewData, useViewHolding, type ResolvedView } from './useView';
export { useOffscreen, watchHiddenPage, watchOffscreen, type VisibilitySource } from './visibility';

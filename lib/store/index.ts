/**
 * The client-side channel store (zustand vanilla, free of React) and its pure reducers.
 */
export { createPulseStore, type PulseStore, type PulseStoreOptions, type PulseStoreState } from './store';
export {
  applyDelta,
  applySnapshot,
  changedFields,
  DEFAULT_MAX_EVENTS,
  emptyChannel,
  expireChanges,
  fromInitial,
  initialSnapshotInput,
  isStale,
  type SnapshotInput,
} from './reducers';
export { channelStatus, newestUpdate, recordList, selectChange, selectChannel, selectRecord, type ChannelStatus } from './selectors';
export {
  advanceSeries,
  aggregateSeries,
  appendSeries,
  bucketStart,
  createAggregateSelector,
  fillSeries,
  MAX_SERIES_BUCKETS,
  seriesFromPayload,
  seriesLine,
  seriesLines,
  seriesValue,
  type SeriesAggregate,
  type SeriesChange,
} from './series';
export { expandRuns, packSeries, runLengths, unpackSeries, type PackedSeries } from './series-runs';
export { createChannelBinder, RETAINED_RELEASED_VIEWS, type AcquireOptions, type ChannelBinder, type Holding } from './binding';
export { viewStoreKey, type ViewOptions } from '../client/views';
export type { ChangeMark, ChannelData, ChannelError, DataSource, InitialSnapshot, ReducerOptions, SeriesLine, SeriesTrack, ViewSeries } from './types';

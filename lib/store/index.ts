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
  isStale,
  type SnapshotInput,
} from './reducers';
export { channelStatus, recordList, selectChange, selectChannel, selectRecord, type ChannelStatus } from './selectors';
export { createChannelBinder, RETAINED_RELEASED_VIEWS, type AcquireOptions, type ChannelBinder, type Holding } from './binding';
export { viewStoreKey, type ViewOptions } from '../client/views';
export type { ChangeMark, ChannelData, ChannelError, DataSource, InitialSnapshot, ReducerOptions, SeriesLine } from './types';

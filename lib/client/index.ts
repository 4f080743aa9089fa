/**
 * The Pulseboard client SDK: browsers and Node (given a WebSocket implementation such as `ws`).
 */
export { createPulseClient, ClientCloseCode, DEFAULT_POLICY_BACKOFF, type PulseClient } from './client';
export { backoff, DEFAULT_BACKOFF, type BackoffOptions } from '../protocol/backoff';
export { PulseClientError, ClientErrorCode, isPulseClientError, type PulseErrorCode } from './errors';
export { CLIENT_STATES, isActiveState, isStoppedState, type ClientState } from './states';
export { alwaysOnline, defaultNetworkMonitor, type NetworkMonitor } from './network';
export { deltaVerdict, isPresenceOnly, type Awaiting, type DeltaVerdict } from './subscriptions';
export { checkSeriesAsk, mergeSeriesAsks, seriesAskCovers } from './series-ask';
export { isPlainView, parseViewStoreKey, PRESENCE_ONLY_FILTER, viewKey, viewName, viewStoreKey, type ViewOptions } from './views';
export { filterKey } from '../protocol/filter-key';
export { fetchSnapshot, snapshotPages, snapshotUrl, type FetchSnapshotOptions, type HttpSnapshot, type SnapshotPage } from './http';
export { decodeServerFrame } from './frames';
export type { Listener } from './emitter';
export type * from './types';
export { WS_OPEN } from './types';

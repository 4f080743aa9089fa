/**
 * The names of the server's own figures as `GET /api/ws/stats/series` answers them
 * (docs/operations.md, "The server's figures as series"): the gauges and per-second rates of
 * `GET /api/ws/stats` flattened (`messages.inPerSec` as `messagesInPerSec`, `latencyMs.p95` as
 * `latencyP95Ms`…), then one `errors.<CODE>` count since start per error code. Shared by the
 * server that keeps them and `/status` that draws them.
 */
import { ErrorCode } from './codes';

/** The gauges and rates, in the order the server keeps them. */
export const SERVER_FIGURES = [
  'connections',
  'subscriptions',
  'channels',
  'messagesInPerSec',
  'messagesOutPerSec',
  'bytesInPerSec',
  'bytesOutPerSec',
  'latencyP50Ms',
  'latencyP95Ms',
  'latencyP99Ms',
  'slowConsumers',
] as const;

export type ServerFigure = (typeof SERVER_FIGURES)[number];

/** The field holding an error code's count since start. */
export const ERROR_FIGURE_PREFIX = 'errors.';

/** Every error code's count field, in the order of `ErrorCode`. */
export const ERROR_FIGURES = Object.values(ErrorCode).map((code) => `${ERROR_FIGURE_PREFIX}${code}` as const);

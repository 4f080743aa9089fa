/**
 * Series for a subscription or an HTTP read (docs/protocol.md §13): what a request asks, held
 * to what the channel keeps and to the filter's `fields` projection, and the read itself.
 */
import { seriesRequestProblem, type SeriesRequest, type SeriesResult } from '../engine/series';
import type { SeriesSpec } from '../engine/series-spec';
import type { Engine } from '../engine/types';
import type { SeriesAsk } from '../protocol';

/** What a reader of series gets: the fields (none when the projection leaves none), how far back. */
export interface SeriesSelection {
  readonly fields?: readonly string[];
  readonly windowMs?: number;
}

/**
 * The selection for `ask` on a channel keeping `spec`, seen through the filter's `fields`
 * (`projection`): only kept fields the projection shows travel. A field that is not kept or a
 * window past the kept one is a problem, in words for an `INVALID_MESSAGE`.
 */
export function selectSeries(
  spec: SeriesSpec,
  ask: SeriesAsk,
  projection: readonly string[] | undefined,
): { ok: true; selection: SeriesSelection } | { ok: false; message: string } {
  const asked = ask === true ? {} : ask;
  const problem = seriesRequestProblem(spec, asked);
  if (problem) return { ok: false, message: problem };
  const fields = projection ? (asked.fields ?? spec.fields).filter((field) => projection.includes(field)) : asked.fields;
  return { ok: true, selection: { fields, windowMs: asked.windowMs } };
}

/**
 * Reads `selection` of the channel's series for `records` (all when absent), from the bucket of
 * `from` when given; null when the channel keeps none. A selection whose projection left no
 * field reads the span alone: `fields` and `records` empty.
 */
export async function readSeries(
  engine: Engine,
  tenant: string,
  channel: string,
  selection: SeriesSelection,
  records: SeriesRequest['records'],
  from?: number,
): Promise<SeriesResult | null> {
  const none = selection.fields !== undefined && selection.fields.length === 0;
  const request: SeriesRequest = { windowMs: selection.windowMs, records: none ? new Set() : records, from };
  if (!none) request.fields = selection.fields;
  const result = await engine.series(tenant, channel, request);
  if (result && none) result.series = { ...result.series, fields: [], records: {} };
  return result;
}

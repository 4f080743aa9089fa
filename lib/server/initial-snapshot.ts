/**
 * What a server-rendered page embeds for one view: the view's snapshot and, when the view asks
 * for series and the channel keeps them, the series of the records it shows (docs/protocol.md
 * §13), so the HTML's charts are drawn before any script runs. The browser then subscribes the
 * same view (same filter, pace and series ask) with `since` = the snapshot's position, and the
 * recovery delta brings what changed in between, its series included.
 *
 * The series are embedded run-length encoded (`packSeries`): a full window of them, one entry
 * per bucket, weighed most of the page (docs/client.md, "What a page embeds"); the store
 * unpacks them exactly when it hydrates.
 */
import type { Hub } from '../hub/hub';
import type { Filter } from '../protocol/filter';
import type { SeriesAsk } from '../protocol/messages';
import { packSeries, type PackedSeries } from '../store/series-runs';
import type { InitialSnapshot } from '../store/types';

/** A view a page renders: what the browser will subscribe with. */
export interface InitialView {
  channel: string;
  filter?: Filter;
  intervalMs?: number;
  /** The series the view asks for (`true`, or `{fields, windowMs}`); none: no series embedded. */
  series?: SeriesAsk;
}

/**
 * Reads `view` of the tenant's channel for a server render, as plain JSON (the engine's objects
 * never cross into the page), stamped with the render's time `at`. Throws the hub's errors
 * (`BAD_FILTER`, `INVALID_MESSAGE` for a series ask the channel cannot answer, an unreachable
 * engine).
 *
 * @example
 * const at = Date.now();
 * const initial = await Promise.all(views.map((view) => readInitialSnapshot(hub, session.tenant, view, at)));
 * return <Dashboard initial={initial} />;
 */
export async function readInitialSnapshot(
  hub: Pick<Hub, 'snapshot' | 'series'>,
  tenant: string,
  view: InitialView,
  at: number,
): Promise<InitialSnapshot> {
  const filter = view.filter ?? {};
  const snapshot = await hub.snapshot(tenant, view.channel, filter);
  // The series of the records the snapshot shows, read just after it, as a subscription's
  // snapshot carries them (docs/protocol.md §13).
  const series =
    view.series === undefined
      ? null
      : await hub.series(tenant, view.channel, filter, view.series, new Set(snapshot.records.map((record) => record.id)));
  const initial = JSON.parse(JSON.stringify(snapshot)) as InitialSnapshot;
  return {
    ...initial,
    // the filter and pace say which view of the channel the snapshot is (the store keeps views
    // apart, and the browser resumes each view from its own `seq`)
    ...(view.filter ? { filter: view.filter } : {}),
    ...(view.intervalMs !== undefined ? { intervalMs: view.intervalMs } : {}),
    // packed: the page's props carry each line's runs of one value, not one entry per bucket
    // (lib/store/series-runs.ts); plain JSON, as a client component's props must be
    ...(series ? { series: JSON.parse(JSON.stringify(packSeries(series.series))) as PackedSeries } : {}),
    at,
  };
}

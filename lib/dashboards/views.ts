/**
 * The views a dashboard's panels are (docs/protocol.md §12): which channel, filter and pace
 * each panel subscribes with, and what it asks of series (§13). The page's server component
 * reads one snapshot per view from this, and the panels subscribe to the same views, so the
 * browser resumes each from the `seq` it was rendered at. Two panels of one view share its
 * snapshot and its subscription. Pure, browser-safe.
 */
import { filterKey } from '../protocol/filter-key';
import type { Filter } from '../protocol/filter';
import type { SeriesAsk } from '../protocol/messages';
import type { PanelSpec } from './types';

/** What a panel subscribes to. */
export interface PanelViewSpec {
  channel: string;
  filter?: Filter;
  intervalMs?: number;
  /** What it asks of series; none when it draws none. */
  series?: SeriesAsk;
}

/**
 * A panel's view: its own filter, with an event feed's `minPriority` (the panel's option wins),
 * and the series a stat's sparkline or a time series draws.
 *
 * @example
 * panelView({ kind: 'events', title: 'Alerts', channel: 'alerts', minPriority: 'high' })
 * // → { channel: 'alerts', filter: { minPriority: 'high' } }
 */
export function panelView(panel: PanelSpec): PanelViewSpec {
  const filter = panel.kind === 'events' && panel.minPriority !== undefined ? { ...panel.filter, minPriority: panel.minPriority } : panel.filter;
  const series = panelSeriesAsk(panel);
  return {
    channel: panel.channel,
    ...(filter !== undefined ? { filter } : {}),
    ...(panel.intervalMs !== undefined ? { intervalMs: panel.intervalMs } : {}),
    ...(series !== undefined ? { series } : {}),
  };
}

/**
 * The series a panel draws: a stat's field (its sparkline, unless turned off; a count has no
 * field to draw), a time series' fields over its window; nothing for the other kinds.
 */
export function panelSeriesAsk(panel: PanelSpec): SeriesAsk | undefined {
  if (panel.kind === 'stat') {
    if (panel.sparkline === false || panel.field === undefined || panel.aggregate === 'count') return undefined;
    return { fields: [panel.field] };
  }
  if (panel.kind === 'timeseries') return { fields: [...panel.fields], ...(panel.windowMs !== undefined ? { windowMs: panel.windowMs } : {}) };
  return undefined;
}

/** Identifies a view: channel, canonical filter and pace (series do not make a view of their own). */
export function viewKey(view: Pick<PanelViewSpec, 'channel' | 'filter' | 'intervalMs'>): string {
  return `${view.channel}\n${filterKey(view.filter)}\n${view.intervalMs ?? ''}`;
}

/** One view of a dashboard and the panels (by index) that show it. */
export interface DashboardView extends Omit<PanelViewSpec, 'series'> {
  key: string;
  panels: number[];
}

/**
 * The distinct views of `panels`, in the order they first appear. What a view asks of series is
 * what its panels ask together (`mergeSeriesAsks` of lib/client over their `panelSeriesAsk`).
 *
 * @example
 * dashboardViews(dashboard.panels).map((view) => view.panels) // [[0, 3], [1], [2]]
 */
export function dashboardViews(panels: readonly PanelSpec[]): DashboardView[] {
  const views = new Map<string, DashboardView>();
  panels.forEach((panel, index) => {
    const { series: _series, ...view } = panelView(panel);
    const key = viewKey(view);
    const known = views.get(key);
    if (known) known.panels.push(index);
    else views.set(key, { ...view, key, panels: [index] });
  });
  return [...views.values()];
}

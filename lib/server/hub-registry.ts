/**
 * The process's one hub, and the dashboards it serves (docs/dashboards.md), reachable from
 * server components and route handlers.
 *
 * Next.js bundles app code separately from `server.ts`, so a module-level variable would
 * exist twice; a global keyed by a registered symbol is shared by both.
 */
import type { DashboardSpec } from '../dashboards/types';
import type { Hub } from '../hub/hub';

const KEY = Symbol.for('pulseboard.hub');

interface Registry {
  hub?: Hub;
  /** The last good `dashboards` (a reload that fails validation keeps these). */
  dashboards: readonly DashboardSpec[];
}

type WithRegistry = typeof globalThis & { [KEY]?: Registry };

function registry(): Registry {
  const global = globalThis as WithRegistry;
  global[KEY] ??= { dashboards: [] };
  return global[KEY];
}

export function registerHub(hub: Hub | undefined): void {
  registry().hub = hub;
}

/** The running hub, or undefined when the app runs without one (e.g. during `next build`). */
export function findHub(): Hub | undefined {
  return registry().hub;
}

/**
 * Replaces the dashboards the pages serve: at start-up, and when the configuration file is
 * reloaded in development (`watchDashboards`).
 *
 * @example
 * registerDashboards(loadServerConfiguration().dashboards);
 */
export function registerDashboards(dashboards: readonly DashboardSpec[]): void {
  registry().dashboards = dashboards;
}

/** The dashboards served at `/d/<slug>`, in the order the file declares them. */
export function findDashboards(): readonly DashboardSpec[] {
  return registry().dashboards;
}

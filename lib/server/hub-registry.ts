/**
 * The process's one hub, reachable from server components and route handlers.
 *
 * Next.js bundles app code separately from `server.ts`, so a module-level variable would
 * exist twice; a global keyed by a registered symbol is shared by both.
 */
import type { Hub } from '../hub/hub';

const KEY = Symbol.for('pulseboard.hub');
type WithHub = typeof globalThis & { [KEY]?: Hub };

export function registerHub(hub: Hub | undefined): void {
  (globalThis as WithHub)[KEY] = hub;
}

/** The running hub, or undefined when the app runs without one (e.g. during `next build`). */
export function findHub(): Hub | undefined {
  return (globalThis as WithHub)[KEY];
}

/**
 * What a view asks of series (docs/protocol.md §13, "Asking"). Series do not make a view of
 * their own: listeners of one filter and pace share a view whatever they ask of series, and the
 * view's `subscribe` asks for what all of them want together.
 *
 * Pure functions: no I/O, no state.
 */
import type { SeriesAsk } from '../protocol/messages';

/**
 * What several listeners ask together: `true` (every kept field over the kept window) when
 * any asks it, otherwise the fields named by any (every field when one names none) over the
 * longest window named (the kept window when one names none); `undefined` when none asks.
 *
 * @example
 * mergeSeriesAsks([{ fields: ['waiting'] }, { fields: ['util'], windowMs: 60_000 }]) // { fields: ['waiting', 'util'] }
 */
export function mergeSeriesAsks(asks: Iterable<SeriesAsk | undefined>): SeriesAsk | undefined {
  let merged: SeriesAsk | undefined;
  for (const ask of asks) {
    if (ask === undefined) continue;
    if (merged === undefined) merged = normalize(ask);
    else merged = mergeTwo(merged, normalize(ask));
    if (merged === true) return true;
  }
  return merged;
}

/**
 * Whether a subscription that asked `held` already brings everything `wanted` asks: the same
 * or more fields, over the same or a longer window. Nothing wanted is always covered.
 */
export function seriesAskCovers(held: SeriesAsk | undefined, wanted: SeriesAsk | undefined): boolean {
  if (wanted === undefined) return true;
  if (held === undefined) return false;
  const h = normalize(held);
  const w = normalize(wanted);
  if (h === true) return true;
  if (w === true) return false;
  const fields = h.fields === undefined || (w.fields !== undefined && w.fields.every((field) => h.fields!.includes(field)));
  const window = h.windowMs === undefined || (w.windowMs !== undefined && w.windowMs <= h.windowMs);
  return fields && window;
}

/** Throws a `TypeError` for a `series` option the protocol never accepts (misuse). */
export function checkSeriesAsk(ask: unknown): void {
  if (ask === undefined || ask === true) return;
  const valid =
    typeof ask === 'object' &&
    ask !== null &&
    !Array.isArray(ask) &&
    Object.keys(ask).every((key) => key === 'fields' || key === 'windowMs') &&
    isFieldList((ask as { fields?: unknown }).fields) &&
    isWindow((ask as { windowMs?: unknown }).windowMs);
  if (!valid) throw new TypeError(`invalid series ${JSON.stringify(ask)}: must be true or {fields?: string[], windowMs?: number}`);
}

/** `{}` asks as much as `true`; a field list without duplicates. */
function normalize(ask: SeriesAsk): SeriesAsk {
  if (ask === true) return true;
  if (ask.fields === undefined && ask.windowMs === undefined) return true;
  const normalized: { fields?: string[]; windowMs?: number } = {};
  if (ask.fields !== undefined) normalized.fields = [...new Set(ask.fields)];
  if (ask.windowMs !== undefined) normalized.windowMs = ask.windowMs;
  return normalized;
}

function mergeTwo(a: SeriesAsk, b: SeriesAsk): SeriesAsk {
  if (a === true || b === true) return true;
  const merged: { fields?: string[]; windowMs?: number } = {};
  if (a.fields !== undefined && b.fields !== undefined) merged.fields = [...new Set([...a.fields, ...b.fields])];
  if (a.windowMs !== undefined && b.windowMs !== undefined) merged.windowMs = Math.max(a.windowMs, b.windowMs);
  return normalize(merged);
}

function isFieldList(fields: unknown): boolean {
  return fields === undefined || (Array.isArray(fields) && fields.length > 0 && fields.every((field) => typeof field === 'string' && field.length > 0));
}

function isWindow(windowMs: unknown): boolean {
  return windowMs === undefined || (typeof windowMs === 'number' && Number.isSafeInteger(windowMs) && windowMs > 0);
}

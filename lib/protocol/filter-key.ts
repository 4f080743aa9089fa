/**
 * The canonical key of a subscription filter (docs/protocol.md §6): one text per view, however
 * the filter is spelled. The hub groups subscribers by it, so a view's delta is serialized once
 * per group (docs/protocol.md §5); the client shares one wire subscription between listeners
 * whose filters have the same key, and resubscribes when the key changes.
 *
 * Kept apart from `filter.ts` (which brings zod) so that browser code can use it for free.
 */
import type { Condition, Filter, Scalar } from './filter';

/**
 * A text that is equal for filters that select the same view. Object keys are sorted at every
 * depth; sets (`ids`, `fields`, `eventTypes`, `in` and `nin` lists, `or` alternatives) are sorted
 * and deduplicated; parts that select everything (an empty `where`, `minPriority: "low"`, `id`
 * among `fields`, members set to `undefined`) are dropped. No filter, `{}` and any filter that
 * selects everything give `''`. An `or` is always kept, even one with an empty alternative (which
 * selects everything): one such spelling more or less only costs a group of its own.
 *
 * The client calls it on filters nobody has validated yet, so it never throws on a malformed
 * one: a part of the wrong shape, or a key the protocol does not know, is kept as it is (keys
 * sorted), so such a filter still goes to the server, which refuses it.
 *
 * @example
 * filterKey({ ids: ['b', 'a'], where: { load: { lt: 1, gte: 0.5 } } })
 *   === filterKey({ where: { load: { gte: 0.5, lt: 1 } }, ids: ['a', 'b', 'a'] }) // → true
 * filterKey({ where: {}, minPriority: 'low' }) // → ''
 */
export function filterKey(filter: Filter | null | undefined): string {
  if (filter === undefined || filter === null) return '';
  if (!isPlainObject(filter)) return JSON.stringify(sortedKeys(filter)) ?? '';

  const { ids, where, or, bounds, fields, eventTypes, minPriority, ...others } = filter as Filter & Record<string, unknown>;
  // A null prototype, so that a member named `__proto__` stays a member.
  const canonical: Record<string, unknown> = Object.create(null);
  // The order of the parts is fixed, so equal filters stringify to the same text.
  if (ids !== undefined) canonical.ids = isStringArray(ids) ? sortedSet(ids) : sortedKeys(ids);
  if (where !== undefined) {
    const conditions = canonicalWhere(where);
    if (conditions !== undefined) canonical.where = conditions;
  }
  if (or !== undefined) canonical.or = canonicalOr(or);
  if (bounds !== undefined) canonical.bounds = sortedKeys(bounds);
  // `id` is always sent, so listing it changes nothing.
  if (fields !== undefined) canonical.fields = isStringArray(fields) ? sortedSet(fields.filter((field) => field !== 'id')) : sortedKeys(fields);
  if (eventTypes !== undefined) canonical.eventTypes = isStringArray(eventTypes) ? sortedSet(eventTypes) : sortedKeys(eventTypes);
  if (minPriority !== undefined && minPriority !== 'low') canonical.minPriority = sortedKeys(minPriority);
  for (const key of Object.keys(others).sort()) {
    if (others[key] !== undefined) canonical[key] = sortedKeys(others[key]);
  }
  return Object.keys(canonical).length === 0 ? '' : JSON.stringify(canonical);
}

/** Conditions by sorted path; `undefined` when there are none (the same view as no `where`). */
function canonicalWhere(where: unknown): unknown {
  if (!isPlainObject(where)) return sortedKeys(where);
  const out: Record<string, unknown> = Object.create(null);
  for (const path of Object.keys(where).sort()) {
    const condition = where[path];
    if (condition !== undefined) out[path] = canonicalCondition(condition as Condition);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** `or` alternatives as a set: each in canonical form, deduplicated, ordered by their text. */
function canonicalOr(or: unknown): unknown {
  if (!Array.isArray(or)) return sortedKeys(or);
  const byText = new Map<string, unknown>();
  for (const alternative of or) {
    // An empty alternative stays `{}` (not left out, as an empty `where` is): it is a member of the set.
    const canonical = isPlainObject(alternative) ? (canonicalWhere(alternative) ?? Object.create(null)) : sortedKeys(alternative);
    byText.set(JSON.stringify(canonical) ?? 'null', canonical);
  }
  return [...byText.keys()].sort().map((text) => byText.get(text));
}

function canonicalCondition(condition: Condition): unknown {
  if (!isPlainObject(condition)) return sortedKeys(condition);
  const out: Record<string, unknown> = Object.create(null);
  for (const op of Object.keys(condition).sort()) {
    const operand = (condition as Record<string, unknown>)[op];
    if (operand === undefined) continue;
    out[op] = (op === 'in' || op === 'nin') && Array.isArray(operand) ? sortedScalars(operand as Scalar[]) : sortedKeys(operand);
  }
  return out;
}

function sortedSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** Scalars of mixed types, deduplicated and ordered by their JSON text (stable and total). */
function sortedScalars(values: readonly Scalar[]): unknown[] {
  const byText = new Map<string, unknown>();
  for (const value of values) {
    const copy = sortedKeys(value);
    byText.set(JSON.stringify(copy) ?? 'null', copy);
  }
  return [...byText.keys()].sort().map((text) => byText.get(text));
}

/** A copy of a JSON-like value with the keys of every object sorted and `undefined` members left out. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = sortedKeys(member);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

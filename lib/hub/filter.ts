/**
 * Matching of subscription filters (docs/protocol.md §6). The wire shape and its validation
 * live in `lib/protocol/filter.ts`, the canonical key of a view in `lib/protocol/filter-key.ts`;
 * this module takes a filter that already passed validation and compiles it once into closures
 * the broadcaster can call per record, per view, on every flush. Hence the shape of the code:
 * paths split ahead of time, ids and `in` lists as Sets, and no allocation in `matches` or
 * `matchesEvent`.
 */
import type { Bounds, Condition, Filter, Scalar, Where } from '../protocol/filter';
import { filterKey } from '../protocol/filter-key';
import { PRIORITIES, type ChannelEvent, type ChannelRecord, type Priority } from '../protocol/messages';

export interface CompiledFilter {
  /** Canonical key of the view (`filterKey`): equal filters (any key order) give equal keys; '' for no filter. */
  readonly key: string;
  /** True when the record passes `ids`, `where`, `or` and `bounds` (all that are given). */
  matches(record: ChannelRecord): boolean;
  /** The record cut down to `fields` (and `id`); the same object when there is no `fields`. */
  project(record: ChannelRecord): ChannelRecord;
  /** True when the event passes `eventTypes` and `minPriority`. */
  matchesEvent(event: ChannelEvent): boolean;
}

type Predicate<T> = (value: T) => boolean;

const PRIORITY_RANK: Readonly<Record<Priority, number>> = Object.fromEntries(
  PRIORITIES.map((priority, rank) => [priority, rank]),
) as Record<Priority, number>;
const DEFAULT_PRIORITY_RANK = PRIORITY_RANK.normal;

const always = () => true;
const identity = (record: ChannelRecord) => record;

/** A filter that lets everything through, shared by every unfiltered subscription. */
export const MATCH_ALL: CompiledFilter = Object.freeze({
  key: '',
  matches: always,
  project: identity,
  matchesEvent: always,
});

/**
 * Compiles a validated filter.
 *
 * @example
 * const f = compileFilter({ where: { status: 'online', load: { gte: 0.5 } }, fields: ['load'] });
 * f.matches({ id: 'v1', status: 'online', load: 0.7 }) // → true
 * f.project({ id: 'v1', status: 'online', load: 0.7 }) // → { id: 'v1', load: 0.7 }
 */
export function compileFilter(filter: Filter): CompiledFilter {
  const key = filterKey(filter);
  if (key === '') return MATCH_ALL;
  return {
    key,
    matches: compileRecordPredicate(filter),
    project: compileProjection(filter.fields),
    matchesEvent: compileEventPredicate(filter.eventTypes, filter.minPriority),
  };
}

/**
 * True when the point lies in the box, edges included. `west > east` means the box crosses the
 * antimeridian; longitudes 180 and -180 name the same meridian.
 */
export function inBounds(lat: number, lon: number, b: Bounds): boolean {
  if (lat < b.south || lat > b.north) return false;
  if (inLongitudeRange(lon, b.west, b.east)) return true;
  if (lon === 180) return inLongitudeRange(-180, b.west, b.east);
  if (lon === -180) return inLongitudeRange(180, b.west, b.east);
  return false;
}

function inLongitudeRange(lon: number, west: number, east: number): boolean {
  return west <= east ? lon >= west && lon <= east : lon >= west || lon <= east;
}

/**
 * Follows a dotted path ("a.b.c") through plain objects. Anything missing on the way (or an
 * array, or a scalar, or an inherited property) yields `undefined`.
 */
export function getPath(value: unknown, dottedPath: string): unknown {
  return followPath(value, dottedPath.split('.'));
}

function followPath(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (let i = 0; i < segments.length; i++) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    const segment = segments[i];
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

// ---- records ------------------------------------------------------------------------------

function compileRecordPredicate(filter: Filter): Predicate<ChannelRecord> {
  const ids = filter.ids ? new Set(filter.ids) : null;
  const where = compileWhere(filter.where ?? {});
  const alternatives = filter.or ? compileAlternatives(filter.or) : null;
  const bounds = filter.bounds ?? null;

  return (record) => {
    if (ids !== null && !ids.has(record.id)) return false;
    if (!where(record)) return false;
    if (bounds !== null) {
      const { lat, lon } = record;
      if (typeof lat !== 'number' || typeof lon !== 'number' || !inBounds(lat, lon, bounds)) return false;
    }
    return alternatives === null || alternatives(record);
  };
}

/** Every condition of a `where`-shaped object must hold; an empty one holds for every record. */
function compileWhere(where: Where): Predicate<ChannelRecord> {
  const conditions = Object.entries(where).map(([path, condition]) => compileCondition(path, condition));
  if (conditions.length === 0) return always;
  if (conditions.length === 1) return conditions[0];
  return (record) => {
    for (let i = 0; i < conditions.length; i++) {
      if (!conditions[i](record)) return false;
    }
    return true;
  };
}

/** `or`: at least one alternative must hold (an empty alternative holds for every record). */
function compileAlternatives(alternatives: readonly Where[]): Predicate<ChannelRecord> {
  const tests = alternatives.map(compileWhere);
  if (tests.includes(always)) return always;
  if (tests.length === 1) return tests[0];
  return (record) => {
    for (let i = 0; i < tests.length; i++) {
      if (tests[i](record)) return true;
    }
    return false;
  };
}

function compileCondition(path: string, condition: Condition): Predicate<ChannelRecord> {
  const segments = path.split('.');
  const read =
    segments.length === 1
      ? (record: ChannelRecord): unknown => (Object.hasOwn(record, path) ? record[path] : undefined)
      : (record: ChannelRecord): unknown => followPath(record, segments);
  const test = compileTest(condition);
  return (record) => test(read(record));
}

/** A condition as a test of the value found at its path (`undefined` when missing). */
function compileTest(condition: Condition): Predicate<unknown> {
  if (condition === null || typeof condition !== 'object') return equals(condition);

  const tests: Predicate<unknown>[] = [];
  if (condition.in !== undefined) {
    const allowed = new Set<unknown>(condition.in);
    // A missing field counts as null, as for equality.
    tests.push((value) => allowed.has(value === undefined ? null : value));
  }
  if (condition.nin !== undefined) {
    // The exact negation of `in`, as `ne` is of equality: a missing field matches unless the
    // list holds null, the value a missing field counts as (docs/protocol.md §6).
    const refused = new Set<unknown>(condition.nin);
    tests.push((value) => !refused.has(value === undefined ? null : value));
  }
  if (condition.ne !== undefined) {
    // The exact negation of equality: `{ne: 'x'}` matches a missing field, `{ne: null}` does not.
    const eq = equals(condition.ne);
    tests.push((value) => !eq(value));
  }
  if (condition.gt !== undefined) tests.push(ordered(condition.gt, (v, o) => v > o));
  if (condition.gte !== undefined) tests.push(ordered(condition.gte, (v, o) => v >= o));
  if (condition.lt !== undefined) tests.push(ordered(condition.lt, (v, o) => v < o));
  if (condition.lte !== undefined) tests.push(ordered(condition.lte, (v, o) => v <= o));

  if (tests.length === 1) return tests[0];
  return (value) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](value)) return false;
    return true;
  };
}

function equals(expected: Scalar): Predicate<unknown> {
  // Stored records never hold null, so "equal to null" can only mean "absent".
  if (expected === null) return (value) => value === undefined || value === null;
  return (value) => value === expected;
}

/** Numbers compare with numbers, strings with strings (lexicographically); nothing else matches. */
function ordered(operand: number | string, compare: (value: number | string, operand: number | string) => boolean): Predicate<unknown> {
  const kind = typeof operand;
  return (value) => typeof value === kind && compare(value as number | string, operand);
}

// ---- projection ---------------------------------------------------------------------------

function compileProjection(fields: readonly string[] | undefined): (record: ChannelRecord) => ChannelRecord {
  if (fields === undefined) return identity;
  const kept = [...new Set(fields)].filter((field) => field !== 'id');
  return (record) => {
    const projected: ChannelRecord = { id: record.id };
    for (let i = 0; i < kept.length; i++) {
      const field = kept[i];
      if (Object.hasOwn(record, field)) {
        // defineProperty so that a `__proto__` field stays a field of the copy.
        Object.defineProperty(projected, field, { value: record[field], enumerable: true, writable: true, configurable: true });
      }
    }
    return projected;
  };
}

// ---- events -------------------------------------------------------------------------------

function compileEventPredicate(eventTypes: readonly string[] | undefined, minPriority: Priority | undefined): Predicate<ChannelEvent> {
  const minRank = minPriority === undefined ? 0 : PRIORITY_RANK[minPriority];
  const typeTest = eventTypes === undefined ? always : compileEventTypes(eventTypes);
  if (minRank === 0) return (event) => typeTest(event.type);
  return (event) => priorityRank(event.priority) >= minRank && typeTest(event.type);
}

function priorityRank(priority: Priority | undefined): number {
  return priority === undefined ? DEFAULT_PRIORITY_RANK : (PRIORITY_RANK[priority] ?? DEFAULT_PRIORITY_RANK);
}

function compileEventTypes(eventTypes: readonly string[]): Predicate<string> {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of eventTypes) {
    if (entry.endsWith('*')) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  if (prefixes.includes('')) return always;
  return (type) => {
    if (exact.has(type)) return true;
    for (let i = 0; i < prefixes.length; i++) if (type.startsWith(prefixes[i])) return true;
    return false;
  };
}

/**
 * JSON Merge Patch (RFC 7386): how a publish's `upsert` entries change stored records, and how
 * the broadcaster turns "record before" and "record after" into the smallest patch a subscriber
 * needs (docs/protocol.md §4, §5).
 *
 * Every function here is pure. Values are treated as immutable: results share unchanged
 * subtrees with their inputs instead of copying them, which is safe because nothing in the hub
 * mutates a record once it is stored.
 */
import type { Json } from './messages';

export type JsonObject = { [key: string]: Json };

/** True for a JSON object (not `null`, not an array). */
export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies `patch` to `target` as RFC 7386 says, returning a new value and leaving both inputs
 * untouched. A non-object patch replaces the target; in an object patch a `null` member removes
 * that member, an object member merges recursively, anything else (arrays included) replaces.
 *
 * When the patch changes nothing, the target itself is returned, so callers can detect a no-op
 * with `===` before reaching for `jsonEqual`.
 *
 * @example applyMergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } }) // → { a: 1, b: { d: 3 } }
 */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return patch;
  const source = isJsonObject(target) ? target : undefined;
  let result: JsonObject | undefined;

  for (const key of Object.keys(patch)) {
    const value = patch[key];
    const current = source !== undefined ? ownMember(source, key) : undefined;
    if (value === null) {
      if (current === undefined) continue;
      result ??= { ...source };
      delete result[key];
      continue;
    }
    const next = applyMergePatch(current, value);
    if (next === current) continue;
    result ??= { ...source };
    setMember(result, key, next);
  }
  return result ?? source ?? {};
}

/**
 * The smallest merge patch that turns `before` into `after`, or `null` when they are equal.
 * Removed members become `null`, nested objects are diffed recursively, and arrays or values
 * that changed type are sent whole (RFC 7386 has no way to patch inside an array).
 *
 * `after` must not hold `null` members: in a patch `null` can only mean "remove". Stored
 * records never do, since applying a patch drops them.
 *
 * @example diffMergePatch({ id: 'q1', waiting: 12, sla: 'ok' }, { id: 'q1', waiting: 14 }) // → { waiting: 14, sla: null }
 */
export function diffMergePatch(before: Record<string, Json>, after: Record<string, Json>): Record<string, Json> | null {
  if (before === after) return null;
  let patch: JsonObject | null = null;

  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) {
      patch ??= {};
      setMember(patch, key, null);
    }
  }
  for (const key of Object.keys(after)) {
    const next = after[key];
    const previous = ownMember(before, key);
    let change: Json | undefined;
    if (previous === undefined) {
      change = next;
    } else if (isJsonObject(previous) && isJsonObject(next)) {
      change = diffMergePatch(previous, next) ?? undefined;
    } else if (!jsonEqual(previous, next)) {
      change = next;
    }
    if (change !== undefined) {
      patch ??= {};
      setMember(patch, key, change);
    }
  }
  return patch;
}

/** Deep equality of JSON values; object member order does not matter, array order does. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
  }
  return true;
}

/**
 * The value a patch produces when there is nothing to patch (a record created by its first
 * upsert): the patch with every `null` object member removed, recursively. Arrays are kept as
 * they are, nulls inside them included, because a patch never looks inside arrays.
 */
export function stripNulls(value: Json): Json {
  return applyMergePatch(undefined, value);
}

// Own members only: a record with no `constructor` member must not see Object.prototype's,
// and a `__proto__` member (JSON.parse creates one as a plain own property) must stay data
// instead of replacing the object's prototype.
function ownMember(object: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function setMember(object: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/**
 * Bounds on JSON that crosses the trust boundary (docs/protocol.md §4, docs/operations.md
 * "Limits"). `JSON.parse` accepts any depth, but `JSON.stringify`, structured clones and
 * recursive merges overflow the stack at a few thousand levels, and the Redis engine's merge
 * runs inside Redis where a slow script blocks every tenant. So every entry path (socket
 * frames, HTTP bodies, MQTT payloads, Postgres rows, polled upstreams) checks what it decoded
 * here, once, before anything else sees it; past that point the rest of the server may
 * recurse over values freely.
 *
 * The walk is iterative (an explicit stack), so checking a hostile value cannot itself
 * overflow the stack.
 */

export interface JsonLimits {
  /** Deepest nesting of objects and arrays; the top-level value is depth 1. */
  maxDepth: number;
  /** Values of every kind (objects, arrays, strings, numbers, booleans, nulls) in one message. */
  maxNodes: number;
  /** Longest string, object keys included, in UTF-16 code units. */
  maxStringLength: number;
}

export const JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({
  maxDepth: 32,
  maxNodes: 100_000,
  maxStringLength: 65_536,
});

export type JsonCheck = { ok: true } | { ok: false; message: string };

const OK: JsonCheck = { ok: true };

/**
 * Checks that `value` is plain JSON within `limits`: only objects, arrays, strings, finite
 * numbers, booleans and null, no deeper than `maxDepth`, at most `maxNodes` values and no
 * string longer than `maxStringLength`. `path` names the value in the message
 * (`"upsert[3].data"`). Never throws.
 */
export function checkJson(value: unknown, limits: JsonLimits = JSON_LIMITS, path = 'value'): JsonCheck {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  let nodes = 0;
  while (stack.length) {
    const { value: node, depth } = stack.pop()!;
    if (++nodes > limits.maxNodes) return { ok: false, message: `${path} has more than ${limits.maxNodes} JSON values` };
    switch (typeof node) {
      case 'string':
        if (node.length > limits.maxStringLength) return tooLong(path, limits);
        continue;
      case 'number':
        if (!Number.isFinite(node)) return { ok: false, message: `${path} holds a number that is not finite (NaN or beyond ±1.8e308)` };
        continue;
      case 'boolean':
        continue;
      case 'object':
        break;
      default:
        return { ok: false, message: `${path} holds a ${typeof node}, which is not JSON` };
    }
    if (node === null) continue;
    if (depth > limits.maxDepth) return { ok: false, message: `${path} is nested deeper than ${limits.maxDepth} levels` };
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], depth: depth + 1 });
      continue;
    }
    const proto = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) return { ok: false, message: `${path} holds an object that is not plain JSON` };
    for (const key of Object.keys(node)) {
      if (key.length > limits.maxStringLength) return tooLong(path, limits);
      stack.push({ value: (node as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return OK;
}

function tooLong(path: string, limits: JsonLimits): JsonCheck {
  return { ok: false, message: `${path} holds a string longer than ${limits.maxStringLength} characters` };
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * `JSON.parse` followed by `checkJson`: the one way bytes from outside become values.
 * Never throws; `message` says what was wrong (not JSON, or which limit was passed).
 */
export function parseJson(text: string, limits: JsonLimits = JSON_LIMITS, path = 'value'): JsonParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: `${path} is not valid JSON` };
  }
  const check = checkJson(value, limits, path);
  return check.ok ? { ok: true, value } : check;
}

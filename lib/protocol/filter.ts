/**
 * Subscription filters (docs/protocol.md §6): the wire shape and its validation.
 * Matching lives in `lib/hub/filter.ts`; this module only says what a valid filter is.
 */
import { z } from 'zod';
import { PRIORITIES, type Priority } from './messages';

export type Scalar = string | number | boolean | null;

/** A `where` condition: a scalar for equality, or operators that must all hold. */
export type Condition =
  | Scalar
  | { in?: Scalar[]; nin?: Scalar[]; ne?: Scalar; gt?: number | string; gte?: number | string; lt?: number | string; lte?: number | string };

/** Conditions by dotted field path, all of which must hold: the shape of `where` and of each `or` alternative. */
export type Where = Record<string, Condition>;

export interface Bounds { north: number; south: number; east: number; west: number }

export interface Filter {
  ids?: string[];
  where?: Where;
  /** Alternatives (1–16): a record must also match at least one of them. */
  or?: Where[];
  bounds?: Bounds;
  fields?: string[];
  eventTypes?: string[];
  minPriority?: Priority;
}

/**
 * Size bounds of filters (docs/protocol.md, "Where the contract leaves room"; docs/operations.md
 * "Limits"). A compiled filter lives as long as its subscription (id sets, `in` and `nin` sets,
 * its canonical key), so its size is bounded, besides the counts in the schema below, by its
 * JSON length in UTF-8 bytes: 10,000 ids of 128 characters would otherwise keep 1.3 MB per
 * subscription. The server also bounds the total per connection
 * (`PULSE_MAX_FILTER_BYTES_PER_CONNECTION`).
 */
export const FILTER_LIMITS = Object.freeze({
  /** Largest filter of one subscription (or one snapshot read), in bytes of JSON. */
  maxBytes: 64 * 1024,
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const ordered = z.union([z.number(), z.string()]);

/** Values of one `in` or `nin` list. */
const valueList = z.array(scalar).max(1000);

const operators = z
  .strictObject({
    in: valueList.optional(),
    nin: valueList.optional(),
    ne: scalar.optional(),
    gt: ordered.optional(),
    gte: ordered.optional(),
    lt: ordered.optional(),
    lte: ordered.optional(),
  })
  .refine((ops) => Object.keys(ops).length > 0, 'a condition needs at least one operator');

const latitude = z.number().min(-90).max(90);
const longitude = z.number().min(-180).max(180);

const bounds = z
  .strictObject({ north: latitude, south: latitude, east: longitude, west: longitude })
  .refine((b) => b.south <= b.north, 'bounds.south must not exceed bounds.north');

const fieldPath = z.string().min(1).max(256);

const where = z
  .record(fieldPath, z.union([scalar, operators]))
  .refine((w) => Object.keys(w).length <= 64, 'at most 64 where conditions');

export const filterSchema = z.strictObject({
  ids: z.array(z.string().min(1).max(128)).max(10_000).optional(),
  where: where.optional(),
  or: z.array(where).min(1, 'needs at least one alternative').max(16, 'at most 16 alternatives').optional(),
  bounds: bounds.optional(),
  fields: z.array(fieldPath).max(256).optional(),
  eventTypes: z.array(z.string().min(1).max(128)).max(256).optional(),
  minPriority: z.enum(PRIORITIES).optional(),
});

export type FilterValidation = { ok: true; filter: Filter } | { ok: false; message: string };

/** Validates an untrusted filter. An empty object and `undefined` both mean "everything". */
export function validateFilter(input: unknown): FilterValidation {
  if (input === undefined || input === null) return { ok: true, filter: {} };
  const dropped = findDroppedKey(input);
  if (dropped) return { ok: false, message: `${dropped}: key not allowed` };
  const parsed = filterSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: describeIssue(parsed.error.issues[0]) };
  const filter = parsed.data as Filter;
  const bytes = filterBytes(filter);
  if (bytes > FILTER_LIMITS.maxBytes) {
    return { ok: false, message: `is ${bytes} bytes as JSON, over the limit of ${FILTER_LIMITS.maxBytes} bytes per subscription` };
  }
  return { ok: true, filter };
}

/** A validated filter's size: the UTF-8 bytes of its JSON (what `FILTER_LIMITS` bound). */
export function filterBytes(filter: Filter): number {
  return utf8Length(JSON.stringify(filter));
}

/** UTF-8 length of a string without encoding it (this module also runs in browsers). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    // A surrogate pair is one 4-byte character; a lone surrogate becomes U+FFFD (3 bytes).
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Finds an object key that zod would skip without an issue, as a dotted path. `z.record`
 * leaves out `__proto__` (copying it would replace the result's prototype) and, like
 * `z.strictObject`, never looks at symbol or non-enumerable keys. A `where` condition under
 * such a key would silently vanish and leave a broader filter than the client asked for, so
 * these keys are refused before zod runs. Iterative, so deep nesting cannot overflow the stack.
 */
function findDroppedKey(input: unknown): string | undefined {
  const pending: Array<{ value: unknown; path: string }> = [{ value: input, path: '' }];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push({ value: item, path: join(path, String(index)) }));
      continue;
    }
    for (const key of Reflect.ownKeys(value)) {
      const name = join(path, String(key));
      if (typeof key === 'symbol' || key === '__proto__' || !Object.prototype.propertyIsEnumerable.call(value, key)) return name;
      pending.push({ value: (value as Record<string, unknown>)[key], path: name });
    }
  }
  return undefined;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** One readable line for the first problem zod found, naming where it is. */
export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  const where = issue.path.length ? issue.path.join('.') : 'value';
  return `${where}: ${issue.message}`;
}

/**
 * How upstream rows become records and publishes (docs/sources.md), as pure functions: the
 * mapping (id, kept and renamed fields), change thresholds, alert rules, the difference
 * between what a channel holds and what upstream says now, and the split of a large difference
 * into publishes the hub accepts.
 */
import { diffMergePatch } from '../protocol/merge-patch';
import { checkJson, checkPublishJson, JSON_LIMITS, MAX_ID_LENGTH, MAX_PUBLISH_ITEMS, type ChannelRecord, type Json, type JsonLimits, type Priority, type PublishInput } from '../protocol';
import type { AlertRule, RecordMapping } from './declared';

const TEMPLATE = /\{([^{}]+)\}/g;

/**
 * The JSON bounds (docs/protocol.md §1) as they apply to one row: a record sits two levels
 * down in a publish (`{upsert: [record]}`), so a row the hub would refuse is skipped here on
 * its own instead of failing every publish of its source.
 */
export const ROW_LIMITS: Readonly<JsonLimits> = Object.freeze({ ...JSON_LIMITS, maxDepth: JSON_LIMITS.maxDepth - 2 });

export type Mapped = { ok: true; record: ChannelRecord } | { ok: false; reason: string };

/**
 * One upstream row (a JSON object) as a record, or why it cannot be one. `context` holds
 * values from outside the row (an MQTT topic's levels) that the id may use; they win over the
 * row's fields of the same name and are not copied into the record.
 *
 * Field names are data, never looked up on prototypes: a field called `constructor` or
 * `__proto__` is an ordinary field (renamed, kept or dropped like any other), and `fields` keeps
 * only fields the row really has.
 */
export function toRecord(row: unknown, mapping: RecordMapping, context: Record<string, string> = {}): Mapped {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { ok: false, reason: 'row is not a JSON object' };
  const bounds = checkJson(row, ROW_LIMITS, 'row');
  if (!bounds.ok) return { ok: false, reason: bounds.message };
  const fields = row as Record<string, Json>;
  const lookup = (field: string): Json | undefined => (Object.hasOwn(context, field) ? context[field] : Object.hasOwn(fields, field) ? fields[field] : undefined);
  const id = recordId(lookup, mapping.id);
  if (id === undefined) return { ok: false, reason: `no usable id from "${mapping.id}"` };
  if (id.length > MAX_ID_LENGTH) return { ok: false, reason: `id longer than ${MAX_ID_LENGTH} characters` };
  const { rename, fields: keep } = mapping;
  const renamed = new Map<string, Json>();
  for (const [field, value] of Object.entries(fields)) renamed.set(rename && Object.hasOwn(rename, field) ? rename[field] : field, value);
  const entries = keep ? keep.filter((field) => renamed.has(field)).map((field) => [field, renamed.get(field)!] as const) : [...renamed];
  // Object.fromEntries defines own properties: a `__proto__` entry stays a field.
  return { ok: true, record: Object.fromEntries([...entries, ['id', id]]) as ChannelRecord };
}

function recordId(lookup: (field: string) => Json | undefined, spec: string): string | undefined {
  const part = (field: string) => {
    const value = lookup(field);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return undefined;
  };
  if (!spec.includes('{')) return part(spec);
  let missing = false;
  const id = spec.replace(TEMPLATE, (_, field: string) => part(field) ?? ((missing = true), ''));
  return missing || id === '' ? undefined : id;
}

export interface Thresholds {
  /** Relative change a number must exceed to count (0.01 = 1%). */
  threshold: number;
  perField: Record<string, number>;
}

/**
 * `next` with every number that moved by no more than its threshold (relative to the held
 * value) kept at the held value, so small jitter publishes nothing and slow drift publishes
 * once it adds up. Anything not a number on both sides counts on any change.
 */
export function withThresholds(held: ChannelRecord | undefined, next: ChannelRecord, { threshold, perField }: Thresholds): ChannelRecord {
  if (!held) return next;
  let result: Record<string, Json> | undefined;
  for (const [field, value] of Object.entries(next)) {
    const before = held[field];
    if (typeof value !== 'number' || typeof before !== 'number' || value === before) continue;
    const limit = perField[field] ?? threshold;
    if (before !== 0 && Math.abs(value - before) <= limit * Math.abs(before)) {
      result ??= { ...next };
      result[field] = before;
    }
  }
  return (result as ChannelRecord | undefined) ?? next;
}

export interface AlertEvent {
  type: string;
  priority: Priority;
  data: { id: string; field: string; from: number; to: number; change: number; percent: number | null };
}

/**
 * The events alert rules make of one record's change from `held` to `next`: `percent` fires
 * on a move of more than that share of the held value, `points` on a move of at least that
 * much, in the rule's direction.
 */
export function alertsFor(held: ChannelRecord | undefined, next: ChannelRecord, rules: readonly AlertRule[]): AlertEvent[] {
  if (!held || rules.length === 0) return [];
  const events: AlertEvent[] = [];
  for (const rule of rules) {
    const from = held[rule.field];
    const to = next[rule.field];
    if (typeof from !== 'number' || typeof to !== 'number' || from === to) continue;
    const change = to - from;
    if ((rule.direction === 'down' && change > 0) || (rule.direction === 'up' && change < 0)) continue;
    const percent = from === 0 ? null : (Math.abs(change) / Math.abs(from)) * 100;
    const fires = rule.points !== undefined ? Math.abs(change) >= rule.points : percent === null || percent > rule.percent!;
    if (!fires) continue;
    events.push({ type: rule.type, priority: rule.priority, data: { id: next.id, field: rule.field, from, to, change, percent: percent === null ? null : round(percent) } });
  }
  return events;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export interface SyncOptions {
  thresholds?: Thresholds;
  alerts?: readonly AlertRule[];
  /** Delete held records that upstream no longer has (a full listing). */
  deleteMissing: boolean;
}

export interface SyncResult {
  /** What to publish, or null when nothing changed. */
  publish: PublishInput | null;
  /** The records the channel holds once it is published. */
  held: Map<string, ChannelRecord>;
}

/**
 * The publish that turns what the channel holds (`held`) into what upstream says (`rows`):
 * merge patches of what changed beyond the thresholds, deletions of vanished ids (for a full
 * listing), and the alert events of the changes.
 */
export function sync(held: ReadonlyMap<string, ChannelRecord>, rows: readonly ChannelRecord[], options: SyncOptions): SyncResult {
  const next = options.deleteMissing ? new Map<string, ChannelRecord>() : new Map(held);
  const upsert: ChannelRecord[] = [];
  const events: AlertEvent[] = [];
  for (const row of rows) {
    const before = held.get(row.id);
    const after = options.thresholds ? withThresholds(before, row, options.thresholds) : row;
    const patch = before ? diffMergePatch(before as Record<string, Json>, after as Record<string, Json>) : (after as Record<string, Json>);
    next.set(row.id, patch ? after : before!);
    if (!patch) continue;
    upsert.push({ ...patch, id: row.id } as ChannelRecord);
    if (options.alerts) events.push(...alertsFor(before, after, options.alerts));
  }
  const deleted = options.deleteMissing ? [...held.keys()].filter((id) => !next.has(id)) : [];
  const input: PublishInput = {
    ...(upsert.length ? { upsert } : {}),
    ...(deleted.length ? { delete: deleted } : {}),
    ...(events.length ? { events } : {}),
  };
  return { publish: upsert.length + deleted.length + events.length ? input : null, held: next };
}

/**
 * `input` as publishes the hub accepts, in order (upserts, then deletions, then events): at
 * most `MAX_PUBLISH_ITEMS` items each, all kinds together, and within the JSON bounds as a
 * whole (the count of values adds up over a publish). Items within the bounds on their own
 * always fit, at worst one per publish. A difference that needs several publishes is not
 * atomic: subscribers may see the first before the next lands.
 */
export function splitPublish(input: PublishInput, maxItems = MAX_PUBLISH_ITEMS): PublishInput[] {
  const items: Array<{ upsert: ChannelRecord } | { delete: string } | { event: NonNullable<PublishInput['events']>[number] }> = [
    ...(input.upsert ?? []).map((upsert) => ({ upsert })),
    ...(input.delete ?? []).map((id) => ({ delete: id })),
    ...(input.events ?? []).map((event) => ({ event })),
  ];
  const publishes: PublishInput[] = [];
  const build = (from: number, to: number): PublishInput => {
    const part: Required<PublishInput> = { upsert: [], delete: [], events: [] };
    for (let i = from; i < to; i++) {
      const item = items[i];
      if ('upsert' in item) part.upsert.push(item.upsert);
      else if ('delete' in item) part.delete.push(item.delete);
      else part.events.push(item.event);
    }
    return {
      ...(part.upsert.length ? { upsert: part.upsert } : {}),
      ...(part.delete.length ? { delete: part.delete } : {}),
      ...(part.events.length ? { events: part.events } : {}),
    };
  };
  const add = (from: number, to: number): void => {
    const part = build(from, to);
    if (to - from > 1 && !checkPublishJson(part).ok) {
      const middle = from + Math.ceil((to - from) / 2);
      add(from, middle);
      add(middle, to);
      return;
    }
    publishes.push(part);
  };
  for (let from = 0; from < items.length; from += maxItems) add(from, Math.min(items.length, from + maxItems));
  return publishes;
}

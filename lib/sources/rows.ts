/**
 * How upstream rows become records and publishes (docs/sources.md), as pure functions: the
 * mapping (id, kept and renamed fields), change thresholds, alert rules, and the difference
 * between what a channel holds and what upstream says now.
 */
import { diffMergePatch } from '../engine/merge-patch';
import type { ChannelRecord, Json, Priority, PublishInput } from '../protocol';
import type { AlertRule, RecordMapping } from './declared';

const MAX_ID_LENGTH = 256;
const TEMPLATE = /\{([^{}]+)\}/g;

export type Mapped = { ok: true; record: ChannelRecord } | { ok: false; reason: string };

/**
 * One upstream row (a JSON object) as a record, or why it cannot be one. `context` holds
 * values from outside the row (an MQTT topic's levels) that the id may use; they win over the
 * row's fields of the same name and are not copied into the record.
 */
export function toRecord(row: unknown, mapping: RecordMapping, context: Record<string, string> = {}): Mapped {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { ok: false, reason: 'row is not a JSON object' };
  const source: Record<string, Json> = { ...(row as Record<string, Json>), ...context };
  const id = recordId(source, mapping.id);
  if (id === undefined) return { ok: false, reason: `no usable id from "${mapping.id}"` };
  const renamed: Record<string, Json> = {};
  for (const [field, value] of Object.entries(row as Record<string, Json>)) renamed[mapping.rename?.[field] ?? field] = value;
  const record: Record<string, Json> = {};
  if (mapping.fields) {
    for (const field of mapping.fields) if (field in renamed) record[field] = renamed[field];
  } else {
    Object.assign(record, renamed);
  }
  return { ok: true, record: { ...record, id } as ChannelRecord };
}

function recordId(row: Record<string, Json>, spec: string): string | undefined {
  const part = (field: string) => {
    const value = row[field];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return undefined;
  };
  let id: string | undefined;
  if (spec.includes('{')) {
    let missing = false;
    id = spec.replace(TEMPLATE, (_, field: string) => part(field) ?? ((missing = true), ''));
    if (missing) return undefined;
  } else {
    id = part(spec);
  }
  return id && id.length <= MAX_ID_LENGTH ? id : undefined;
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

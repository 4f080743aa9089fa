/**
 * Alert rules that keep alert records (docs/sources.md, "Alert records"), as a pure function:
 * a rule with `record` that fires on a row opens an alert record on the rule's channel (status
 * `open`, title, priority, `openedAt`), with an id stable per source, rule and row, so one
 * condition is one alert however many polls see it. While the alert is not resolved, the rule
 * is read against the value it fired from (`from`): with `autoResolve`, once the row's value is
 * no longer past the rule's move from there (or the row is gone), the alert is resolved by
 * `"source"`. Operators' moves (acknowledge, escalate, resolve) are never undone: the function
 * reads what the alerts channel holds now. A rule that fires again after its alert was resolved
 * opens it anew. The fields are those of docs/dashboards.md, "Alerts".
 */
import type { ChannelRecord, Json } from '../protocol';
import type { AlertRule } from './declared';
import { alertsFor } from './rows';

/** Who an alert resolved by its source is attributed to. */
export const SOURCE_ACTOR = 'source';

/** Fields an earlier lifecycle of the same alert may have left, cleared when it opens again. */
const LIFECYCLE_FIELDS = ['acknowledgedBy', 'acknowledgedAt', 'escalatedBy', 'escalatedAt', 'resolvedBy', 'resolvedAt'] as const;

const TEMPLATE = /\{([^{}]+)\}/g;

export interface AlertRecordInput {
  /** The source's name, part of every alert id. */
  source: string;
  rules: readonly AlertRule[];
  /** What the source's channel holds before this listing. */
  held: ReadonlyMap<string, ChannelRecord>;
  /** The listing. */
  rows: readonly ChannelRecord[];
  /** What each alerts channel holds now, by channel. */
  alerts: ReadonlyMap<string, ReadonlyMap<string, ChannelRecord>>;
  now: number;
}

/** The alert id of a rule's condition on one row. */
export function alertRecordId(source: string, rule: Pick<AlertRule, 'type' | 'field'>, rowId: string): string {
  return `${source}:${rule.type}:${rule.field}:${rowId}`;
}

/** The channels the rules keep alert records on. */
export function alertChannels(rules: readonly AlertRule[]): string[] {
  return [...new Set(rules.flatMap((rule) => (rule.record ? [rule.record.channel] : [])))];
}

/**
 * The upserts each alerts channel needs after a listing: new alerts as whole records (with the
 * fields of a previous lifecycle set to `null`, so a merge patch clears them), resolutions as
 * merge patches.
 *
 * @example
 * alertRecordChanges({ source: 'countries', rules, held, rows, alerts, now: Date.now() })
 * // → Map { 'incidents' => [{ id: 'countries:alert.economic:gdp:DE', status: 'open', … }] }
 */
export function alertRecordChanges({ source, rules, held, rows, alerts, now }: AlertRecordInput): Map<string, ChannelRecord[]> {
  const changes = new Map<string, ChannelRecord[]>();
  const add = (channel: string, record: ChannelRecord) => changes.set(channel, [...(changes.get(channel) ?? []), record]);
  const listed = new Map(rows.map((row) => [row.id, row]));
  for (const rule of rules) {
    if (!rule.record) continue;
    const { channel, autoResolve } = rule.record;
    const existing = alerts.get(channel) ?? new Map<string, ChannelRecord>();
    const handled = new Set<string>();
    for (const row of rows) {
      const id = alertRecordId(source, rule, row.id);
      handled.add(id);
      const current = existing.get(id);
      const active = current !== undefined && typeof current.status === 'string' && current.status !== 'resolved';
      if (!active) {
        const [fired] = alertsFor(held.get(row.id), row, [rule]);
        if (!fired) continue;
        const cleared = current ? Object.fromEntries(LIFECYCLE_FIELDS.filter((field) => field in current).map((field) => [field, null])) : {};
        add(channel, {
          ...cleared,
          id,
          status: 'open',
          title: title(rule, row, fired.data),
          priority: rule.priority,
          openedAt: now,
          source,
          type: rule.type,
          record: row.id,
          field: rule.field,
          from: fired.data.from,
          to: fired.data.to,
          percent: fired.data.percent,
        } as ChannelRecord);
        continue;
      }
      if (!autoResolve) continue;
      const from = current.from;
      const stillHolds = typeof from === 'number' && alertsFor({ id: row.id, [rule.field]: from }, row, [rule]).length > 0;
      if (!stillHolds) add(channel, resolution(id, now));
    }
    // The row left the listing: its condition cannot hold any more.
    if (!autoResolve) continue;
    for (const [id, record] of existing) {
      if (handled.has(id) || record.status === 'resolved' || typeof record.status !== 'string') continue;
      if (record.source !== source || record.type !== rule.type || record.field !== rule.field) continue;
      if (typeof record.record === 'string' && !listed.has(record.record)) add(channel, resolution(id, now));
    }
  }
  return changes;
}

function resolution(id: string, now: number): ChannelRecord {
  return { id, status: 'resolved', resolvedBy: SOURCE_ACTOR, resolvedAt: now };
}

/** The rule's title template filled from the row and the move, or a plain default. */
function title(rule: AlertRule, row: ChannelRecord, move: { from: number; to: number; change: number; percent: number | null }): string {
  const values: Record<string, Json> = { ...row, field: rule.field, from: move.from, to: move.to, percent: move.percent ?? '' };
  if (rule.record?.title) {
    return rule.record.title.replace(TEMPLATE, (whole, name: string) => {
      const value = Object.hasOwn(values, name) ? values[name] : undefined;
      return typeof value === 'string' || typeof value === 'number' ? String(value) : whole;
    });
  }
  const how = move.percent !== null ? `${move.percent}%` : `by ${Math.abs(move.change)}`;
  return `${rule.field} of ${row.id} ${move.change < 0 ? 'fell' : 'rose'} ${how} (${move.from} → ${move.to})`;
}

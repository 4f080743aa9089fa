/**
 * What one view (channel + filter) should see: pure functions from engine data to the
 * contents of `delta` and `snapshot` messages (docs/protocol.md §5–§7).
 */
import { diffMergePatch } from '../protocol/merge-patch';
import type { Recovery, RecordChange, ChannelState } from '../engine/types';
import type { ChannelEvent, ChannelRecord, DeltaMessage, Json } from '../protocol';
import type { CompiledFilter } from './filter';

export type DeltaContent = Pick<DeltaMessage, 'upsert' | 'delete' | 'events'>;

/**
 * The delta of a batch window for one view: `changes` hold each record's state at the
 * window's start (`before`) and end (`after`). Records entering the view arrive whole,
 * records leaving it are deleted, the rest carry a merge patch of what this view sees change.
 * Returns null when nothing visible changed.
 */
export function windowDelta(
  changes: Iterable<RecordChange>,
  events: readonly ChannelEvent[],
  filter: CompiledFilter,
): DeltaContent | null {
  const upsert: NonNullable<DeltaContent['upsert']> = [];
  const deleted: string[] = [];
  for (const { id, before, after } of changes) {
    const wasVisible = before !== undefined && filter.matches(before);
    const isVisible = after !== undefined && filter.matches(after);
    if (isVisible) {
      const projected = filter.project(after);
      if (!wasVisible) {
        upsert.push(projected);
      } else {
        const patch = diffMergePatch(filter.project(before) as Record<string, Json>, projected as Record<string, Json>);
        if (patch) upsert.push({ id, ...patch });
      }
    } else if (wasVisible) {
      deleted.push(id);
    }
  }
  const visibleEvents = events.filter((event) => filter.matchesEvent(event));
  return content(upsert, deleted, visibleEvents);
}

/**
 * The catch-up delta after a resume or a stall: every changed record whole (it replaces the
 * client's copy), and a deletion for every record deleted or no longer visible.
 */
export function recoveryDelta(recovery: Extract<Recovery, { ok: true }>, filter: CompiledFilter): DeltaContent {
  const upsert: ChannelRecord[] = [];
  const deleted: string[] = [...recovery.deleted];
  for (const record of recovery.records) {
    if (filter.matches(record)) upsert.push(filter.project(record));
    else deleted.push(record.id);
  }
  const events = recovery.events.filter((event) => filter.matchesEvent(event));
  return content(upsert, deleted, events) ?? {};
}

/**
 * Records visible to the view and its most recent events: at most `maxEvents` of them, and at
 * most `maxEventBytes` in all (each event weighs the UTF-8 length of its JSON). The events are
 * the newest ones that fit, without holes: the first that does not fit ends the list.
 */
export function snapshotView(
  state: ChannelState,
  filter: CompiledFilter,
  maxEvents: number,
  maxEventBytes = Infinity,
): { records: ChannelRecord[]; events: ChannelEvent[] } {
  const records: ChannelRecord[] = [];
  for (const record of state.records) if (filter.matches(record)) records.push(filter.project(record));
  const events: ChannelEvent[] = [];
  let bytes = 0;
  for (let i = state.events.length - 1; i >= 0 && events.length < maxEvents; i--) {
    const event = state.events[i];
    if (!filter.matchesEvent(event)) continue;
    if (maxEventBytes !== Infinity) {
      bytes += Buffer.byteLength(JSON.stringify(event));
      if (bytes > maxEventBytes) break;
    }
    events.push(event);
  }
  return { records, events: events.reverse() };
}

function content(upsert: DeltaContent['upsert'] & object, deleted: string[], events: ChannelEvent[]): DeltaContent | null {
  if (upsert.length === 0 && deleted.length === 0 && events.length === 0) return null;
  const result: DeltaContent = {};
  if (upsert.length) result.upsert = upsert;
  if (deleted.length) result.delete = deleted;
  if (events.length) result.events = events;
  return result;
}

/**
 * What one view (channel + filter) should see: pure functions from engine data to the
 * contents of `delta` and `snapshot` messages (docs/protocol.md §5–§7, §12).
 */
import { diffMergePatch } from '../protocol/merge-patch';
import type { Recovery, RecordChange, ChannelState } from '../engine/types';
import type { ChannelEvent, ChannelRecord, DeltaMessage, Json } from '../protocol';
import type { CompiledFilter } from './filter';

export type DeltaContent = Pick<DeltaMessage, 'upsert' | 'delete' | 'events'>;

/**
 * What happened on one channel over a span of its history, merged: a batch window (commits
 * between two flushes), or a paced window (batch windows between two deltas of a pace).
 */
export interface BatchWindow {
  key: string;
  tenant: string;
  channel: string;
  epoch: string;
  /** Seq every aligned subscriber is at when the window opened. */
  startSeq: number;
  endSeq: number;
  /** Time the first publish of the window was accepted. */
  firstTs: number;
  /** Per record: its state at the window's start and now (`mergeChanges`). */
  changes: Map<string, RecordChange>;
  events: ChannelEvent[];
}

/**
 * Merges the changes of a later span of a channel's history into `into`, which holds each
 * changed record's state at the start of an earlier span (`before`) and at its end (`after`)
 * and is updated in place. A record already there keeps its `before` and takes the later
 * `after`; a record not there yet enters with both of the later span's states (its `before`
 * is its state when the earlier span started too, since it did not change meanwhile). So
 * `windowDelta` over the merged map is exactly the delta of the two spans as one: per record
 * only the latest fields, a record created then updated whole, a record that entered and
 * left the view not at all. Batch windows merge commits this way, and paced subscriptions
 * merge batch windows this way (docs/protocol.md §12).
 */
export function mergeChanges(into: Map<string, RecordChange>, changes: Iterable<RecordChange>): void {
  for (const { id, before, after } of changes) {
    const pending = into.get(id);
    if (pending) pending.after = after;
    // A copy: `into` is updated in place later, and the source may be merged elsewhere too.
    else into.set(id, { id, before, after });
  }
}

/**
 * The delta of a batch window for one view: `changes` hold each record's state at the
 * window's start (`before`) and end (`after`). Records entering the view arrive whole,
 * records leaving it are deleted, the rest carry a merge patch of what this view sees change.
 * Returns null when nothing visible changed.
 *
 * `patches`, shared by the views of one window, keeps the entry (the id and the merge patch) of
 * each change seen whole (a view without `fields`), so that the views it is visible to diff it
 * once and hold the same entry object: the same record states give the same patch, and
 * `encodeDelta` serializes a shared entry once. Only read, like the records a view without
 * `fields` sends.
 */
export function windowDelta(
  changes: Iterable<RecordChange>,
  events: readonly ChannelEvent[],
  filter: CompiledFilter,
  patches?: Map<RecordChange, ChannelRecord | null>,
): DeltaContent | null {
  const upsert: NonNullable<DeltaContent['upsert']> = [];
  const deleted: string[] = [];
  for (const change of changes) {
    const { id, before, after } = change;
    const wasVisible = before !== undefined && filter.matches(before);
    const isVisible = after !== undefined && filter.matches(after);
    if (isVisible) {
      const projected = filter.project(after);
      if (!wasVisible) {
        upsert.push(projected);
      } else {
        const projectedBefore = filter.project(before);
        const whole = patches !== undefined && projected === after && projectedBefore === before;
        let entry = whole ? patches.get(change) : undefined;
        if (entry === undefined) {
          const patch = diffMergePatch(projectedBefore as Record<string, Json>, projected as Record<string, Json>);
          entry = patch && { id, ...patch };
          if (whole) patches.set(change, entry);
        }
        if (entry) upsert.push(entry);
      }
    } else if (wasVisible) {
      deleted.push(id);
    }
  }
  const visibleEvents = events.length === 0 ? NO_EVENTS : events.filter((event) => filter.matchesEvent(event));
  return content(upsert, deleted, visibleEvents);
}

/** The events of a window without any: shared, never changed. */
const NO_EVENTS: ChannelEvent[] = [];

/**
 * A delta message serialized: the bytes of `JSON.stringify` of
 * `{type: 'delta', channel, view?, epoch, prevSeq, seq, ts?, ...content}`, with the JSON of each
 * upsert entry taken from `fragments` (keyed by the entry object) when there, and kept there
 * otherwise. Entries of records views see whole are shared by those views (`windowDelta`), so
 * across the frames of one flush each is serialized once: many distinct views (a map box per
 * subscriber) cost a concatenation per frame rather than a serialization of every entry. The
 * caller keeps `fragments` for one flush only (entries are not changed while it lasts).
 *
 * @example
 * const fragments = new Map<object, string>();
 * encodeDelta('fleet', undefined, 'e1', 4, 5, { upsert: [{ id: 'v1', load: 2 }] }, undefined, fragments).toString()
 * // → '{"type":"delta","channel":"fleet","epoch":"e1","prevSeq":4,"seq":5,"upsert":[{"id":"v1","load":2}]}'
 */
export function encodeDelta(
  channel: string,
  view: string | undefined,
  epoch: string,
  prevSeq: number,
  seq: number,
  content: DeltaContent,
  ts: number | undefined,
  fragments: Map<object, string>,
): Buffer {
  // Integers, written as JSON writes them: seq numbers and a time in ms.
  let text = `{"type":"delta","channel":${JSON.stringify(channel)}`;
  if (view !== undefined) text += `,"view":${JSON.stringify(view)}`;
  text += `,"epoch":${JSON.stringify(epoch)},"prevSeq":${JSON.stringify(prevSeq)},"seq":${JSON.stringify(seq)}`;
  if (ts !== undefined) text += `,"ts":${JSON.stringify(ts)}`;
  if (content.upsert) {
    text += ',"upsert":[';
    for (let i = 0; i < content.upsert.length; i++) {
      const entry = content.upsert[i];
      let json = fragments.get(entry);
      if (json === undefined) {
        json = JSON.stringify(entry);
        fragments.set(entry, json);
      }
      text += i === 0 ? json : `,${json}`;
    }
    text += ']';
  }
  if (content.delete) text += `,"delete":${JSON.stringify(content.delete)}`;
  if (content.events) text += `,"events":${JSON.stringify(content.events)}`;
  return Buffer.from(`${text}}`);
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

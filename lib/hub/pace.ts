/**
 * Paced windows (docs/protocol.md §12, "Pace"): a subscription with `intervalMs` gets at most
 * one delta per interval, holding what changed in between merged as within one batch.
 *
 * The merging is done once per group, not per subscriber: a channel's subscriptions of one
 * pace form a group, and every batch window of the channel that is flushed is merged into
 * each group's pending window (`mergeChanges`). A group goes out when its interval has passed
 * since it last went out (or at once for a critical event): the broadcaster then treats its
 * pending window exactly like a batch window, so per distinct filter the delta is computed
 * once and per (view name, filter, prevSeq) serialized once. A channel with subscriptions at
 * three paces costs three merges per batch window, however many subscribers each pace has.
 *
 * A group's subscriber that is not aligned with the pending window (it subscribed, resumed or
 * drained in the middle of it) is caught up from the history when the group goes out, like a
 * late joiner of a batch window.
 */
import type { RecordChange } from '../engine/types';
import { mergeChanges, type BatchWindow } from './views';

/** A channel's subscriptions of one pace, as the broadcaster flushes them. */
export interface PaceGroup {
  /** The channel key, `tenant/channel`. */
  readonly key: string;
  readonly intervalMs: number;
  /** When the group last went out (ms); never yet: -Infinity. */
  flushedAt: number;
  /** What changed since the group last went out, merged; null when nothing did. */
  pending: BatchWindow | null;
}

export class PacedWindows {
  /** Channel key → pace → group. A group lives while its channel has subscriptions of its pace. */
  private readonly groups = new Map<string, Map<number, PaceGroup>>();

  /** Whether the channel has a group (its latest commit still matters to someone). */
  has(key: string): boolean {
    return this.groups.has(key);
  }

  /** The channel's groups. */
  of(key: string): Iterable<PaceGroup> {
    return this.groups.get(key)?.values() ?? [];
  }

  /** Every group of every channel. */
  *all(): Generator<PaceGroup> {
    for (const byPace of this.groups.values()) yield* byPace.values();
  }

  /** What the channel's group of pace `intervalMs` holds for its next delta, if anything. */
  pending(key: string, intervalMs: number): BatchWindow | null {
    return this.groups.get(key)?.get(intervalMs)?.pending ?? null;
  }

  /**
   * Merges a flushed batch window into the channel's group of pace `intervalMs` (made when
   * missing). A window that does not continue the pending one (a new lineage, or commits that
   * did not reach this instance) replaces it: the subscribers left behind no longer match its
   * start, so they catch up from the history when the group goes out.
   */
  absorb(window: BatchWindow, intervalMs: number): PaceGroup {
    let byPace = this.groups.get(window.key);
    if (!byPace) this.groups.set(window.key, (byPace = new Map()));
    let group = byPace.get(intervalMs);
    if (!group) byPace.set(intervalMs, (group = { key: window.key, intervalMs, flushedAt: Number.NEGATIVE_INFINITY, pending: null }));
    const pending = group.pending;
    if (pending && pending.epoch === window.epoch && pending.endSeq === window.startSeq) {
      mergeChanges(pending.changes, window.changes.values());
      for (const event of window.events) pending.events.push(event);
      pending.endSeq = window.endSeq;
    } else {
      // A map of its own: the group merges into it in place, and other groups start from the same window.
      const changes = new Map<string, RecordChange>();
      mergeChanges(changes, window.changes.values());
      group.pending = { ...window, changes, events: [...window.events] };
    }
    return group;
  }

  /** Whether the group has something to send and its interval since it last went out has passed. */
  isDue(group: PaceGroup, now: number): boolean {
    return group.pending !== null && now - group.flushedAt >= group.intervalMs;
  }

  /** Takes the group's pending window to send it now; the next one is due `intervalMs` later. */
  take(group: PaceGroup, now: number): BatchWindow | null {
    const pending = group.pending;
    if (!pending) return null;
    group.pending = null;
    group.flushedAt = now;
    return pending;
  }

  /** Forgets the groups whose channel has no subscription of their pace any more. */
  sweep(paces: (key: string) => ReadonlyMap<number, unknown> | undefined): void {
    for (const [key, byPace] of this.groups) {
      const held = paces(key);
      for (const intervalMs of byPace.keys()) if (!held?.has(intervalMs)) byPace.delete(intervalMs);
      if (byPace.size === 0) this.groups.delete(key);
    }
  }
}

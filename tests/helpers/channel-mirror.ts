/**
 * A client-side copy of one channel (or of one view of it) built only from `snapshot` and
 * `delta` messages, checking the gap rule on the way: a correct hub never sends a delta whose
 * `prevSeq` is not the last `seq` this mirror saw.
 */
import { applyMergePatch } from '@/lib/protocol/merge-patch';
import type { Json } from '@/lib/protocol';
import type { Msg } from './ws-client';

export class ChannelMirror {
  readonly records = new Map<string, Record<string, unknown>>();
  epoch = '';
  seq = -1;
  /** Deltas that did not continue from the last seq (must stay empty). */
  readonly gaps: Array<{ expected: number; prevSeq: number }> = [];
  snapshots = 0;
  deltas = 0;
  recoveries = 0;

  /** `view`: mirror that view of the channel (docs/protocol.md §12); none: its default view. */
  constructor(
    readonly channel: string,
    readonly view?: string,
  ) {}

  /** Applies a message when it is a snapshot or delta of this channel and view; ignores anything else. */
  apply(message: Msg): void {
    if (message.channel !== this.channel || message.view !== this.view) return;
    if (message.type === 'snapshot') {
      this.snapshots++;
      this.records.clear();
      for (const record of message.records) this.records.set(record.id, record);
      this.epoch = message.epoch;
      this.seq = message.seq;
    } else if (message.type === 'delta') {
      this.deltas++;
      if (message.recovery) this.recoveries++;
      if (message.prevSeq !== this.seq || message.epoch !== this.epoch) this.gaps.push({ expected: this.seq, prevSeq: message.prevSeq });
      for (const id of message.delete ?? []) this.records.delete(id);
      for (const patch of message.upsert ?? []) {
        const current = message.recovery ? undefined : (this.records.get(patch.id) as Json | undefined);
        this.records.set(patch.id, applyMergePatch(current, patch) as Record<string, unknown>);
      }
      this.seq = message.seq;
    }
  }

  /** Records sorted by id, for comparison with a snapshot. */
  sorted(): Array<Record<string, unknown>> {
    return [...this.records.values()].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }
}

export function sortById<T extends { id: unknown }>(records: T[]): T[] {
  return [...records].sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/**
 * How a commit arriving over pub/sub relates to the last one delivered for its channel. Pure,
 * so the decision is unit-tested on its own.
 *
 * - `next`: the following seq (or the first commit seen): deliver.
 * - `duplicate`: at or before what was delivered: drop.
 * - `jump`: seqs were skipped (a pub/sub message lost, for example while Redis reconnected):
 *   deliver; the broadcaster sees that its subscribers are not aligned with the commit and
 *   brings them up to date from the history before anything of it is sent.
 * - `lineage`: a new epoch: deliver; subscribers of the old lineage get a snapshot.
 */
import type { StreamPosition } from '../protocol';

export type Arrival = 'next' | 'duplicate' | 'jump' | 'lineage';

export function classifyArrival(last: StreamPosition | undefined, next: StreamPosition): Arrival {
  if (!last) return 'next';
  if (next.epoch !== last.epoch) return 'lineage';
  if (next.seq <= last.seq) return 'duplicate';
  return next.seq === last.seq + 1 ? 'next' : 'jump';
}

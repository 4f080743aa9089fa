/**
 * Where a source's records go: one channel, through the hub's own publish path (so seq,
 * history, batching and resume apply unchanged). The writer remembers what the channel holds
 * from this source's point of view, starting from the channel's snapshot, and moves that only
 * when a publish was accepted: a refused publish (the engine away) leaves it as it was, and
 * the next attempt publishes the whole difference again.
 *
 * A difference larger than one publish may carry (`MAX_PUBLISH_ITEMS`, the JSON bounds) goes
 * out as several publishes in a row. If one of them is refused after others were accepted,
 * the writer forgets what it held and reads the channel's snapshot again before the next
 * attempt, so that attempt publishes what is still missing.
 */
import type { ChannelRecord, PublishInput } from '../protocol';
import { splitPublish, sync, type SyncOptions } from './rows';
import type { SourceStatus } from './status';

/** What a source needs from the hub. */
export interface SourceHub {
  publish(tenant: string, channel: string, input: PublishInput): Promise<unknown>;
  snapshot(tenant: string, channel: string): Promise<{ records: ChannelRecord[] }>;
}

export class ChannelWriter {
  private held: Map<string, ChannelRecord> | undefined;

  constructor(
    private readonly hub: SourceHub,
    private readonly status: SourceStatus,
  ) {}

  /** Makes the channel equal to `rows` (a full listing): changed records, deletions, alert events. */
  async replaceAll(rows: readonly ChannelRecord[], options: Omit<SyncOptions, 'deleteMissing'> = {}, receivedAt = Date.now()): Promise<void> {
    await this.apply(rows, { ...options, deleteMissing: true }, receivedAt);
  }

  /** Upserts some records (whole rows; what changed is sent as merge patches). */
  async upsert(rows: readonly ChannelRecord[], receivedAt = Date.now()): Promise<void> {
    await this.apply(rows, { deleteMissing: false }, receivedAt);
  }

  /** Publishes as given (a merge patch from upstream, events), for sources that send changes, not listings. */
  async publish(input: PublishInput, receivedAt = Date.now()): Promise<void> {
    this.held = undefined;
    await this.send(input, receivedAt);
  }

  /** Deletes the records among `ids` that the channel holds. */
  async remove(ids: readonly string[], receivedAt = Date.now()): Promise<void> {
    const held = await this.holding();
    const present = ids.filter((id) => held.has(id));
    if (present.length === 0) return;
    await this.send({ delete: present }, receivedAt);
    for (const id of present) held.delete(id);
  }

  /** What the channel holds, as far as this source knows (a map the writer replaces, never changes, on a listing). */
  async records(): Promise<ReadonlyMap<string, ChannelRecord>> {
    return this.holding();
  }

  /** Records the channel holds, as far as this source knows. */
  async count(): Promise<number> {
    return (await this.holding()).size;
  }

  private async apply(rows: readonly ChannelRecord[], options: SyncOptions, receivedAt: number): Promise<void> {
    const { publish, held } = sync(await this.holding(), rows, options);
    if (publish) await this.send(publish, receivedAt);
    this.held = held;
  }

  private async holding(): Promise<Map<string, ChannelRecord>> {
    if (!this.held) {
      const { records } = await this.hub.snapshot(this.status.tenant, this.status.channel);
      this.held = new Map(records.map((record) => [record.id, record]));
    }
    return this.held;
  }

  private async send(input: PublishInput, receivedAt: number): Promise<void> {
    const parts = splitPublish(input);
    for (let i = 0; i < parts.length; i++) {
      try {
        await this.hub.publish(this.status.tenant, this.status.channel, parts[i]);
      } catch (error) {
        if (i > 0) this.held = undefined;
        throw error;
      }
      this.status.recordsPublished += (parts[i].upsert?.length ?? 0) + (parts[i].delete?.length ?? 0);
      this.status.eventsPublished += parts[i].events?.length ?? 0;
    }
    this.status.lagMs = Date.now() - receivedAt;
  }
}

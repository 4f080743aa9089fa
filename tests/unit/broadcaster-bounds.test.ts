/**
 * The broadcaster with many views that have a bounds box, so that its windows consult the
 * bounds index: every subscriber, paced or not, must still mirror exactly what its filter sees,
 * with every delta chaining on the one before.
 */
import { MemoryEngine } from '@/lib/engine/memory';
import { Broadcaster } from '@/lib/hub/broadcaster';
import type { Connection } from '@/lib/hub/connection';
import { compileFilter } from '@/lib/hub/filter';
import { HubStats } from '@/lib/hub/stats';
import { Subscription, SubscriptionIndex } from '@/lib/hub/subscription';
import { snapshotView } from '@/lib/hub/views';
import { channelKey } from '@/lib/protocol/channel';
import type { Filter } from '@/lib/protocol/filter';
import type { ChannelRecord, DeltaMessage, PublishInput, ServerMessage, SnapshotMessage } from '@/lib/protocol/messages';
import { applyMergePatch } from '@/lib/protocol/merge-patch';
import type { Json } from '@/lib/protocol';
import { seededRandom as prng } from '@/lib/demo/random';

const T0 = 1_767_225_600_000;
const TENANT = 'acme';
const CHANNEL = 'fleet';

/** The part of `Connection` the broadcaster uses, mirroring the one subscription it holds. */
class MirrorConnection {
  readonly id = 'c_test';
  readonly session = null;
  lastActivityAt = 0;
  readonly subscriptions = new Map<string, Subscription>();
  bufferedBytes = 0;
  stalledSince: number | null = null;
  isOpen = true;
  readonly records = new Map<string, ChannelRecord>();
  seq = -1;
  frames = 0;
  readonly errors: string[] = [];

  canTakeMore(): boolean {
    return true;
  }
  sendFrame(frame: Buffer): void {
    this.apply(JSON.parse(frame.toString('utf8')) as ServerMessage);
  }
  send(message: ServerMessage): void {
    this.apply(JSON.parse(JSON.stringify(message)) as ServerMessage);
  }
  drained(): void {}
  close(): void {
    this.isOpen = false;
  }

  private apply(message: ServerMessage): void {
    if (message.type === 'snapshot') {
      const snapshot = message as SnapshotMessage;
      this.records.clear();
      for (const record of snapshot.records) this.records.set(record.id, record);
      this.seq = snapshot.seq;
    } else if (message.type === 'delta') {
      const delta = message as DeltaMessage;
      this.frames++;
      if (delta.prevSeq !== this.seq) this.errors.push(`delta ${delta.prevSeq}→${delta.seq} after ${this.seq}`);
      for (const id of delta.delete ?? []) this.records.delete(id);
      for (const entry of delta.upsert ?? []) {
        const current = this.records.get(entry.id);
        const whole = delta.recovery === true || current === undefined;
        this.records.set(entry.id, whole ? (entry as ChannelRecord) : (applyMergePatch(current as Json, entry as Json) as ChannelRecord));
      }
      this.seq = delta.seq;
    }
  }
}


beforeEach(() => {
  jest.useFakeTimers({ now: T0, doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
});

describe.each([1, 2, 3])('Broadcaster with many bounds views (seed %i)', (seed) => {
  it('gives every subscriber exactly what its box sees, with chained deltas', async () => {
    const random = prng(seed);
    const int = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
    const engine = new MemoryEngine({ historySize: 1000, historyTtlMs: 300_000 });
    const index = new SubscriptionIndex();
    const broadcaster = new Broadcaster(engine, index, new HubStats(), { batchMs: 100, snapshotEvents: 50, slowConsumerTimeoutMs: 30_000 });
    engine.onCommit((commit) => broadcaster.ingest(commit));
    const publish = (input: PublishInput) => engine.publishSync(TENANT, CHANNEL, input);

    // Coordinates on a coarse lattice so that points often lie on box and cell edges, near the antimeridian too.
    const lat = () => int(-9, 9) * 10;
    const lon = () => (random() < 0.3 ? [180, -180, 170, -170][int(0, 3)] : int(-18, 18) * 10);
    const position = (): Record<string, unknown> => {
      const pick = random();
      if (pick < 0.1) return {};
      if (pick < 0.15) return { lat: String(lat()), lon: lon() };
      return { lat: lat() + (random() < 0.5 ? 0 : int(-5, 5)), lon: lon() };
    };
    const box = (): Filter['bounds'] => {
      const south = int(-9, 8) * 10;
      const west = int(-18, 17) * 10;
      const crossing = random() < 0.25;
      return { south, north: Math.min(90, south + int(0, 3) * 10), west: crossing ? int(15, 18) * 10 : west, east: crossing ? int(-18, -15) * 10 : Math.min(180, west + int(0, 4) * 10) };
    };

    for (let i = 0; i < 60; i++) publish({ upsert: [{ id: `v${i}`, n: 0, ...position() } as ChannelRecord] });

    const subscribers: Array<{ connection: MirrorConnection; filter: Filter }> = [];
    for (let i = 0; i < 40; i++) {
      const filter: Filter = i % 10 === 0 ? {} : i % 7 === 0 ? { where: { n: { gte: 3 } } } : { bounds: box(), ...(i % 5 === 0 ? { fields: ['lat', 'lon'] } : {}) };
      const connection = new MirrorConnection();
      const sub = new Subscription(connection as unknown as Connection, TENANT, CHANNEL, channelKey(TENANT, CHANNEL), compileFilter(filter), {
        intervalMs: i % 3 === 0 ? 300 : undefined,
      });
      index.add(sub);
      await broadcaster.initialize(sub, undefined, () => {});
      subscribers.push({ connection, filter });
    }

    for (let tick = 0; tick < 60; tick++) {
      for (let p = int(0, 6); p > 0; p--) {
        const id = `v${int(0, 69)}`;
        if (random() < 0.1) publish({ delete: [id] });
        else publish({ upsert: [{ id, n: int(0, 5), ...position() } as ChannelRecord], ...(random() < 0.05 ? { events: [{ type: 'note' }] } : {}) });
      }
      jest.advanceTimersByTime(100);
      broadcaster.tick();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    broadcaster.flushAll();

    const state = await engine.snapshot(TENANT, CHANNEL);
    let frames = 0;
    for (const { connection, filter } of subscribers) {
      expect(connection.errors).toEqual([]);
      const expected = snapshotView(state, compileFilter(filter), 0).records;
      expect([...connection.records.values()].sort((a, b) => a.id.localeCompare(b.id))).toEqual(expected.sort((a, b) => a.id.localeCompare(b.id)));
      frames += connection.frames;
    }
    expect(frames).toBeGreaterThan(100);
  });
});

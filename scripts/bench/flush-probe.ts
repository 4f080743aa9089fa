/**
 * The broadcaster's view machinery alone: the viewport workload's channel (300 fleet records,
 * 100 changes a flush) and a bounds box per subscriber, flushed with sockets that take every
 * frame and write nothing. What it prints, CPU µs per frame, is what deciding visibility,
 * building deltas and encoding frames cost without the socket writes the full benchmark
 * measures beside them (docs/benchmarks.md, "Views").
 *
 *   npx tsx scripts/bench/flush-probe.ts [subscribers=5000] [flushes=300]
 */
import { MemoryEngine } from '../../lib/engine/memory';
import { Broadcaster } from '../../lib/hub/broadcaster';
import type { Connection } from '../../lib/hub/connection';
import { compileFilter } from '../../lib/hub/filter';
import { HubStats } from '../../lib/hub/stats';
import { Subscription, SubscriptionIndex } from '../../lib/hub/subscription';
import { channelKey } from '../../lib/protocol/channel';
import { FLEET_RECORDS, recordId, seedRecord, subscriberBox } from './workload';

const TENANT = 'bench';
const CHANNEL = 'fleet';
const CHANGES_PER_FLUSH = 100;
const WARM_UP_FLUSHES = 50;

/** The part of a connection the broadcaster uses: always ready, counting what it is given. */
class NullConnection {
  readonly subscriptions = new Map<string, Subscription>();
  readonly logContext = {};
  stalledSince: number | null = null;
  isOpen = true;
  frames = 0;

  canTakeMore(): boolean {
    return true;
  }

  sendFrame(): void {
    this.frames++;
  }
}

async function main(): Promise<void> {
  const subscribers = Number(process.argv[2] ?? 5000);
  const flushes = Number(process.argv[3] ?? 300);
  const engine = new MemoryEngine({ historySize: 1000, historyTtlMs: 300_000 });
  const index = new SubscriptionIndex();
  const broadcaster = new Broadcaster(engine, index, new HubStats(), { batchMs: 100, snapshotEvents: 0, slowConsumerTimeoutMs: 30_000 });
  engine.onCommit((commit) => broadcaster.ingest(commit));
  for (let r = 0; r < FLEET_RECORDS; r++) engine.publishSync(TENANT, CHANNEL, { upsert: [seedRecord(r, true)] });
  broadcaster.tick();

  const connections: NullConnection[] = [];
  for (let i = 0; i < subscribers; i++) {
    const connection = new NullConnection();
    connections.push(connection);
    const sub = new Subscription(connection as unknown as Connection, TENANT, CHANNEL, channelKey(TENANT, CHANNEL), compileFilter({ bounds: subscriberBox(i) }));
    index.add(sub);
    await broadcaster.initialize(sub, undefined, () => {});
  }

  let k = 0;
  const run = (count: number) => {
    for (let flush = 0; flush < count; flush++) {
      for (let u = 0; u < CHANGES_PER_FLUSH; u++, k++) engine.publishSync(TENANT, CHANNEL, { upsert: [{ id: recordId(k % FLEET_RECORDS), value: k, t: k }] });
      broadcaster.tick();
    }
  };
  const frames = () => connections.reduce((sum, connection) => sum + connection.frames, 0);

  run(WARM_UP_FLUSHES);
  const before = frames();
  const cpu = process.cpuUsage();
  run(flushes);
  const used = process.cpuUsage(cpu);
  const sent = frames() - before;
  const micros = used.user + used.system;
  console.log(`${subscribers} boxes, ${flushes} flushes: ${sent} frames, ${(micros / 1000).toFixed(0)} ms CPU, ${(micros / sent).toFixed(2)} µs per frame`);
}

void main();

import { MemoryEngine } from '@/lib/engine/memory';
import { Broadcaster, type BroadcasterOptions } from '@/lib/hub/broadcaster';
import type { Connection } from '@/lib/hub/connection';
import { compileFilter } from '@/lib/hub/filter';
import { HubStats } from '@/lib/hub/stats';
import type { Logger } from '@/lib/log';
import { channelKey } from '@/lib/protocol/channel';
import { Subscription, SubscriptionIndex } from '@/lib/hub/subscription';
import type { Filter } from '@/lib/protocol/filter';
import type { ChannelRecord, DeltaMessage, PublishInput, ServerMessage, SnapshotMessage, StreamPosition } from '@/lib/protocol/messages';
import { applyMergePatch } from '@/lib/protocol/merge-patch';
import type { Json } from '@/lib/protocol';
import { captureLogs } from '../helpers/log-capture';

const T0 = 1_767_225_600_000;
const TENANT = 'acme';
const OPTIONS: BroadcasterOptions = { batchMs: 100, snapshotEvents: 50, slowConsumerTimeoutMs: 30_000 };
/** The fake sockets' slow-consumer limit (`PULSE_SLOW_CONSUMER_BYTES`). */
const SLOW_CONSUMER_BYTES = 1000;

/** What a socket was handed: shared bytes (`frame`) or a per-socket message (`send`). */
type Received = { via: 'frame'; frame: Buffer; message: ServerMessage } | { via: 'send'; message: ServerMessage };

/** The part of `Connection` the broadcaster uses, recording everything written to it. */
class FakeConnection {
  readonly id = 'c_test';
  readonly session = null;
  lastActivityAt = 0;
  drainedCalls = 0;
  readonly received: Received[] = [];
  readonly subscriptions = new Map<string, Subscription>();
  readonly closes: Array<{ code: number; reason: string }> = [];
  bufferedBytes = 0;
  stalledSince: number | null = null;
  isOpen = true;

  /** Flow control as `Connection` does it, against `SLOW_CONSUMER_BYTES`. */
  canTakeMore(resuming = false): boolean {
    return this.bufferedBytes <= (resuming ? SLOW_CONSUMER_BYTES / 2 : SLOW_CONSUMER_BYTES);
  }

  sendFrame(frame: Buffer): void {
    this.received.push({ via: 'frame', frame, message: JSON.parse(frame.toString('utf8')) as ServerMessage });
  }

  send(message: ServerMessage): void {
    this.received.push({ via: 'send', message: JSON.parse(JSON.stringify(message)) as ServerMessage });
  }

  drained(): void {
    this.drainedCalls++;
  }

  close(code: number, reason = ''): void {
    this.closes.push({ code, reason });
    this.isOpen = false;
  }

  /** Everything received since the last call. */
  take(): Received[] {
    return this.received.splice(0);
  }

  /** Frames received since the last call, asserting there was nothing else. */
  takeFrames(): Buffer[] {
    const taken = this.take();
    for (const r of taken) expect(r.via).toBe('frame');
    return taken.map((r) => (r as Extract<Received, { via: 'frame' }>).frame);
  }
}

const rec = (id: string, fields: Record<string, unknown> = {}) => ({ id, ...fields }) as ChannelRecord;
const delta = (r: Received) => r.message as DeltaMessage;
/** Lets pending promise continuations (snapshots, catch-ups) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(options: BroadcasterOptions = OPTIONS, log?: Logger) {
  const engine = new MemoryEngine({ historySize: 1000, historyTtlMs: 300_000 });
  const index = new SubscriptionIndex();
  const stats = new HubStats();
  const broadcaster = new Broadcaster(engine, index, stats, options, log);
  engine.onCommit((commit) => broadcaster.ingest(commit));

  const publish = (input: PublishInput, channel = 'kpi') => engine.publishSync(TENANT, channel, input);

  /** Subscribes like the hub does, and consumes the initial snapshot or recovery delta. */
  async function subscribe(
    filter: Filter = {},
    options: { channel?: string; since?: StreamPosition; connection?: FakeConnection; view?: string; intervalMs?: number } = {},
  ) {
    const connection = options.connection ?? new FakeConnection();
    const channel = options.channel ?? 'kpi';
    const sub = new Subscription(connection as unknown as Connection, TENANT, channel, channelKey(TENANT, channel), compileFilter(filter), {
      view: options.view,
      intervalMs: options.intervalMs,
    });
    index.add(sub);
    let recovered: boolean | undefined;
    await broadcaster.initialize(sub, options.since, (r) => (recovered = r));
    await settle();
    const initial = connection.take();
    return { connection, sub, initial, recovered };
  }

  return { engine, index, stats, broadcaster, publish, subscribe };
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0, doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('Broadcaster: batch windows', () => {
  it('sends nothing before the window is flushed', async () => {
    const { publish, subscribe } = setup();
    const { connection } = await subscribe();
    publish({ upsert: [rec('q1', { waiting: 1 })] });
    expect(connection.received).toEqual([]);
  });

  it('flushes every batchMs once started', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection } = await subscribe();
    broadcaster.start();
    try {
      publish({ upsert: [rec('q1', { waiting: 1 })] });
      jest.advanceTimersByTime(99);
      expect(connection.received).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(connection.takeFrames()).toHaveLength(1);
    } finally {
      broadcaster.stop();
    }
  });

  it('merges several patches to one record in a window into one upsert entry', async () => {
    const { publish, subscribe, broadcaster, engine } = setup();
    const { connection } = await subscribe();
    publish({ upsert: [rec('q1', { waiting: 1, sla: 'ok', geo: { lat: 1, lon: 2 } })] });
    broadcaster.tick();
    connection.take();

    publish({ upsert: [rec('q1', { waiting: 2 })] });
    publish({ upsert: [rec('q1', { waiting: 3, sla: null })] });
    publish({ upsert: [rec('q1', { geo: { lon: 5 } }), rec('q2', { waiting: 9 })] });
    publish({ upsert: [rec('q2', { waiting: 10 })] });
    broadcaster.tick();

    const [frame, ...rest] = connection.take();
    expect(rest).toEqual([]);
    expect(frame.message).toEqual({
      type: 'delta',
      channel: 'kpi',
      epoch: engine.epoch,
      prevSeq: 1,
      seq: 5,
      upsert: [
        { id: 'q1', waiting: 3, sla: null, geo: { lon: 5 } },
        { id: 'q2', waiting: 10 },
      ],
    });
  });

  it('sends at most one delta per subscriber per tick, and none for an empty tick', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection } = await subscribe();
    for (let i = 0; i < 10; i++) publish({ upsert: [rec(`r${i}`, { v: i })], events: [{ type: 'tick' }] });
    broadcaster.tick();
    const frames = connection.takeFrames();
    expect(frames).toHaveLength(1);
    const message = JSON.parse(frames[0].toString()) as DeltaMessage;
    expect(message.upsert).toHaveLength(10);
    expect(message.events!.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    broadcaster.tick();
    broadcaster.tick();
    expect(connection.received).toEqual([]);
  });

  it('chains prevSeq across ticks', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection, initial } = await subscribe();
    expect(initial.map((r) => r.message)).toMatchObject([{ type: 'snapshot', seq: 0, gap: false }]);

    const seen: Array<[number, number]> = [];
    const rounds = [1, 2, 1, 3];
    let n = 0;
    for (const publishes of rounds) {
      for (let i = 0; i < publishes; i++) publish({ upsert: [rec('q1', { n: ++n })] });
      broadcaster.tick();
      for (const r of connection.take()) seen.push([delta(r).prevSeq, delta(r).seq]);
    }
    expect(seen).toEqual([
      [0, 1],
      [1, 3],
      [3, 4],
      [4, 7],
    ]);
  });

  it('delivers a window with only deletions and events', async () => {
    const { publish, subscribe, broadcaster } = setup();
    publish({ upsert: [rec('a'), rec('b')] });
    broadcaster.tick();
    const { connection } = await subscribe();
    publish({ delete: ['a', 'ghost'], events: [{ type: 'alert.x', priority: 'high', data: { q: 1 } }] });
    broadcaster.tick();
    expect(connection.take().map((r) => r.message)).toEqual([
      {
        type: 'delta',
        channel: 'kpi',
        epoch: expect.any(String),
        prevSeq: 1,
        seq: 2,
        delete: ['a'],
        events: [{ seq: 2, ts: T0, type: 'alert.x', priority: 'high', data: { q: 1 } }],
      },
    ]);
  });

  it('sends a record created and deleted in one window as nothing, but still advances seq', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection, sub } = await subscribe();
    publish({ upsert: [rec('temp')] });
    publish({ delete: ['temp'] });
    broadcaster.tick();
    expect(connection.received).toEqual([]);
    expect(sub.syncedSeq).toBe(2);
    publish({ upsert: [rec('kept')] });
    broadcaster.tick();
    expect(connection.take().map((r) => [delta(r).prevSeq, delta(r).seq])).toEqual([[0, 3]]);
  });

  it('keeps channels apart', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const kpi = await subscribe({}, { channel: 'kpi' });
    const fleet = await subscribe({}, { channel: 'fleet' });
    publish({ upsert: [rec('q1')] }, 'kpi');
    publish({ upsert: [rec('q2')] }, 'kpi');
    publish({ upsert: [rec('v1')] }, 'fleet');
    broadcaster.tick();
    expect(kpi.connection.take().map((r) => [r.message.type, delta(r).channel, delta(r).seq])).toEqual([['delta', 'kpi', 2]]);
    expect(fleet.connection.take().map((r) => [r.message.type, delta(r).channel, delta(r).seq])).toEqual([['delta', 'fleet', 1]]);
  });

  it('stops delivering to a removed subscription', async () => {
    const { publish, subscribe, broadcaster, index } = setup();
    const { connection, sub } = await subscribe();
    index.remove(sub);
    publish({ upsert: [rec('q1')] });
    broadcaster.tick();
    expect(connection.received).toEqual([]);
  });

  it('records delivery latency once per delivered delta', async () => {
    const { publish, subscribe, broadcaster, stats } = setup();
    await subscribe();
    await subscribe();
    await subscribe({ ids: ['other'] });
    publish({ upsert: [rec('q1')] });
    jest.advanceTimersByTime(7);
    broadcaster.tick();
    expect(stats.latency.total).toBe(2);
    expect(stats.latency.sum).toBe(14);
    expect(stats.flushes).toBe(1);
  });
});

describe('Broadcaster: serialize once per view', () => {
  it('hands subscribers with the same filter the very same Buffer', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const a = await subscribe({ where: { status: 'online' }, fields: ['load'] });
    const b = await subscribe({ fields: ['load'], where: { status: 'online' } }); // same filter, other key order
    const c = await subscribe();
    const d = await subscribe();
    publish({ upsert: [rec('v1', { status: 'online', load: 1, lat: 4 })] });
    broadcaster.tick();

    const [fa] = a.connection.takeFrames();
    const [fb] = b.connection.takeFrames();
    const [fc] = c.connection.takeFrames();
    const [fd] = d.connection.takeFrames();
    expect(fb).toBe(fa);
    expect(fd).toBe(fc);
    expect(fc).not.toBe(fa);
    expect(JSON.parse(fa.toString()).upsert).toEqual([{ id: 'v1', load: 1 }]);
    expect(JSON.parse(fc.toString()).upsert).toEqual([{ id: 'v1', status: 'online', load: 1, lat: 4 }]);
  });

  it('serializes separately for subscribers of one view at different prevSeq', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const a = await subscribe();
    publish({ upsert: [rec('q1', { v: 1 })] });
    // b subscribes between windows: its snapshot is at seq 1 while a is still at 0.
    const b = await subscribe();
    expect(b.initial.map((r) => r.message)).toMatchObject([{ type: 'snapshot', seq: 1 }]);
    broadcaster.tick();
    expect(a.connection.takeFrames()).toHaveLength(1);
    expect(b.connection.received).toEqual([]); // already holds seq 1

    publish({ upsert: [rec('q1', { v: 2 })] });
    broadcaster.tick();
    const [fa] = a.connection.takeFrames();
    const [fb] = b.connection.takeFrames();
    expect(fb).toBe(fa);
    expect(JSON.parse(fa.toString())).toMatchObject({ prevSeq: 1, seq: 2 });
  });

  it('keeps a subscriber that saw nothing aligned, with prevSeq at its last sent seq', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const all = await subscribe();
    const online = await subscribe({ where: { status: 'online' } });

    publish({ upsert: [rec('v1', { status: 'offline', load: 1 })] });
    broadcaster.tick();
    publish({ upsert: [rec('v1', { load: 2 })] });
    broadcaster.tick();
    expect(all.connection.takeFrames()).toHaveLength(2);
    expect(online.connection.received).toEqual([]);
    expect(online.sub.syncedSeq).toBe(2);
    expect(online.sub.sentSeq).toBe(0);

    publish({ upsert: [rec('v1', { status: 'online' })] });
    broadcaster.tick();
    const [received, ...rest] = online.connection.take();
    expect(rest).toEqual([]);
    expect(received.via).toBe('frame');
    expect(received.message).toEqual({
      type: 'delta',
      channel: 'kpi',
      epoch: expect.any(String),
      prevSeq: 0,
      seq: 3,
      upsert: [{ id: 'v1', status: 'online', load: 2 }],
    });
    expect(received.message).not.toHaveProperty('recovery');
  });

  it('serializes one frame per prevSeq within one view', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const first = await subscribe({ where: { status: 'online' } });
    publish({ upsert: [rec('v1', { status: 'offline' })] });
    broadcaster.tick(); // invisible: first stays at sent seq 0
    const second = await subscribe({ where: { status: 'online' } }); // snapshot at seq 1
    const third = await subscribe({ where: { status: 'online' } });
    publish({ upsert: [rec('v2', { status: 'online' })] });
    broadcaster.tick();
    const [f1] = first.connection.takeFrames();
    const [f2] = second.connection.takeFrames();
    const [f3] = third.connection.takeFrames();
    expect(f3).toBe(f2);
    expect(f1).not.toBe(f2);
    expect(JSON.parse(f1.toString())).toMatchObject({ prevSeq: 0, seq: 2, upsert: [{ id: 'v2', status: 'online' }] });
    expect(JSON.parse(f2.toString())).toMatchObject({ prevSeq: 1, seq: 2, upsert: [{ id: 'v2', status: 'online' }] });
  });
});

describe('Broadcaster: critical events', () => {
  it('flushes the channel at once, without waiting for the tick', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection } = await subscribe();
    const other = await subscribe({}, { channel: 'other' });
    publish({ upsert: [rec('q1', { v: 1 })] });
    publish({ upsert: [rec('v9')] }, 'other');
    publish({ upsert: [rec('q1', { v: 2 })], events: [{ type: 'alert.down', priority: 'critical' }] });

    const [received, ...rest] = connection.take();
    expect(rest).toEqual([]);
    expect(received.message).toMatchObject({
      prevSeq: 0,
      seq: 2,
      upsert: [{ id: 'q1', v: 2 }],
      events: [{ seq: 2, type: 'alert.down', priority: 'critical' }],
    });
    expect(other.connection.received).toEqual([]); // other channels wait for the tick

    broadcaster.tick();
    expect(connection.received).toEqual([]);
    expect(other.connection.takeFrames()).toHaveLength(1);

    publish({ upsert: [rec('q1', { v: 3 })] });
    broadcaster.tick();
    expect(connection.take().map((r) => [delta(r).prevSeq, delta(r).seq])).toEqual([[2, 3]]);
  });

  it('does not flush early for high-priority events', async () => {
    const { publish, subscribe } = setup();
    const { connection } = await subscribe();
    publish({ events: [{ type: 'alert.sla', priority: 'high' }] });
    expect(connection.received).toEqual([]);
  });
});

describe('Broadcaster: late joiners', () => {
  it('resumes a subscriber that joins mid-window with a recovery delta, then shares the frames', async () => {
    const { publish, subscribe, broadcaster, engine } = setup();
    const early = await subscribe();
    publish({ upsert: [rec('q1', { v: 1, sla: 'ok' })] });
    broadcaster.tick();
    early.connection.take();

    publish({ upsert: [rec('q1', { v: 2, sla: null })], events: [{ type: 'e2' }] }); // window opens at 1
    const late = await subscribe({}, { since: { epoch: engine.epoch, seq: 1 } });
    expect(late.recovered).toBe(true);
    expect(late.initial).toHaveLength(1);
    expect(late.initial[0].via).toBe('frame');
    expect(late.initial[0].message).toEqual({
      type: 'delta',
      channel: 'kpi',
      epoch: engine.epoch,
      prevSeq: 1,
      seq: 2,
      upsert: [{ id: 'q1', v: 2 }],
      events: [{ seq: 2, ts: T0, type: 'e2', priority: 'normal' }],
      recovery: true,
    });

    broadcaster.tick(); // the window it already holds: nothing more for it
    expect(late.connection.received).toEqual([]);
    expect(early.connection.take().map((r) => [delta(r).prevSeq, delta(r).seq])).toEqual([[1, 2]]);

    publish({ upsert: [rec('q1', { v: 3 })] });
    broadcaster.tick();
    const [fe] = early.connection.takeFrames();
    const [fl] = late.connection.takeFrames();
    expect(fl).toBe(fe);
    expect(JSON.parse(fe.toString())).toMatchObject({ prevSeq: 2, seq: 3, upsert: [{ id: 'q1', v: 3 }] });
  });

  it('brings a subscriber that joined mid-window up to date with a recovery delta at the flush', async () => {
    const { publish, subscribe, broadcaster, engine } = setup();
    const early = await subscribe();
    publish({ upsert: [rec('q1', { v: 1, sla: 'ok' }), rec('q2', { v: 1 })] }); // window opens at 0
    const late = await subscribe(); // snapshot at seq 1, inside the open window
    expect(late.initial.map((r) => r.message)).toMatchObject([{ type: 'snapshot', seq: 1, gap: false }]);
    publish({ upsert: [rec('q1', { v: 2, sla: null })], delete: ['q2'] }); // same window
    broadcaster.tick();
    await settle();

    // The window's delta starts at 0, which the late joiner is past: it catches up from 1 instead.
    expect(early.connection.take().map((r) => [r.via, delta(r).prevSeq, delta(r).seq])).toEqual([['frame', 0, 2]]);
    expect(late.connection.take().map((r) => [r.via, r.message])).toEqual([
      [
        'frame',
        { type: 'delta', channel: 'kpi', epoch: engine.epoch, prevSeq: 1, seq: 2, upsert: [{ id: 'q1', v: 2 }], delete: ['q2'], recovery: true },
      ],
    ]);

    publish({ upsert: [rec('q1', { v: 3 })] });
    broadcaster.tick();
    await settle();
    const [fe] = early.connection.takeFrames();
    const [fl] = late.connection.takeFrames();
    expect(fl).toBe(fe);
    expect(JSON.parse(fl.toString())).toMatchObject({ prevSeq: 2, seq: 3, upsert: [{ id: 'q1', v: 3 }] });
  });

  it('answers an unrecoverable since with a snapshot marked as a gap', async () => {
    const { publish, subscribe, engine } = setup();
    publish({ upsert: [rec('q1', { v: 1 })] });
    const stale = await subscribe({}, { since: { epoch: 'e_old', seq: 1 } });
    expect(stale.recovered).toBe(false);
    expect(stale.initial.map((r) => r.message)).toEqual([
      { type: 'snapshot', channel: 'kpi', epoch: engine.epoch, seq: 1, records: [{ id: 'q1', v: 1 }], events: [], gap: true },
    ]);
    const ahead = await subscribe({}, { since: { epoch: engine.epoch, seq: 5 } });
    expect(ahead.recovered).toBe(false);
    expect(ahead.initial.map((r) => r.message)).toMatchObject([{ type: 'snapshot', seq: 1, gap: true }]);
  });

  it('catches up a subscriber whose snapshot raced a flush, then aligns it', async () => {
    const { publish, broadcaster, index, engine } = setup();
    const early = new FakeConnection();
    const earlySub = new Subscription(early as unknown as Connection, TENANT, 'kpi', channelKey(TENANT, 'kpi'), compileFilter({}));
    index.add(earlySub);
    await broadcaster.initialize(earlySub, undefined, () => {});
    early.take();

    publish({ upsert: [rec('q1', { v: 1 })] });
    const late = new FakeConnection();
    const lateSub = new Subscription(late as unknown as Connection, TENANT, 'kpi', channelKey(TENANT, 'kpi'), compileFilter({}));
    index.add(lateSub);
    // The snapshot (seq 1) is read now, but delivered after this flush of seq 2.
    const initialized = broadcaster.initialize(lateSub, undefined, () => {});
    publish({ upsert: [rec('q1', { v: 2 })] });
    broadcaster.tick();
    await initialized;
    await settle();

    expect(late.take().map((r) => [r.via, r.message])).toEqual([
      ['frame', { type: 'snapshot', channel: 'kpi', epoch: engine.epoch, seq: 1, records: [{ id: 'q1', v: 1 }], events: [], gap: false }],
      ['frame', { type: 'delta', channel: 'kpi', epoch: engine.epoch, prevSeq: 1, seq: 2, upsert: [{ id: 'q1', v: 2 }], recovery: true }],
    ]);

    early.take();
    publish({ upsert: [rec('q1', { v: 3 })] });
    broadcaster.tick();
    const [fe] = early.takeFrames();
    const [fl] = late.takeFrames();
    expect(fl).toBe(fe);
  });

  it('lets a subscriber whose snapshot is at the start of an open window join it without a catch-up', async () => {
    const { publish, subscribe, broadcaster, index } = setup();
    const early = await subscribe();
    const late = new FakeConnection();
    const lateSub = new Subscription(late as unknown as Connection, TENANT, 'kpi', channelKey(TENANT, 'kpi'), compileFilter({}));
    index.add(lateSub);
    const initialized = broadcaster.initialize(lateSub, undefined, () => {}); // snapshot read at seq 0
    publish({ upsert: [rec('q1', { v: 1 })] }); // opens a window at 0 before the snapshot is sent
    await initialized;
    await settle();
    expect(late.take().map((r) => [r.via, r.message.type])).toEqual([['frame', 'snapshot']]);

    broadcaster.tick();
    await settle();
    const [fe] = early.connection.takeFrames();
    const [fl] = late.takeFrames();
    expect(fl).toBe(fe);
  });

  it('catches up a subscriber left behind the window start at the next flush', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection, sub } = await subscribe();
    publish({ upsert: [rec('q1', { v: 1 })] });
    broadcaster.tick();
    connection.take();
    // Pretend the last two deliveries never happened (e.g. a bug elsewhere): it is at seq 0.
    sub.sentSeq = sub.syncedSeq = 0;
    publish({ upsert: [rec('q2', { v: 2 })] });
    broadcaster.tick();
    await settle();
    const received = connection.take();
    expect(received.map((r) => [r.via, delta(r).recovery, delta(r).prevSeq, delta(r).seq])).toEqual([['frame', true, 0, 2]]);
    expect(delta(received[0]).upsert).toEqual(
      expect.arrayContaining([
        { id: 'q1', v: 1 },
        { id: 'q2', v: 2 },
      ]),
    );
  });
});

describe('Broadcaster: commits that never arrived (a shared engine lost a message)', () => {
  /** A broadcaster whose engine loses the commits `lose` names on their way to `ingest`. */
  function lossySetup(lose: (seq: number) => boolean) {
    const engine = new MemoryEngine({ historySize: 1000, historyTtlMs: 300_000 });
    const index = new SubscriptionIndex();
    const broadcaster = new Broadcaster(engine, index, new HubStats(), OPTIONS);
    engine.onCommit((commit) => lose(commit.seq) || broadcaster.ingest(commit));
    const connection = new FakeConnection();
    const sub = new Subscription(connection as unknown as Connection, TENANT, 'kpi', channelKey(TENANT, 'kpi'), compileFilter({}));
    index.add(sub);
    const publish = (input: PublishInput) => engine.publishSync(TENANT, 'kpi', input);
    return { engine, broadcaster, connection, sub, publish };
  }

  it('repairs a seq jump from the history before sending anything of it', async () => {
    const { broadcaster, connection, sub, publish } = lossySetup((seq) => seq === 2);
    await broadcaster.initialize(sub, undefined, () => {});
    connection.take();
    publish({ upsert: [rec('a', { v: 1 })] });
    broadcaster.tick();
    publish({ upsert: [rec('b', { v: 1 })] }); // lost on the way
    publish({ upsert: [rec('c', { v: 1 })] });
    broadcaster.tick();
    await settle();
    const received = connection.take().map(delta);
    expect(received.map((d) => [d.prevSeq, d.seq, d.recovery ?? false])).toEqual([
      [0, 1, false],
      [1, 3, true],
    ]);
    expect(received[1].upsert).toEqual(expect.arrayContaining([{ id: 'b', v: 1 }, { id: 'c', v: 1 }]));
  });

  it('brings subscribers up to date when the engine reports a channel stale', async () => {
    const { engine, broadcaster, connection, sub, publish } = lossySetup(() => true);
    await broadcaster.initialize(sub, undefined, () => {});
    connection.take();
    publish({ upsert: [rec('a', { v: 1 })] });
    publish({ delete: ['a'], upsert: [rec('b', { v: 2 })] });
    broadcaster.tick();
    expect(connection.take()).toEqual([]);
    broadcaster.stale(channelKey(TENANT, 'kpi'), { epoch: engine.epoch, seq: 2 });
    await settle();
    const received = connection.take().map(delta);
    expect(received).toEqual([expect.objectContaining({ prevSeq: 0, seq: 2, recovery: true, upsert: [{ id: 'b', v: 2 }] })]);
    // Reported again at the same position: nothing more to send.
    broadcaster.stale(channelKey(TENANT, 'kpi'), { epoch: engine.epoch, seq: 2 });
    await settle();
    expect(connection.take()).toEqual([]);
  });
});

describe('Broadcaster: slow consumers', () => {
  it('holds back a stalled socket, then sends one recovery delta once it drains', async () => {
    const { publish, subscribe, broadcaster, stats } = setup();
    const fast = await subscribe();
    const slow = await subscribe();
    publish({ upsert: [rec('q1', { v: 1, sla: 'ok' })] });
    broadcaster.tick();
    fast.connection.take();
    slow.connection.take();

    slow.connection.bufferedBytes = 5000;
    publish({ upsert: [rec('q1', { v: 2 })] });
    broadcaster.tick();
    expect(fast.connection.takeFrames()).toHaveLength(1);
    expect(slow.connection.received).toEqual([]);
    expect(slow.connection.stalledSince).toBe(T0);
    expect(broadcaster.slowConsumers).toBe(1);
    expect(stats.slowConsumerEvents).toBe(1);

    publish({ upsert: [rec('q1', { sla: null })], events: [{ type: 'e3' }] });
    publish({ upsert: [rec('q2', { v: 1 })] });
    publish({ delete: ['q2'] });
    broadcaster.tick();
    expect(fast.connection.takeFrames()).toHaveLength(1);
    expect(slow.connection.received).toEqual([]);

    // Under the limit but not yet drained far enough: still held back.
    slow.connection.bufferedBytes = 800;
    publish({ events: [{ type: 'e6' }] });
    broadcaster.tick();
    await settle();
    expect(fast.connection.takeFrames()).toHaveLength(1);
    expect(slow.connection.received).toEqual([]);

    slow.connection.bufferedBytes = 0;
    broadcaster.tick();
    await settle();
    const received = slow.connection.take();
    expect(received.map((r) => [r.via, r.message])).toEqual([
      [
        'frame',
        {
          type: 'delta',
          channel: 'kpi',
          epoch: expect.any(String),
          prevSeq: 1,
          seq: 6,
          upsert: [{ id: 'q1', v: 2 }],
          delete: ['q2'],
          events: [
            { seq: 3, ts: T0, type: 'e3', priority: 'normal' },
            { seq: 6, ts: T0, type: 'e6', priority: 'normal' },
          ],
          recovery: true,
        },
      ],
    ]);
    expect(slow.connection.stalledSince).toBeNull();
    expect(slow.connection.drainedCalls).toBe(1);
    expect(broadcaster.slowConsumers).toBe(0);

    broadcaster.tick();
    await settle();
    expect(slow.connection.received).toEqual([]);

    publish({ upsert: [rec('q1', { v: 7 })] });
    broadcaster.tick();
    const [ff] = fast.connection.takeFrames();
    const [fs] = slow.connection.takeFrames();
    expect(fs).toBe(ff);
    expect(JSON.parse(fs.toString())).toMatchObject({ prevSeq: 6, seq: 7 });
  });

  it('holds back a catch-up for a socket over the limit until it drains', async () => {
    const { publish, subscribe, broadcaster, engine } = setup();
    await subscribe();
    publish({ upsert: [rec('q1', { v: 1 })] }); // window opens at 0
    const late = await subscribe(); // snapshot at 1: it will need a catch-up at the flush
    publish({ upsert: [rec('q1', { v: 2 })] });
    late.connection.bufferedBytes = 5000;
    broadcaster.tick();
    await settle();
    expect(late.connection.received).toEqual([]);
    expect(late.connection.stalledSince).not.toBeNull();
    expect(broadcaster.slowConsumers).toBe(1);

    late.connection.bufferedBytes = 0;
    broadcaster.tick();
    await settle();
    expect(late.connection.take().map((r) => [r.via, r.message])).toEqual([
      ['frame', { type: 'delta', channel: 'kpi', epoch: engine.epoch, prevSeq: 1, seq: 2, upsert: [{ id: 'q1', v: 2 }], recovery: true }],
    ]);
  });

  it('sends no catch-up for a subscription that missed nothing during the stall', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const connection = new FakeConnection();
    await subscribe({}, { channel: 'kpi', connection });
    await subscribe({}, { channel: 'fleet', connection });
    connection.bufferedBytes = 5000;
    publish({ upsert: [rec('q1')] }, 'kpi');
    broadcaster.tick();
    connection.bufferedBytes = 0;
    broadcaster.tick();
    await settle();
    expect(connection.take().map((r) => [r.via, delta(r).channel, delta(r).recovery, delta(r).seq])).toEqual([['frame', 'kpi', true, 1]]);
  });

  it('holds back every subscription of a stalled socket until it drains below half the limit', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const connection = new FakeConnection();
    await subscribe({}, { channel: 'kpi', connection });
    await subscribe({}, { channel: 'fleet', connection });
    connection.bufferedBytes = 5000;
    publish({ upsert: [rec('q1')] }, 'kpi'); // stalls the socket; fleet is still aligned
    broadcaster.tick();
    connection.bufferedBytes = 800;
    publish({ upsert: [rec('v1')] }, 'fleet');
    broadcaster.tick();
    await settle();
    expect(connection.received).toEqual([]);

    connection.bufferedBytes = 500;
    broadcaster.tick();
    await settle();
    expect(connection.take().map((r) => [r.via, delta(r).channel, delta(r).recovery, delta(r).seq]).sort()).toEqual([
      ['frame', 'fleet', true, 1],
      ['frame', 'kpi', true, 1],
    ]);
  });

  it('recovers every subscription of a drained socket', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const connection = new FakeConnection();
    await subscribe({}, { channel: 'kpi', connection });
    await subscribe({}, { channel: 'fleet', connection });
    connection.bufferedBytes = 2000;
    publish({ upsert: [rec('q1')] }, 'kpi');
    publish({ upsert: [rec('v1')] }, 'fleet');
    broadcaster.tick();
    expect(connection.received).toEqual([]);
    connection.bufferedBytes = 0;
    broadcaster.tick();
    await settle();
    const received = connection.take();
    expect(received.map((r) => [r.via, delta(r).channel, delta(r).recovery]).sort()).toEqual([
      ['frame', 'fleet', true],
      ['frame', 'kpi', true],
    ]);
  });

  it('closes a socket that stays stalled for the timeout with 1013', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const slow = await subscribe();
    slow.connection.bufferedBytes = 5000;
    publish({ upsert: [rec('q1')] });
    broadcaster.tick();
    expect(slow.connection.stalledSince).toBe(T0);

    jest.advanceTimersByTime(OPTIONS.slowConsumerTimeoutMs - 1);
    broadcaster.tick();
    expect(slow.connection.closes).toEqual([]);

    jest.advanceTimersByTime(1);
    broadcaster.tick();
    expect(slow.connection.closes).toEqual([{ code: 1013, reason: expect.any(String) }]);
    expect(slow.connection.drainedCalls).toBe(1); // reading resumes to see the peer's close
    expect(broadcaster.slowConsumers).toBe(0);
    expect(slow.connection.received).toEqual([]);

    broadcaster.tick();
    expect(slow.connection.closes).toHaveLength(1);
  });

  it('forgets a stalled socket that closed on its own', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const slow = await subscribe();
    slow.connection.bufferedBytes = 5000;
    publish({ upsert: [rec('q1')] });
    broadcaster.tick();
    expect(broadcaster.slowConsumers).toBe(1);
    slow.connection.isOpen = false;
    broadcaster.tick();
    expect(broadcaster.slowConsumers).toBe(0);
    jest.advanceTimersByTime(OPTIONS.slowConsumerTimeoutMs);
    broadcaster.tick();
    expect(slow.connection.closes).toEqual([]);
  });

  it('sends a gap snapshot after a stall when history no longer reaches', async () => {
    const engine = new MemoryEngine({ historySize: 2, historyTtlMs: 300_000 });
    const index = new SubscriptionIndex();
    const broadcaster = new Broadcaster(engine, index, new HubStats(), OPTIONS);
    engine.onCommit((commit) => broadcaster.ingest(commit));
    const connection = new FakeConnection();
    const sub = new Subscription(connection as unknown as Connection, TENANT, 'kpi', channelKey(TENANT, 'kpi'), compileFilter({}));
    index.add(sub);
    await broadcaster.initialize(sub, undefined, () => {});
    connection.take();

    connection.bufferedBytes = 5000;
    for (let i = 1; i <= 4; i++) engine.publishSync(TENANT, 'kpi', { upsert: [rec('q1', { v: i })] });
    broadcaster.tick();
    connection.bufferedBytes = 0;
    broadcaster.tick();
    await settle();
    expect(connection.take().map((r) => r.message)).toEqual([
      { type: 'snapshot', channel: 'kpi', epoch: engine.epoch, seq: 4, records: [{ id: 'q1', v: 4 }], events: [], gap: true },
    ]);
  });
});

describe('Broadcaster: data that cannot be serialized', () => {
  /** A value whose serialization throws while `armed` (as a BigInt or a too-deep value would). */
  function trap() {
    const state = { armed: true };
    const value = {
      toJSON: () => {
        if (state.armed) throw new TypeError('cannot serialize');
        return 'fine';
      },
    };
    return { state, value };
  }

  it('catches a window that throws, counts and logs it, resyncs its subscribers, and keeps flushing', async () => {
    const logs = captureLogs();
    const { publish, subscribe, broadcaster, stats } = setup(OPTIONS, logs.log);
    const a = await subscribe();
    const b = await subscribe();
    const fleet = await subscribe({}, { channel: 'fleet' });
    publish({ upsert: [rec('q1', { v: 1 })] });
    broadcaster.tick();
    a.connection.take();
    b.connection.take();

    // Server code that bypassed the hub's checks: the engine takes it, the window cannot be sent.
    const { state, value } = trap();
    publish({ upsert: [rec('q1', { v: value })] });
    publish({ upsert: [rec('v1', { lat: 1 })] }, 'fleet');
    expect(() => broadcaster.tick()).not.toThrow();
    expect(stats.flushErrors).toBe(1);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'flush failed: resyncing the channel', tenant: TENANT, channel: 'kpi', seq: 2 }),
    );
    // The other channel's window went out in the same tick.
    expect(fleet.connection.takeFrames()).toHaveLength(1);

    // Once the value can be serialized again, each subscriber is brought up to date from the history.
    state.armed = false;
    await settle();
    for (const { connection } of [a, b]) {
      expect(connection.take().map((r) => r.message)).toEqual([
        { type: 'delta', channel: 'kpi', epoch: expect.any(String), prevSeq: 1, seq: 2, upsert: [{ id: 'q1', v: 'fine' }], recovery: true },
      ]);
    }

    // ...and later deltas flow as before, shared.
    publish({ upsert: [rec('q1', { v: 3 })] });
    broadcaster.tick();
    const [frameA] = a.connection.takeFrames();
    const [frameB] = b.connection.takeFrames();
    expect(frameA).toBe(frameB);
    expect(JSON.parse(frameA.toString())).toMatchObject({ type: 'delta', prevSeq: 2, seq: 3, upsert: [{ id: 'q1', v: 3 }] });
    expect(stats.flushErrors).toBe(1);
  });

  it('never lets a bad window escape ingest: a critical event flushes at once, and the failure is caught there too', async () => {
    const { publish, subscribe, stats } = setup();
    await subscribe();
    expect(() => publish({ events: [{ type: 'boom', priority: 'critical', data: { n: 1n } as never }] })).toThrow(TypeError);
    // The engine refused it before committing (it weighs events by their JSON): nothing to flush.
    expect(stats.flushErrors).toBe(0);

    const { value } = trap();
    expect(() => publish({ upsert: [rec('q1', { v: value })], events: [{ type: 'alarm', priority: 'critical' }] })).not.toThrow();
    expect(stats.flushErrors).toBe(1);
  });

  it('closes with 1011 a subscriber whose catch-up cannot be serialized either, instead of leaving it behind', async () => {
    const logs = captureLogs();
    const { publish, subscribe, broadcaster, stats } = setup(OPTIONS, logs.log);
    const all = await subscribe();
    const other = await subscribe({ ids: ['q2'] });

    publish({ upsert: [rec('q1', { v: 1n } as never)] }); // stays in the channel
    broadcaster.tick();
    await settle();
    expect(all.connection.closes).toEqual([{ code: 1011, reason: 'internal error' }]);
    expect(stats.flushErrors).toBe(2); // the window, then the catch-up
    expect(logs.entries()).toContainEqual(expect.objectContaining({ level: 50, msg: 'catch-up failed: closing the connection', channel: 'kpi' }));

    // A view that does not see the record is unaffected.
    other.connection.take();
    publish({ upsert: [rec('q2', { v: 2 })] });
    broadcaster.tick();
    await settle();
    expect(other.connection.take().map((r) => delta(r).upsert)).toEqual([[{ id: 'q2', v: 2 }]]);
    expect(other.connection.closes).toEqual([]);
  });

  it('serializes a first snapshot or recovery before the reply, so a failure leaves the request its one reply', async () => {
    const { publish, index, engine, broadcaster } = setup();
    publish({ upsert: [rec('q1', { v: 1n } as never)] });
    for (const since of [undefined, { epoch: engine.epoch, seq: 0 }]) {
      const connection = new FakeConnection();
      const sub = new Subscription(connection as unknown as Connection, TENANT, 'kpi', channelKey(TENANT, 'kpi'), compileFilter({}));
      index.add(sub);
      const replies: boolean[] = [];
      await expect(broadcaster.initialize(sub, since, (recovered) => replies.push(recovered))).rejects.toThrow('subscriber data could not be serialized');
      expect(replies).toEqual([]);
      expect(connection.received).toEqual([]);
      index.remove(sub);
    }

    const connection = new FakeConnection();
    const sub = new Subscription(connection as unknown as Connection, TENANT, 'other', channelKey(TENANT, 'other'), compileFilter({}));
    index.add(sub);
    await broadcaster.initialize(sub, undefined, () => {});
    expect((connection.take()[0].message as SnapshotMessage).type).toBe('snapshot');
    publish({ upsert: [rec('x', { v: 1n } as never)] }, 'other');
    let replied = false;
    await expect(broadcaster.resync(sub, () => (replied = true))).rejects.toThrow();
    expect(replied).toBe(false);
    expect(connection.take()).toEqual([]);
  });
});

describe('Broadcaster: snapshot events byte cap', () => {
  it('sends in a snapshot only the most recent events that fit in snapshotEventsMaxBytes', async () => {
    const { publish, subscribe } = setup({ ...OPTIONS, snapshotEventsMaxBytes: 600 });
    for (let i = 1; i <= 5; i++) publish({ events: [{ type: `e${i}`, data: { text: 'x'.repeat(200) } }] });
    const { initial } = await subscribe();
    expect((initial[0].message as SnapshotMessage).events.map((e) => e.type)).toEqual(['e4', 'e5']);
  });
});

describe('Broadcaster: the channels it remembers', () => {
  const IDLE_MS = 60_000;
  const later = (ms: number) => jest.setSystemTime(Date.now() + ms);

  it('forgets a channel once nobody subscribes to it and nobody published to it for headIdleMs', async () => {
    const { publish, subscribe, broadcaster, index } = setup({ ...OPTIONS, headIdleMs: IDLE_MS });
    const watched = await subscribe({}, { channel: 'watched' });
    publish({ upsert: [rec('a', { v: 1 })] }, 'watched');
    publish({ upsert: [rec('a', { v: 1 })] }, 'idle');
    broadcaster.tick();
    expect(broadcaster.trackedChannels).toBe(2);

    later(IDLE_MS / 2);
    publish({ upsert: [rec('a', { v: 1 })] }, 'busy');
    broadcaster.tick();
    expect(broadcaster.trackedChannels).toBe(3);

    // `idle` is past the limit; `watched` is as old but has a subscriber; `busy` is recent.
    later(IDLE_MS / 2 + 1);
    broadcaster.tick();
    expect(broadcaster.trackedChannels).toBe(2);

    index.remove(watched.sub);
    later(IDLE_MS);
    broadcaster.tick();
    expect(broadcaster.trackedChannels).toBe(0);
  });

  it('serves a channel it forgot like any other: the first state from the engine, then deltas', async () => {
    const { publish, subscribe, broadcaster } = setup({ ...OPTIONS, headIdleMs: IDLE_MS });
    publish({ upsert: [rec('a', { v: 1 })] }, 'idle');
    publish({ upsert: [rec('b', { v: 1 })] }, 'idle');
    broadcaster.tick();
    later(2 * IDLE_MS);
    broadcaster.tick();
    expect(broadcaster.trackedChannels).toBe(0);

    const { connection, initial } = await subscribe({}, { channel: 'idle' });
    expect(initial.map((r) => r.message)).toEqual([expect.objectContaining({ type: 'snapshot', seq: 2, records: [{ id: 'a', v: 1 }, { id: 'b', v: 1 }] })]);
    publish({ upsert: [rec('a', { v: 2 })] }, 'idle');
    broadcaster.tick();
    expect(connection.take().map(delta)).toEqual([expect.objectContaining({ prevSeq: 2, seq: 3, upsert: [{ id: 'a', v: 2 }] })]);
  });
});

describe('Broadcaster: views (docs/protocol.md §12)', () => {
  it('gives each view of one channel its own deltas, named by its view; the default view names none', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const connection = new FakeConnection();
    await subscribe({}, { connection });
    await subscribe({ where: { status: 'online' }, fields: ['load'] }, { connection, view: 'online' });
    publish({ upsert: [rec('v1', { status: 'online', load: 1 }), rec('v2', { status: 'offline', load: 2 })] });
    broadcaster.tick();
    const frames = connection.takeFrames().map((frame) => frame.toString());
    expect(frames).toHaveLength(2);
    const [plain, named] = frames[0].includes('"view"') ? [frames[1], frames[0]] : frames;
    expect(plain.startsWith('{"type":"delta","channel":"kpi","epoch":')).toBe(true);
    expect(named.startsWith('{"type":"delta","channel":"kpi","view":"online","epoch":')).toBe(true);
    expect(JSON.parse(named).upsert).toEqual([{ id: 'v1', load: 1 }]);
    expect(JSON.parse(plain).upsert).toHaveLength(2);
  });

  it('names the view in its snapshot and in its recovery delta', async () => {
    const { publish, subscribe, engine } = setup();
    publish({ upsert: [rec('q1', { v: 1 })] });
    const first = await subscribe({}, { view: 'chart' });
    expect(first.initial.map((r) => r.message)).toEqual([
      { type: 'snapshot', channel: 'kpi', view: 'chart', epoch: engine.epoch, seq: 1, records: [{ id: 'q1', v: 1 }], events: [], gap: false },
    ]);
    publish({ upsert: [rec('q1', { v: 2 })] });
    const resumed = await subscribe({}, { view: 'chart', since: { epoch: engine.epoch, seq: 1 } });
    expect(resumed.recovered).toBe(true);
    expect(resumed.initial.map((r) => r.message)).toEqual([
      { type: 'delta', channel: 'kpi', view: 'chart', epoch: engine.epoch, prevSeq: 1, seq: 2, upsert: [{ id: 'q1', v: 2 }], recovery: true },
    ]);
  });

  it('serializes once per view name and filter: one view shares a Buffer, another name or filter gets its own', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const filter = { where: { status: 'online' } };
    const a = await subscribe(filter, { view: 'map' });
    const b = await subscribe({ where: { status: 'online' } }, { view: 'map' });
    const c = await subscribe(filter, { view: 'table' });
    const d = await subscribe(filter);
    const e = await subscribe({}, { view: 'map' });
    publish({ upsert: [rec('v1', { status: 'online' })] });
    broadcaster.tick();
    const [fa, fb, fc, fd, fe] = [a, b, c, d, e].map(({ connection }) => connection.takeFrames()[0]);
    expect(fb).toBe(fa);
    for (const other of [fc, fd, fe]) expect(other).not.toBe(fa);
    expect(JSON.parse(fc.toString())).toMatchObject({ view: 'table', upsert: [{ id: 'v1', status: 'online' }] });
    expect(JSON.parse(fd.toString())).not.toHaveProperty('view');
  });

  it('catches every view of a slow consumer up once it drains, each named by its view', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const connection = new FakeConnection();
    await subscribe({}, { connection });
    await subscribe({ ids: ['q2'] }, { connection, view: 'q2' });
    await subscribe({}, { connection, view: 'slow', intervalMs: 1000 });
    connection.bufferedBytes = 5000;
    publish({ upsert: [rec('q1', { v: 1 }), rec('q2', { v: 1 })] });
    broadcaster.tick();
    expect(connection.received).toEqual([]);
    connection.bufferedBytes = 0;
    broadcaster.tick();
    await settle();
    const messages = connection.take().map((r) => r.message as DeltaMessage);
    expect(messages.map((m) => [m.view, m.recovery, m.prevSeq, m.seq, m.upsert?.map((u) => u.id)])).toEqual(
      expect.arrayContaining([
        [undefined, true, 0, 1, ['q1', 'q2']],
        ['q2', true, 0, 1, ['q2']],
        ['slow', true, 0, 1, ['q1', 'q2']],
      ]),
    );
    expect(messages).toHaveLength(3);
  });
});

describe('Broadcaster: pace (docs/protocol.md §12)', () => {
  it('sends a paced subscription at most one delta per interval, ending exact, while others get every batch', async () => {
    const { publish, subscribe, broadcaster, engine } = setup();
    publish({ upsert: [rec('q1', { n: 0, sla: 'ok' })] });
    broadcaster.tick();
    const paced = await subscribe({}, { view: 'chart', intervalMs: 1000 });
    const every = await subscribe();
    const mirror = new Map<string, Json>([['q1', { id: 'q1', n: 0, sla: 'ok' }]]);
    const sentAt: number[] = [];
    let lastSeq = 1;
    broadcaster.start();
    try {
      for (let i = 1; i <= 60; i++) {
        publish(i % 7 === 0 ? { delete: [`r${i - 1}`], upsert: [rec('q1', { sla: i % 2 ? null : 'late' })] } : { upsert: [rec('q1', { n: i }), rec(`r${i}`, { i })] });
        jest.advanceTimersByTime(50);
        for (const r of paced.connection.take()) {
          sentAt.push(Date.now());
          const message = delta(r);
          expect(message).toMatchObject({ type: 'delta', view: 'chart', prevSeq: lastSeq });
          expect(message).not.toHaveProperty('recovery');
          lastSeq = message.seq;
          for (const id of message.delete ?? []) mirror.delete(id);
          for (const entry of message.upsert ?? []) mirror.set(entry.id, applyMergePatch(mirror.get(entry.id), entry as Json));
        }
      }
      jest.advanceTimersByTime(1000);
      for (const r of paced.connection.take()) {
        sentAt.push(Date.now());
        for (const id of delta(r).delete ?? []) mirror.delete(id);
        for (const entry of delta(r).upsert ?? []) mirror.set(entry.id, applyMergePatch(mirror.get(entry.id), entry as Json));
      }
    } finally {
      broadcaster.stop();
    }
    // 3 s of publishes every 50 ms: at most 4 deltas, at least 1000 ms apart.
    expect(sentAt.length).toBeGreaterThanOrEqual(3);
    expect(sentAt.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i] - sentAt[i - 1]).toBeGreaterThanOrEqual(1000);
    expect(every.connection.takeFrames().length).toBeGreaterThanOrEqual(25);
    const state = await engine.snapshot(TENANT, 'kpi');
    expect(Object.fromEntries(mirror)).toEqual(Object.fromEntries(state.records.map((r) => [r.id, r])));
    expect(paced.sub.sentSeq).toBe(state.seq);
  });

  it('merges what changed between two deltas as within one batch', async () => {
    const { publish, subscribe, broadcaster } = setup();
    publish({ upsert: [rec('q1', { status: 'online', a: 1, b: 1 }), rec('gone', { status: 'online' })] });
    broadcaster.tick();
    const { connection } = await subscribe({ where: { status: 'online' } }, { intervalMs: 1000 });
    publish({ upsert: [rec('q1', { a: 2 })] });
    broadcaster.tick(); // the group's first delta goes out at once
    expect(connection.take().map((r) => delta(r).upsert)).toEqual([[{ id: 'q1', a: 2 }]]);

    publish({ upsert: [rec('q1', { b: 2 }), rec('n1', { status: 'online', x: 1 })] });
    jest.advanceTimersByTime(100);
    broadcaster.tick();
    publish({ upsert: [rec('q1', { b: null }), rec('n1', { y: 2 }), rec('v1', { status: 'offline' })] });
    jest.advanceTimersByTime(100);
    broadcaster.tick();
    publish({ upsert: [rec('v1', { status: 'online' })], delete: ['gone'] });
    jest.advanceTimersByTime(100);
    broadcaster.tick();
    publish({ upsert: [rec('v1', { status: 'offline' })] });
    jest.advanceTimersByTime(100);
    broadcaster.tick();
    expect(connection.received).toEqual([]);

    jest.advanceTimersByTime(600);
    broadcaster.tick();
    expect(connection.take().map((r) => r.message)).toEqual([
      {
        type: 'delta',
        channel: 'kpi',
        epoch: expect.any(String),
        prevSeq: 2,
        seq: 6,
        upsert: [
          { id: 'q1', b: null },
          { id: 'n1', status: 'online', x: 1, y: 2 },
        ],
        delete: ['gone'],
      },
    ]);
  });

  it('lets a critical event reach a paced subscription at once, with what was pending', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection } = await subscribe({}, { intervalMs: 5000 });
    publish({ upsert: [rec('q1', { v: 1 })] });
    broadcaster.tick();
    expect(connection.takeFrames()).toHaveLength(1);
    publish({ upsert: [rec('q1', { v: 2 })] });
    broadcaster.tick();
    expect(connection.received).toEqual([]);
    publish({ events: [{ type: 'alert.down', priority: 'critical' }] });
    expect(connection.take().map((r) => r.message)).toEqual([
      {
        type: 'delta',
        channel: 'kpi',
        epoch: expect.any(String),
        prevSeq: 1,
        seq: 3,
        upsert: [{ id: 'q1', v: 2 }],
        events: [{ seq: 3, ts: T0, type: 'alert.down', priority: 'critical' }],
      },
    ]);
    // The next delta waits a whole interval from there.
    publish({ upsert: [rec('q1', { v: 4 })] });
    jest.advanceTimersByTime(4900);
    broadcaster.tick();
    expect(connection.received).toEqual([]);
    jest.advanceTimersByTime(100);
    broadcaster.tick();
    expect(connection.take().map((r) => [delta(r).prevSeq, delta(r).seq])).toEqual([[3, 4]]);
  });

  it('shares one Buffer between subscribers of one view and pace, not across paces', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const a = await subscribe({}, { view: 'chart', intervalMs: 1000 });
    const b = await subscribe({}, { view: 'chart', intervalMs: 1000 });
    const c = await subscribe({}, { view: 'chart', intervalMs: 2000 });
    publish({ upsert: [rec('q1', { v: 1 })] });
    broadcaster.tick();
    const [fa] = a.connection.takeFrames();
    const [fb] = b.connection.takeFrames();
    const [fc] = c.connection.takeFrames();
    expect(fb).toBe(fa);
    expect(fc).not.toBe(fa);
    expect(fc.toString()).toBe(fa.toString());
  });

  it('catches a paced subscriber that joined mid-interval up when its pace goes out, then shares the frames', async () => {
    const { publish, subscribe, broadcaster, engine } = setup();
    const early = await subscribe({}, { intervalMs: 1000 });
    publish({ upsert: [rec('q1', { v: 1, sla: 'ok' })] });
    broadcaster.tick();
    expect(early.connection.takeFrames()).toHaveLength(1);

    publish({ upsert: [rec('q1', { v: 2 })] });
    broadcaster.tick(); // pending from seq 1
    const late = await subscribe({}, { intervalMs: 1000 }); // snapshot at seq 2
    publish({ upsert: [rec('q1', { sla: null })] });
    jest.advanceTimersByTime(1000);
    broadcaster.tick();
    await settle();
    expect(early.connection.take().map((r) => r.message)).toEqual([
      { type: 'delta', channel: 'kpi', epoch: engine.epoch, prevSeq: 1, seq: 3, upsert: [{ id: 'q1', v: 2, sla: null }] },
    ]);
    expect(late.connection.take().map((r) => r.message)).toEqual([
      { type: 'delta', channel: 'kpi', epoch: engine.epoch, prevSeq: 2, seq: 3, upsert: [{ id: 'q1', v: 2 }], recovery: true },
    ]);

    publish({ upsert: [rec('q1', { v: 4 })] });
    jest.advanceTimersByTime(1000);
    broadcaster.tick();
    const [fe] = early.connection.takeFrames();
    const [fl] = late.connection.takeFrames();
    expect(fl).toBe(fe);
  });

  it('advances a paced subscriber silently when nothing it sees changed', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection, sub } = await subscribe({ ids: ['mine'] }, { intervalMs: 1000 });
    publish({ upsert: [rec('other')] });
    broadcaster.tick();
    expect(connection.received).toEqual([]);
    expect(sub.syncedSeq).toBe(1);
    expect(sub.sentSeq).toBe(0);
  });

  it('keeps no group for a pace nobody holds any more', async () => {
    const { publish, subscribe, broadcaster, index } = setup({ ...OPTIONS, headIdleMs: 1000 });
    const { sub } = await subscribe({}, { intervalMs: 5000 });
    publish({ upsert: [rec('q1')] });
    broadcaster.tick();
    publish({ upsert: [rec('q1', { v: 2 })] });
    broadcaster.tick();
    index.remove(sub);
    broadcaster.tick();
    jest.advanceTimersByTime(1000);
    broadcaster.tick();
    // Nothing left that needs the channel: its head is forgotten like that of any unwatched channel.
    expect(broadcaster.trackedChannels).toBe(0);
  });

  it('flushes pending paced deltas on shutdown', async () => {
    const { publish, subscribe, broadcaster } = setup();
    const { connection } = await subscribe({}, { intervalMs: 60_000 });
    publish({ upsert: [rec('q1', { v: 1 })] });
    broadcaster.tick();
    connection.take();
    publish({ upsert: [rec('q1', { v: 2 })] });
    broadcaster.flushAll();
    expect(connection.take().map((r) => delta(r).upsert)).toEqual([[{ id: 'q1', v: 2 }]]);
  });
});

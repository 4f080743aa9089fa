/**
 * The Redis engine (docs/scaling.md): channel state and history in Redis, shared by every
 * instance on the same `REDIS_URL` and prefix. Each publish is one Lua script, so concurrent
 * publishers on several instances still make one gap-free seq order per channel; the script
 * publishes the commit, and every instance watching the channel (it has subscribers there)
 * receives it over pub/sub, in Redis's order, and feeds it to its broadcaster.
 *
 * Each channel's epoch lives in Redis. Instances remember the highest position they saw per
 * channel; a channel that Redis brings back behind it (restored from an older snapshot) gets
 * a new epoch, so no seq is ever used twice. A Redis that comes back empty has lost the base
 * epoch with the rest, so every channel comes back under a new one.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { ReplyError } from 'ioredis';
import type { Logger } from '../log';
import { JSON_LIMITS, type ChannelEvent, type ChannelRecord, type PublishInput, type StreamPosition } from '../protocol';
import { RedisLink, RedisUnavailableError, viaRedis } from './link';
import { channelKey } from '../protocol/channel';
import { EngineRefusalError, EngineUnavailableError, type ChannelInfo, type EngineCounters, type ChannelState, type Commit, type Engine, type EngineOptions, type Recovery, type RecordChange } from '../engine/types';
import { assembleSeries, capacityOf, fromBucket, requestedFields, seriesRequestProblem, windowBuckets, type RingReader, type SeriesRequest, type SeriesResult } from '../engine/series';
import type { SeriesSpec } from '../engine/series-spec';
import { KeyLayout, type ChannelKeys } from './keys';
import { POSITIONS_SCRIPT, PUBLISH_SCRIPT, SERIES_SCRIPT, SINCE_SCRIPT, SNAPSHOT_SCRIPT } from './scripts';
import { classifyArrival } from './sequence';

export interface RedisEngineOptions extends EngineOptions {
  link: RedisLink;
  prefix: string;
  log?: Logger;
  /** How often watched channels are compared with Redis, to catch anything pub/sub missed. */
  checkIntervalMs?: number;
  /** How long the position of a channel nobody watches here is remembered after it was last seen. */
  knownIdleMs?: number;
}

/** Unwatched channels' positions are remembered this long by default (see `forgetIdle`). */
const KNOWN_IDLE_MS = 10 * 60_000;

/** The highest position seen on a channel, and when it was last seen. */
interface Known extends StreamPosition {
  at: number;
}

type Scripted = Redis & {
  pulsePublish(...args: Array<string | number>): Promise<string>;
  pulseSnapshot(...args: Array<string | number>): Promise<[string, number, string[], string[]]>;
  pulseSince(...args: Array<string | number>): Promise<[0, string, number] | [1, string, number, string[], string[], string[], string]>;
  pulseSeriesBuffer(...args: Array<string | number>): Promise<[Buffer, number, number, number, Array<Buffer | number>]>;
  pulsePositions(...args: Array<string | number>): Promise<[string[], number[]]>;
};

interface Watched {
  tenant: string;
  channel: string;
  keys: ChannelKeys;
  subscribed: Promise<void>;
  /** True once the subscription is confirmed. */
  flowing: boolean;
  /** Last commit handed to listeners. */
  delivered: StreamPosition | undefined;
  /** `delivered` as the previous periodic check saw it (the same object: nothing arrived since). */
  checked: StreamPosition | undefined;
}

interface WireCommit {
  epoch: string;
  seq: number;
  ts: number;
  changes: Array<{ id: string; before?: ChannelRecord; after?: ChannelRecord }>;
  events: ChannelEvent[];
}

export class RedisEngine implements Engine {
  readonly kind = 'redis' as const;
  readonly keys: KeyLayout;
  private seqJumps = 0;
  private readonly redis: Scripted;
  private readonly link: RedisLink;
  private readonly listeners = new Set<(commit: Commit) => void>();
  private readonly staleListeners = new Set<(tenant: string, channel: string, position: StreamPosition) => void>();
  /** Watched channels by their commits pub/sub channel. */
  private readonly watched = new Map<string, Watched>();
  /** Per channel key, the highest position this instance saw (under the channel's latest epoch). */
  private readonly known = new Map<string, Known>();
  private readonly knownIdleMs: number;
  private sweptAt = Date.now();
  /** False while Redis is unreachable, and while a reconnect is being verified. */
  private up = false;
  private readonly checkTimer: NodeJS.Timeout;
  private readonly reads = new Map<string, Promise<unknown>>();
  /** Publishes of this instance completed so far (see `shared`). */
  private publishes = 0;
  private readonly log?: Logger;

  constructor(private readonly options: RedisEngineOptions) {
    this.link = options.link;
    this.log = options.log;
    this.keys = new KeyLayout(options.prefix);
    this.knownIdleMs = options.knownIdleMs ?? KNOWN_IDLE_MS;
    this.redis = this.link.command as Scripted;
    this.redis.defineCommand('pulsePublish', { numberOfKeys: 8, lua: PUBLISH_SCRIPT });
    this.redis.defineCommand('pulseSeries', { numberOfKeys: 2, lua: SERIES_SCRIPT });
    this.redis.defineCommand('pulseSnapshot', { numberOfKeys: 4, lua: SNAPSHOT_SCRIPT });
    this.redis.defineCommand('pulseSince', { numberOfKeys: 6, lua: SINCE_SCRIPT });
    this.redis.defineCommand('pulsePositions', { lua: POSITIONS_SCRIPT });
    this.link.subscriber.on('message', this.onMessage);
    this.link.on('up', this.onUp);
    this.link.on('down', this.onDown);
    if (this.link.isUp) void this.recover();
    this.checkTimer = setInterval(() => void this.check(), options.checkIntervalMs ?? 2000);
    this.checkTimer.unref();
  }

  counters(): EngineCounters {
    return { outages: this.link.outages, seqJumps: this.seqJumps };
  }

  /**
   * One script call. The script checks the nesting of what it merges and stores on its own
   * (entry paths bound JSON before it gets here, but a script that met a value a thousand
   * levels deep would hold Redis for every tenant); a refusal comes back as
   * `EngineRefusalError`, with nothing applied.
   */
  async publish(tenant: string, channel: string, input: PublishInput): Promise<Commit> {
    this.assertUp();
    const keys = this.keys.channel(tenant, channel);
    const key = channelKey(tenant, channel);
    const args: Array<string | number> = [
      this.keys.epoch, keys.meta, keys.records, keys.live, keys.tombstones, keys.history, this.keys.tenantChannels(tenant), this.keys.seriesPoints,
      newEpoch(), this.known.get(key)?.epoch ?? '', this.known.get(key)?.seq ?? 0,
      this.options.historySize, this.options.historyTtlMs, this.options.historyMaxBytes ?? Number.MAX_SAFE_INTEGER, JSON_LIMITS.maxDepth, keys.commits, channel,
      keys.series, ...this.seriesArgs(tenant, channel),
      ...publishArgs(input),
    ];
    let reply: string;
    try {
      reply = await engineCall(() => this.redis.pulsePublish(...args));
    } catch (error) {
      const message = error instanceof ReplyError ? (error as Error).message : '';
      if (message.startsWith(REFUSED)) throw new EngineRefusalError(`publish: ${message.slice(REFUSED.length)}`);
      throw error;
    }
    const wire = JSON.parse(reply) as WireCommit;
    this.publishes++;
    this.saw(key, wire.epoch, wire.seq);
    return toCommit(tenant, channel, wire);
  }

  snapshot(tenant: string, channel: string): Promise<ChannelState> {
    return this.shared(`s ${this.publishes} ${channelKey(tenant, channel)}`, () => this.readSnapshot(tenant, channel));
  }

  since(tenant: string, channel: string, position: StreamPosition): Promise<Recovery> {
    return this.shared(`r ${this.publishes} ${channelKey(tenant, channel)} ${position.epoch} ${position.seq}`, () => this.readSince(tenant, channel, position));
  }

  /**
   * Reads already on their way to Redis are shared by concurrent callers asking the same
   * thing: a subscribe storm or a reconnect after an outage costs one script per channel (and
   * position), not one per client. Any answer read after the caller asked is a valid one (the
   * broadcaster brings subscribers up to date from whatever position they start at), and
   * engine answers are immutable. A read never shares one that began before a publish of this
   * instance completed, so whoever publishes and then reads sees their publish.
   */
  private shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const pending = this.reads.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const promise = read().finally(() => this.reads.delete(key));
    this.reads.set(key, promise);
    return promise;
  }

  private async readSnapshot(tenant: string, channel: string): Promise<ChannelState> {
    this.assertUp();
    const keys = this.keys.channel(tenant, channel);
    const [epoch, seq, records, events] = await engineCall(() =>
      this.redis.pulseSnapshot(this.keys.epoch, keys.meta, keys.records, keys.history, newEpoch(), this.options.historyTtlMs),
    );
    this.saw(channelKey(tenant, channel), epoch, seq);
    return { epoch, seq, records: records.map(parseRecord), events: events.flatMap(parseEvents) };
  }

  private async readSince(tenant: string, channel: string, position: StreamPosition): Promise<Recovery> {
    this.assertUp();
    const keys = this.keys.channel(tenant, channel);
    const answer = await engineCall(() =>
      this.redis.pulseSince(
        this.keys.epoch, keys.meta, keys.records, keys.live, keys.tombstones, keys.history,
        newEpoch(), this.options.historyTtlMs, position.epoch, position.seq,
      ),
    );
    this.saw(channelKey(tenant, channel), answer[1], answer[2]);
    if (answer[0] === 0) return { ok: false, epoch: answer[1], seq: answer[2] };
    const [, epoch, seq, records, deleted, events, time] = answer;
    return {
      ok: true,
      epoch,
      seq,
      records: records.map(parseRecord),
      deleted: deleted.map((id) => JSON.parse(id) as string),
      events: events.flatMap(parseEvents),
      ...(time ? { fromTs: Number(time) } : {}),
    };
  }

  seriesSpec(tenant: string, channel: string): SeriesSpec | undefined {
    return this.options.series?.seriesFor(tenant, channel);
  }

  /**
   * One script reads the rings of the records wanted, only the rows of the buckets asked
   * for (and the row carried into them), at Redis's time; the answer is assembled here.
   */
  async series(tenant: string, channel: string, request: SeriesRequest = {}): Promise<SeriesResult | null> {
    const spec = this.seriesSpec(tenant, channel);
    if (!spec) return null;
    const problem = seriesRequestProblem(spec, request);
    if (problem) throw new RangeError(problem);
    this.assertUp();
    const keys = this.keys.channel(tenant, channel);
    const { records } = request;
    const wanted = records && typeof records !== 'function' ? ['ids', ...Array.from(records, (id) => JSON.stringify(id))] : ['all'];
    const [epochText, seq, now, start, flat] = await engineCall(() =>
      this.redis.pulseSeriesBuffer(
        this.keys.epoch, keys.meta,
        newEpoch(), keys.series, seriesShape(spec).signature, spec.resolutionMs, capacityOf(spec),
        windowBuckets(spec, request.windowMs), fromBucket(spec, request.from) ?? '', spec.fields.length, ...wanted,
      ),
    );
    const epoch = epochText.toString();
    this.saw(channelKey(tenant, channel), epoch, seq);
    const rings: Array<[string, RingReader]> = [];
    for (let i = 0; i < flat.length; i += 5) {
      const id = JSON.parse(flat[i].toString()) as string;
      if (typeof records === 'function' && !records(id)) continue;
      rings.push([id, new PackedRing(flat[i + 1] as number, flat[i + 2] as number, flat[i + 3] as number, flat[i + 4] as Buffer, spec.fields.length)]);
    }
    const { fields, indexes } = requestedFields(spec, request.fields);
    return { epoch, seq, series: assembleSeries(spec.resolutionMs, { start, now }, fields, indexes, rings) };
  }

  /** The series part of the publish script's arguments (see `PUBLISH_SCRIPT`): nothing to do without a spec. */
  private seriesArgs(tenant: string, channel: string): Array<string | number> {
    const spec = this.seriesSpec(tenant, channel);
    if (!spec) return ['', 0, 0, 0, 0];
    const shape = seriesShape(spec);
    return [shape.signature, spec.resolutionMs, capacityOf(spec), this.options.seriesMaxPoints ?? Number.MAX_SAFE_INTEGER, shape.fields.length, ...shape.fields];
  }

  async channels(tenant: string): Promise<ChannelInfo[]> {
    this.assertUp();
    const names = await engineCall(() => this.redis.smembers(this.keys.tenantChannels(tenant)));
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const channel of names) {
      const keys = this.keys.channel(tenant, channel);
      pipeline.hget(keys.meta, 'seq').hlen(keys.records);
    }
    const results = (await engineCall(() => pipeline.exec())) ?? [];
    return names.map((channel, i) => ({
      channel,
      seq: Number(results[2 * i]?.[1] ?? 0),
      records: Number(results[2 * i + 1]?.[1] ?? 0),
    }));
  }

  onCommit(listener: (commit: Commit) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStale(listener: (tenant: string, channel: string, position: StreamPosition) => void): () => void {
    this.staleListeners.add(listener);
    return () => this.staleListeners.delete(listener);
  }

  watch(tenant: string, channel: string): Promise<void> | undefined {
    const keys = this.keys.channel(tenant, channel);
    const existing = this.watched.get(keys.commits);
    if (existing) return existing.flowing ? undefined : existing.subscribed;
    const entry: Watched = { tenant, channel, keys, delivered: undefined, checked: undefined, subscribed: Promise.resolve(), flowing: false };
    entry.subscribed = engineCall(() => this.link.subscriber.subscribe(keys.commits)).then(
      () => {
        entry.flowing = true;
      },
      (error) => {
        if (this.watched.get(keys.commits) === entry) this.watched.delete(keys.commits);
        throw error;
      },
    );
    this.watched.set(keys.commits, entry);
    return entry.subscribed;
  }

  unwatch(tenant: string, channel: string): void {
    const { commits } = this.keys.channel(tenant, channel);
    if (!this.watched.delete(commits)) return;
    if (this.link.isUp) this.link.subscriber.unsubscribe(commits).catch(() => {});
  }

  ready(timeoutMs: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (this.up || Date.now() - started >= timeoutMs) {
          clearInterval(poll);
          resolve(this.up);
        }
      }, 20);
    });
  }

  async healthy(): Promise<boolean> {
    return this.up && (await this.link.ping());
  }

  async close(): Promise<void> {
    clearInterval(this.checkTimer);
    this.link.subscriber.off('message', this.onMessage);
    this.link.off('up', this.onUp);
    this.link.off('down', this.onDown);
    this.listeners.clear();
    this.staleListeners.clear();
    this.up = false;
  }

  // ---- pub/sub ---------------------------------------------------------------------------

  private readonly onMessage = (pubsubChannel: string, message: string) => this.receive(pubsubChannel, message);
  private readonly onUp = () => void this.recover();
  private readonly onDown = () => (this.up = false);

  private receive(pubsubChannel: string, message: string): void {
    const entry = this.watched.get(pubsubChannel);
    if (!entry) return;
    let wire: WireCommit;
    try {
      wire = JSON.parse(message) as WireCommit;
    } catch (error) {
      this.log?.error({ err: error, channel: entry.channel, tenant: entry.tenant }, 'unreadable commit message');
      return;
    }
    const arrival = classifyArrival(entry.delivered, wire);
    if (arrival === 'duplicate') return;
    if (arrival === 'jump') {
      this.seqJumps++;
      this.log?.warn({ tenant: entry.tenant, channel: entry.channel, after: entry.delivered?.seq, seq: wire.seq }, 'seq jump: repairing from history');
    }
    entry.delivered = { epoch: wire.epoch, seq: wire.seq };
    this.saw(channelKey(entry.tenant, entry.channel), wire.epoch, wire.seq);
    const commit = toCommit(entry.tenant, entry.channel, wire);
    for (const listener of this.listeners) listener(commit);
  }

  // ---- lineage and recovery --------------------------------------------------------------

  /** Records a position seen in Redis: a new epoch replaces what the old one reached. */
  private saw(key: string, epoch: string, seq: number): void {
    const known = this.known.get(key);
    const at = Date.now();
    if (!known || known.epoch !== epoch || known.seq < seq) this.known.set(key, { epoch, seq, at });
    else known.at = at;
  }

  /** Channels whose position this instance remembers. */
  get knownChannels(): number {
    return this.known.size;
  }

  /**
   * Forgets the positions of channels nobody watches here and nobody read or published to
   * through this instance for `knownIdleMs`: otherwise they would be kept for every channel
   * ever seen. A forgotten channel's next publish goes without the check against what this
   * instance saw, as on an instance that never saw it (a Redis restored from an older snapshot
   * meanwhile continues that channel's seq where the snapshot left it). A watched channel keeps
   * its position, whatever its pace. Runs at most a few times per idle period.
   */
  private forgetIdle(): void {
    const now = Date.now();
    if (now - this.sweptAt < this.knownIdleMs / 4) return;
    this.sweptAt = now;
    const watching = new Set<string>();
    for (const entry of this.watched.values()) watching.add(channelKey(entry.tenant, entry.channel));
    for (const [key, known] of this.known) if (now - known.at >= this.knownIdleMs && !watching.has(key)) this.known.delete(key);
  }

  /**
   * After (re)connecting: resubscribe, check the lineage against what this instance saw
   * (renewing it if Redis lost history), and only then accept requests again. Every watched
   * channel is then reported stale, so subscribers get what pub/sub missed meanwhile.
   */
  private async recover(): Promise<void> {
    try {
      const channels = [...this.watched.keys()];
      if (channels.length > 0) await this.link.subscriber.subscribe(...channels);
      const positions = await this.positions();
      if (!this.link.isUp) return;
      this.up = true;
      this.log?.info({ watched: channels.length }, 'redis engine ready');
      for (const [name, position] of positions) {
        const entry = this.watched.get(name);
        if (entry) this.stale(entry, position);
      }
    } catch (error) {
      this.log?.warn({ err: error }, 'redis engine recovery failed; retrying');
      setTimeout(() => {
        if (!this.up && this.link.isUp) void this.recover();
      }, 500).unref();
    }
  }

  /**
   * Periodic check: a watched channel that Redis shows ahead of what was delivered, while no
   * commit arrived for a whole interval, missed a message (or Redis lost its data). On a busy
   * channel Redis is always a little ahead of pub/sub (commits in flight); that is not stale.
   */
  private async check(): Promise<void> {
    this.forgetIdle();
    if (!this.up || this.watched.size === 0) return;
    try {
      const quiet = new Set<string>();
      for (const [name, entry] of this.watched) {
        if (entry.delivered === entry.checked) quiet.add(name);
        entry.checked = entry.delivered;
      }
      const positions = await this.positions();
      for (const [name, position] of positions) {
        const entry = this.watched.get(name);
        if (!entry || !quiet.has(name) || entry.delivered !== entry.checked) continue;
        const delivered = entry.delivered;
        if (!delivered || delivered.epoch !== position.epoch || delivered.seq < position.seq) this.stale(entry, position);
      }
    } catch (error) {
      this.log?.debug({ err: error }, 'redis engine check failed');
    }
  }

  /** Reads every watched channel's position in one script, renewing epochs where history was lost. */
  private async positions(): Promise<Map<string, StreamPosition>> {
    const entries = [...this.watched.entries()];
    const result = new Map<string, StreamPosition>();
    if (entries.length === 0) return result;
    const keys = [this.keys.epoch, ...entries.map(([, entry]) => entry.keys.meta)];
    const known = entries.flatMap(([, entry]) => {
      const position = this.known.get(channelKey(entry.tenant, entry.channel));
      return [position?.epoch ?? '', position?.seq ?? 0];
    });
    const [epochs, seqs] = await engineCall(() => this.redis.pulsePositions(keys.length, ...keys, newEpoch(), ...known));
    entries.forEach(([name, entry], i) => {
      const key = channelKey(entry.tenant, entry.channel);
      const before = this.known.get(key);
      if (before && before.epoch !== epochs[i]) this.log?.warn({ tenant: entry.tenant, channel: entry.channel, previous: before.epoch, epoch: epochs[i] }, 'redis history lost: new epoch');
      this.saw(key, epochs[i], seqs[i]);
      result.set(name, { epoch: epochs[i], seq: seqs[i] });
    });
    return result;
  }

  /**
   * Reports a channel whose position in Redis is ahead of what pub/sub delivered. Commits up
   * to `position` still in flight are dropped as duplicates from now on: the listeners fetch
   * them from the history instead.
   */
  private stale(entry: Watched, position: StreamPosition): void {
    entry.delivered = position;
    for (const listener of this.staleListeners) listener(entry.tenant, entry.channel, position);
  }

  private assertUp(): void {
    if (!this.up) throw new EngineUnavailableError('Redis is unreachable');
  }
}

/** How the publish script's error replies for a value past the bounds begin. */
const REFUSED = 'REFUSED ';

/** A Redis call for the engine's callers: Redis out of reach is `EngineUnavailableError` to them. */
async function engineCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await viaRedis(call);
  } catch (error) {
    if (error instanceof RedisUnavailableError) throw new EngineUnavailableError(error.message);
    throw error;
  }
}

/**
 * The publish's part of the script's arguments (see `PUBLISH_SCRIPT`): upserts, deletions and
 * events as JSON text. A value nested so deep that `JSON.stringify` overflows the stack is far
 * past the bounds the script would check, and is refused here the same way.
 */
function publishArgs(input: PublishInput): Array<string | number> {
  const args: Array<string | number> = [];
  const text = (value: unknown, path: string): string => {
    try {
      return JSON.stringify(value);
    } catch (error) {
      if (error instanceof RangeError) throw new EngineRefusalError(`publish: ${path} is nested deeper than ${JSON_LIMITS.maxDepth} levels`);
      throw error;
    }
  };
  const upserts = input.upsert ?? [];
  args.push(upserts.length);
  upserts.forEach((patch, i) => args.push(JSON.stringify(patch.id), text(patch, `upsert[${i}]`)));
  const deletions = input.delete ?? [];
  args.push(deletions.length);
  for (const id of deletions) args.push(JSON.stringify(id));
  const events = input.events ?? [];
  args.push(events.length);
  events.forEach(({ type, priority, data }, i) => {
    args.push(text({ type, priority: priority ?? 'normal', ...(data === undefined ? {} : { data }) }, `events[${i}]`).slice(1));
  });
  return args;
}

/** A spec as the scripts take it: its signature (the layout of its rings) and its fields as JSON text. */
interface SeriesShape {
  signature: string;
  fields: string[];
}

const shapes = new WeakMap<SeriesSpec, SeriesShape>();

/** The lookup answers with the same spec object for a channel: its shape is worked out once. */
function seriesShape(spec: SeriesSpec): SeriesShape {
  let shape = shapes.get(spec);
  if (!shape) {
    const fields = spec.fields.map((field) => JSON.stringify(field));
    shape = { signature: `${spec.resolutionMs}/${capacityOf(spec)}/${JSON.stringify(spec.fields)}`, fields };
    shapes.set(spec, shape);
  }
  return shape;
}

/**
 * A ring's rows as the series script returned them (see `SERIES_SCRIPT`): the head's row, then
 * the rows of the buckets from `from` to the one before the head.
 */
class PackedRing implements RingReader {
  constructor(readonly first: number, readonly head: number, private readonly from: number, private readonly rows: Buffer, private readonly width: number) {}

  value(bucket: number, field: number): number {
    const row = bucket >= this.head ? 0 : 1 + bucket - this.from;
    const offset = (row * this.width + field) * 8;
    return row >= 0 && offset + 8 <= this.rows.length ? this.rows.readDoubleLE(offset) : NaN;
  }
}

function newEpoch(): string {
  return `e_${randomBytes(6).toString('base64url')}`;
}

function parseRecord(text: string): ChannelRecord {
  return JSON.parse(text) as ChannelRecord;
}

function parseEvents(text: string): ChannelEvent[] {
  return JSON.parse(text) as ChannelEvent[];
}

function toCommit(tenant: string, channel: string, wire: WireCommit): Commit {
  const changes: RecordChange[] = wire.changes.map(({ id, before, after }) => ({ id, before, after }));
  return { tenant, channel, epoch: wire.epoch, seq: wire.seq, ts: wire.ts, changes, events: wire.events };
}

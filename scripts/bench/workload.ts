/**
 * The benchmark's workloads and the deterministic data they move. Server and subscriber
 * processes both import this, so a subscriber can work out, from the number of updates
 * published alone, exactly which updates it should have seen and what its final state is.
 *
 * Update `k` (0, 1, 2, …) goes to channel `k % channels`, record
 * `floor(k / channels) % records` of that channel, and sets the record's `value` to `k + 1`
 * (seeded records hold `value: 0`). Records are visited round-robin, so as long as one batch
 * window holds fewer updates than a channel has records, no two updates of a window touch the
 * same record and nothing is merged away: every update is delivered as its own entry.
 */
// Seeded, so every run places records and boxes alike.
import { seededRandom as seeded } from '../../lib/demo/random';

export type System = 'pulseboard' | 'socketio' | 'floor';
export type WorkloadName = 'fanout' | 'filtered' | 'channels' | 'socketio' | 'floor' | 'redis' | 'presence' | 'viewport' | 'paced' | 'floor-paced' | 'series' | 'redis-series';

export const WORKLOAD_NAMES: readonly WorkloadName[] = ['fanout', 'filtered', 'channels', 'socketio', 'floor', 'redis', 'presence', 'viewport', 'paced', 'floor-paced', 'series', 'redis-series'];

export interface Workload {
  name: WorkloadName;
  label: string;
  system: System;
  subscribers: number;
  seconds: number;
  /** Record updates per second, all channels together. */
  rate: number;
  channels: number;
  recordsPerChannel: number;
  /** Distinct `where` filters on `group` (0 = every subscriber unfiltered). */
  groups: number;
  /** Flush interval of the batching systems (Pulseboard, floor). */
  batchMs: number;
  /** Pulseboard's engine; with Redis, `instances` hubs share it and the subscribers are spread over them. */
  engine: 'memory' | 'redis';
  instances: number;
  redisUrl?: string;
  /** Every subscriber follows presence, while viewers come and go at `churnPerSec`. */
  presence: boolean;
  churnPerSec: number;
  /**
   * Records carry `lat`/`lon` spread over the world and every subscriber subscribes with a
   * `bounds` box of its own (map users looking at different parts of it).
   */
  viewports: boolean;
  /** `intervalMs` of every odd-numbered subscriber (docs/protocol.md §12, "Pace"); 0 for none. */
  pacedIntervalMs: number;
  /**
   * The channel keeps series of `value` (`BENCH_SERIES`) and every subscriber subscribes with
   * `series: SUBSCRIBER_SERIES`, so its snapshot carries series and its deltas `ts`.
   */
  series: boolean;
}

/** What the series workloads keep: the channel's numeric field, 1 s buckets over 15 minutes (as the demo). */
export const BENCH_SERIES = { fields: ['value'], resolutionMs: 1000, windowMs: 900_000 };
/**
 * What a series subscriber asks for: the last 10 s only. The snapshot of 500 records with the
 * whole window is about 2 MB of JSON, serialized per subscriber; 5,000 of them would make the
 * connection phase the whole run, and it is not what is measured.
 */
export const SUBSCRIBER_SERIES = { windowMs: 10_000 };

/**
 * The dashboard channel of the series snapshot figure (`series-probe.ts`): what the demo's KPI
 * cards and backlog chart keep, for its 12 queues.
 */
export const DASHBOARD_SERIES = { fields: ['utilization', 'healthScore', 'slaRisk', 'waiting', 'oldestWaitS'], resolutionMs: 1000, windowMs: 900_000 };

/** Viewers joining (and, a second later, leaving) per second in the presence workload. */
export const PRESENCE_CHURN_PER_SEC = 20;

/** Records of the viewport workload's fleet channel. */
export const FLEET_RECORDS = 300;
/** Pace of the paced half of the paced workload's subscribers. */
export const PACED_INTERVAL_MS = 1000;

/** Groups records are spread over; the filtered workload has one view per group. */
export const RECORD_GROUPS = 20;
export const TENANT = 'demo';
const REGIONS = ['eu-west', 'us-east', 'ap-south'];

export interface WorkloadOptions {
  subscribers: number;
  seconds: number;
  rate: number;
  batchMs: number;
  /** For the `redis` workload: the redis-server to use and how many hub instances share it. */
  redisUrl?: string;
  instances?: number;
}

export function makeWorkload(name: WorkloadName, o: WorkloadOptions): Workload {
  const base = { name, subscribers: o.subscribers, seconds: o.seconds, rate: o.rate, batchMs: o.batchMs, engine: 'memory' as const, instances: 1, presence: false, churnPerSec: 0, viewports: false, pacedIntervalMs: 0, series: false };
  switch (name) {
    case 'fanout':
      return { ...base, label: 'Pulseboard fan-out', system: 'pulseboard', channels: 1, recordsPerChannel: 500, groups: 0 };
    case 'presence':
      return {
        ...base,
        label: `Pulseboard fan-out with presence (${PRESENCE_CHURN_PER_SEC} joins/s)`,
        system: 'pulseboard',
        channels: 1,
        recordsPerChannel: 500,
        groups: 0,
        presence: true,
        churnPerSec: PRESENCE_CHURN_PER_SEC,
      };
    case 'redis': {
      const instances = o.instances ?? 1;
      const label = `Pulseboard fan-out on Redis${instances > 1 ? `, ${instances} instances` : ''}`;
      return { ...base, label, system: 'pulseboard', channels: 1, recordsPerChannel: 500, groups: 0, engine: 'redis', instances, redisUrl: o.redisUrl };
    }
    case 'series':
      return { ...base, label: 'Pulseboard fan-out with series of value', system: 'pulseboard', channels: 1, recordsPerChannel: 500, groups: 0, series: true };
    case 'redis-series': {
      const instances = o.instances ?? 1;
      const label = `Pulseboard fan-out on Redis with series of value${instances > 1 ? `, ${instances} instances` : ''}`;
      return { ...base, label, system: 'pulseboard', channels: 1, recordsPerChannel: 500, groups: 0, engine: 'redis', instances, redisUrl: o.redisUrl, series: true };
    }
    case 'viewport':
      return { ...base, label: `Pulseboard viewport (${FLEET_RECORDS} records, a bounds box each)`, system: 'pulseboard', channels: 1, recordsPerChannel: FLEET_RECORDS, groups: 0, viewports: true };
    case 'paced':
      return {
        ...base,
        label: `Pulseboard fan-out, half at intervalMs ${PACED_INTERVAL_MS}`,
        system: 'pulseboard',
        channels: 1,
        recordsPerChannel: 500,
        groups: 0,
        pacedIntervalMs: PACED_INTERVAL_MS,
      };
    case 'filtered':
      return { ...base, label: `Pulseboard filtered (${RECORD_GROUPS} views)`, system: 'pulseboard', channels: 1, recordsPerChannel: 500, groups: RECORD_GROUPS };
    case 'channels':
      return { ...base, label: 'Pulseboard many channels', system: 'pulseboard', channels: o.subscribers, recordsPerChannel: 10, groups: 0 };
    case 'socketio':
      return { ...base, label: 'Socket.IO fan-out', system: 'socketio', channels: 1, recordsPerChannel: 500, groups: 0 };
    case 'floor':
      return { ...base, label: 'raw ws floor fan-out', system: 'floor', channels: 1, recordsPerChannel: 500, groups: 0 };
    case 'floor-paced':
      return {
        ...base,
        label: `raw ws floor, half at ${PACED_INTERVAL_MS} ms`,
        system: 'floor',
        channels: 1,
        recordsPerChannel: 500,
        groups: 0,
        pacedIntervalMs: PACED_INTERVAL_MS,
      };
  }
}

export function channelName(w: Workload, channel: number): string {
  return w.channels === 1 ? 'bench' : `bench-${channel}`;
}

export function recordId(record: number): string {
  return `r${record}`;
}

/** Record index from an id made by `recordId` (the hot path of every subscriber). */
export function recordIndex(id: string): number {
  return Number(id.slice(1));
}

export function recordGroup(record: number): number {
  return record % RECORD_GROUPS;
}

/** The record as seeded before anyone connects; with `geo`, placed on the map (`recordPosition`). */
export function seedRecord(record: number, geo = false): { id: string; group: number; region: string; name: string; value: number; t: number; lat?: number; lon?: number } {
  const seeded = { id: recordId(record), group: recordGroup(record), region: REGIONS[record % REGIONS.length], name: `sensor ${record}`, value: 0, t: 0 };
  return geo ? { ...seeded, ...recordPosition(record) } : seeded;
}


/** Where a fleet record sits: anywhere between 60° S and 75° N, fixed for the whole run. */
export function recordPosition(record: number): { lat: number; lon: number } {
  const next = seeded(0x5eed0000 + record);
  return { lat: Math.round((-60 + 135 * next()) * 1e4) / 1e4, lon: Math.round((-180 + 360 * next()) * 1e4) / 1e4 };
}

export interface Box {
  north: number;
  south: number;
  east: number;
  west: number;
}

/**
 * Subscriber `i`'s map view in the viewport workload: from a region (15° wide) to half the
 * world (180°), sizes spread evenly on a log scale, twice as wide as high, anywhere over the
 * fleet's latitudes. Boxes do not cross the antimeridian, so `west <= east`.
 */
export function subscriberBox(i: number): Box {
  const next = seeded(0xb0c5_0000 + i);
  const width = 15 * 12 ** next();
  const height = width / 2;
  const west = -180 + (360 - width) * next();
  const south = -60 + Math.max(0, 135 - height) * next();
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  return { north: r(south + height), south: r(south), east: r(west + width), west: r(west) };
}

export function updateChannel(w: Workload, k: number): number {
  return k % w.channels;
}

export function updateRecord(w: Workload, k: number): number {
  return Math.floor(k / w.channels) % w.recordsPerChannel;
}

/**
 * What subscriber `i` subscribes to: a channel index and a group (-1 = no filter). In the
 * viewport workload the group is the subscriber's own index: its box is its view.
 */
export function subscriberView(w: Workload, i: number): { channel: number; group: number } {
  return { channel: w.channels === 1 ? 0 : i % w.channels, group: w.viewports ? i : w.groups > 0 ? i % w.groups : -1 };
}

export function subscriberFilter(w: Workload, i: number): { where: { group: number } } | { bounds: Box } | undefined {
  if (w.viewports) return { bounds: subscriberBox(i) };
  const { group } = subscriberView(w, i);
  return group < 0 ? undefined : { where: { group } };
}

/** The `intervalMs` subscriber `i` asks for, if any. */
export function subscriberPace(w: Workload, i: number): number | undefined {
  return w.pacedIntervalMs > 0 && i % 2 === 1 ? w.pacedIntervalMs : undefined;
}

/** Records inside a viewport subscriber's box, by record index (positions never change). */
const boxVisibility = new Map<number, Uint8Array>();

function insideBox(w: Workload, subscriber: number): Uint8Array {
  let inside = boxVisibility.get(subscriber);
  if (!inside) {
    const box = subscriberBox(subscriber);
    inside = new Uint8Array(w.recordsPerChannel);
    for (let r = 0; r < w.recordsPerChannel; r++) {
      const { lat, lon } = recordPosition(r);
      inside[r] = lat >= box.south && lat <= box.north && lon >= box.west && lon <= box.east ? 1 : 0;
    }
    boxVisibility.set(subscriber, inside);
  }
  return inside;
}

export function isVisible(w: Workload, group: number, record: number): boolean {
  if (group < 0) return true;
  return w.viewports ? insideBox(w, group)[record] === 1 : recordGroup(record) === group;
}

export interface Expectation {
  /** Updates among the first `published` that this view should receive. */
  count: number;
  /** Final `value` per record of the channel (0 when never updated). */
  finalValues: Int32Array;
}

/** Memoized per (channel, group): what a view should have seen after `published` updates. */
export function expectations(w: Workload, published: number): (channel: number, group: number) => Expectation {
  const memo = new Map<string, Expectation>();
  return (channel, group) => {
    const key = `${channel}:${group}`;
    let e = memo.get(key);
    if (!e) {
      const finalValues = new Int32Array(w.recordsPerChannel);
      let count = 0;
      for (let k = channel; k < published; k += w.channels) {
        const record = updateRecord(w, k);
        finalValues[record] = k + 1;
        if (isVisible(w, group, record)) count++;
      }
      e = { count, finalValues };
      memo.set(key, e);
    }
    return e;
  };
}

/** Seq of the seed publish of every channel; its updates follow as seq 2, 3, … */
export const SEED_SEQ = 1;

/**
 * What a delta covering `(prevSeq, seq]` of `channel` must hold for a view: each visible
 * record updated in that range once, with its latest value (several updates of one record
 * inside one batch merge into one entry, docs/protocol.md §5), and how many visible updates the
 * range held. The j-th update of a channel (from 0) has seq `SEED_SEQ + 1 + j`, is update
 * `k = channel + j × channels` overall, and touches record `j % recordsPerChannel`.
 */
export function expectedDelta(
  w: Workload,
  channel: number,
  group: number,
  prevSeq: number,
  seq: number,
): { entries: Map<number, number>; updates: Array<[record: number, value: number]> } {
  const entries = new Map<number, number>();
  const updates: Array<[number, number]> = [];
  for (let s = prevSeq + 1; s <= seq; s++) {
    const j = s - SEED_SEQ - 1;
    if (j < 0) continue;
    const record = j % w.recordsPerChannel;
    if (!isVisible(w, group, record)) continue;
    const value = channel + j * w.channels + 1;
    updates.push([record, value]);
    entries.set(record, value);
  }
  return { entries, updates };
}

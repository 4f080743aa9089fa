/**
 * A subscriber process: opens its share of the benchmark's sockets (Pulseboard protocol,
 * Socket.IO, or the raw floor), keeps every subscriber's view of the records, and measures
 * publish → receive latency of every update it receives.
 *
 * Per subscriber it checks the snapshot, the `prevSeq` chain, that every delta holds exactly
 * what its seq range must (`expectedDelta`: each visible record updated in the range, with
 * its latest value), and, once publishing stops, that its final state equals what the
 * published updates imply. So an update is either received as its own entry or provably
 * superseded inside one batch; the count of each is reported.
 *
 * Thousands of subscribers in a few processes receive byte-identical fan-out frames, so a
 * delta is parsed once per process: later copies are recognised by their bytes
 * (`Buffer.equals` against the parsed one) and reuse the parsed entries. Every subscriber
 * still applies every entry to its own state and records its own latency.
 */
import WebSocket from 'ws';
import { io as connectSocketIo, type Socket } from 'socket.io-client';
import { Histogram, type SparseHistogram } from './histogram';
import { serve } from './ipc';
import { cpuSeconds, now, runQueueSeconds } from './proc-stats';
import {
  channelName,
  expectations,
  expectedDelta,
  isVisible,
  recordIndex,
  subscriberFilter,
  subscriberPace,
  subscriberView,
  SUBSCRIBER_SERIES,
  type System,
  type Workload,
} from './workload';

interface Subscriber {
  index: number;
  channel: number;
  group: number;
  /** `channel:group`, the key of its view in `Summary.checks`. */
  view: string;
  state: Int32Array;
  seq: number;
  entries: number;
  frames: number;
  bytes: number;
  chainBreaks: number;
  /** Catch-up deltas (`recovery: true`): the server held the subscriber back as a slow consumer. */
  recoveries: number;
  /** `presence` and `presence_diff` frames received (presence workload). */
  presenceFrames: number;
  /** Updates superseded by a later update of the same record inside one delta's range. */
  merged: number;
  /** Deltas whose entries differ from what their seq range must hold. */
  invalidFrames: number;
  /** Entries for records outside the subscriber's filter. */
  foreign: number;
  ready: boolean;
  done: boolean;
  closedEarly: boolean;
  error: string | undefined;
  close(): void;
}

/** A parsed delta: its entries as columns. */
interface Summary {
  prevSeq: number;
  seq: number;
  recovery: boolean;
  /** Deletions and events: this workload has none, so any is wrong. */
  extras: number;
  /** Whether the delta carries `ts` (docs/protocol.md §13): exactly when the subscription asked for series. */
  ts: boolean;
  n: number;
  idx: Int32Array;
  val: Int32Array;
  t: Float64Array;
  /** Verdict per view (`channel:group`): does the delta hold exactly what its range must? */
  checks: Map<string, { ok: boolean; merged: number }>;
}

interface ConnectArgs {
  system: System;
  port: number;
  path: string;
  workload: Workload;
  from: number;
  to: number;
  concurrency: number;
}

export interface ClientReport {
  subscribers: number;
  /** Subscribers that received every update as its own entry, gap-free, and hold the final state. */
  complete: number;
  /** Subscribers that hold the final state with an unbroken `prevSeq` chain (some updates may have been merged). */
  consistent: number;
  recoveries: number;
  /** `presence` and `presence_diff` frames received (presence workload). */
  presenceFrames: number;
  merged: number;
  invalidFrames: number;
  delivered: number;
  expected: number;
  frames: number;
  bytes: number;
  chainBreaks: number;
  foreign: number;
  closedEarly: number;
  firstRecv: number;
  lastRecv: number;
  latency: SparseHistogram;
  incomplete: string[];
  /** This process's CPU and run-queue wait since `mark` (publishing started), in seconds. */
  cpuSeconds: number;
  runQueueSeconds: number;
}

const histogram = new Histogram();
const subscribers: Subscriber[] = [];
let workload: Workload;
let firstRecv = 0;
let lastRecv = 0;
let measuring = true;
let marked = { cpu: 0, runQueue: 0 };

// ---- deltas (Pulseboard and floor share the frame format) -------------------------------

const DELTA_PREFIX = Buffer.from('{"type":"delta"');
const SEQ_TOKEN = Buffer.from(',"seq":');
const cache = new Map<number, Array<{ frame: Buffer; summary: Summary }>>();
let useCache = true;

interface DeltaFrame {
  prevSeq: number;
  seq: number;
  recovery?: boolean;
  ts?: number;
  upsert?: Array<{ id: string; value: number; t: number }>;
  delete?: string[];
  events?: unknown[];
}

function summarize(message: DeltaFrame): Summary {
  const upsert = message.upsert ?? [];
  const n = upsert.length;
  const summary: Summary = {
    prevSeq: message.prevSeq,
    seq: message.seq,
    recovery: message.recovery === true,
    extras: (message.delete?.length ?? 0) + (message.events?.length ?? 0),
    ts: typeof message.ts === 'number',
    n,
    idx: new Int32Array(n),
    val: new Int32Array(n),
    t: new Float64Array(n),
    checks: new Map(),
  };
  for (let i = 0; i < n; i++) {
    summary.idx[i] = recordIndex(upsert[i].id);
    summary.val[i] = upsert[i].value;
    summary.t[i] = upsert[i].t;
  }
  return summary;
}

function seqOf(frame: Buffer): number {
  let i = frame.indexOf(SEQ_TOKEN) + SEQ_TOKEN.length;
  let seq = 0;
  for (let c = frame[i]; c >= 48 && c <= 57; c = frame[++i]) seq = seq * 10 + (c - 48);
  return seq;
}

function deltaSummary(frame: Buffer): Summary {
  if (!useCache) return summarize(JSON.parse(frame.toString('utf8')));
  const key = seqOf(frame) * 4_194_304 + (frame.length % 4_194_304);
  let candidates = cache.get(key);
  if (candidates) {
    for (const candidate of candidates) if (candidate.frame.equals(frame)) return candidate.summary;
  } else {
    candidates = [];
    cache.set(key, candidates);
    if (cache.size > 512) cache.delete(cache.keys().next().value!);
  }
  const summary = summarize(JSON.parse(frame.toString('utf8')));
  candidates.push({ frame, summary });
  return summary;
}

/** The hot path: every entry of every frame of every subscriber. Visibility is checked by `check`. */
function applyEntries(sub: Subscriber, recv: number, n: number, idx: Int32Array, val: Int32Array, t: Float64Array): void {
  const state = sub.state;
  for (let i = 0; i < n; i++) {
    state[idx[i]] = val[i];
    histogram.add(recv - t[i]);
  }
  sub.entries += n;
  sub.frames++;
  if (firstRecv === 0) firstRecv = recv;
  lastRecv = recv;
}

/**
 * Checks a delta against what its seq range must hold for this subscriber's view (once per
 * distinct frame and view). Pulseboard merges the updates of one record inside a batch into
 * one entry with the latest value; the floor forwards every update as it came, except to its
 * paced subscribers, whose frames it merges as Pulseboard does.
 */
function check(summary: Summary, sub: Subscriber): { ok: boolean; merged: number } {
  let verdict = summary.checks.get(sub.view);
  if (!verdict) {
    const expected = expectedDelta(workload, sub.channel, sub.group, summary.prevSeq, summary.seq);
    let ok: boolean;
    if (workload.system === 'floor' && subscriberPace(workload, sub.index) === undefined) {
      ok = expected.updates.length === summary.n;
      for (let i = 0; ok && i < summary.n; i++) ok = expected.updates[i][0] === summary.idx[i] && expected.updates[i][1] === summary.val[i];
    } else {
      ok = expected.entries.size === summary.n;
      for (let i = 0; ok && i < summary.n; i++) ok = expected.entries.get(summary.idx[i]) === summary.val[i];
    }
    ok &&= summary.extras === 0 && (workload.system !== 'pulseboard' || summary.ts === workload.series);
    verdict = { ok, merged: ok ? expected.updates.length - summary.n : 0 };
    summary.checks.set(sub.view, verdict);
  }
  return verdict;
}

function applyDelta(sub: Subscriber, frame: Buffer, recv: number): void {
  const summary = deltaSummary(frame);
  const verdict = check(summary, sub);
  if (verdict.ok) sub.merged += verdict.merged;
  else sub.invalidFrames++;
  if (summary.prevSeq !== sub.seq) sub.chainBreaks++;
  if (summary.recovery) sub.recoveries++;
  sub.seq = summary.seq;
  sub.bytes += frame.length;
  applyEntries(sub, recv, summary.n, summary.idx, summary.val, summary.t);
}

/** The first state: every visible record, nothing else (a wrong snapshot counts as a wrong frame). */
function applySnapshot(sub: Subscriber, records: Array<{ id: string; value: number }>, seq: number, series?: { records: Record<string, unknown> }): void {
  let visible = 0;
  for (let r = 0; r < workload.recordsPerChannel; r++) if (isVisible(workload, sub.group, r)) visible++;
  if (records.length !== visible) sub.invalidFrames++;
  // With series, the snapshot carries the series of every record it holds (all have a value).
  if (workload.series && (!series || Object.keys(series.records).length !== visible)) sub.invalidFrames++;
  for (const record of records) {
    const r = recordIndex(record.id);
    if (!isVisible(workload, sub.group, r)) sub.foreign++;
    sub.state[r] = record.value;
  }
  sub.seq = seq;
}

function isDelta(frame: Buffer): boolean {
  return frame.length > DELTA_PREFIX.length && frame.compare(DELTA_PREFIX, 0, DELTA_PREFIX.length, 0, DELTA_PREFIX.length) === 0;
}

// ---- one subscriber per protocol -------------------------------------------------------

function newSubscriber(index: number): Subscriber {
  const { channel, group } = subscriberView(workload, index);
  return {
    index, channel, group, view: `${channel}:${group}`,
    state: new Int32Array(workload.recordsPerChannel),
    seq: -1, entries: 0, frames: 0, bytes: 0, chainBreaks: 0, recoveries: 0, presenceFrames: 0, merged: 0, invalidFrames: 0, foreign: 0,
    ready: false, done: false, closedEarly: false, error: undefined,
    close: () => undefined,
  };
}

/** Resolves once the subscriber holds its snapshot; rejects on any failure before that. */
function openPulse(sub: Subscriber, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    sub.close = () => ws.terminate();
    ws.on('open', () => ws.send('{"type":"auth","ref":0}'));
    ws.on('message', (frame: Buffer) => {
      const recv = now();
      if (isDelta(frame)) return applyDelta(sub, frame, recv);
      const message = JSON.parse(frame.toString('utf8'));
      if (message.type === 'welcome') {
        const filter = subscriberFilter(workload, sub.index);
        const intervalMs = subscriberPace(workload, sub.index);
        ws.send(
          JSON.stringify({
            type: 'subscribe',
            ref: 1,
            channel: channelName(workload, sub.channel),
            ...(filter ? { filter } : {}),
            ...(intervalMs ? { intervalMs } : {}),
            ...(workload.presence ? { presence: true } : {}),
            ...(workload.series ? { series: SUBSCRIBER_SERIES } : {}),
          }),
        );
      } else if (message.type === 'snapshot') {
        applySnapshot(sub, message.records, message.seq, message.series);
        sub.ready = true;
        resolve();
      } else if (message.type === 'presence' || message.type === 'presence_diff') {
        sub.presenceFrames++;
      } else if (message.type === 'error' || (message.type === 'reply' && !message.ok)) {
        const error = message.error ?? message;
        sub.error = `${error.code}: ${error.message}`;
        reject(new Error(sub.error));
      }
    });
    ws.on('error', (error) => reject(error));
    ws.on('close', (code) => {
      if (!sub.ready) reject(new Error(`closed with ${code} before the snapshot`));
      else if (measuring) sub.closedEarly = true;
    });
  });
}

function openFloor(sub: Subscriber, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    sub.close = () => ws.terminate();
    ws.on('message', (frame: Buffer) => {
      const recv = now();
      if (isDelta(frame)) return applyDelta(sub, frame, recv);
      const message = JSON.parse(frame.toString('utf8'));
      if (message.type === 'snapshot') {
        applySnapshot(sub, message.records, message.seq);
        sub.ready = true;
        resolve();
      }
    });
    ws.on('error', (error) => reject(error));
    ws.on('close', (code) => {
      if (!sub.ready) reject(new Error(`closed with ${code} before the snapshot`));
      else if (measuring) sub.closedEarly = true;
    });
  });
}

function openSocketIo(sub: Subscriber, url: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connectSocketIo(url, {
      path,
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 60_000,
      query: { channel: channelName(workload, sub.channel) },
    });
    sub.close = () => socket.disconnect();
    const one = { idx: new Int32Array(1), val: new Int32Array(1), t: new Float64Array(1) };
    socket.on('snapshot', (records: Array<{ id: string; value: number }>) => {
      applySnapshot(sub, records, 0);
      sub.ready = true;
      resolve();
    });
    socket.on('update', (update: { id: string; value: number; t: number }) => {
      const recv = now();
      one.idx[0] = recordIndex(update.id);
      if (!isVisible(workload, sub.group, one.idx[0])) sub.foreign++;
      one.val[0] = update.value;
      one.t[0] = update.t;
      applyEntries(sub, recv, 1, one.idx, one.val, one.t);
    });
    socket.on('connect_error', (error) => reject(error));
    socket.on('disconnect', (reason) => {
      if (!sub.ready) reject(new Error(`disconnected (${reason}) before the snapshot`));
      else if (measuring) sub.closedEarly = true;
    });
  });
}

async function open(sub: Subscriber, args: ConnectArgs): Promise<void> {
  const base = `127.0.0.1:${args.port}`;
  for (let attempt = 1; ; attempt++) {
    try {
      if (args.system === 'pulseboard') return await openPulse(sub, `ws://${base}${args.path}`);
      if (args.system === 'floor') {
        const paced = subscriberPace(workload, sub.index) === undefined ? '' : '&paced=1';
        return await openFloor(sub, `ws://${base}${args.path}?channel=${channelName(workload, sub.channel)}${paced}`);
      }
      return await openSocketIo(sub, `http://${base}`, args.path);
    } catch (error) {
      sub.close();
      // A refused or reset connection during a burst of connects is retried; a protocol
      // refusal (an error frame) is not.
      if (sub.error !== undefined || attempt >= 3) {
        sub.error ??= error instanceof Error ? error.message : String(error);
        return;
      }
      Object.assign(sub, newSubscriber(sub.index));
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

// ---- commands ----------------------------------------------------------------------------

async function connect(args: ConnectArgs): Promise<{ ready: number; failed: number; errors: string[]; ms: number }> {
  workload = args.workload;
  // With a box per subscriber nearly every frame is different: nothing to share.
  useCache = workload.channels === 1 && !workload.viewports;
  const started = Date.now();
  for (let i = args.from; i < args.to; i++) subscribers.push(newSubscriber(i));
  let next = 0;
  const worker = async () => {
    while (next < subscribers.length) await open(subscribers[next++], args);
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, subscribers.length) }, worker));
  const failed = subscribers.filter((s) => !s.ready);
  const errors = [...new Set(failed.map((s) => s.error ?? 'unknown error'))].slice(0, 5);
  return { ready: subscribers.length - failed.length, failed: failed.length, errors, ms: Date.now() - started };
}

function stateMatches(sub: Subscriber, finalValues: Int32Array): boolean {
  for (let r = 0; r < finalValues.length; r++) {
    if (isVisible(workload, sub.group, r) && sub.state[r] !== finalValues[r]) return false;
  }
  return true;
}

/** Waits until every subscriber's state reflects all `published` updates, or `timeoutMs`. */
async function finish(args: { published: number; timeoutMs: number }): Promise<ClientReport> {
  const expect = expectations(workload, args.published);
  const deadline = Date.now() + args.timeoutMs;
  for (;;) {
    let pending = 0;
    for (const sub of subscribers) {
      if (!sub.done && sub.ready && stateMatches(sub, expect(sub.channel, sub.group).finalValues)) sub.done = true;
      if (!sub.done) pending++;
    }
    if (pending === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  measuring = false;
  const report: ClientReport = {
    subscribers: subscribers.length, complete: 0, consistent: 0, recoveries: 0, presenceFrames: 0, merged: 0, invalidFrames: 0, delivered: 0, expected: 0, frames: 0, bytes: 0,
    chainBreaks: 0, foreign: 0, closedEarly: 0, firstRecv, lastRecv, latency: histogram.toSparse(), incomplete: [],
    cpuSeconds: cpuSeconds() - marked.cpu, runQueueSeconds: runQueueSeconds() - marked.runQueue,
  };
  for (const sub of subscribers) {
    const e = expect(sub.channel, sub.group);
    report.expected += e.count;
    report.delivered += sub.entries;
    report.frames += sub.frames;
    report.bytes += sub.bytes;
    report.chainBreaks += sub.chainBreaks;
    report.recoveries += sub.recoveries;
    report.presenceFrames += sub.presenceFrames;
    report.merged += sub.merged;
    report.invalidFrames += sub.invalidFrames;
    report.foreign += sub.foreign;
    if (sub.closedEarly) report.closedEarly++;
    // Consistent: final state, gap-free chain, every delta exactly what its range must hold, so
    // every update arrived or was superseded inside one batch. Complete: none was superseded.
    const consistent = sub.done && sub.chainBreaks === 0 && sub.invalidFrames === 0 && sub.foreign === 0 && !sub.closedEarly && sub.entries + sub.merged === e.count;
    if (consistent) report.consistent++;
    if (consistent && sub.merged === 0) report.complete++;
    else if (report.incomplete.length < 5) {
      report.incomplete.push(
        `subscriber ${sub.index}: ${sub.entries}/${e.count} updates, state ${sub.done ? 'final' : 'NOT final'}, ${sub.chainBreaks} seq gaps, ` +
          `${sub.merged} merged in a batch, ${sub.invalidFrames} wrong deltas, ${sub.recoveries} catch-up deltas, ` +
          `${sub.foreign} outside filter${sub.closedEarly ? ', closed early' : ''}`,
      );
    }
  }
  return report;
}

serve({
  connect,
  mark: () => {
    marked = { cpu: cpuSeconds(), runQueue: runQueueSeconds() };
    return true;
  },
  finish,
  exit: () => {
    measuring = false;
    for (const sub of subscribers) sub.close();
    setTimeout(() => process.exit(0), 50);
    return true;
  },
});

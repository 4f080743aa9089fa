/**
 * `npm run soak`: a bounded soak run of the hub. Starts a hub in a child process, connects a
 * few hundred subscribers (some with filters) while publishers run at a steady rate, and lets
 * the subscribers drop and come back with `since` (at once, after a pause, or never) for the
 * whole run. At the end every subscriber's copy of each channel is compared with the hub's
 * snapshot and every event it should have seen is accounted for.
 *
 *   npm run soak                                   300 clients, 60 s
 *   npm run soak -- --clients 500 --seconds 120 --rate 400
 *
 * Prints lost updates (must be 0), gaps (0), duplicates (0), reconnects and the hub's memory
 * (RSS) at start and end. Exit code 1 on any loss, gap or protocol violation; 2 for bad
 * arguments. Not part of `npm test`. See docs/operations.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { applyMergePatch } from '../lib/protocol/merge-patch';
import type { Json } from '../lib/protocol';

const USAGE = 'usage: npm run soak -- [--clients N] [--seconds S] [--rate publishes/s] [--channels C] [--publishers P]';
const ROOT = path.resolve(__dirname, '..');
const TENANT = 'demo';
const RECORDS_PER_CHANNEL = 40;
const GROUPS = ['a', 'b', 'c'];

// ---- arguments ---------------------------------------------------------------------------

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        clients: { type: 'string', default: '300' },
        seconds: { type: 'string', default: '60' },
        rate: { type: 'string', default: '200' },
        channels: { type: 'string', default: '8' },
        publishers: { type: 'string', default: '4' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) fail(USAGE, 0);
  const number = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive integer\n${USAGE}`);
    return n;
  };
  return { clients: number('clients'), seconds: number('seconds'), rate: number('rate'), channels: number('channels'), publishers: number('publishers') };
}

// ---- small helpers -----------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- server frames, read field by field
type Msg = Record<string, any>;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];
/** Exponentially distributed delay with the given mean: independent random events in time. */
const exponential = (meanMs: number) => -Math.log(1 - Math.random()) * meanMs;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface Hub {
  process: ChildProcess;
  url: string;
  wsUrl: string;
  stderr: () => string;
}

function startHub(env: Record<string, string>): Promise<Hub> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/helpers/hub-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', PULSE_SIMULATOR: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${stderr}`)));
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      const { port } = JSON.parse(line) as { port: number };
      resolve({ process: child, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/api/ws`, stderr: () => stderr });
    });
  });
}

async function adminGet(hub: Hub, apiKey: string, route: string): Promise<Response> {
  const response = await fetch(`${hub.url}${route}`, { headers: { authorization: `Bearer ${apiKey}`, 'x-tenant-id': TENANT } });
  if (!response.ok) throw new Error(`GET ${route}: ${response.status}`);
  return response;
}

/** The hub's resident memory and V8 heap in use, from its own /metrics. */
async function hubMemory(hub: Hub, apiKey: string): Promise<{ rss: number; heap: number }> {
  const text = await (await adminGet(hub, apiKey, '/metrics')).text();
  const sample = (name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? NaN);
  return { rss: sample('process_resident_memory_bytes'), heap: sample('nodejs_heap_size_used_bytes') };
}

// ---- one subscriber's view of one channel --------------------------------------------------

/**
 * A channel as one subscriber holds it, built from snapshots and deltas only. Every publish of
 * the run carries exactly one event (unfiltered by any subscription here), so a subscriber
 * must see one event per seq after its first snapshot: missing seqs are lost updates.
 */
class Mirror {
  readonly records = new Map<string, Json>();
  epoch = '';
  seq = -1;
  /** Seq of the first snapshot: events after it must all arrive. */
  baseSeq = -1;
  readonly eventSeqs = new Set<number>();
  duplicates = 0;
  gaps = 0;

  constructor(readonly channel: string, readonly filter: Msg | undefined) {}

  apply(m: Msg, problems: string[]): void {
    if (m.type === 'snapshot') {
      // A first snapshot starts the account; a later one (after a `since`) means history did
      // not reach back: a gap.
      if (this.baseSeq >= 0) this.gaps++;
      if (this.baseSeq < 0 || m.gap) {
        this.baseSeq = m.seq;
        this.eventSeqs.clear();
      }
      this.records.clear();
      for (const record of m.records) this.records.set(record.id, record);
      this.epoch = m.epoch;
      this.seq = m.seq;
    } else if (m.type === 'delta') {
      if (m.prevSeq !== this.seq || m.epoch !== this.epoch) {
        this.gaps++;
        problems.push(`${this.channel}: delta prevSeq ${m.prevSeq} after seq ${this.seq}`);
      }
      for (const id of m.delete ?? []) this.records.delete(id);
      for (const patch of m.upsert ?? []) {
        this.records.set(patch.id, m.recovery ? patch : applyMergePatch(this.records.get(patch.id), patch));
      }
      for (const event of m.events ?? []) {
        if (this.eventSeqs.has(event.seq)) this.duplicates++;
        this.eventSeqs.add(event.seq);
      }
      this.seq = m.seq;
    }
  }

  /** Seqs in (baseSeq, upTo] whose event never arrived. */
  missingEvents(upTo: number): number {
    let missing = 0;
    for (let seq = this.baseSeq + 1; seq <= upTo; seq++) if (!this.eventSeqs.has(seq)) missing++;
    return missing;
  }
}

// ---- subscribers -------------------------------------------------------------------------

type Phase = 'connected' | 'away' | 'gone';

class Subscriber {
  phase: Phase = 'away';
  socket: WebSocket | undefined;
  reconnects = 0;
  readonly problems: string[] = [];
  private nextRef = 1;

  constructor(readonly url: string, readonly mirrors: Mirror[]) {}

  /** Connects, authenticates and (re)subscribes every channel, with `since` when it has a position. */
  connect(): Promise<void> {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.on('open', () => {
        socket.send(JSON.stringify({ type: 'auth', ref: 'auth' }));
        for (const mirror of this.mirrors) {
          const since = mirror.seq >= 0 ? { since: { epoch: mirror.epoch, seq: mirror.seq } } : {};
          socket.send(JSON.stringify({ type: 'subscribe', ref: this.nextRef++, channel: mirror.channel, ...(mirror.filter ? { filter: mirror.filter } : {}), ...since }));
        }
      });
      socket.on('message', (data) => {
        if (socket !== this.socket) return;
        const m = JSON.parse(data.toString()) as Msg;
        if (m.type === 'welcome') {
          this.phase = 'connected';
          resolve();
        } else if (m.type === 'error' || (m.type === 'reply' && !m.ok)) {
          this.problems.push(`unexpected ${JSON.stringify(m)}`);
        } else {
          this.mirrors.find((mirror) => mirror.channel === m.channel)?.apply(m, this.problems);
        }
      });
      socket.on('close', (code) => {
        if (socket === this.socket && this.phase === 'connected') this.problems.push(`closed by the server with ${code}`);
      });
    });
  }

  /** Drops the connection, cleanly or not, and comes back after `awayMs` (never when undefined). */
  async drop(awayMs: number | undefined): Promise<void> {
    const socket = this.socket!;
    this.phase = awayMs === undefined ? 'gone' : 'away';
    if (Math.random() < 0.5) socket.terminate();
    else socket.close(1000);
    if (awayMs === undefined) return;
    await sleep(awayMs);
    this.reconnects++;
    await this.connect();
  }

  close(): void {
    this.phase = 'gone';
    this.socket?.close(1000);
  }
}

function randomFilter(): Msg | undefined {
  const roll = Math.random();
  if (roll < 0.7) return undefined;
  if (roll < 0.8) return { where: { group: pick(GROUPS) } };
  if (roll < 0.9) return { where: { group: { in: ['a', 'b'] }, value: { gte: 50 } }, fields: ['group', 'value'] };
  return { ids: Array.from({ length: 10 }, (_, i) => `r${i * 3}`) };
}

// ---- publishers --------------------------------------------------------------------------

/**
 * Publishes round-robin over the channels until stopped; every publish carries one event.
 * Paced at `perSecond` without catching up after a stall (a burst to catch up would trip the
 * rate limit); publishes are pipelined (up to 32 awaiting their reply), so the pace does not
 * depend on round trips. A refused publish stops the publishing and is reported as a problem.
 */
async function runPublisher(
  url: string,
  token: string,
  channels: string[],
  perSecond: number,
  stop: { stopped: boolean },
  problems: string[],
): Promise<number> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const pending = new Map<number, (m: Msg) => void>();
  socket.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Msg;
    pending.get(m.ref)?.(m);
    pending.delete(m.ref);
  });
  let ref = 0;
  const request = (body: Msg) =>
    new Promise<Msg>((resolve) => {
      const r = ++ref;
      pending.set(r, resolve);
      socket.send(JSON.stringify({ ...body, ref: r }));
    });
  const welcome = await request({ type: 'auth', token });
  if (welcome.type !== 'welcome') throw new Error(`publisher auth failed: ${JSON.stringify(welcome)}`);

  let published = 0;
  const inFlight = new Set<Promise<Msg>>();
  const interval = 1000 / perSecond;
  let nextAt = performance.now();
  while (!stop.stopped) {
    const channel = channels[published % channels.length];
    const upsert = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => ({
      id: `r${Math.floor(Math.random() * RECORDS_PER_CHANNEL)}`,
      group: pick(GROUPS),
      value: Math.floor(Math.random() * 100),
      n: published,
      ...(Math.random() < 0.2 ? { note: null } : { note: randomBytes(8).toString('hex') }),
    }));
    const deleted = Math.random() < 0.05 ? [`r${Math.floor(Math.random() * RECORDS_PER_CHANNEL)}`].filter((id) => !upsert.some((r) => r.id === id)) : [];
    const priority = Math.random() < 0.01 ? 'critical' : pick(['low', 'normal', 'high']);
    const reply = request({ type: 'publish', channel, upsert, ...(deleted.length ? { delete: deleted } : {}), events: [{ type: 'tick', priority, data: { n: published } }] });
    inFlight.add(reply);
    void reply.then((m) => {
      inFlight.delete(reply);
      if (!m.ok) {
        problems.push(`publish refused: ${JSON.stringify(m)}`);
        stop.stopped = true;
      }
    });
    published++;
    if (inFlight.size >= 32) await Promise.race(inFlight);
    nextAt = Math.max(nextAt + interval, performance.now());
    await sleep(nextAt - performance.now());
  }
  await Promise.all(inFlight);
  socket.close(1000);
  return published;
}

// ---- the run -----------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = options();
  const secret = randomBytes(24).toString('base64url');
  const apiKey = randomBytes(16).toString('base64url');
  const channels = Array.from({ length: opts.channels }, (_, i) => `soak:${i}`);
  console.log(
    `soak: ${opts.clients} clients, ${opts.channels} channels, ${opts.rate} publishes/s from ${opts.publishers} publishers, ${opts.seconds} s`,
  );

  const hub = await startHub({
    PULSE_JWT_SECRET: secret,
    PULSE_API_KEY: apiKey,
    PULSE_LOG_LEVEL: 'warn',
    PULSE_MAX_CONNECTIONS_PER_TENANT: String(opts.clients + opts.publishers + 10),
  });
  // Whatever happens to this process, the hub does not outlive it.
  process.on('exit', () => hub.process.exitCode === null && hub.process.kill('SIGKILL'));
  let exitCode = 1;
  try {
    await sleep(500);
    const memStart = await hubMemory(hub, apiKey);

    // Subscribers: one to three channels each, some through a filter.
    const subscribers = Array.from({ length: opts.clients }, () => {
      const mine = [...channels].sort(() => Math.random() - 0.5).slice(0, 1 + Math.floor(Math.random() * 3));
      return new Subscriber(hub.wsUrl, mine.map((channel) => new Mirror(channel, randomFilter())));
    });
    for (let i = 0; i < subscribers.length; i += 50) await Promise.all(subscribers.slice(i, i + 50).map((s) => s.connect()));
    await sleep(500);
    const memConnected = await hubMemory(hub, apiKey);
    console.log(`connected ${subscribers.length} subscribers (${subscribers.reduce((n, s) => n + s.mirrors.length, 0)} subscriptions)`);

    const token = await new SignJWT({ tenant: TENANT, channels: { publish: ['soak:*'], subscribe: [] } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('soak-publisher')
      .setExpirationTime(Math.floor(Date.now() / 1000) + opts.seconds + 600)
      .sign(new TextEncoder().encode(secret));
    const stop = { stopped: false };
    const publisherProblems: string[] = [];
    const publishers = Array.from({ length: opts.publishers }, () =>
      runPublisher(hub.wsUrl, token, channels, opts.rate / opts.publishers, stop, publisherProblems),
    );

    // Churn: each subscriber drops every ~10 s on average: half come back at once, most of
    // the rest after a pause of up to 5 s, a few leave for good.
    const endAt = Date.now() + opts.seconds * 1000;
    const churn = subscribers.map(async (subscriber) => {
      const churnEnd = endAt - 3000;
      for (;;) {
        await sleep(Math.min(exponential(10_000), Math.max(0, churnEnd - Date.now())));
        if (Date.now() >= churnEnd || subscriber.phase !== 'connected') return;
        const roll = Math.random();
        await subscriber.drop(roll < 0.5 ? 0 : roll < 0.95 ? Math.random() * 5000 : undefined);
      }
    });
    const rssSeries: number[] = [memConnected.rss];
    while (Date.now() < endAt) {
      await sleep(Math.min(5000, endAt - Date.now()));
      rssSeries.push((await hubMemory(hub, apiKey)).rss);
    }
    stop.stopped = true;
    const published = (await Promise.all(publishers)).reduce((a, b) => a + b, 0);
    await Promise.all(churn);
    // Let the last batches and catch-ups land.
    await sleep(1500);
    const memEnd = await hubMemory(hub, apiKey);
    const stats = (await (await adminGet(hub, apiKey, '/api/ws/stats')).json()) as Msg;

    // Account for every subscriber's every channel.
    const finalSeqs = new Map<string, number>();
    for (const channel of channels) {
      const snapshot = (await (await adminGet(hub, apiKey, `/api/channels/${channel}/snapshot`)).json()) as Msg;
      finalSeqs.set(channel, snapshot.seq);
    }
    const snapshots = new Map<string, Msg>();
    const snapshotOf = async (channel: string, filter: Msg | undefined) => {
      const key = `${channel}\n${JSON.stringify(filter ?? {})}`;
      if (!snapshots.has(key)) {
        const query = filter ? `?filter=${encodeURIComponent(JSON.stringify(filter))}` : '';
        snapshots.set(key, (await (await adminGet(hub, apiKey, `/api/channels/${channel}/snapshot${query}`)).json()) as Msg);
      }
      return snapshots.get(key)!;
    };
    let lostEvents = 0;
    let lostRecords = 0;
    let gaps = 0;
    let duplicates = 0;
    let behind = 0;
    const problems: string[] = [...publisherProblems];
    for (const subscriber of subscribers) {
      problems.push(...subscriber.problems);
      for (const mirror of subscriber.mirrors) {
        gaps += mirror.gaps;
        duplicates += mirror.duplicates;
        if (subscriber.phase === 'gone') {
          // Left early: everything up to where it left must be there.
          lostEvents += mirror.missingEvents(mirror.seq);
          continue;
        }
        const finalSeq = finalSeqs.get(mirror.channel)!;
        if (mirror.seq !== finalSeq) behind++;
        lostEvents += mirror.missingEvents(finalSeq);
        const expected = await snapshotOf(mirror.channel, mirror.filter);
        const want = new Map<string, string>(expected.records.map((r: Msg) => [r.id, JSON.stringify(sortKeys(r))]));
        for (const [id, text] of want) if (JSON.stringify(sortKeys(mirror.records.get(id) as Msg)) !== text) lostRecords++;
        for (const id of mirror.records.keys()) if (!want.has(id)) lostRecords++;
      }
    }
    const reconnects = subscribers.reduce((n, s) => n + s.reconnects, 0);
    const gone = subscribers.filter((s) => s.phase === 'gone').length;
    for (const subscriber of subscribers) subscriber.close();
    const lost = lostEvents + lostRecords;
    console.log('');
    console.log(`published            ${published} (${(published / opts.seconds).toFixed(0)}/s)`);
    console.log(`delivered (hub)      ${stats.messages.out} frames, delivery latency p50 ${stats.latencyMs.p50} ms, p99 ${stats.latencyMs.p99} ms`);
    console.log(`reconnects           ${reconnects} with since; ${gone} subscribers left early`);
    console.log(`lost updates         ${lost} (${lostEvents} events, ${lostRecords} records)`);
    console.log(`gaps                 ${gaps}`);
    console.log(`duplicate events     ${duplicates}`);
    console.log(`behind at the end    ${behind} subscriptions`);
    console.log(`protocol problems    ${problems.length}${problems.length ? `: ${problems.slice(0, 5).join('; ')}` : ''}`);
    console.log(`hub errors           ${JSON.stringify(stats.errors)}; slow consumers ${stats.slowConsumers}`);
    console.log(`hub RSS              start ${mb(memStart.rss)}, ${opts.clients} connected ${mb(memConnected.rss)}, peak ${mb(Math.max(...rssSeries))}, end ${mb(memEnd.rss)}`);
    console.log(`hub RSS every 5 s    ${rssSeries.map((bytes) => (bytes / 1024 / 1024).toFixed(0)).join(' ')} MB`);
    console.log(`hub V8 heap used     start ${mb(memStart.heap)}, end ${mb(memEnd.heap)}`);
    const ok = lost === 0 && gaps === 0 && duplicates === 0 && behind === 0 && problems.length === 0;
    console.log(ok ? '\nsoak: PASS' : '\nsoak: FAIL');
    exitCode = ok ? 0 : 1;
  } finally {
    hub.process.kill('SIGTERM');
    await new Promise((resolve) => hub.process.once('exit', resolve));
    const errors = hub.stderr().split('\n').filter((line) => line.includes('"level":50') || line.includes('"level":60'));
    if (errors.length) {
      console.log(`hub logged ${errors.length} errors, first: ${errors[0]}`);
      exitCode = 1;
    }
  }
  process.exit(exitCode);
}

function sortKeys(value: Msg | undefined): Msg | undefined {
  if (value === undefined) return undefined;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

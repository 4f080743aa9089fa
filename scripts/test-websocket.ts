/**
 * Smoke test of a running Pulseboard server over the real wire protocol (docs/protocol.md): health,
 * connect, auth, subscribe, publish over HTTP and over the socket, delivery of the resulting
 * deltas, lossless resume with `since` after a forced drop, and the admin stats route.
 *
 *   npm run test:websocket -- --url ws://localhost:3000/api/ws [--token JWT] [--api-key KEY]
 *                             [--channel NAME] [--timeout MS]
 *
 * Prints one line per check (`✓ name (12 ms)`, `✗ name: reason`, `- name: skipped: reason`)
 * and exits 0 when nothing failed, 1 when a check failed, 2 on bad arguments. Every check has a
 * time limit, so the script always ends.
 *
 * The script writes one record (`smoke-<run id>`) to the channel and deletes it at the end.
 * HTTP publishes use the API key when one is given (into the session's tenant); without one they
 * use the token, and otherwise no credentials at all, which a development server accepts from
 * loopback clients as admin.
 *
 * Deliberately built on `ws` alone, not on the browser client: it checks the server exactly as
 * the protocol page describes it, whatever the client library does.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { isChannelName } from '../lib/protocol/channel';
import type {
  ClientMessage,
  DeltaMessage,
  ErrorMessage,
  PublishResult,
  ReplyMessage,
  ServerMessage,
  SnapshotMessage,
  StreamPosition,
  WelcomeMessage,
} from '../lib/protocol/messages';

const USAGE =
  'usage: npm run test:websocket -- --url ws://HOST:PORT/api/ws [--token JWT] [--api-key KEY] [--channel NAME] [--timeout MS]';
const DEFAULT_CHANNEL = 'smoke-test';
const DEFAULT_TIMEOUT_MS = 5000;

interface Options {
  url: string;
  httpBase: string;
  token: string | undefined;
  apiKey: string | undefined;
  channel: string;
  timeoutMs: number;
}

// ---- options ------------------------------------------------------------------------------

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'api-key': { type: 'string' },
      channel: { type: 'string', default: DEFAULT_CHANNEL },
      timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_MS) },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (!values.url) throw new UsageError('--url is required');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url is not a URL: ${values.url}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError('--url must start with ws:// or wss://');
  if (!isChannelName(values.channel)) throw new UsageError('--channel must match ^[A-Za-z0-9_.:-]{1,128}$');
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout must be a positive integer (ms)');
  return {
    url: url.href,
    httpBase: `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`,
    token: values.token || undefined,
    apiKey: values['api-key'] || undefined,
    channel: values.channel,
    timeoutMs,
  };
}

// ---- checks -------------------------------------------------------------------------------

/** Thrown by a check that cannot apply here; printed as a skip, not a failure. */
class Skip extends Error {}

/** Time left for the running check; every wait inside a check takes its limit from here. */
interface Budget {
  left(): number;
}

/** Runs named checks one after another, each within the time limit, and prints one line each. */
class Checks {
  passed = 0;
  failed = 0;
  skipped = 0;

  constructor(private readonly timeoutMs: number) {}

  /** Resolves with the check's value, or undefined when it failed or was skipped. */
  async run<T>(name: string, body: (budget: Budget) => Promise<T>): Promise<T | undefined> {
    const started = performance.now();
    const deadline = started + this.timeoutMs;
    const budget: Budget = { left: () => Math.max(1, Math.round(deadline - performance.now())) };
    const work = body(budget);
    // A body still running after its time limit may fail later; that failure is already reported.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs + 50);
    });
    try {
      const value = await Promise.race([work, limit]);
      this.passed++;
      console.log(`✓ ${name} (${Math.round(performance.now() - started)} ms)`);
      return value;
    } catch (error) {
      if (error instanceof Skip) this.skip(name, error.message);
      else this.fail(name, describeError(error));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  skip(name: string, reason: string): void {
    this.skipped++;
    console.log(`- ${name}: skipped: ${reason}`);
  }

  fail(name: string, reason: string): void {
    this.failed++;
    console.log(`✗ ${name}: ${reason}`);
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${error.message} (${code ?? cause.message})`;
  }
  return error.message;
}

// ---- the socket ---------------------------------------------------------------------------

interface Waiter {
  match: (message: ServerMessage) => boolean;
  resolve: (message: ServerMessage) => void;
  reject: (error: Error) => void;
}

/**
 * One WebSocket with a queue of received messages: wait for the next one that matches, or
 * send a request and wait for its reply. Keeps the last position seen on each channel and
 * notes any delta that breaks the gap rule (docs/protocol.md §5).
 */
class Connection {
  private readonly unread: ServerMessage[] = [];
  private waiters: Waiter[] = [];
  private nextRef = 1;
  private closedWith: string | undefined;
  private lastError: ErrorMessage | undefined;
  readonly positions = new Map<string, StreamPosition>();
  readonly gaps: string[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.receive(data.toString()));
    socket.on('close', (code, reason) => {
      const error = this.lastError ? `${this.lastError.code}: ${this.lastError.message}, ` : '';
      this.closedWith = `${error}connection closed with ${code}${reason.length ? ` (${reason.toString()})` : ''}`;
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(this.closedWith));
    });
    // Errors after the handshake are followed by 'close', which reports them to the waiters.
    socket.on('error', () => undefined);
  }

  static open(url: string, timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
      const connection = new Connection(socket);
      socket.once('open', () => resolve(connection));
      socket.once('error', (error) => reject(error));
    });
  }

  send(message: ClientMessage): void {
    this.socket.send(JSON.stringify(message));
  }

  /** The next unread message that `match` accepts, waiting up to `timeoutMs` for it. */
  next<T extends ServerMessage>(match: (message: ServerMessage) => message is T, what: string, timeoutMs: number): Promise<T> {
    const index = this.unread.findIndex(match);
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0] as T);
    if (this.closedWith) return Promise.reject(new Error(this.closedWith));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const error = this.lastError ? ` (last error: ${this.lastError.code}: ${this.lastError.message})` : '';
        reject(new Error(`no ${what} within ${timeoutMs} ms${error}`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (message) => (clearTimeout(timer), resolve(message as T)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends a request with a fresh `ref` and resolves with its reply. */
  async request(message: ClientMessage, timeoutMs: number): Promise<ReplyMessage> {
    const ref = `smoke-${this.nextRef++}`;
    this.send({ ...message, ref });
    return this.next((m): m is ReplyMessage => m.type === 'reply' && m.ref === ref, `reply to ${message.type}`, timeoutMs);
  }

  /** Drops the connection without a closing handshake, as a network failure would. */
  terminate(): void {
    this.socket.terminate();
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
  }

  private receive(text: string): void {
    let message: ServerMessage;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') return;
      message = value as ServerMessage;
    } catch {
      return;
    }
    if (message.type === 'error') this.lastError = message;
    if (message.type === 'snapshot' || message.type === 'delta') this.track(message);
    const index = this.waiters.findIndex((w) => w.match(message));
    if (index >= 0) this.waiters.splice(index, 1)[0].resolve(message);
    else this.unread.push(message);
  }

  private track(message: SnapshotMessage | DeltaMessage): void {
    const last = this.positions.get(message.channel);
    if (message.type === 'delta' && last && (last.epoch !== message.epoch || last.seq !== message.prevSeq)) {
      this.gaps.push(`delta on ${message.channel} with prevSeq ${message.prevSeq} after seq ${last.seq}`);
    }
    this.positions.set(message.channel, { epoch: message.epoch, seq: message.seq });
  }
}


function replyError(reply: ReplyMessage): string {
  return reply.ok ? 'ok' : `${reply.error.code}: ${reply.error.message}`;
}

/** Opens a socket and authenticates (anonymously without a token). */
async function connectAndAuth(options: Options, budget: Budget): Promise<{ connection: Connection; welcome: WelcomeMessage }> {
  const connection = await Connection.open(options.url, budget.left());
  const welcome = await authenticate(connection, options.token, budget);
  return { connection, welcome };
}

async function authenticate(connection: Connection, token: string | undefined, budget: Budget): Promise<WelcomeMessage> {
  connection.send({ type: 'auth', ref: 'auth', ...(token ? { token } : {}) });
  const answer = await connection.next(
    (m): m is WelcomeMessage | ErrorMessage | ReplyMessage => m.type === 'welcome' || m.type === 'error' || (m.type === 'reply' && m.ref === 'auth'),
    'welcome',
    budget.left(),
  );
  if (answer.type === 'error') throw new Error(`${answer.code}: ${answer.message}`);
  if (answer.type === 'reply') throw new Error(replyError(answer));
  if (answer.protocol !== 1) throw new Error(`server speaks protocol ${answer.protocol}, this script speaks 1`);
  return answer;
}

/** Subscribes and waits for the data that follows the reply: a snapshot, or a recovery delta. */
async function subscribe(
  connection: Connection,
  channel: string,
  since: StreamPosition | undefined,
  budget: Budget,
): Promise<{ recovered: boolean; first: SnapshotMessage | DeltaMessage }> {
  const reply = await connection.request({ type: 'subscribe', channel, ...(since ? { since } : {}) }, budget.left());
  if (!reply.ok) throw new Error(`refused: ${replyError(reply)}`);
  const first = await connection.next(
    (m): m is SnapshotMessage | DeltaMessage => (m.type === 'snapshot' || m.type === 'delta') && m.channel === channel,
    `snapshot or delta for ${channel}`,
    budget.left(),
  );
  return { recovered: reply.recovered === true, first };
}

// ---- HTTP ---------------------------------------------------------------------------------

interface HttpAnswer {
  status: number;
  body: unknown;
}

async function httpJson(options: Options, method: string, path: string, headers: Record<string, string>, body: unknown, budget: Budget): Promise<HttpAnswer> {
  const timeoutMs = budget.left();
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${options.httpBase}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') throw new Error(`no answer to ${method} ${path} within ${timeoutMs} ms`);
    throw error;
  }
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

function httpError(answer: HttpAnswer): string {
  const error = (answer.body as { error?: { code?: string; message?: string } } | null)?.error;
  return error ? `HTTP ${answer.status} ${error.code}: ${error.message}` : `HTTP ${answer.status}`;
}

/**
 * Publishes over HTTP into `tenant`, trying the credentials that may be allowed in turn: the
 * API key; else the token, then (for tenant `demo`) none, which a development server grants
 * loopback clients; else none. Remembers the first that worked for later publishes.
 */
class HttpPublisher {
  private accepted: Record<string, string> | undefined;

  constructor(private readonly options: Options, private readonly tenant: string) {}

  private candidates(): Array<Record<string, string>> {
    if (this.accepted) return [this.accepted];
    const { apiKey, token } = this.options;
    if (apiKey) return [{ authorization: `Bearer ${apiKey}`, 'x-tenant-id': this.tenant }];
    if (token) return this.tenant === 'demo' ? [{ authorization: `Bearer ${token}` }, {}] : [{ authorization: `Bearer ${token}` }];
    return [{}];
  }

  async publish(channel: string, body: Record<string, unknown>, budget: Budget): Promise<PublishResult> {
    let refusal = '';
    for (const headers of this.candidates()) {
      const answer = await httpJson(this.options, 'POST', `/api/channels/${encodeURIComponent(channel)}/publish`, headers, body, budget);
      if (answer.status === 200) {
        this.accepted = headers;
        const result = answer.body as PublishResult;
        if (typeof result?.seq !== 'number' || typeof result.epoch !== 'string') throw new Error(`unexpected answer ${JSON.stringify(answer.body)}`);
        return result;
      }
      refusal = httpError(answer);
      if (answer.status !== 401 && answer.status !== 403) break;
    }
    throw new Error(this.options.apiKey ? refusal : `${refusal} (pass --api-key)`);
  }
}

// ---- the run ------------------------------------------------------------------------------

/** A delta on `channel` whose upsert carries `recordId` at `step`. */
function deltaWith(channel: string, recordId: string, step: string) {
  return (m: ServerMessage): m is DeltaMessage =>
    m.type === 'delta' && m.channel === channel && (m.upsert ?? []).some((r) => r.id === recordId && r.step === step);
}

async function smokeTest(options: Options): Promise<Checks> {
  const checks = new Checks(options.timeoutMs);
  const { channel } = options;
  const run = randomBytes(4).toString('hex');
  const recordId = `smoke-${run}`;
  const connections: Connection[] = [];

  console.log(`Pulseboard smoke test: ${options.url} (channel ${channel}, record ${recordId})`);
  try {
    await checks.run('health', async (budget) => {
      const answer = await httpJson(options, 'GET', '/api/health', {}, undefined, budget);
      const status = (answer.body as { status?: unknown } | null)?.status;
      if (answer.status !== 200 || status !== 'ok') throw new Error(`HTTP ${answer.status}, status ${JSON.stringify(status)}`);
    });

    const first = await checks.run('connect', (budget) => Connection.open(options.url, budget.left()));
    if (first) connections.push(first);
    const welcome = first
      ? await checks.run(`auth (${options.token ? 'token' : 'anonymous'})`, (budget) => authenticate(first, options.token, budget))
      : undefined;
    if (!first) checks.skip('auth', 'not connected');

    let subscribed: boolean | undefined;
    if (first && welcome) {
      await checks.run('ping', async (budget) => {
        const reply = await first.request({ type: 'ping' }, budget.left());
        if (!reply.ok || typeof reply.ts !== 'number') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
      });
      subscribed = await checks.run(`subscribe ${channel}`, async (budget) => {
        const { recovered, first: data } = await subscribe(first, channel, undefined, budget);
        if (recovered) throw new Error('reply says recovered: true without a since');
        if (data.type !== 'snapshot') throw new Error(`expected a snapshot, got a ${data.type}`);
        return true;
      });
    }

    if (!first || !welcome || !subscribed) {
      const names = ['publish over HTTP', 'delta from HTTP publish', 'publish over socket', 'delta from socket publish', 'resume with since after a drop'];
      if (!welcome) names.unshift('ping', `subscribe ${channel}`);
      for (const name of names) checks.skip(name, welcome ? 'subscribe failed' : 'not authenticated');
    } else {
      const publisher = new HttpPublisher(options, welcome.tenant);

      const httpPublished = await checks.run('publish over HTTP', (budget) =>
        publisher.publish(channel, { upsert: [{ id: recordId, run, step: 'http' }] }, budget),
      );

      await (httpPublished
        ? checks.run('delta from HTTP publish', async (budget) => {
            const delta = await first.next(deltaWith(channel, recordId, 'http'), `delta with ${recordId}`, budget.left());
            if (delta.seq < httpPublished.seq) throw new Error(`delta seq ${delta.seq} is before the publish's seq ${httpPublished.seq}`);
            if (first.gaps.length) throw new Error(`gap rule broken: ${first.gaps.join('; ')}`);
          })
        : checks.skip('delta from HTTP publish', 'publish over HTTP failed'));

      const anonymous = !options.token;
      const socketPublished = await checks.run('publish over socket', async (budget) => {
        if (anonymous) throw new Skip('token may not publish (anonymous session)');
        const reply = await first.request({ type: 'publish', channel, upsert: [{ id: recordId, step: 'socket' }] }, budget.left());
        if (!reply.ok && reply.error.code === 'FORBIDDEN') throw new Skip('token may not publish');
        if (!reply.ok) throw new Error(replyError(reply));
        if (typeof reply.seq !== 'number') throw new Error(`reply without seq: ${JSON.stringify(reply)}`);
        return reply.seq;
      });

      await (socketPublished !== undefined
        ? checks.run('delta from socket publish', async (budget) => {
            const delta = await first.next(deltaWith(channel, recordId, 'socket'), `delta with ${recordId}`, budget.left());
            if (delta.seq < socketPublished) throw new Error(`delta seq ${delta.seq} is before the publish's seq ${socketPublished}`);
            if (first.gaps.length) throw new Error(`gap rule broken: ${first.gaps.join('; ')}`);
          })
        : checks.skip('delta from socket publish', 'nothing published over the socket'));

      await (httpPublished
        ? checks.run('resume with since after a drop', async (budget) => {
            const since = first.positions.get(channel);
            if (!since) throw new Error('no position to resume from');
            first.terminate();
            await publisher.publish(
              channel,
              { upsert: [{ id: recordId, step: 'missed' }], events: [{ type: 'smoke.missed', data: { run } }] },
              budget,
            );
            const { connection: second } = await connectAndAuth(options, budget);
            connections.push(second);
            const { recovered, first: data } = await subscribe(second, channel, since, budget);
            if (!recovered) throw new Error(`recovered: false (a ${data.type}${data.type === 'snapshot' ? ` with gap: ${data.gap}` : ''} followed)`);
            if (data.type !== 'delta' || data.recovery !== true) throw new Error(`expected a recovery delta, got a ${data.type}`);
            if (data.prevSeq !== since.seq) throw new Error(`recovery delta prevSeq ${data.prevSeq}, expected ${since.seq}`);
            const record = (data.upsert ?? []).find((r) => r.id === recordId);
            if (record?.step !== 'missed' || record.run !== run) throw new Error(`recovery delta lacks the missed update: ${JSON.stringify(record ?? null)}`);
            if (!(data.events ?? []).some((e) => e.type === 'smoke.missed')) throw new Error('recovery delta lacks the missed event');
          })
        : checks.skip('resume with since after a drop', 'publish over HTTP failed'));

      // Leave the channel as it was found; a failure here is not the server's fault worth a line.
      if (httpPublished) await publisher.publish(channel, { delete: [recordId] }, { left: () => options.timeoutMs }).catch(() => undefined);
    }

    await checks.run('stats (admin)', async (budget) => {
      const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
      const answer = await httpJson(options, 'GET', '/api/ws/stats', headers, undefined, budget);
      if (answer.status !== 200) throw new Error(options.apiKey ? httpError(answer) : `${httpError(answer)} (pass --api-key)`);
      const stats = answer.body as { connections?: { total?: unknown }; messages?: unknown } | null;
      if (typeof stats?.connections?.total !== 'number' || typeof stats.messages !== 'object') throw new Error('unexpected body');
    });
  } finally {
    for (const connection of connections) connection.close();
  }
  return checks;
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const checks = await smokeTest(options);
  console.log(`${checks.passed} passed, ${checks.failed} failed, ${checks.skipped} skipped`);
  return checks.failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Sockets are closed by now; should anything still hold the event loop open, do not wait for it.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (error: unknown) => {
    console.error(`✗ smoke test crashed: ${describeError(error)}`);
    process.exit(1);
  },
);

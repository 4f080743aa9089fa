/** A real `ws` client for tests: queue of received messages, awaiting by predicate, request/reply by ref. */
import WebSocket from 'ws';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field of the frames they receive
export type Msg = Record<string, any>;

export class TestClient {
  readonly received: Msg[] = [];
  private readonly unread: Msg[] = [];
  private waiters: Array<{ match: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  private nextRef = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Msg;
      this.received.push(message);
      const index = this.waiters.findIndex((w) => w.match(message));
      if (index >= 0) {
        const [waiter] = this.waiters.splice(index, 1);
        waiter.resolve(message);
      } else {
        this.unread.push(message);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      const client = new TestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** Opens and authenticates; resolves with the client and its `welcome`. */
  static async connect(url: string, token?: string): Promise<TestClient & { welcome: Msg }> {
    const client = await TestClient.open(url);
    client.send({ type: 'auth', ref: 'auth', ...(token ? { token } : {}) });
    const welcome = await client.next((m) => m.type === 'welcome' || m.type === 'error');
    if (welcome.type !== 'welcome') throw new Error(`auth failed: ${JSON.stringify(welcome)}`);
    return Object.assign(client, { welcome });
  }

  send(message: Msg | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next unread message matching `match` (waits up to `timeoutMs`). */
  next(match: (m: Msg) => boolean = () => true, timeoutMs = 3000): Promise<Msg> {
    const index = this.unread.findIndex(match);
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (m: Msg) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for a message; unread: ${JSON.stringify(this.unread).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a request with a fresh ref and resolves with its reply. */
  async request(message: Msg, timeoutMs = 3000): Promise<Msg> {
    const ref = this.nextRef++;
    this.send({ ...message, ref });
    return this.next((m) => m.type === 'reply' && m.ref === ref, timeoutMs);
  }

  /** Resolves true when nothing matching arrives within `ms`. */
  async nothing(match: (m: Msg) => boolean = () => true, ms = 300): Promise<boolean> {
    try {
      await this.next(match, ms);
      return false;
    } catch {
      return true;
    }
  }

  unreadCount(): number {
    return this.unread.length;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
    return this.closed;
  }
}

/** Signs an HS256 token for tests. */
export async function signToken(
  secret: string,
  claims: { sub: string; tenant: string; channels?: { subscribe?: string[]; publish?: string[]; presence?: string[] }; info?: unknown },
  options: { expiresInS?: number; alg?: string } = {},
): Promise<string> {
  const { SignJWT } = await import('jose');
  const { sub: _sub, ...rest } = claims;
  const jwt = new SignJWT(rest)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt();
  if (options.expiresInS !== undefined) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + options.expiresInS);
  return jwt.sign(new TextEncoder().encode(secret));
}

/**
 * One client socket: its session, subscriptions, rate-limit state and the writes to it.
 * Everything protocol-level happens in `handlers.ts`; this is the lifecycle and the I/O.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { ServerMessage } from '../protocol';
import type { Session } from './auth';
import type { RateState } from './rate-limit';
import type { HubStats } from './stats';
import type { Subscription } from './subscription';

export class Connection {
  readonly id = `c_${randomBytes(6).toString('base64url')}`;
  readonly connectedAt = Date.now();
  lastActivityAt = this.connectedAt;
  session: Session | null = null;
  /** True once the first `auth` is being verified; later frames queue behind it. */
  authStarted = false;
  /**
   * The session cookie's token from the upgrade request, if it carried one: what an `auth`
   * without `token` authenticates with (docs/protocol.md §2).
   */
  sessionCookie: string | undefined;
  /** Tenant this connection is counted under, once admitted. */
  tenant: string | undefined;
  readonly subscriptions = new Map<string, Subscription>();
  /** When the socket's unsent buffer went over the slow-consumer limit, or null. */
  stalledSince: number | null = null;
  /** Which tick of each heartbeat interval pings this connection. */
  heartbeatSlot = 0;
  authTimer: NodeJS.Timeout | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Requests run one after another, so replies keep the order of the requests. */
  queue: Promise<void> = Promise.resolve();
  /** True while the hub has stopped reading this client's frames (its unsent buffer is over the limit). */
  inputPaused = false;
  /** Close code the server sent, when it was the server that closed. */
  closeCode: number | undefined;
  /** When the last "rate limited" line was logged for this connection. */
  rateLimitLoggedAt = Number.NEGATIVE_INFINITY;
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string,
    public rate: RateState,
    private readonly stats: HubStats,
    /** Unsent bytes above which the socket takes no more data (`PULSE_SLOW_CONSUMER_BYTES`). */
    private readonly slowConsumerBytes: number,
  ) {}

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Flow control: whether the socket can take more frames, i.e. its unsent buffer is within the
   * slow-consumer limit. Every writer asks this before writing data. A connection held back
   * asks with `resuming`, which wants the buffer down to half the limit, so a socket at the
   * edge does not flap between held back and fed.
   */
  canTakeMore(resuming = false): boolean {
    return this.bufferedBytes <= (resuming ? this.slowConsumerBytes / 2 : this.slowConsumerBytes);
  }

  /** Who this connection is, for log lines: its id and, once authenticated, user and tenant. */
  get logContext(): { connection: string; user: string | undefined; tenant: string | undefined } {
    return { connection: this.id, user: this.session?.user, tenant: this.session?.tenant };
  }

  /** Serializes and sends one message (control traffic: replies, errors, per-socket data). */
  send(message: ServerMessage): void {
    this.sendFrame(Buffer.from(JSON.stringify(message)));
  }

  /** Sends pre-serialized bytes as a text frame: fan-out serializes once and calls this per socket. */
  sendFrame(frame: Buffer): void {
    if (!this.isOpen) return;
    this.socket.send(frame, { binary: false });
    this.stats.messagesOut++;
    this.stats.bytesOut += frame.length;
  }

  /**
   * Stops reading the client's frames and resolves once the hub finds the socket drained (or
   * closed). A client that does not read cannot make the hub queue more replies and snapshots
   * than one request's worth beyond the slow-consumer limit.
   */
  whenDrained(): Promise<void> {
    if (!this.inputPaused && this.isOpen) {
      this.inputPaused = true;
      this.socket.pause();
    }
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** The socket drained or closed: reading resumes and requests held by `whenDrained` run. */
  drained(): void {
    if (this.inputPaused) {
      this.inputPaused = false;
      this.socket.resume();
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  close(code: number, reason = ''): void {
    if (this.socket.readyState === WebSocket.CLOSED || this.socket.readyState === WebSocket.CLOSING) return;
    this.closeCode = code;
    this.socket.close(code, reason.slice(0, 123));
  }

  clearTimers(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
  }
}

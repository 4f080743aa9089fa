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
  /** Tenant this connection is counted under, once admitted. */
  tenant: string | undefined;
  readonly subscriptions = new Map<string, Subscription>();
  /** When the socket's unsent buffer went over the slow-consumer limit, or null. */
  stalledSince: number | null = null;
  authTimer: NodeJS.Timeout | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Requests run one after another, so replies keep the order of the requests. */
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string,
    public rate: RateState,
    private readonly stats: HubStats,
  ) {}

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
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

  close(code: number, reason = ''): void {
    if (this.socket.readyState === WebSocket.CLOSED || this.socket.readyState === WebSocket.CLOSING) return;
    this.socket.close(code, reason.slice(0, 123));
  }

  clearTimers(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
  }
}

/**
 * An in-memory WebSocket for unit tests of the client: the test plays the server by calling
 * `open()`, `receive()` and `serverClose()`, and reads what the client sent from `sent`.
 * Every instance is recorded in `FakeWebSocket.instances`, newest last.
 */
import type { WebSocketLike } from '@/lib/client/types';

type Handler<E> = ((event: E) => void) | null;
export type SentMessage = Record<string, unknown> & { type: string; ref?: number };

export class FakeWebSocket implements WebSocketLike {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  static instances: FakeWebSocket[] = [];

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  /** The most recently created socket. */
  static latest(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (!socket) throw new Error('no FakeWebSocket was created');
    return socket;
  }

  readonly url: string;
  readyState = FakeWebSocket.CONNECTING;
  /** Frames the client sent, as text. */
  readonly sent: string[] = [];
  /** Set when the client called `close()`. */
  closedByClient: { code?: number; reason?: string } | null = null;

  onopen: Handler<unknown> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<{ code: number; reason: string }> = null;
  onerror: Handler<unknown> = null;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('InvalidStateError: the socket is not open');
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    if (this.readyState >= FakeWebSocket.CLOSING) return;
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code: code ?? 1005, reason: reason ?? '' });
  }

  // ---- the server's side ----

  open(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.({ type: 'open' });
  }

  /** Delivers a frame to the client (objects are sent as JSON). */
  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  /** The server (or the network) closes the connection. */
  serverClose(code = 1006, reason = ''): void {
    if (this.readyState === FakeWebSocket.CLOSED) return;
    this.readyState = FakeWebSocket.CLOSED;
    this.onerror?.({ type: 'error' });
    this.onclose?.({ code, reason });
  }

  /** Everything the client sent, parsed. */
  get messages(): SentMessage[] {
    return this.sent.map((text) => JSON.parse(text) as SentMessage);
  }

  /** Sent messages of one type, oldest first. */
  messagesOf(type: string): SentMessage[] {
    return this.messages.filter((message) => message.type === type);
  }

  /** The last sent message of `type`; throws when there is none. */
  last(type: string): SentMessage {
    const message = this.messagesOf(type).at(-1);
    if (!message) throw new Error(`the client sent no ${type} (sent: ${this.sent.join(' ')})`);
    return message;
  }

  /** Answers the last `type` request with a successful reply carrying `fields`. */
  replyOk(type: string, fields: Record<string, unknown> = {}): void {
    this.receive({ type: 'reply', ref: this.last(type).ref, ok: true, ...fields });
  }

  /** Answers the last `type` request with an error reply. */
  replyError(type: string, code: string, message = code): void {
    this.receive({ type: 'reply', ref: this.last(type).ref, ok: false, error: { code, message } });
  }

  /** Opens the socket and answers the client's `auth` with `welcome`. */
  handshake(welcome: Record<string, unknown> = {}): void {
    if (this.readyState !== FakeWebSocket.OPEN) this.open();
    this.receive({
      type: 'welcome',
      ref: this.last('auth').ref,
      protocol: 1,
      connectionId: 'c_test',
      instance: 'i_test',
      user: 'u_1',
      tenant: 'acme',
      heartbeatMs: 25_000,
      expiresAt: null,
      ...welcome,
    });
  }
}

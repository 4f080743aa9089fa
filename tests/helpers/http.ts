/** Small helpers for integration tests: JSON over HTTP against a test server, tokens, waiting. */
import type { Msg } from './ws-client';
import { signToken, TestClient } from './ws-client';

export interface HttpResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field of the parsed answer
  body: any;
}

/** Sends a request; a non-string `body` is sent as JSON. The answer's body is parsed as JSON when it can be. */
export async function http(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Connects with a token for `sub`@`tenant` that may publish to and subscribe to every channel. */
export async function connectPublisher(wsUrl: string, secret: string, tenant = 'demo', sub = 'publisher'): Promise<TestClient & { welcome: Msg }> {
  const token = await signToken(secret, { sub, tenant, channels: { subscribe: ['*'], publish: ['*'] } }, { expiresInS: 3600 });
  return TestClient.connect(wsUrl, token);
}

/** Publishes through a client and fails the test unless the publish was accepted. */
export async function publishOk(client: TestClient, channel: string, body: Record<string, unknown>): Promise<Msg> {
  const reply = await client.request({ type: 'publish', channel, ...body });
  if (!reply.ok) throw new Error(`publish refused: ${JSON.stringify(reply)}`);
  return reply;
}

/**
 * Subscribes and returns the reply and the first data message that follows it (snapshot or
 * recovery delta). With `settleMs`, it then waits that long, so that a batch window open at
 * subscription time has been flushed: a subscriber whose snapshot lands inside an open window
 * is brought up to date by a catch-up delta with `recovery: true` (whole records) instead of the
 * shared merge-patch delta, and tests that look at the exact shape of patches need the latter.
 */
export async function subscribe(
  client: TestClient,
  channel: string,
  extra: Record<string, unknown> = {},
  settleMs = 0,
): Promise<{ reply: Msg; first: Msg }> {
  const reply = await client.request({ type: 'subscribe', channel, ...extra });
  if (!reply.ok) throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
  // Data of an earlier subscription to the channel may still be unread: take what follows the reply.
  const replyIndex = client.received.indexOf(reply);
  const first = await client.next(
    (m) => (m.type === 'snapshot' || m.type === 'delta') && m.channel === channel && client.received.indexOf(m) > replyIndex,
  );
  if (settleMs > 0) await sleep(settleMs);
  return { reply, first };
}

/** Records of a snapshot or delta keyed by id, for order-independent comparison. */
export function byId<T extends { id: string }>(records: T[] | undefined): Record<string, T> {
  return Object.fromEntries((records ?? []).map((r) => [r.id, r]));
}

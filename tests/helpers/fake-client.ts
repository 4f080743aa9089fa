/**
 * Clients on `FakeWebSocket` for unit tests of the client and what it drives. Each test runs
 * with fake timers and an empty socket list, and the clients it made are closed after it.
 *
 * @example
 * const makeClient = setupFakeClients();
 * it('connects', () => {
 *   const client = makeClient({ getToken: () => 'jwt' });
 *   client.connect();
 *   FakeWebSocket.latest().handshake();
 * });
 */
import { createPulseClient, type PulseClient } from '@/lib/client/client';
import type { ClientEvents, PulseClientOptions } from '@/lib/client/types';
import { FakeWebSocket } from './fake-websocket';

/**
 * Installs the per-test setup and teardown in the enclosing block and returns the factory: a
 * client on fake sockets, with jitter fixed at 0.5 (so delays are half the ceiling) and no
 * network monitor unless `options` say otherwise.
 */
export function setupFakeClients(): (options?: Partial<PulseClientOptions>) => PulseClient {
  let clients: PulseClient[] = [];

  beforeEach(() => {
    jest.useFakeTimers();
    FakeWebSocket.reset();
  });

  afterEach(() => {
    for (const client of clients) client.close();
    clients = [];
    jest.useRealTimers();
  });

  return (options = {}) => {
    const client = createPulseClient({ url: 'ws://hub.test/api/ws', WebSocket: FakeWebSocket, random: () => 0.5, network: null, ...options });
    clients.push(client);
    return client;
  };
}

/** Records every emission of `event`. */
export function record<K extends keyof ClientEvents>(client: PulseClient, event: K): ClientEvents[K][] {
  const seen: ClientEvents[K][] = [];
  client.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Lets promise callbacks (async tokens, deferred releases, request promises) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

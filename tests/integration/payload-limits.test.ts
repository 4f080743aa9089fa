/**
 * PULSE_MAX_PAYLOAD on both doors: a WebSocket frame over it closes the connection with 1009
 * (docs/protocol.md §1); an HTTP publish body over it gets 413 without being buffered whole (§10).
 */
import { request } from 'node:http';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server';
import { TestClient } from '../helpers/ws-client';
import { bearer, http, subscribe } from '../helpers/http';

jest.setTimeout(15_000);

const MAX = 4096;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ PULSE_MAX_PAYLOAD: String(MAX), PULSE_API_KEY: TEST_API_KEY, PULSE_BATCH_MS: '10' });
});
afterAll(() => server.close());

/** A frame of exactly `bytes` bytes that is a valid ping request. */
function pingOfSize(bytes: number, ref: number): string {
  const base = JSON.stringify({ type: 'ping', ref, pad: '' });
  return JSON.stringify({ type: 'ping', ref, pad: 'x'.repeat(bytes - base.length) });
}

describe('WebSocket frames', () => {
  it('accepts a frame of exactly PULSE_MAX_PAYLOAD bytes', async () => {
    const client = await TestClient.connect(server.wsUrl);
    const frame = pingOfSize(MAX, 7);
    expect(Buffer.byteLength(frame)).toBe(MAX);
    client.send(frame);
    await expect(client.next((m) => m.type === 'reply' && m.ref === 7)).resolves.toMatchObject({ ok: true });
    await client.close();
  });

  it('closes with 1009 on a larger frame, and others carry on', async () => {
    const bystander = await TestClient.connect(server.wsUrl);
    await subscribe(bystander, 'payload');
    const client = await TestClient.connect(server.wsUrl);
    client.send(pingOfSize(MAX + 1, 8));
    const close = await client.closed;
    expect(close.code).toBe(1009);
    expect(client.received.filter((m) => m.type === 'reply')).toEqual([]);

    const { seq } = await server.hub.publish('demo', 'payload', { upsert: [{ id: 'a', v: 1 }] });
    await expect(bystander.next((m) => m.type === 'delta' && m.seq === seq)).resolves.toBeTruthy();
    expect(server.hub.counters().errors.PAYLOAD_TOO_LARGE).toBeGreaterThanOrEqual(1);
    await bystander.close();
  });

  it('closes with 1009 before auth too, even for a huge frame', async () => {
    const client = await TestClient.open(server.wsUrl);
    client.send('x'.repeat(4 * 1024 * 1024));
    expect((await client.closed).code).toBe(1009);
  });
});

describe('HTTP publish bodies', () => {
  const path = '/api/channels/payload-http/publish';

  it('publishes a body just under the limit', async () => {
    const body = { upsert: [{ id: 'r', pad: 'y'.repeat(MAX - 100) }] };
    const res = await http(server.url, 'POST', path, { body, headers: bearer(TEST_API_KEY) });
    expect(res.status).toBe(200);
  });

  it('answers 413 to a declared Content-Length over the limit, before reading the body', async () => {
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}${path}`, {
        method: 'POST',
        headers: { ...bearer(TEST_API_KEY), 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      // Only the headers go out: the answer must not wait for 100 MB that never come.
      req.flushHeaders();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) } });
  });

  it('answers 413 to a chunked body while it is still arriving', async () => {
    const chunk = Buffer.alloc(1024, 'z');
    const result = await new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
      let written = 0;
      let answered = false;
      const req = request(`${server.url}${path}`, {
        method: 'POST',
        headers: { ...bearer(TEST_API_KEY), 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        answered = true;
        let body = '';
        res.on('data', (data) => (body += data));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, written }));
      });
      // The server may close the socket under the remaining writes: that is the point.
      req.on('error', (error) => (answered ? undefined : reject(error)));
      const pump = () => {
        if (answered || written >= 64 * 1024 * 1024) return;
        req.write(chunk);
        written += chunk.length;
        setTimeout(pump, 1);
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    // Refused near the limit, long before the 64 MB the client was willing to send.
    expect(result.written).toBeLessThan(MAX + 512 * 1024);
  });

  it('keeps serving after refusals', async () => {
    const res = await http(server.url, 'POST', path, { body: { upsert: [{ id: 'after', ok: true }] }, headers: bearer(TEST_API_KEY) });
    expect(res.status).toBe(200);
  });
});

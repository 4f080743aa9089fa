/**
 * Compression of the HTTP API's large answers (docs/protocol.md §10, "Compression"): the
 * snapshot and series routes answer Brotli or gzip as `Accept-Encoding` asks once an answer
 * is at least 1 KB, plain otherwise, always with `Vary: Accept-Encoding`. Requests go through
 * `node:http`, which (unlike `fetch`) neither asks for nor undoes a coding on its own.
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { seriesLookup } from '@/lib/engine/series-spec';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server';
import type { TestClient } from '../helpers/ws-client';
import { connectPublisher, publishOk } from '../helpers/http';

const RESOLUTION_MS = 1000;
const series = seriesLookup([{ channel: 'wide-*', series: { fields: ['waiting', 'util'], resolutionMs: RESOLUTION_MS, windowMs: 120_000 } }]);

let server: TestServer;
let pub: TestClient;
let counter = 0;
const fresh = (prefix: string) => `${prefix}-${++counter}`;

beforeAll(async () => {
  server = await startTestServer({ PULSE_BATCH_MS: '20' }, { series });
  pub = await connectPublisher(server.wsUrl, TEST_SECRET);
});
afterAll(async () => {
  await pub.close();
  await server.close();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}

function get(path: string, acceptEncoding?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The JSON of an answer, undoing its coding. */
function decoded(raw: Raw): unknown {
  const coding = raw.headers['content-encoding'];
  const text = coding === 'gzip' ? gunzipSync(raw.bytes) : coding === 'br' ? brotliDecompressSync(raw.bytes) : raw.bytes;
  return JSON.parse(text.toString('utf8'));
}

/** A channel of 40 records, with series: its answers run to several kilobytes. */
async function seedWide(): Promise<string> {
  const channel = fresh('wide');
  const upsert = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, org: i % 2 ? 'a' : 'b', waiting: i, util: i / 40 }));
  await publishOk(pub, channel, { upsert });
  await publishOk(pub, channel, { upsert: upsert.map((record) => ({ id: record.id, waiting: record.waiting + 1 })) });
  return channel;
}

/** Reads `path` plain and with `acceptEncoding` within one series bucket (series move with the clock). */
async function plainAndEncoded(path: string, acceptEncoding: string): Promise<{ plain: Raw; encoded: Raw }> {
  for (let attempt = 0; ; attempt++) {
    const startedIn = Math.floor(Date.now() / RESOLUTION_MS);
    const plain = await get(path);
    const encoded = await get(path, acceptEncoding);
    if (Math.floor(Date.now() / RESOLUTION_MS) === startedIn || attempt === 3) return { plain, encoded };
  }
}

describe('HTTP compression', () => {
  it('answers a large series read with gzip when asked, decoding to the plain answer', async () => {
    const channel = await seedWide();
    const { plain, encoded } = await plainAndEncoded(`/api/channels/${channel}/series`, 'gzip');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.bytes.length).toBeGreaterThan(1024);
    expect(encoded.status).toBe(200);
    expect(encoded.headers['content-encoding']).toBe('gzip');
    expect(encoded.headers.vary).toBe('Accept-Encoding');
    expect(Number(encoded.headers['content-length'])).toBe(encoded.bytes.length);
    expect(encoded.bytes.length).toBeLessThan(plain.bytes.length);
    expect(decoded(encoded)).toEqual(JSON.parse(plain.bytes.toString('utf8')));
  });

  it('prefers Brotli, honours weights, and answers plain to a refused or unknown coding', async () => {
    const channel = await seedWide();
    const path = `/api/channels/${channel}/snapshot?series=1`;
    const { plain, encoded } = await plainAndEncoded(path, 'gzip, deflate, br');
    expect(encoded.headers['content-encoding']).toBe('br');
    expect(decoded(encoded)).toEqual(JSON.parse(plain.bytes.toString('utf8')));
    expect((await get(path, 'br;q=0.5, gzip')).headers['content-encoding']).toBe('gzip');
    expect((await get(path, 'br;q=0, gzip;q=0')).headers['content-encoding']).toBeUndefined();
    expect((await get(path, 'deflate')).headers['content-encoding']).toBeUndefined();
  });

  it('compresses a cached snapshot once per position, and follows the channel when it moves', async () => {
    const channel = await seedWide();
    const path = `/api/channels/${channel}/snapshot`;
    const first = await get(path, 'gzip');
    const second = await get(path, 'gzip');
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(decoded(first)).toEqual(JSON.parse((await get(path)).bytes.toString('utf8')));
    await publishOk(pub, channel, { upsert: [{ id: 'q0', waiting: 99 }] });
    const moved = decoded(await get(path, 'gzip')) as { seq: number; records: Array<{ id: string; waiting: number }> };
    expect(moved.seq).toBe(3);
    expect(moved.records.find((record) => record.id === 'q0')?.waiting).toBe(99);
  });

  it('answers small reads plain, whatever the reader accepts', async () => {
    const channel = fresh('wide');
    await publishOk(pub, channel, { upsert: [{ id: 'q1', waiting: 1 }] });
    const snapshot = await get(`/api/channels/${channel}/snapshot`, 'gzip, br');
    expect(snapshot.status).toBe(200);
    expect(snapshot.headers['content-encoding']).toBeUndefined();
    expect(snapshot.headers.vary).toBe('Accept-Encoding');
    expect(decoded(snapshot)).toMatchObject({ channel, seq: 1, records: [{ id: 'q1', waiting: 1 }] });
    const series = await get(`/api/channels/${channel}/series?windowMs=2000`, 'gzip');
    expect(series.headers['content-encoding']).toBeUndefined();
    expect(decoded(series)).toMatchObject({ channel, series: { fields: ['waiting', 'util'] } });
  });
});

/**
 * The HTTP API's compression (docs/protocol.md §10, "Compression"): choosing a coding from
 * `Accept-Encoding`, and the snapshot cache keeping compressed bytes beside an entry's JSON.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { compress, negotiateCoding } from '@/lib/http/respond';
import { SnapshotCache } from '@/lib/http/snapshot-cache';

describe('negotiateCoding', () => {
  it('prefers Brotli, then gzip, among the codings accepted', () => {
    expect(negotiateCoding('gzip, deflate, br')).toBe('br');
    expect(negotiateCoding('gzip')).toBe('gzip');
    expect(negotiateCoding('x-gzip')).toBe('gzip');
    expect(negotiateCoding('BR;Q=0.8')).toBe('br');
    expect(negotiateCoding(['gzip', 'br'])).toBe('br');
  });

  it('follows the weights, and leaves out what is refused or unknown', () => {
    expect(negotiateCoding('br;q=0.5, gzip')).toBe('gzip');
    expect(negotiateCoding('br;q=0, gzip;q=0.1')).toBe('gzip');
    expect(negotiateCoding('br;q=0, gzip;q=0')).toBeUndefined();
    expect(negotiateCoding('deflate, identity')).toBeUndefined();
    expect(negotiateCoding('')).toBeUndefined();
    expect(negotiateCoding(undefined)).toBeUndefined();
  });

  it('reads * as any coding not named', () => {
    expect(negotiateCoding('*')).toBe('br');
    expect(negotiateCoding('br;q=0, *')).toBe('gzip');
    expect(negotiateCoding('*;q=0')).toBeUndefined();
  });
});

describe('compress', () => {
  it('gives bytes that decode to the body', async () => {
    const body = Buffer.from(JSON.stringify({ values: Array.from({ length: 2000 }, (_, i) => i % 7) }));
    expect(gunzipSync(await compress(body, 'gzip')).equals(body)).toBe(true);
    const br = await compress(body, 'br');
    expect(brotliDecompressSync(br).equals(body)).toBe(true);
    expect(br.length).toBeLessThan(body.length / 4);
  });
});

describe('SnapshotCache, compressed bytes', () => {
  it('keeps them with the entry of their version only, and counts their bytes', () => {
    const cache = new SnapshotCache(1 << 20);
    cache.put('k', 'v1', Buffer.alloc(1000, 'x'));
    const before = cache.bytes;
    const gz = Buffer.alloc(100, 'g');
    expect(cache.putEncoded('k', 'v1', 'gzip', gz)).toBe(gz);
    expect(cache.getEncoded('k', 'v1', 'gzip')).toBe(gz);
    expect(cache.getEncoded('k', 'v1', 'br')).toBeUndefined();
    expect(cache.bytes).toBe(before + 100);
    // Another version, or no entry: nothing kept.
    cache.putEncoded('k', 'v2', 'br', Buffer.alloc(10));
    expect(cache.getEncoded('k', 'v2', 'br')).toBeUndefined();
    cache.putEncoded('other', 'v1', 'br', Buffer.alloc(10));
    expect(cache.getEncoded('other', 'v1', 'br')).toBeUndefined();
    // A new version of the entry drops its compressed bytes with it.
    cache.put('k', 'v2', Buffer.alloc(1000, 'y'));
    expect(cache.getEncoded('k', 'v2', 'gzip')).toBeUndefined();
    expect(cache.bytes).toBe(before);
  });

  it('stays within its bytes when compressed bytes are added', () => {
    const cache = new SnapshotCache(20_000);
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.put(key, 'v', Buffer.alloc(3000));
    cache.putEncoded('e', 'v', 'br', Buffer.alloc(1000));
    cache.put('f', 'v', Buffer.alloc(3000));
    expect(cache.bytes).toBeLessThanOrEqual(20_000);
    expect(cache.get('a', 'v')).toBeUndefined();
    expect(cache.getEncoded('e', 'v', 'br')?.length).toBe(1000);
    // Compressed bytes that would make an entry larger than a quarter of the cache are not kept.
    cache.putEncoded('f', 'v', 'gzip', Buffer.alloc(2000));
    expect(cache.getEncoded('f', 'v', 'gzip')).toBeUndefined();
  });
});

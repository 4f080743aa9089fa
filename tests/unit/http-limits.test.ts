/**
 * The HTTP API's limits as pure parts (docs/operations.md, "Limits"): keyed token buckets,
 * the backoff after wrong credentials, the gate on concurrent snapshot reads, the serialized
 * snapshot cache, the client address behind proxies, and who gets development tokens.
 */
import { loadConfig } from '@/lib/config';
import { clientAddress, normalizeAddress } from '@/lib/hub/client-address';
import { devTokenAccess, isJsonMediaType } from '@/lib/http/guard';
import { AUTH_BACKOFF, AuthBackoff, Gate, KeyedBuckets, retryAfterS } from '@/lib/http/limits';
import { SnapshotCache } from '@/lib/http/snapshot-cache';
import { configError } from '../helpers/config';

const T0 = 1_767_225_600_000;

describe('KeyedBuckets', () => {
  it('allows a burst of twice the rate per key, then answers how long to wait', () => {
    const buckets = new KeyedBuckets(5);
    for (let i = 0; i < 10; i++) expect(buckets.take('a', T0)).toBe(0);
    expect(buckets.take('a', T0)).toBe(200); // one token at 5/s
    expect(buckets.take('a', T0 + 150)).toBeCloseTo(50);
    expect(buckets.take('a', T0 + 200)).toBe(0);
    // Another key has its own bucket.
    expect(buckets.take('b', T0)).toBe(0);
  });

  it('stays within its key budget, forgetting the least recently seen key first', () => {
    const buckets = new KeyedBuckets(1, 3);
    for (const key of ['a', 'b', 'c']) {
      buckets.take(key, T0);
      buckets.take(key, T0);
    }
    expect(buckets.take('a', T0)).toBeGreaterThan(0); // 'a' is now the most recent
    buckets.take('d', T0); // no room: 'b' goes
    expect(buckets.size).toBe(3);
    expect(buckets.take('b', T0)).toBe(0); // a fresh bucket
    expect(buckets.take('a', T0)).toBeGreaterThan(0); // still remembered
  });

  it('forgets keys idle long enough to be full again', () => {
    const buckets = new KeyedBuckets(10);
    for (let i = 0; i < 50; i++) buckets.take(`k${i}`, T0);
    expect(buckets.size).toBe(50);
    // 200 ms refill the burst of 20 at 10/s: each later call forgets up to two idle keys.
    for (let i = 0; i < 30; i++) buckets.take('busy', T0 + 1000 + i);
    expect(buckets.size).toBeLessThanOrEqual(1);
  });
});

describe('retryAfterS', () => {
  it('rounds up to whole seconds, at least one', () => {
    expect([retryAfterS(0.1), retryAfterS(1000), retryAfterS(1001), retryAfterS(2500)]).toEqual([1, 1, 2, 3]);
  });
});

describe('AuthBackoff', () => {
  const policy = { windowMs: 60_000, baseMs: 1000, maxMs: 300_000, forgetMs: 900_000, failures: 3 };

  it('by default starts at 10 s and doubles up to 10 minutes', () => {
    const backoff = new AuthBackoff({ ...AUTH_BACKOFF, failures: 1 });
    const blocks: number[] = [];
    for (let now = T0, i = 0; i < 8; i++) {
      const { blockedMs } = backoff.fail('a', now);
      blocks.push(blockedMs!);
      now += blockedMs!;
    }
    expect(blocks).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
  });

  it('blocks an address after N failures within the window, doubling each time', () => {
    const backoff = new AuthBackoff(policy);
    expect(backoff.fail('1.2.3.4', T0)).toEqual({ failures: 1 });
    expect(backoff.fail('1.2.3.4', T0 + 1)).toEqual({ failures: 2 });
    expect(backoff.blockedFor('1.2.3.4', T0 + 1)).toBe(0);
    expect(backoff.fail('1.2.3.4', T0 + 2)).toEqual({ failures: 3, blockedMs: 1000 });
    expect(backoff.blockedFor('1.2.3.4', T0 + 502)).toBe(500);
    expect(backoff.blockedFor('5.6.7.8', T0 + 502)).toBe(0);
    expect(backoff.blockedFor('1.2.3.4', T0 + 1002)).toBe(0);

    for (let i = 0; i < 2; i++) backoff.fail('1.2.3.4', T0 + 2000 + i);
    expect(backoff.fail('1.2.3.4', T0 + 2002)).toEqual({ failures: 3, blockedMs: 2000 });
    for (let i = 0; i < 2; i++) backoff.fail('1.2.3.4', T0 + 5000 + i);
    expect(backoff.fail('1.2.3.4', T0 + 5002).blockedMs).toBe(4000);
  });

  it('counts failures per window: spread-out failures never block', () => {
    const backoff = new AuthBackoff(policy);
    for (let i = 0; i < 10; i++) expect(backoff.fail('a', T0 + i * 30_000).blockedMs).toBeUndefined();
  });

  it('caps the backoff, and starts over after a quiet spell', () => {
    const backoff = new AuthBackoff({ ...policy, maxMs: 3000 });
    let now = T0;
    const strike = () => {
      let outcome;
      for (let i = 0; i < 3; i++) outcome = backoff.fail('a', now++);
      now += outcome!.blockedMs!;
      return outcome!.blockedMs;
    };
    expect([strike(), strike(), strike(), strike()]).toEqual([1000, 2000, 3000, 3000]);
    now += policy.forgetMs;
    expect(strike()).toBe(1000);
  });

  it('remembers a bounded number of addresses', () => {
    const backoff = new AuthBackoff(policy, 100);
    for (let i = 0; i < 1000; i++) backoff.fail(`10.0.${i >> 8}.${i & 255}`, T0);
    expect(backoff.size).toBe(100);
  });
});

describe('Gate', () => {
  it('admits up to the limit, queues up to maxWaiting, turns the rest away, and hands slots over in order', async () => {
    const gate = new Gate(2, 1);
    expect(await gate.enter()).toBe(true);
    expect(await gate.enter()).toBe(true);
    let third = false;
    const waiting = gate.enter().then((entered) => (third = entered));
    expect(gate.queued).toBe(1);
    expect(await gate.enter()).toBe(false);
    await Promise.resolve();
    expect(third).toBe(false);
    gate.leave();
    await waiting;
    expect(third).toBe(true);
    expect([gate.active, gate.queued]).toEqual([2, 0]);
    gate.leave();
    gate.leave();
    expect(gate.active).toBe(0);
  });
});

describe('SnapshotCache', () => {
  const body = (size: number) => Buffer.alloc(size, 'x');

  it('answers the same bytes for the same version, and nothing for another one', () => {
    const cache = new SnapshotCache(1 << 20);
    const stored = cache.put('demo/kpi\n', 'e 5 2', body(100));
    expect(cache.get('demo/kpi\n', 'e 5 2')).toBe(stored);
    expect(cache.get('demo/kpi\n', 'e 6 2')).toBeUndefined();
    // The outdated entry is gone.
    expect(cache.get('demo/kpi\n', 'e 5 2')).toBeUndefined();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });

  it('stays within its bytes, evicting the least recently read first', () => {
    const cache = new SnapshotCache(10_000);
    cache.put('a', 'v', body(2000));
    cache.put('b', 'v', body(2000));
    cache.put('c', 'v', body(2000));
    cache.get('a', 'v');
    cache.put('d', 'v', body(2000));
    cache.put('e', 'v', body(2000));
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.get('b', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toBeDefined();
    expect(cache.get('e', 'v')).toBeDefined();
  });

  it('does not keep an entry larger than a quarter of the cache, nor anything with no bytes to spare', () => {
    const cache = new SnapshotCache(10_000);
    expect(cache.put('big', 'v', body(3000)).length).toBe(3000);
    expect(cache.get('big', 'v')).toBeUndefined();
    const off = new SnapshotCache(0);
    off.put('a', 'v', body(1));
    expect(off.size).toBe(0);
  });
});

describe('clientAddress', () => {
  it('is the socket peer without trusted proxies, whatever X-Forwarded-For says', () => {
    expect(clientAddress('::ffff:10.0.0.2', '203.0.113.7', 0)).toBe('10.0.0.2');
    expect(clientAddress('::1', undefined, 0)).toBe('::1');
  });

  it('walks X-Forwarded-For from the right, one entry per trusted proxy', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1, 203.0.113.7', 1)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', '198.51.100.1, 203.0.113.7', 2)).toBe('198.51.100.1');
    // A shorter chain: the farthest address known.
    expect(clientAddress('10.0.0.2', '203.0.113.7', 3)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', ['198.51.100.1', '203.0.113.7:4711'], 1)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', undefined, 1)).toBe('10.0.0.2');
    // Something that is no address falls back to the peer.
    expect(clientAddress('10.0.0.2', 'unknown', 1)).toBe('10.0.0.2');
  });

  it('normalizes mapped, bracketed and zoned forms', () => {
    expect(normalizeAddress('::FFFF:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('[2001:DB8::1]:443')).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
  });
});

describe('devTokenAccess', () => {
  it('issues development tokens to loopback clients only', () => {
    expect(devTokenAccess(true, '127.0.0.1')).toBe('ok');
    expect(devTokenAccess(true, '::1')).toBe('ok');
    expect(devTokenAccess(true, '192.168.1.20')).toBe('remote');
    expect(devTokenAccess(true, '')).toBe('remote');
    expect(devTokenAccess(false, '127.0.0.1')).toBe('disabled');
  });
});

describe('isJsonMediaType', () => {
  it('accepts application/json with parameters, in any case, and nothing else', () => {
    expect(['application/json', 'Application/JSON; charset=utf-8', ' application/json ;x=y'].map(isJsonMediaType)).toEqual([true, true, true]);
    expect(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', undefined].map(isJsonMediaType)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('configuration of the HTTP limits', () => {
  it('has defaults a dashboard never reaches', () => {
    expect(loadConfig({})).toMatchObject({
      httpRateLimit: 50,
      httpAuthFailures: 20,
      httpMaxConcurrentSnapshots: 8,
      httpSnapshotCacheBytes: 64 * 1024 * 1024,
      httpRequestTimeoutMs: 30_000,
      httpHeadersTimeoutMs: 10_000,
      httpKeepAliveTimeoutMs: 5000,
      httpMaxConnections: 1000,
      trustedProxies: 0,
    });
  });

  it('keeps the headers timeout within the request timeout, and refuses nonsense with the variable named', () => {
    expect(loadConfig({ PULSE_HTTP_REQUEST_TIMEOUT_MS: '2000' }).httpHeadersTimeoutMs).toBe(2000);
    expect(configError({ PULSE_HTTP_RATE_LIMIT: '0' }).variable).toBe('PULSE_HTTP_RATE_LIMIT');
    expect(configError({ PULSE_HTTP_REQUEST_TIMEOUT_MS: '10' }).variable).toBe('PULSE_HTTP_REQUEST_TIMEOUT_MS');
    expect(configError({ PULSE_TRUSTED_PROXIES: '11' }).variable).toBe('PULSE_TRUSTED_PROXIES');
    expect(configError({ PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS: 'many' }).variable).toBe('PULSE_HTTP_MAX_CONCURRENT_SNAPSHOTS');
  });
});

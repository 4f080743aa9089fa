/**
 * docs/protocol.md §10: the HTTP routes for publishing, reading snapshots, listing channels, health
 * and development tokens; who may call them and which tenant they act on.
 */
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { loadConfig } from '@/lib/config';
import { createLogger } from '@/lib/log';
import { startPulseServer } from '@/lib/server/start';
import { startTestServer, TEST_API_KEY, TEST_ENGINE, TEST_SECRET, type TestServer } from '../helpers/server';
import { signToken, TestClient, type Msg } from '../helpers/ws-client';
import { bearer, byId, http, subscribe } from '../helpers/http';
import { fetchSnapshot, snapshotPages, type HttpSnapshot } from '@/lib/client/http';

const admin = (tenant?: string) => ({ ...bearer(TEST_API_KEY), ...(tenant ? { 'x-tenant-id': tenant } : {}) });
const token = (claims: Parameters<typeof signToken>[1], expiresInS = 3600) => signToken(TEST_SECRET, claims, { expiresInS });
const errorBody = (code: string) => ({ error: { code, message: expect.any(String) } });

let counter = 0;
const fresh = (prefix = 'h') => `${prefix}-${++counter}`;

/** Posts a raw body with node:http (chunked when `chunked`), resolving with the status and body once answered. */
function rawPost(url: string, path: string, body: string, chunked: boolean, headers: Record<string, string> = {}): Promise<{ status: number; body: Msg }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    // The server may close the connection while the rest of a refused body is still being sent.
    req.on('error', (error) => (req.destroyed && !req.writableEnded ? undefined : reject(error)));
    if (chunked) {
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      setTimeout(() => req.end(body.slice(half)), 20);
    } else {
      req.end(body);
    }
  });
}

describe('with an API key configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_BATCH_MS: '10', PULSE_API_KEY: TEST_API_KEY, PULSE_MAX_PAYLOAD: '2048' });
  });
  afterAll(() => server.close());

  describe('POST /api/channels/:channel/publish', () => {
    it('lets the admin key publish to the X-Tenant-ID tenant (default demo) and answers {channel, epoch, seq}', async () => {
      const channel = fresh();
      const subscriber = await TestClient.connect(server.wsUrl, await token({ sub: 's', tenant: 'acme' }));
      await subscribe(subscriber, channel, {}, 30);
      const res = await http(server.url, 'POST', `/api/channels/${channel}/publish`, {
        headers: admin('acme'),
        body: { upsert: [{ id: 'q1', waiting: 3 }], events: [{ type: 'hello', priority: 'high' }] },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ channel, epoch: expect.any(String), seq: 1 });
      expect(await subscriber.next((m) => m.type === 'delta')).toMatchObject({
        epoch: res.body.epoch,
        seq: 1,
        upsert: [{ id: 'q1', waiting: 3 }],
        events: [{ seq: 1, type: 'hello', priority: 'high' }],
      });
      expect((await server.hub.snapshot('demo', channel)).seq).toBe(0);

      const demo = await http(server.url, 'POST', `/api/channels/${channel}/publish`, { headers: admin(), body: { upsert: [{ id: 'd' }] } });
      expect(demo.body.seq).toBe(1);
      expect((await server.hub.snapshot('demo', channel)).records).toEqual([{ id: 'd' }]);
      expect((await server.hub.snapshot('acme', channel)).records).toEqual([{ id: 'q1', waiting: 3 }]);
      await subscriber.close();
    });

    it('refuses a missing or wrong key with 401', async () => {
      const channel = fresh();
      for (const headers of [{}, bearer('wrong-key-123'), { authorization: TEST_API_KEY }, { 'x-tenant-id': 'acme' }]) {
        const res = await http(server.url, 'POST', `/api/channels/${channel}/publish`, { headers, body: { upsert: [{ id: 'a' }] } });
        expect(res.status).toBe(401);
        expect(res.body).toEqual(errorBody(res.body.error.code));
      }
      expect((await server.hub.snapshot('demo', channel)).seq).toBe(0);
    });

    it('lets a JWT allowed to publish publish to its own tenant, ignoring X-Tenant-ID, and refuses others with 403', async () => {
      const channel = `fleet:${fresh()}`;
      const allowed = await token({ sub: 'p', tenant: 'globex', channels: { publish: ['fleet:*'] } });
      const res = await http(server.url, 'POST', `/api/channels/${channel}/publish`, {
        headers: { ...bearer(allowed), 'x-tenant-id': 'acme' },
        body: { upsert: [{ id: 'v1' }] },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ channel, seq: 1 });
      expect((await server.hub.snapshot('globex', channel)).records).toEqual([{ id: 'v1' }]);
      expect((await server.hub.snapshot('acme', channel)).seq).toBe(0);

      const cases: Array<[string, number, string]> = [
        [await token({ sub: 'p', tenant: 'globex', channels: { publish: ['kpi'] } }), 403, 'FORBIDDEN'],
        [await token({ sub: 'p', tenant: 'globex' }), 403, 'FORBIDDEN'],
        [await token({ sub: 'p', tenant: 'globex', channels: { subscribe: ['*'] } }), 403, 'FORBIDDEN'],
        [await token({ sub: 'p', tenant: 'globex', channels: { publish: ['*'] } }, -30), 401, 'TOKEN_EXPIRED'],
        [await signToken('other-secret-0123456789', { sub: 'p', tenant: 'globex', channels: { publish: ['*'] } }), 401, 'AUTH_FAILED'],
      ];
      for (const [jwt, status, code] of cases) {
        const refused = await http(server.url, 'POST', `/api/channels/${channel}/publish`, { headers: bearer(jwt), body: { upsert: [{ id: 'x' }] } });
        expect([refused.status, refused.body]).toEqual([status, errorBody(code)]);
      }
      expect((await server.hub.snapshot('globex', channel)).seq).toBe(1);
    });

    it('answers 400 INVALID_MESSAGE for bad JSON and bad bodies', async () => {
      const channel = fresh();
      const bodies = ['{"upsert":', 'not json', '[]', '"text"', '42', 'null', '{}', '{"upsert":[{"id":5}]}', '{"events":[{"type":"x","priority":"urgent"}]}', ''];
      for (const body of bodies) {
        const res = await http(server.url, 'POST', `/api/channels/${channel}/publish`, { headers: admin(), body });
        expect([body, res.status, res.body]).toEqual([body, 400, errorBody('INVALID_MESSAGE')]);
      }
      expect((await server.hub.snapshot('demo', channel)).seq).toBe(0);
    });

    it('answers 413 for a body over PULSE_MAX_PAYLOAD, declared or streamed', async () => {
      const channel = fresh();
      const big = JSON.stringify({ upsert: [{ id: 'big', blob: 'x'.repeat(3000) }] });
      for (const chunked of [false, true]) {
        const res = await rawPost(server.url, `/api/channels/${channel}/publish`, big, chunked, admin());
        expect(res).toEqual({ status: 413, body: errorBody('PAYLOAD_TOO_LARGE') });
      }
      const small = JSON.stringify({ upsert: [{ id: 'small', blob: 'x'.repeat(1500) }] });
      expect((await rawPost(server.url, `/api/channels/${channel}/publish`, small, true, admin())).status).toBe(200);
      expect((await server.hub.snapshot('demo', channel)).records.map((r) => r.id)).toEqual(['small']);
    });
  });

  describe('GET /api/channels/:channel/snapshot', () => {
    let channel: string;
    beforeAll(async () => {
      channel = fresh();
      await server.hub.publish('demo', channel, { upsert: [{ id: 'd1', g: 1 }, { id: 'd2', g: 2 }], events: [{ type: 'demo.e' }] });
      await server.hub.publish('acme', channel, { upsert: [{ id: 'a1', g: 1 }] });
    });

    it('serves tenant demo to readers without a token, ignoring X-Tenant-ID without the key', async () => {
      for (const headers of [{}, { 'x-tenant-id': 'acme' }] as Array<Record<string, string>>) {
        const res = await http(server.url, 'GET', `/api/channels/${channel}/snapshot`, { headers });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          channel,
          epoch: expect.any(String),
          seq: 1,
          records: expect.any(Array),
          events: [{ seq: 1, ts: expect.any(Number), type: 'demo.e', priority: 'normal' }],
        });
        expect(byId(res.body.records)).toEqual({ d1: { id: 'd1', g: 1 }, d2: { id: 'd2', g: 2 } });
      }
    });

    it('serves the X-Tenant-ID tenant to the admin key, and the token tenant to a JWT', async () => {
      const asAdmin = await http(server.url, 'GET', `/api/channels/${channel}/snapshot`, { headers: admin('acme') });
      expect(asAdmin.body).toMatchObject({ seq: 1, records: [{ id: 'a1', g: 1 }], events: [] });
      const jwt = await token({ sub: 'r', tenant: 'acme' });
      const asToken = await http(server.url, 'GET', `/api/channels/${channel}/snapshot`, { headers: { ...bearer(jwt), 'x-tenant-id': 'demo' } });
      expect(asToken.body).toMatchObject({ seq: 1, records: [{ id: 'a1', g: 1 }] });
      const narrow = await token({ sub: 'r', tenant: 'acme', channels: { subscribe: ['kpi'] } });
      const refused = await http(server.url, 'GET', `/api/channels/${channel}/snapshot`, { headers: bearer(narrow) });
      expect([refused.status, refused.body]).toEqual([403, errorBody('FORBIDDEN')]);
      const bad = await http(server.url, 'GET', `/api/channels/${channel}/snapshot`, { headers: bearer('nonsense') });
      expect(bad.status).toBe(401);
    });

    it('answers 200 with seq 0 and no records for a channel never published to', async () => {
      const res = await http(server.url, 'GET', `/api/channels/${fresh('never')}/snapshot`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ channel: `never-${counter}`, epoch: expect.any(String), seq: 0, records: [], events: [] });
    });

    it('applies ?filter=, and answers 400 BAD_FILTER for a bad one', async () => {
      const q = (filter: string) => `/api/channels/${channel}/snapshot?filter=${encodeURIComponent(filter)}`;
      const filtered = await http(server.url, 'GET', q(JSON.stringify({ where: { g: 2 }, fields: ['id'], eventTypes: ['other'] })));
      expect(filtered.body).toMatchObject({ seq: 1, records: [{ id: 'd2' }], events: [] });
      const either = await http(server.url, 'GET', q(JSON.stringify({ or: [{ g: 2 }, { g: 3 }], where: { g: { nin: [3] } } })));
      expect(either.body).toMatchObject({ seq: 1, records: [{ id: 'd2', g: 2 }] });
      for (const bad of ['{not json', '{"colour":1}', '{"bounds":{"north":91,"south":0,"east":0,"west":0}}', '"x"', '[1]', '{"minPriority":"urgent"}', '{"or":[]}', '{"or":[1]}', '{"where":{"g":{"nin":2}}}']) {
        const res = await http(server.url, 'GET', q(bad));
        expect([bad, res.status, res.body]).toEqual([bad, 400, errorBody('BAD_FILTER')]);
      }
    });
  });

  describe('GET /api/channels/:channel/snapshot with limit and after (paginated)', () => {
    const page = (channel: string, query: string) => http(server.url, 'GET', `/api/channels/${channel}/snapshot?${query}`);
    /** Follows `next` from the first page; answers every page read. */
    async function allPages(channel: string, query: string): Promise<Msg[]> {
      const pages: Msg[] = [];
      let after: string | undefined;
      for (;;) {
        const res = await page(channel, `${query}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`);
        expect(res.status).toBe(200);
        pages.push(res.body);
        if (res.body.next === undefined) return pages;
        expect(pages.length).toBeLessThan(100);
        after = res.body.next;
      }
    }

    // Ids in JavaScript string order are not numeric order, and upper case sorts before lower.
    const IDS = ['r9', 'r10', 'B', 'a', 'r1', 'a b', 'Z/z', 'é', 'r100', ...Array.from({ length: 14 }, (_, i) => `n${(i * 5) % 14}`)];
    const sorted = [...IDS].sort();
    let channel: string;
    beforeAll(async () => {
      channel = fresh('paged');
      await server.hub.publish('demo', channel, { upsert: IDS.map((id, i) => ({ id, even: i % 2 === 0, i })), events: [{ type: 'paged.e' }] });
    });

    it('covers every record exactly once, in ascending id order, with next on all pages but the last', async () => {
      for (const limit of [1, 5, 22, 23, 10_000]) {
        const pages = await allPages(channel, `limit=${limit}`);
        expect(pages.flatMap((p) => p.records.map((r: Msg) => r.id))).toEqual(sorted);
        expect(pages).toHaveLength(Math.ceil(IDS.length / limit));
        for (const [n, body] of pages.entries()) {
          const last = n === pages.length - 1;
          expect(Object.keys(body)).toEqual(['channel', 'epoch', 'seq', 'records', 'events', ...(last ? [] : ['next'])]);
          expect(body).toMatchObject({ channel, seq: 1, events: [{ type: 'paged.e' }] });
          expect(body.records.length).toBe(last ? IDS.length - limit * n : limit);
          if (!last) expect(body.next).toBe(body.records[body.records.length - 1].id);
        }
      }
    });

    it('the client SDK reads the same pages (snapshotPages follows next; fetchSnapshot takes limit and after)', async () => {
      const pages: HttpSnapshot[] = [];
      for await (const one of snapshotPages(channel, { baseUrl: server.url, limit: 5 })) pages.push(one);
      expect(pages.map((p) => p.records.length)).toEqual([5, 5, 5, 5, 3]);
      expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(sorted);
      expect(pages.map((p) => p.next)).toEqual([...pages.slice(0, -1).map((p) => p.records[4].id), undefined]);

      const odd = await fetchSnapshot(channel, { baseUrl: server.url, filter: { where: { even: false } }, limit: 2, after: 'B' });
      expect(odd.records.map((r) => r.id)).toEqual(sorted.filter((id) => id > 'B' && IDS.indexOf(id) % 2 === 1).slice(0, 2));
      await expect(fetchSnapshot(channel, { baseUrl: server.url, limit: 0 })).rejects.toMatchObject({ code: 'INVALID_MESSAGE', status: 400 });
    });

    it('takes ids greater than after, which need not exist, and after without limit gives the rest', async () => {
      const rest = await page(channel, `after=${encodeURIComponent('n9')}`);
      expect(rest.body.records.map((r: Msg) => r.id)).toEqual(sorted.filter((id) => id > 'n9'));
      expect(rest.body.next).toBeUndefined();
      const between = await page(channel, 'limit=2&after=r0');
      expect(between.body).toMatchObject({ records: [{ id: 'r1' }, { id: 'r10' }], next: 'r10' });
      const past = await page(channel, `limit=3&after=${encodeURIComponent('ö')}`);
      expect(past.body).toEqual({ channel, epoch: expect.any(String), seq: 1, records: [], events: expect.any(Array) });
      const never = await page(fresh('never'), 'limit=5');
      expect(never.body).toEqual({ channel: `never-${counter}`, epoch: expect.any(String), seq: 0, records: [], events: [] });
    });

    it('filters first, then pages what the filter lets through', async () => {
      const filter = encodeURIComponent(JSON.stringify({ where: { even: true }, fields: ['even'] }));
      const pages = await allPages(channel, `filter=${filter}&limit=3`);
      const expected = IDS.filter((_, i) => i % 2 === 0).sort();
      expect(pages.flatMap((p) => p.records)).toEqual(expected.map((id) => ({ id, even: true })));
      expect(pages).toHaveLength(Math.ceil(expected.length / 3));
      const orFilter = encodeURIComponent(JSON.stringify({ or: [{ i: { lt: 2 } }, { i: { gte: 21 } }], where: { i: { nin: [22] } } }));
      // i 0, 1 and 21: r9, r10 and n4.
      const one = await page(channel, `filter=${orFilter}&limit=2`);
      expect(one.body.records.map((r: Msg) => r.id)).toEqual(['n4', 'r10']);
      expect(one.body.next).toBe('r10');
      const two = await page(channel, `filter=${orFilter}&limit=2&after=r10`);
      expect(two.body.records.map((r: Msg) => r.id)).toEqual(['r9']);
      expect(two.body.next).toBeUndefined();
    });

    it('carries on each page the epoch and seq at the time it was read', async () => {
      const moving = fresh('paged');
      await server.hub.publish('demo', moving, { upsert: ['a', 'b', 'c', 'd'].map((id) => ({ id, v: 0 })) });
      const first = await page(moving, 'limit=2');
      expect(first.body).toMatchObject({ seq: 1, records: [{ id: 'a', v: 0 }, { id: 'b', v: 0 }], next: 'b' });
      // The same page again, unchanged, is the same answer (served from the cache).
      expect((await page(moving, 'limit=2')).body).toEqual(first.body);
      await server.hub.publish('demo', moving, { upsert: [{ id: 'c', v: 1 }, { id: 'a', v: 1 }, { id: 'bb', v: 1 }] });
      const second = await page(moving, 'limit=2&after=b');
      expect(second.body).toEqual({ channel: moving, epoch: first.body.epoch, seq: 2, records: [{ id: 'bb', v: 1 }, { id: 'c', v: 1 }], events: [], next: 'c' });
      // A cached page is never served for a newer position.
      expect((await page(moving, 'limit=2')).body).toMatchObject({ seq: 2, records: [{ id: 'a', v: 1 }, { id: 'b', v: 0 }], next: 'b' });
      expect((await page(moving, 'limit=2&after=c')).body).toMatchObject({ seq: 2, records: [{ id: 'd', v: 0 }] });
    });

    it('answers 400 INVALID_MESSAGE for bad limit and after values, and BAD_FILTER for a bad filter', async () => {
      const bad = [
        'limit=0',
        'limit=10001',
        'limit=-1',
        'limit=1.5',
        'limit=1e3',
        'limit=ten',
        'limit=',
        'after=',
        `after=${'x'.repeat(129)}`,
        'limit=1&limit=2',
        'after=a&after=b',
        'limit=0&after=',
      ];
      for (const query of bad) {
        const res = await page(channel, query);
        expect([query, res.status, res.body]).toEqual([query, 400, errorBody('INVALID_MESSAGE')]);
      }
      expect((await page(channel, `after=${'x'.repeat(128)}`)).status).toBe(200);
      const badFilter = await page(channel, `limit=5&filter=${encodeURIComponent('{"or":[]}')}`);
      expect([badFilter.status, badFilter.body]).toEqual([400, errorBody('BAD_FILTER')]);
    });
  });

  describe('GET /api/channels', () => {
    it('lists the channels of the caller tenant with seq, record count and subscriber count', async () => {
      const tenant = fresh('tenant');
      await server.hub.publish(tenant, 'kpi', { upsert: [{ id: 'a' }, { id: 'b' }] });
      await server.hub.publish(tenant, 'kpi', { delete: ['a'] });
      await server.hub.publish(tenant, 'fleet:eu', { events: [{ type: 'x' }] });
      await server.hub.publish('other-tenant', 'secret', { upsert: [{ id: 'a' }] });
      const jwt = await token({ sub: 'u', tenant });
      const subscribers = await Promise.all([0, 1].map(async () => TestClient.connect(server.wsUrl, jwt)));
      for (const client of subscribers) await subscribe(client, 'kpi');

      const res = await http(server.url, 'GET', '/api/channels', { headers: admin(tenant) });
      expect(res.status).toBe(200);
      const list = res.body.channels as Msg[];
      expect(list.map((c) => c.channel).sort()).toEqual(['fleet:eu', 'kpi']);
      expect(list.find((c) => c.channel === 'kpi')).toMatchObject({ seq: 2, records: 1, subscribers: 2 });
      expect(list.find((c) => c.channel === 'fleet:eu')).toMatchObject({ seq: 1, records: 0, subscribers: 0 });

      const viaToken = await http(server.url, 'GET', '/api/channels', { headers: bearer(jwt) });
      expect((viaToken.body.channels as Msg[]).map((c) => c.channel).sort()).toEqual(['fleet:eu', 'kpi']);
      // Without the key, X-Tenant-ID is ignored: anonymous readers see demo.
      const anonymous = await http(server.url, 'GET', '/api/channels', { headers: { 'x-tenant-id': tenant } });
      expect((anonymous.body.channels as Msg[]).map((c) => c.channel)).not.toContain('fleet:eu');

      // A channel exists as soon as it is named: one with subscribers but no publish is listed at seq 0.
      await subscribe(subscribers[0], 'quiet');
      const withQuiet = await http(server.url, 'GET', '/api/channels', { headers: admin(tenant) });
      expect((withQuiet.body.channels as Msg[]).find((c) => c.channel === 'quiet')).toEqual({ channel: 'quiet', seq: 0, records: 0, subscribers: 1 });
      await Promise.all(subscribers.map((c) => c.close()));
    });
  });

  describe('GET /api/health', () => {
    it('answers anyone with {status, instance, uptimeS, engine}', async () => {
      const res = await http(server.url, 'GET', '/api/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', instance: server.hub.instance, uptimeS: expect.any(Number), engine: TEST_ENGINE });
      expect(res.body.uptimeS).toBeGreaterThanOrEqual(0);
    });
  });
});

describe('without an API key, in a test (non-production) environment', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PULSE_BATCH_MS: '10' });
  });
  afterAll(() => server.close());

  it('treats loopback callers as admin, on tenant demo', async () => {
    const channel = fresh();
    const res = await http(server.url, 'POST', `/api/channels/${channel}/publish`, { headers: { 'x-tenant-id': 'acme' }, body: { upsert: [{ id: 'a' }] } });
    expect(res.body).toMatchObject({ channel, seq: 1 });
    expect((await server.hub.snapshot('demo', channel)).records).toEqual([{ id: 'a' }]);
    expect((await server.hub.snapshot('acme', channel)).seq).toBe(0);
  });

  it('issues working development tokens on POST /api/token', async () => {
    const res = await http(server.url, 'POST', '/api/token', { body: { user: 'dev', tenant: 'acme', channels: { publish: ['kpi*'] } } });
    expect(res.status).toBe(200);
    expect(res.body.token).toEqual(expect.any(String));
    const client = await TestClient.connect(server.wsUrl, res.body.token);
    expect(client.welcome).toMatchObject({ user: 'dev', tenant: 'acme', expiresAt: expect.any(Number) });
    expect(await client.request({ type: 'publish', channel: 'kpi:1', upsert: [{ id: 'x' }] })).toMatchObject({ ok: true, seq: 1 });
    expect(await client.request({ type: 'publish', channel: 'fleet', upsert: [{ id: 'x' }] })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // The channels claim is honoured: a missing subscribe list grants nothing.
    expect(await client.request({ type: 'subscribe', channel: 'kpi:1' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await server.hub.snapshot('acme', 'kpi:1')).records).toEqual([{ id: 'x' }]);
    // The token also works over HTTP.
    const viaHttp = await http(server.url, 'POST', '/api/channels/kpi:2/publish', { headers: bearer(res.body.token), body: { upsert: [{ id: 'y' }] } });
    expect(viaHttp.body).toMatchObject({ channel: 'kpi:2', seq: 1 });
    await client.close();

    for (const body of [{}, { user: '' }, { user: 'u', tenant: 'bad tenant' }, 'nope', { user: 'u', channels: { publish: 'kpi' } }]) {
      const refused = await http(server.url, 'POST', '/api/token', { body });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(errorBody(refused.body.error.code));
    }
  });

  it('answers 404 on POST /api/token when PULSE_DEV_TOKENS=0', async () => {
    const closed = await startTestServer({ PULSE_DEV_TOKENS: '0' });
    try {
      const res = await http(closed.url, 'POST', '/api/token', { body: { user: 'dev', tenant: 'acme' } });
      expect(res.status).toBe(404);
      expect(res.body.token).toBeUndefined();
    } finally {
      await closed.close();
    }
  });

  it('refuses readers without a token when anonymous mode is off and the key is set', async () => {
    const strict = await startTestServer({ PULSE_ANONYMOUS: '0', PULSE_API_KEY: TEST_API_KEY });
    try {
      const res = await http(strict.url, 'GET', '/api/channels/kpi/snapshot');
      expect([res.status, res.body]).toEqual([401, errorBody('AUTH_FAILED')]);
      expect((await http(strict.url, 'GET', '/api/channels')).status).toBe(401);
      expect((await http(strict.url, 'GET', '/api/channels/kpi/snapshot', { headers: admin() })).status).toBe(200);
      expect((await http(strict.url, 'GET', '/api/health')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('answers 503 on health while shutting down', async () => {
    const closing = await startTestServer();
    const client = await TestClient.connect(closing.wsUrl);
    const done = closing.hub.close();
    const res = await http(closing.url, 'GET', '/api/health');
    expect(res.status).toBe(503);
    expect((await client.closed).code).toBe(1001);
    await done;
    await closing.close();
  });

  /** This machine's first non-loopback IPv4 address, to call the server as a remote client would. */
  const externalAddress = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

  (externalAddress ? it : it.skip)('opens admin routes to loopback clients only (403 for others), readers stay anonymous', async () => {
    const config = loadConfig({ NODE_ENV: 'test', PULSE_JWT_SECRET: TEST_SECRET, PULSE_LOG_LEVEL: 'silent' });
    const open = await startPulseServer({ config, port: 0, host: '0.0.0.0', log: createLogger('silent') });
    try {
      const remote = `http://${externalAddress}:${open.port}`;
      await open.hub.publish('demo', 'kpi', { upsert: [{ id: 'd' }] });
      const publish = await http(remote, 'POST', '/api/channels/kpi/publish', { body: { upsert: [{ id: 'x' }] } });
      expect([publish.status, publish.body]).toEqual([403, errorBody('FORBIDDEN')]);
      expect((await http(remote, 'GET', '/api/ws/stats')).status).toBe(403);
      // A token allowed to publish works from anywhere.
      const jwt = await token({ sub: 'p', tenant: 'demo', channels: { publish: ['kpi'] } });
      expect((await http(remote, 'POST', '/api/channels/kpi/publish', { headers: bearer(jwt), body: { upsert: [{ id: 'y' }] } })).body).toMatchObject({ seq: 2 });
      // Readers without a token are anonymous readers of demo, whatever X-Tenant-ID says.
      const read = await http(remote, 'GET', '/api/channels/kpi/snapshot', { headers: { 'x-tenant-id': 'acme' } });
      expect(read.status).toBe(200);
      expect(byId(read.body.records)).toEqual({ d: { id: 'd' }, y: { id: 'y' } });
      // The same requests from loopback are the admin's.
      expect((await http(`http://127.0.0.1:${open.port}`, 'POST', '/api/channels/kpi/publish', { body: { upsert: [{ id: 'z' }] } })).body).toMatchObject({ seq: 3 });
    } finally {
      await open.close();
    }
  });
});

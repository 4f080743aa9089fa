import { deltaVerdict } from '@/lib/client/subscriptions';
import { decodeServerFrame } from '@/lib/client/frames';
import { fetchSnapshot, snapshotUrl } from '@/lib/client/http';
import { PulseClientError } from '@/lib/client/errors';

describe('deltaVerdict (gap rule)', () => {
  const at = { epoch: 'e1', seq: 10 };
  it('applies a delta that continues the position', () => {
    expect(deltaVerdict(at, 'none', { epoch: 'e1', prevSeq: 10 })).toBe('apply');
    expect(deltaVerdict(at, 'subscribe', { epoch: 'e1', prevSeq: 10 })).toBe('apply');
  });
  it('reports a gap for another prevSeq or epoch, or without a position', () => {
    expect(deltaVerdict(at, 'none', { epoch: 'e1', prevSeq: 11 })).toBe('gap');
    expect(deltaVerdict(at, 'none', { epoch: 'e1', prevSeq: 9 })).toBe('gap');
    expect(deltaVerdict(at, 'none', { epoch: 'e2', prevSeq: 10 })).toBe('gap');
    expect(deltaVerdict(undefined, 'none', { epoch: 'e1', prevSeq: 0 })).toBe('gap');
  });
  it('ignores deltas while a snapshot is awaited, and stray ones while a subscribe is', () => {
    expect(deltaVerdict(at, 'snapshot', { epoch: 'e1', prevSeq: 10 })).toBe('ignore');
    expect(deltaVerdict(at, 'subscribe', { epoch: 'e1', prevSeq: 12 })).toBe('ignore');
  });
});

describe('decodeServerFrame', () => {
  it('decodes every server message type', () => {
    expect(decodeServerFrame('{"type":"welcome","ref":1,"protocol":1,"connectionId":"c","instance":"i","user":"u","tenant":"t","heartbeatMs":25000}')).toMatchObject({ type: 'welcome', expiresAt: null });
    expect(decodeServerFrame('{"type":"reply","ref":"r","ok":false,"error":{"code":"FORBIDDEN","message":"no"}}')).toMatchObject({ ok: false });
    expect(decodeServerFrame('{"type":"error","code":"AUTH_REQUIRED","message":"auth first"}')).toEqual({ type: 'error', code: 'AUTH_REQUIRED', message: 'auth first' });
    expect(decodeServerFrame('{"type":"snapshot","channel":"kpi","epoch":"e","seq":0,"records":[]}')).toMatchObject({ events: [], gap: false });
    expect(decodeServerFrame('{"type":"delta","channel":"kpi","epoch":"e","prevSeq":1,"seq":2}')).toMatchObject({ type: 'delta' });
  });
  it('returns null for frames that are not server messages', () => {
    for (const frame of [
      'nope',
      '[]',
      '{"type":"mystery"}',
      '{"type":"reply","ok":true}',
      '{"type":"reply","ref":1,"ok":false}',
      '{"type":"snapshot","channel":"kpi","epoch":"e","seq":-1,"records":[]}',
      '{"type":"snapshot","channel":"kpi","epoch":"e","seq":1,"records":[{"v":1}]}',
      '{"type":"delta","channel":"kpi","epoch":"e","prevSeq":1,"seq":2,"delete":[3]}',
      '{"type":"welcome","protocol":1}',
    ]) {
      expect(decodeServerFrame(frame)).toBeNull();
    }
    expect(decodeServerFrame(new ArrayBuffer(2))).toBeNull();
  });
});

describe('snapshot over HTTP', () => {
  it('builds the route URL with a URL-encoded JSON filter', () => {
    expect(snapshotUrl('fleet:eu')).toBe('/api/channels/fleet%3Aeu/snapshot');
    expect(snapshotUrl('kpi', {})).toBe('/api/channels/kpi/snapshot');
    expect(snapshotUrl('kpi', { where: { org: 'a b' } }, 'https://x.test/')).toBe(
      `https://x.test/api/channels/kpi/snapshot?filter=${encodeURIComponent('{"where":{"org":"a b"}}')}`,
    );
  });

  it('adds limit and after for one page', () => {
    expect(snapshotUrl('kpi', undefined, '', { limit: 50 })).toBe('/api/channels/kpi/snapshot?limit=50');
    expect(snapshotUrl('kpi', { ids: ['a'] }, '', { limit: 2, after: 'a b' })).toBe(
      `/api/channels/kpi/snapshot?filter=${encodeURIComponent('{"ids":["a"]}')}&limit=2&after=a%20b`,
    );
  });

  it('sends the token and returns the snapshot', async () => {
    const fetch = jest.fn(async () => new Response(JSON.stringify({ channel: 'kpi', epoch: 'e', seq: 3, records: [{ id: 'a' }], events: [] }), { status: 200 }));
    const result = await fetchSnapshot('kpi', { token: 'jwt', fetch: fetch as unknown as typeof globalThis.fetch });
    expect(result.seq).toBe(3);
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer jwt');
  });

  it('rejects with the API error code and status', async () => {
    const fetch = async () => new Response(JSON.stringify({ error: { code: 'FORBIDDEN', message: 'not yours' } }), { status: 403 });
    const error = await fetchSnapshot('kpi', { fetch: fetch as unknown as typeof globalThis.fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PulseClientError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403, message: 'not yours' });

    const broken = async () => new Response('<html>', { status: 502 });
    await expect(fetchSnapshot('kpi', { fetch: broken as unknown as typeof globalThis.fetch })).rejects.toMatchObject({ code: 'HTTP_ERROR', status: 502 });
  });
});

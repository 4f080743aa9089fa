import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@/lib/config';
import { loadSourcesFile } from '@/lib/server/config-file';
import { parseSources } from '@/lib/sources/declared';
import { compileTopic } from '@/lib/sources/mqtt-bridge';
import { notifiedKey } from '@/lib/sources/postgres-bridge';
import { alertsFor, splitPublish, sync, toRecord, withThresholds } from '@/lib/sources/rows';
import { SourceStatus } from '@/lib/sources/status';
import { ChannelWriter, type SourceHub } from '@/lib/sources/writer';
import { checkJson, JSON_LIMITS, MAX_PUBLISH_ITEMS, type ChannelRecord, type PublishInput } from '@/lib/protocol';

const http = { name: 'gdp', kind: 'http', channel: 'countries', url: 'http://example.test/api' };
const mqtt = { name: 'nodes', kind: 'mqtt', channel: 'nodes', url: 'mqtt://broker.test', topics: [{ topic: 'nodes/{id}/position' }] };
const postgres = { name: 'orders', kind: 'postgres', channel: 'orders', connectionString: 'postgres://u@db/x', table: 'orders' };
const error = (sources: unknown[]) => {
  try {
    parseSources({ sources }, 'sources.json');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('accepted');
};
const rec = (fields: Record<string, unknown>) => fields as ChannelRecord;

describe('declared sources', () => {
  it('accepts one of each kind with defaults filled in', () => {
    const [h, m, p] = parseSources({ sources: [http, mqtt, postgres] });
    expect(h).toMatchObject({ tenant: 'demo', intervalMs: 5000, timeoutMs: 5000, threshold: 0.01, alerts: [], id: 'id', maxBytes: 8 * 1024 * 1024 });
    expect(m).toMatchObject({ topics: [{ topic: 'nodes/{id}/position', as: 'record', priority: 'normal' }] });
    expect(p).toMatchObject({ key: 'id' });
  });

  it.each([
    [[{ ...http, kind: 'ftp' }], 'sources.json: source "gdp": kind must be "http", "mqtt" or "postgres"'],
    [[{ ...http, url: 'ftp://x' }], 'source "gdp": url:'],
    [[{ ...http, intervalMs: 10 }], 'source "gdp": intervalMs:'],
    [[{ ...http, channel: 'bad channel' }], 'source "gdp": channel: must match'],
    [[{ ...http, tenant: 'a/b' }], 'source "gdp": tenant: must match'],
    [[{ ...http, alerts: [{ field: 'gdp', type: 'alert.economic' }] }], 'source "gdp": alerts.0: needs exactly one of percent or points'],
    [[{ ...http, alerts: [{ field: 'gdp', type: 'a', percent: 5, priority: 'urgent' }] }], 'source "gdp": alerts.0.priority:'],
    [[{ ...http, intervalMS: 1000 }], 'source "gdp": unknown field "intervalMS"'],
    [[{ ...mqtt, topics: [] }], 'source "nodes": topics:'],
    [[{ ...mqtt, url: 'http://broker' }], 'source "nodes": url:'],
    [[{ ...mqtt, topics: [{ topic: 'a', as: 'row' }] }], 'source "nodes": topics.0.as:'],
    [[{ ...postgres, connectionString: 'mysql://x' }], 'source "orders": connectionString: must be a postgres:// URL'],
    [[{ ...postgres, table: 'orders; drop table x' }], 'source "orders": table: must be a table name'],
    [[{ ...postgres, key: 'a b' }], 'source "orders": key: must be a column name'],
    [[http, http], 'source "gdp": name is used twice'],
    [[{ kind: 'http' }], 'source #1:'],
  ])('refuses %j with a message naming the source and the field', (sources, message) => {
    expect(error(sources)).toContain(message);
  });

  it('names the file when it cannot be read or parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-sources-'));
    expect(() => loadSourcesFile(join(dir, 'missing.json'))).toThrow(/PULSE_SOURCES: cannot read .*missing\.json \(ENOENT\)/);
    writeFileSync(join(dir, 'bad.json'), '{"sources": [');
    expect(() => loadSourcesFile(join(dir, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ sources: [http] }));
    expect(loadSourcesFile(join(dir, 'ok.json'))).toHaveLength(1);
  });

  it('accepts the example file the repository ships', () => {
    expect(loadSourcesFile(join(__dirname, '../../examples/sources.json')).map((s) => s.kind)).toEqual(['http', 'mqtt', 'postgres']);
  });

  it('turns the simulator off when sources are declared, unless asked for', () => {
    expect(loadConfig({}).simulator).toBe(true);
    expect(loadConfig({ PULSE_SOURCES: 'sources.json' }).simulator).toBe(false);
    expect(loadConfig({ PULSE_SOURCES: 'sources.json', PULSE_SIMULATOR: '1' }).simulator).toBe(true);
  });
});

describe('rows to records', () => {
  it('takes the id from a field or a template, renames and keeps fields', () => {
    expect(toRecord({ code: 'NL', name: 'Netherlands', gdp: 1 }, { id: 'code' })).toEqual({ ok: true, record: { code: 'NL', name: 'Netherlands', gdp: 1, id: 'NL' } });
    expect(toRecord({ region: 'eu', code: 7 }, { id: '{region}-{code}' })).toEqual({ ok: true, record: { region: 'eu', code: 7, id: 'eu-7' } });
    expect(toRecord({ code: 'NL', GDP: 2, junk: 1 }, { id: 'code', rename: { GDP: 'gdp' }, fields: ['gdp'] })).toEqual({ ok: true, record: { gdp: 2, id: 'NL' } });
  });

  it('says why a row cannot be a record', () => {
    expect(toRecord([1], { id: 'id' })).toEqual({ ok: false, reason: 'row is not a JSON object' });
    expect(toRecord({ name: 'x' }, { id: 'code' })).toEqual({ ok: false, reason: 'no usable id from "code"' });
    expect(toRecord({ region: 'eu' }, { id: '{region}-{code}' }).ok).toBe(false);
    expect(toRecord({ id: '' }, { id: 'id' }).ok).toBe(false);
  });

  it('lets a topic level give the id, over the payload', () => {
    expect(toRecord({ lat: 1, id: 'other' }, { id: 'id' }, { id: 'n7' })).toEqual({ ok: true, record: { lat: 1, id: 'n7' } });
  });

  it('skips a row whose id is longer than the protocol allows (128 characters)', () => {
    expect(toRecord({ id: 'x'.repeat(128) }, { id: 'id' }).ok).toBe(true);
    expect(toRecord({ id: 'x'.repeat(200) }, { id: 'id' })).toEqual({ ok: false, reason: 'id longer than 128 characters' });
    expect(toRecord({ region: 'r'.repeat(100), code: 'c'.repeat(100) }, { id: '{region}-{code}' })).toEqual({ ok: false, reason: 'id longer than 128 characters' });
  });

  it('skips a row past the JSON bounds, counted as a record sits in a publish', () => {
    // `levels` objects, one inside the other.
    const nested = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
    // Two levels for `{upsert: [record]}`: a record may be 30 deep, in a publish 32 deep.
    expect(toRecord({ id: 'a', v: nested(29) }, { id: 'id' }).ok).toBe(true);
    expect(checkJson({ upsert: [{ id: 'a', v: nested(29) }] }).ok).toBe(true);
    expect(checkJson({ upsert: [{ id: 'a', v: nested(30) }] }).ok).toBe(false);
    expect(toRecord({ id: 'a', v: nested(30) }, { id: 'id' })).toEqual({ ok: false, reason: 'row is nested deeper than 30 levels' });
    expect(toRecord({ id: 'a', v: nested(6000) }, { id: 'id' }).ok).toBe(false);
    expect(toRecord(JSON.parse('{"id":"a","v":1e309}'), { id: 'id' })).toEqual({ ok: false, reason: expect.stringContaining('not finite') });
    expect(toRecord({ id: 'a', v: 's'.repeat(JSON_LIMITS.maxStringLength + 1) }, { id: 'id' }).ok).toBe(false);
  });

  it('renames and keeps fields by their own names only: constructor and __proto__ are ordinary fields', () => {
    expect(toRecord({ id: 'a', constructor: 1, toString: 2 }, { id: 'id', rename: { gdp_usd: 'gdp' } })).toEqual({ ok: true, record: { id: 'a', constructor: 1, toString: 2 } });
    expect(toRecord({ id: 'a', constructor: 1 }, { id: 'id', rename: { constructor: 'ctor' } })).toEqual({ ok: true, record: { id: 'a', ctor: 1 } });
    // JSON.parse makes `__proto__` an own field; it must not become the prototype `fields` looks through.
    const row = JSON.parse('{"id":"a","v":1,"__proto__":{"secret":"s","v":2}}');
    expect(toRecord(row, { id: 'id', fields: ['secret', 'v'] })).toEqual({ ok: true, record: { id: 'a', v: 1 } });
    expect(toRecord(row, { id: 'secret' })).toEqual({ ok: false, reason: 'no usable id from "secret"' });
    const kept = toRecord(row, { id: 'id' });
    expect(kept.ok && Object.getPrototypeOf(kept.record)).toBe(Object.prototype);
    expect(kept.ok && Object.hasOwn(kept.record, '__proto__')).toBe(true);
    expect(kept.ok && JSON.parse(JSON.stringify(kept.record))).toEqual(row);
    expect(toRecord({ id: 'a' }, { id: 'constructor' })).toEqual({ ok: false, reason: 'no usable id from "constructor"' });
  });
});

describe('skipped rows', () => {
  it('are all counted, and due for a log line at most once per 10 s', () => {
    const status = new SourceStatus('s', 'http', 'demo', 'c');
    expect([status.skipped(1000), status.skipped(2000), status.skipped(10_999), status.skipped(11_000)]).toEqual([true, false, false, true]);
    expect(status.invalid).toBe(4);
  });
});

describe('large publishes', () => {
  const upserts = (count: number, fields = 1) =>
    Array.from({ length: count }, (_, i) => rec({ id: `r${i}`, ...Object.fromEntries(Array.from({ length: fields }, (_, f) => [`f${f}`, i])) }));
  const items = (input: PublishInput) => (input.upsert?.length ?? 0) + (input.delete?.length ?? 0) + (input.events?.length ?? 0);

  it('go out as several publishes of at most 10,000 items, in order', () => {
    const input: PublishInput = { upsert: upserts(15_000), delete: Array.from({ length: 6000 }, (_, i) => `d${i}`), events: [{ type: 'alert', data: 1 }] };
    const parts = splitPublish(input);
    expect(parts.map(items)).toEqual([10_000, 10_000, 1001]);
    expect(parts.flatMap((p) => p.upsert ?? [])).toEqual(input.upsert);
    expect(parts.flatMap((p) => p.delete ?? [])).toEqual(input.delete);
    expect(parts[2].events).toEqual(input.events);
    expect(splitPublish({ upsert: upserts(3) })).toEqual([{ upsert: upserts(3) }]);
  });

  it('are split further when their JSON values add up past the bounds', () => {
    const input: PublishInput = { upsert: upserts(MAX_PUBLISH_ITEMS, 20) };
    expect(checkJson(input).ok).toBe(false);
    const parts = splitPublish(input);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(checkJson(part)).toEqual({ ok: true });
    expect(parts.flatMap((p) => p.upsert ?? [])).toEqual(input.upsert);
  });

  it('reach the channel whole through the writer, which rereads the channel after a partial failure', async () => {
    const published: PublishInput[] = [];
    let refuseAfter = Infinity;
    const hub: SourceHub = {
      async publish(_tenant, _channel, input) {
        if (items(input) > MAX_PUBLISH_ITEMS) throw new Error('too many items');
        if (published.length >= refuseAfter) throw new Error('engine away');
        published.push(input);
        return {};
      },
      snapshot: async () => ({ records: published.flatMap((p) => p.upsert ?? []) }),
    };
    const status = new SourceStatus('s', 'http', 'demo', 'c');
    const writer = new ChannelWriter(hub, status);
    refuseAfter = 1;
    await expect(writer.replaceAll(upserts(25_000))).rejects.toThrow('engine away');
    refuseAfter = Infinity;
    await writer.replaceAll(upserts(25_000));
    // The second attempt read what the first publish had stored and sent only the rest.
    expect(published.map(items)).toEqual([10_000, 10_000, 5000]);
    expect(status.recordsPublished).toBe(25_000);
  });
});

describe('Postgres notifications', () => {
  it('give only the key of the row to read', () => {
    expect(notifiedKey('{"op":"UPDATE","key":7,"row":{"id":7,"forged":true}}')).toEqual({ ok: true, key: '7' });
    expect(notifiedKey('{"op":"DELETE","key":"k-1"}')).toEqual({ ok: true, key: 'k-1' });
    expect(notifiedKey('{"op":"DELETE"}')).toEqual({ ok: false, reason: 'notification has no key (a string or a number)' });
    expect(notifiedKey('{"key":{"a":1}}').ok).toBe(false);
    expect(notifiedKey('[1]').ok).toBe(false);
    expect(notifiedKey('{nope')).toEqual({ ok: false, reason: 'notification is not valid JSON' });
    // The row is not read (the table's row is, and checked), so its depth does not matter.
    expect(notifiedKey(`{"key":1,"row":{"doc":${'['.repeat(100)}${']'.repeat(100)}}}`)).toEqual({ ok: true, key: '1' });
    expect(notifiedKey('{"key":1e309}').ok).toBe(false);
  });
});

describe('change thresholds', () => {
  const t = { threshold: 0.01, perField: { population: 0.05 } };

  it('holds numbers that moved by no more than the threshold, relative to the held value', () => {
    const held = rec({ id: 'a', gdp: 100, population: 1000, name: 'A' });
    expect(withThresholds(held, rec({ id: 'a', gdp: 101, population: 1040, name: 'A' }), t)).toEqual(held);
    expect(withThresholds(held, rec({ id: 'a', gdp: 101.5, population: 1060, name: 'A' }), t)).toEqual({ id: 'a', gdp: 101.5, population: 1060, name: 'A' });
  });

  it('counts any change of a non-number, and any move away from zero', () => {
    const held = rec({ id: 'a', gdp: 0, name: 'A' });
    expect(withThresholds(held, rec({ id: 'a', gdp: 0.001, name: 'B' }), t)).toEqual({ id: 'a', gdp: 0.001, name: 'B' });
  });

  it('lets slow drift add up until it counts', () => {
    let held = new Map<string, ChannelRecord>([['a', rec({ id: 'a', v: 100 })]]);
    const published: unknown[] = [];
    for (const v of [100.5, 100.9, 101.2]) {
      const result = sync(held, [rec({ id: 'a', v })], { thresholds: t, deleteMissing: true });
      held = result.held;
      published.push(result.publish);
    }
    expect(published).toEqual([null, null, { upsert: [{ id: 'a', v: 101.2 }] }]);
  });
});

describe('alert rules', () => {
  const rules = [
    { field: 'gdp', direction: 'down' as const, percent: 5, type: 'alert.economic', priority: 'high' as const },
    { field: 'vitality', direction: 'down' as const, points: 10, type: 'alert.vitality', priority: 'critical' as const },
  ];

  it('fires on a fall of more than the percentage, in the rule direction only', () => {
    const held = rec({ id: 'NL', gdp: 100, vitality: 50 });
    expect(alertsFor(held, rec({ id: 'NL', gdp: 94, vitality: 50 }), rules)).toEqual([
      { type: 'alert.economic', priority: 'high', data: { id: 'NL', field: 'gdp', from: 100, to: 94, change: -6, percent: 6 } },
    ]);
    expect(alertsFor(held, rec({ id: 'NL', gdp: 95, vitality: 50 }), rules)).toEqual([]);
    expect(alertsFor(held, rec({ id: 'NL', gdp: 120, vitality: 50 }), rules)).toEqual([]);
  });

  it('fires on a drop of at least the points', () => {
    const held = rec({ id: 'NL', gdp: 100, vitality: 50 });
    expect(alertsFor(held, rec({ id: 'NL', gdp: 100, vitality: 40 }), rules).map((e) => [e.type, e.priority])).toEqual([['alert.vitality', 'critical']]);
    expect(alertsFor(held, rec({ id: 'NL', gdp: 100, vitality: 41 }), rules)).toEqual([]);
  });

  it('needs a held value to compare with', () => {
    expect(alertsFor(undefined, rec({ id: 'NL', gdp: 1 }), rules)).toEqual([]);
  });
});

describe('sync', () => {
  it('publishes merge patches of what changed, deletes what vanished, and nothing when nothing did', () => {
    const held = new Map<string, ChannelRecord>([
      ['a', rec({ id: 'a', v: 1, w: 2 })],
      ['b', rec({ id: 'b', v: 1 })],
    ]);
    const { publish, held: next } = sync(held, [rec({ id: 'a', v: 2 }), rec({ id: 'c', v: 3 })], { deleteMissing: true });
    expect(publish).toEqual({ upsert: [{ id: 'a', v: 2, w: null }, { id: 'c', v: 3 }], delete: ['b'] });
    expect([...next.keys()]).toEqual(['a', 'c']);
    expect(sync(next, [rec({ id: 'a', v: 2 }), rec({ id: 'c', v: 3 })], { deleteMissing: true }).publish).toBeNull();
  });

  it('keeps what a partial update does not mention', () => {
    const held = new Map<string, ChannelRecord>([['a', rec({ id: 'a', v: 1 })]]);
    expect(sync(held, [rec({ id: 'b', v: 1 })], { deleteMissing: false }).publish).toEqual({ upsert: [{ id: 'b', v: 1 }] });
  });
});

describe('MQTT topic patterns', () => {
  it('subscribes with + for placeholders and captures them', () => {
    const t = compileTopic({ topic: 'nodes/{id}/position', as: 'record', priority: 'normal' });
    expect(t.filter).toBe('nodes/+/position');
    expect(t.match.exec('nodes/n7/position')?.[1]).toBe('n7');
    expect(t.match.test('nodes/n7/battery')).toBe(false);
    expect(t.match.test('nodes/a/b/position')).toBe(false);
  });

  it('passes + and # through', () => {
    const t = compileTopic({ topic: 'site/+/alarms/#', as: 'event', priority: 'high' });
    expect(t.filter).toBe('site/+/alarms/#');
    expect(t.match.test('site/x/alarms/fire/3')).toBe(true);
    expect(t.match.test('site/x/status')).toBe(false);
  });
});

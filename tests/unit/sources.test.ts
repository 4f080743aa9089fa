import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@/lib/config';
import { loadSources, parseSources } from '@/lib/sources/declared';
import { compileTopic } from '@/lib/sources/mqtt-bridge';
import { alertsFor, sync, toRecord, withThresholds } from '@/lib/sources/rows';
import type { ChannelRecord } from '@/lib/protocol';

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
    expect(h).toMatchObject({ tenant: 'demo', intervalMs: 5000, timeoutMs: 5000, threshold: 0.01, alerts: [], id: 'id' });
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
    expect(() => loadSources(join(dir, 'missing.json'))).toThrow(/PULSE_SOURCES: cannot read .*missing\.json \(ENOENT\)/);
    writeFileSync(join(dir, 'bad.json'), '{"sources": [');
    expect(() => loadSources(join(dir, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ sources: [http] }));
    expect(loadSources(join(dir, 'ok.json'))).toHaveLength(1);
  });

  it('accepts the example file the repository ships', () => {
    expect(loadSources(join(__dirname, '../../examples/sources.json')).map((s) => s.kind)).toEqual(['http', 'mqtt', 'postgres']);
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

import { alertRecordChanges, alertRecordId } from '@/lib/sources/alert-records';
import { parseSources, SourcesConfigError, type AlertRule } from '@/lib/sources/declared';
import type { ChannelRecord } from '@/lib/protocol/messages';

const http = (alerts: unknown[]) => ({ sources: [{ name: 'economy', kind: 'http', channel: 'countries', url: 'http://localhost:1/', alerts }] });
const rule = (record: Record<string, unknown>) => ({ field: 'gdp', direction: 'down', percent: 5, type: 'alert.economic', record });

describe('alert record rules in the sources configuration', () => {
  it('accepts a rule with record, defaulting autoResolve to false', () => {
    const [source] = parseSources(http([rule({ channel: 'incidents' })]));
    expect(source.kind === 'http' && source.alerts[0].record).toEqual({ channel: 'incidents', autoResolve: false });
  });

  it.each([
    [[rule({})], 'source "economy": alerts.0.record.channel:'],
    [[rule({ channel: 'bad name' })], 'source "economy": alerts.0.record.channel: must match'],
    [[rule({ channel: 'incidents', autoResolve: 'yes' })], 'source "economy": alerts.0.record.autoResolve:'],
    [[rule({ channel: 'incidents', colour: 'red' })], 'source "economy": alerts.0.record: unknown field "colour"'],
    [[rule({ channel: 'countries' })], `source "economy": alerts.0.record.channel: must not be the source's own channel "countries"`],
    [[rule({ channel: 'incidents' }), { ...rule({ channel: 'other' }), percent: 10 }], 'source "economy": alerts.1.record: alerts.0 keeps records for the same type and field already'],
  ])('names the place of a mistake: %j', (alerts, message) => {
    expect(() => parseSources(http(alerts), 'pulse.config.json')).toThrow(SourcesConfigError);
    expect(() => parseSources(http(alerts), 'pulse.config.json')).toThrow(`pulse.config.json: ${message}`);
  });
});

describe('alertRecordChanges', () => {
  const rules = [{ field: 'gdp', direction: 'down', percent: 5, type: 'alert.economic', priority: 'high', record: { channel: 'incidents', autoResolve: true } }] as AlertRule[];
  const id = alertRecordId('economy', rules[0], 'NL');
  const run = (held: ChannelRecord[], rows: ChannelRecord[], alerts: ChannelRecord[]) =>
    alertRecordChanges({ source: 'economy', rules, held: new Map(held.map((r) => [r.id, r])), rows, alerts: new Map([['incidents', new Map(alerts.map((r) => [r.id, r]))]]), now: 1000 }).get('incidents') ?? [];

  it('opens one alert per rule and row, with a readable default title', () => {
    expect(run([{ id: 'NL', gdp: 100 }], [{ id: 'NL', gdp: 90 }], [])).toEqual([
      { id, status: 'open', title: 'gdp of NL fell 10% (100 → 90)', priority: 'high', openedAt: 1000, source: 'economy', type: 'alert.economic', record: 'NL', field: 'gdp', from: 100, to: 90, percent: 10 },
    ]);
    expect(run([], [{ id: 'NL', gdp: 90 }], [])).toEqual([]);
  });

  it('leaves an unresolved alert alone while the move from where it fired still holds', () => {
    const open = { id, status: 'acknowledged', title: 't', from: 100, source: 'economy', type: 'alert.economic', field: 'gdp', record: 'NL' };
    expect(run([{ id: 'NL', gdp: 90 }], [{ id: 'NL', gdp: 80 }], [open])).toEqual([]);
    expect(run([{ id: 'NL', gdp: 90 }], [{ id: 'NL', gdp: 94 }], [open])).toEqual([]);
    expect(run([{ id: 'NL', gdp: 94 }], [{ id: 'NL', gdp: 96 }], [open])).toEqual([{ id, status: 'resolved', resolvedBy: 'source', resolvedAt: 1000 }]);
    expect(run([{ id: 'NL', gdp: 94 }], [], [open])).toEqual([{ id, status: 'resolved', resolvedBy: 'source', resolvedAt: 1000 }]);
  });

  it('resolves nothing without autoResolve, and reopens a resolved alert with its old actors cleared', () => {
    const manual = [{ ...rules[0], record: { channel: 'incidents', autoResolve: false } }] as AlertRule[];
    const open = { id, status: 'open', title: 't', from: 100 };
    expect(alertRecordChanges({ source: 'economy', rules: manual, held: new Map(), rows: [{ id: 'NL', gdp: 100 }], alerts: new Map([['incidents', new Map([[id, open]])]]), now: 1 }).size).toBe(0);
    const resolved = { id, status: 'resolved', title: 't', from: 100, acknowledgedBy: 'ada', acknowledgedAt: 5, resolvedBy: 'source', resolvedAt: 6 };
    expect(run([{ id: 'NL', gdp: 100 }], [{ id: 'NL', gdp: 50 }], [resolved])[0]).toMatchObject({ status: 'open', acknowledgedBy: null, acknowledgedAt: null, resolvedBy: null, resolvedAt: null, from: 100, to: 50 });
  });
});

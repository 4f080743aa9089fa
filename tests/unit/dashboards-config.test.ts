/**
 * The configuration file's `dashboards` section (docs/dashboards.md): every mistake is one line
 * naming the file, the dashboard (by slug), the panel (by index and title) and the field; slugs
 * are safe in a URL and unique; a panel's filter is checked by the protocol's own validation;
 * the demo's dashboards are the default while the simulator runs; panels of one view share it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DASHBOARD_LIMITS, PANEL_KINDS } from '@/lib/dashboards/schema';
import type { PanelSpec } from '@/lib/dashboards/types';
import { dashboardViews, panelSeriesAsk, panelView } from '@/lib/dashboards/views';
import { filterSchema, validateFilter } from '@/lib/protocol/filter';
import { ConfigFileError, DEMO_CONFIG_PATH, loadConfigFile, loadServerConfiguration, parseConfigFile } from '@/lib/server/config-file';
import { configJsonSchemaText } from '@/lib/server/config-schema';
import { demoChannels } from '@/lib/demo/series';
import { SIMULATOR_CHANNELS } from '@/lib/demo/simulator';

const FILE = 'pulse.config.json';
const stat = { kind: 'stat', title: 'Agents online', channel: 'kpi', field: 'agentsOnline' };
const table = { kind: 'table', title: 'Backlog', channel: 'backlog', columns: [{ field: 'queue' }, { field: 'waiting', format: 'number' }] };
const ops = { slug: 'ops', title: 'Operations', tenant: 'acme', panels: [stat, table] };

/** The one-line message a file with these dashboards is refused with. */
function refusal(dashboards: unknown, env: Record<string, string> = {}): string {
  try {
    parseConfigFile({ dashboards }, FILE, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    const { message } = error as Error;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected ${JSON.stringify(dashboards)} to be refused`);
}

/** `ops` with its panels replaced. */
const withPanels = (...panels: unknown[]) => [{ ...ops, panels }];

describe('a valid section', () => {
  it('reads dashboards as written, without filling in defaults the panels apply', () => {
    const { dashboards } = parseConfigFile({ dashboards: [{ ...ops, description: 'Queues' }] }, FILE);
    expect(dashboards).toEqual([{ ...ops, description: 'Queues' }]);
  });

  it('takes every panel kind', () => {
    const panels = [
      { ...stat, aggregate: 'avg', format: 'percent', decimals: 1, thresholds: [{ value: 0.9, tone: 'warn' }], sparkline: false, width: 3 },
      { kind: 'stat', title: 'Offline', channel: 'fleet', aggregate: 'count', filter: { where: { status: 'offline' } } },
      { kind: 'stat', title: 'One queue', channel: 'kpi', record: 'q1', field: 'utilization' },
      { ...table, sort: { field: 'waiting', direction: 'desc' }, limit: 10, intervalMs: 1000 },
      { kind: 'timeseries', title: 'Waiting', channel: 'backlog', fields: ['waiting'], aggregate: 'sum', windowMs: 60_000 },
      { kind: 'map', title: 'Fleet', channel: 'fleet', colorBy: 'status', colors: { online: 'ok' }, followBounds: false, width: 12 },
      { kind: 'barlist', title: 'By metro', channel: 'fleet', groupBy: 'metro', aggregate: 'sum', field: 'battery' },
      { kind: 'events', title: 'Alerts', channel: 'alerts', minPriority: 'high', toasts: false },
      { kind: 'alerts', title: 'Incidents', channel: 'incidents', showResolved: true, limit: 20 },
    ];
    const { dashboards } = parseConfigFile({ dashboards: withPanels(...panels) }, FILE);
    expect(dashboards?.[0].panels.map((panel) => panel.kind)).toEqual(['stat', 'stat', 'stat', 'table', 'timeseries', 'map', 'barlist', 'events', 'alerts']);
    expect(new Set(dashboards?.[0].panels.map((panel) => panel.kind))).toEqual(new Set(PANEL_KINDS));
  });

  it('is absent when the file has no section, and empty when the section is', () => {
    expect(parseConfigFile({}, FILE).dashboards).toBeUndefined();
    expect(parseConfigFile({ dashboards: [] }, FILE).dashboards).toEqual([]);
  });

  it('resolves environment variables in string values, as every section does', () => {
    const { dashboards } = parseConfigFile({ dashboards: [{ ...ops, tenant: '${TEAM}' }] }, FILE, { TEAM: 'acme' });
    expect(dashboards?.[0].tenant).toBe('acme');
  });
});

describe('slugs', () => {
  it.each(['a', 'ops', 'ops-2', '2026', 'a'.repeat(64)])('accepts %s', (slug) => {
    expect(parseConfigFile({ dashboards: [{ ...ops, slug }] }, FILE).dashboards?.[0].slug).toBe(slug);
  });

  it.each(['', 'Ops', 'ops room', 'a_b', 'a/b', '..', '%2e', 'é', 'a'.repeat(65)])('refuses %j, naming the dashboard', (slug) => {
    expect(refusal([{ ...ops, slug }])).toBe(`${FILE}: dashboards[0]${slug.trim() ? ` (${slug})` : ''}: slug: must be 1 to 64 of a-z 0-9 and -`);
  });

  it('refuses one used twice, at the second', () => {
    expect(refusal([ops, { ...ops, slug: 'fleet' }, ops])).toBe(`${FILE}: dashboards[2] (ops): slug: used twice (first at dashboards[0])`);
  });
});

describe('every mistake names its place', () => {
  it.each([
    ['a dashboard without a tenant', [{ slug: 'ops', title: 'Ops', panels: [stat] }], 'dashboards[0] (ops): tenant: is required'],
    ['a tenant that is no tenant id', [{ ...ops, tenant: 'acme/eu' }], 'dashboards[0] (ops): tenant: must match'],
    ['a dashboard field misspelt', [{ ...ops, panel: [] }], 'dashboards[0] (ops): unknown field "panel"'],
    ['a dashboard without panels', [{ ...ops, panels: [] }], 'dashboards[0] (ops): panels: must have at least one panel'],
    ['an empty title', [{ ...ops, title: '  ' }], 'dashboards[0] (ops): title: must not be empty'],
    ['a panel of an unknown kind', withPanels(stat, { ...table, kind: 'pie' }), `dashboards[0] (ops): panels[1] (Backlog): kind: must be ${PANEL_KINDS.slice(0, -1).map((k) => `"${k}"`).join(', ')} or "alerts"`],
    ['a panel without a kind', withPanels({ title: 'Backlog', channel: 'backlog' }), 'dashboards[0] (ops): panels[0] (Backlog): kind: must be "stat"'],
    ['a panel field misspelt (before the field it misses)', withPanels({ kind: 'stat', title: 'Agents', channel: 'kpi', fild: 'x' }), 'dashboards[0] (ops): panels[0] (Agents): unknown field "fild"'],
    ['a panel without a channel', withPanels({ kind: 'stat', title: 'Agents', field: 'x' }), 'dashboards[0] (ops): panels[0] (Agents): channel: is required'],
    ['a channel pattern', withPanels({ ...stat, channel: 'fleet:*' }), 'dashboards[0] (ops): panels[0] (Agents online): channel: must be a channel name'],
    ['a panel without a title', withPanels(stat, { kind: 'stat', channel: 'kpi', field: 'x' }), 'dashboards[0] (ops): panels[1]: title: is required'],
    ['a width over the grid', withPanels({ ...stat, width: 13 }), 'dashboards[0] (ops): panels[0] (Agents online): width: must be at most 12'],
    ['a fractional width', withPanels({ ...stat, width: 2.5 }), 'panels[0] (Agents online): width: must be a whole number of columns'],
    ['a pace over the protocol\'s', withPanels({ ...stat, intervalMs: 120_000 }), 'panels[0] (Agents online): intervalMs: must be at most 60000'],
    ['a stat without a field', withPanels({ ...stat, field: undefined }), 'panels[0] (Agents online): field: is required (only aggregate "count" needs no field)'],
    ['a stat of one record, aggregated', withPanels({ ...stat, record: 'q1', aggregate: 'sum' }), 'panels[0] (Agents online): aggregate: must be left out with "record"'],
    ['an unknown aggregate', withPanels({ ...stat, aggregate: 'median' }), 'panels[0] (Agents online): aggregate: must be one of "count", "sum", "avg", "min", "max"'],
    ['a threshold of an unknown tone', withPanels({ ...stat, thresholds: [{ value: 1, tone: 'red' }] }), 'panels[0] (Agents online): thresholds[0].tone: must be one of "ok", "warn", "bad", "info"'],
    ['a column format unknown', withPanels(stat, { ...table, columns: [{ field: 'queue' }, { field: 'waiting', format: 'pct' }] }), 'dashboards[0] (ops): panels[1] (Backlog): columns[1].format: must be one of "text", "number"'],
    ['a table without columns', withPanels({ ...table, columns: [] }), 'panels[0] (Backlog): columns: must have at least one column'],
    ['a sort direction unknown', withPanels({ ...table, sort: { field: 'waiting', direction: 'down' } }), 'panels[0] (Backlog): sort.direction: must be one of "asc", "desc"'],
    ['a row limit of zero', withPanels({ ...table, limit: 0 }), 'panels[0] (Backlog): limit: must be at least 1'],
    ['a time series field twice', withPanels({ kind: 'timeseries', title: 'Waiting', channel: 'backlog', fields: ['waiting', 'waiting'] }), 'panels[0] (Waiting): fields[1]: repeats [0]'],
    ['a time series counting', withPanels({ kind: 'timeseries', title: 'Waiting', channel: 'backlog', fields: ['waiting'], aggregate: 'count' }), 'panels[0] (Waiting): aggregate: must be one of "sum", "avg", "min", "max"'],
    ['a bar list summing nothing', withPanels({ kind: 'barlist', title: 'Metros', channel: 'fleet', groupBy: 'metro', aggregate: 'sum' }), 'panels[0] (Metros): field: is required with aggregate "sum"'],
    ['a map colour of an unknown tone', withPanels({ kind: 'map', title: 'Fleet', channel: 'fleet', colors: { online: 'green' } }), 'panels[0] (Fleet): colors.online: must be one of "ok"'],
    ['an event feed of an unknown priority', withPanels({ kind: 'events', title: 'Alerts', channel: 'alerts', minPriority: 'urgent' }), 'panels[0] (Alerts): minPriority: must be one of "low", "normal", "high", "critical"'],
    ['a filter the protocol refuses', withPanels({ ...stat, filter: { where: { status: { like: 'off%' } } } }), 'dashboards[0] (ops): panels[0] (Agents online): filter: where.status'],
    ['an unset variable', withPanels({ ...stat, title: '${TEAM} agents' }), 'dashboards[0] (ops): panels[0] (${TEAM} agents): title: environment variable TEAM is not set'],
  ])('%s', (_, dashboards, message) => {
    const line = refusal(dashboards);
    expect(line.startsWith(`${FILE}: `)).toBe(true);
    expect(line).toContain(message);
  });

  it('names a panel by its title on one line, whatever whitespace the title has', () => {
    expect(refusal(withPanels({ ...stat, title: 'Agents\n  online', width: 0 }))).toBe(`${FILE}: dashboards[0] (ops): panels[0] (Agents online): width: must be at least 1`);
  });

  it('names the dashboard by the slug the file gives, not a resolved value', () => {
    expect(refusal([{ ...ops, slug: '${SLUG}', tenant: '' }], { SLUG: 'ops' })).toBe(`${FILE}: dashboards[0] (\${SLUG}): tenant: must match ^[A-Za-z0-9_.:-]{1,128}$`);
  });

  it('bounds the section: dashboards, and panels per dashboard', () => {
    const many = Array.from({ length: DASHBOARD_LIMITS.dashboards + 1 }, (_, i) => ({ ...ops, slug: `d${i}` }));
    expect(refusal(many)).toBe(`${FILE}: dashboards: must declare at most ${DASHBOARD_LIMITS.dashboards} dashboards`);
    const crowded = withPanels(...Array.from({ length: DASHBOARD_LIMITS.panelsPerDashboard + 1 }, () => stat));
    expect(refusal(crowded)).toBe(`${FILE}: dashboards[0] (ops): panels: must have at most ${DASHBOARD_LIMITS.panelsPerDashboard} panels`);
    expect(parseConfigFile({ dashboards: withPanels(...Array.from({ length: DASHBOARD_LIMITS.panelsPerDashboard }, () => stat)) }, FILE).dashboards?.[0].panels).toHaveLength(48);
  });
});

describe("a panel's filter is checked by the protocol's validation", () => {
  const tooBig = { ids: Array.from({ length: 600 }, (_, i) => `${'n'.repeat(120)}${i}`) };
  it.each([
    ['an operator the protocol lacks', { where: { status: { like: 'off%' } } }],
    ['a key zod would drop', JSON.parse('{"where": {"__proto__": {"gt": 1}}}')],
    ['bounds upside down', { bounds: { north: -10, south: 10, east: 5, west: 0 } }],
    ['too many alternatives', { or: Array.from({ length: 17 }, () => ({ a: 1 })) }],
    ['a filter over the size limit', tooBig],
    ['an unknown priority', { minPriority: 'urgent' }],
  ])('%s: the same words as a refused subscribe', (_, filter) => {
    const checked = validateFilter(filter);
    expect(checked.ok).toBe(false);
    const message = checked.ok ? '' : checked.message;
    expect(refusal(withPanels({ ...stat, filter }))).toBe(`${FILE}: dashboards[0] (ops): panels[0] (Agents online): filter: ${message}`);
  });

  it('keeps what the protocol accepts, as the protocol reads it', () => {
    const filter = { or: [{ status: 'offline' }, { battery: { lt: 20 } }], fields: ['name', 'battery'] };
    const { dashboards } = parseConfigFile({ dashboards: withPanels({ ...table, filter }) }, FILE);
    expect(dashboards?.[0].panels[0].filter).toEqual(validateFilter(filter).ok && filter);
  });

  it('is the protocol schema in the published JSON Schema, defined once for every panel kind', () => {
    const schema = JSON.parse(configJsonSchemaText());
    expect(schema.definitions.panelFilter).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys(schema.definitions.panelFilter.properties)).toEqual(Object.keys(filterSchema.shape));
  });
});

describe('which dashboards the server serves', () => {
  const quiet = { PULSE_LOG_LEVEL: 'silent' };
  const dir = mkdtempSync(join(tmpdir(), 'pulse-dashboards-'));
  const write = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it("the demo's, shipped as a configuration file, while the simulator runs and no file declares any", () => {
    const demo = loadConfigFile(DEMO_CONFIG_PATH).dashboards ?? [];
    expect(demo.length).toBeGreaterThan(0);
    expect(demo.every((dashboard) => dashboard.tenant === 'demo')).toBe(true);
    const loaded = loadServerConfiguration(quiet);
    expect(loaded.dashboards).toEqual(demo);
    expect(loaded.dashboardsPath).toBe(DEMO_CONFIG_PATH);
    const channelsOnly = write('channels.json', { channels: [{ channel: 'orders', series: { fields: ['total'] } }] });
    expect(loadServerConfiguration({ ...quiet, PULSE_CONFIG: channelsOnly }).dashboards).toEqual(demo);
  });

  it("the demo's panels show channels the simulator publishes, and draw only series it keeps", () => {
    const published = new Set<string>(Object.values(SIMULATOR_CHANNELS));
    const kept = new Map(demoChannels().map(({ channel, series }) => [channel, series.fields]));
    const panels = (loadConfigFile(DEMO_CONFIG_PATH).dashboards ?? []).flatMap((dashboard) => dashboard.panels);
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect(published).toContain(panel.channel);
      const ask = panelSeriesAsk(panel);
      const fields = ask === undefined ? [] : ask === true ? [] : (ask.fields ?? []);
      for (const field of fields) expect(kept.get(panel.channel) ?? []).toContain(field);
    }
  });

  it("the file's own, replacing the demo's; an empty section means none", () => {
    const own = write('own.json', { dashboards: [ops] });
    expect(loadServerConfiguration({ ...quiet, PULSE_CONFIG: own })).toMatchObject({ dashboards: [ops], dashboardsPath: own });
    const none = write('none.json', { dashboards: [] });
    expect(loadServerConfiguration({ ...quiet, PULSE_CONFIG: none }).dashboards).toEqual([]);
  });

  it('none without the simulator and without a section', () => {
    const sources = write('sources.json', { sources: [{ name: 'gdp', kind: 'http', channel: 'countries', url: 'http://example.test/api' }] });
    const loaded = loadServerConfiguration({ ...quiet, PULSE_CONFIG: sources });
    expect(loaded.config.simulator).toBe(false);
    expect(loaded.dashboards).toEqual([]);
    expect(loaded.dashboardsPath).toBeUndefined();
  });
});

describe("a dashboard's views", () => {
  const panels: PanelSpec[] = [
    { kind: 'stat', title: 'Waiting', channel: 'backlog', field: 'waiting', aggregate: 'sum' },
    { kind: 'table', title: 'Backlog', channel: 'backlog', columns: [{ field: 'queue' }] },
    { kind: 'timeseries', title: 'Waiting', channel: 'backlog', fields: ['waiting', 'handled'], windowMs: 60_000 },
    { kind: 'table', title: 'Attention', channel: 'fleet', filter: { where: { status: 'offline' }, fields: ['status'] }, columns: [{ field: 'status' }], intervalMs: 1000 },
    { kind: 'stat', title: 'Offline', channel: 'fleet', aggregate: 'count', filter: { fields: ['status'], where: { status: 'offline' } }, intervalMs: 1000 },
    { kind: 'events', title: 'Alerts', channel: 'alerts', minPriority: 'high' },
    { kind: 'stat', title: 'No trend', channel: 'kpi', field: 'agentsOnline', sparkline: false },
  ];

  it('are one per channel, filter (however written) and pace, in the order panels first show them', () => {
    expect(dashboardViews(panels).map((view) => [view.channel, view.panels])).toEqual([
      ['backlog', [0, 1, 2]],
      ['fleet', [3, 4]],
      ['alerts', [5]],
      ['kpi', [6]],
    ]);
  });

  it("carry an event feed's priority in the filter, as its subscribe does", () => {
    expect(panelView(panels[5])).toEqual({ channel: 'alerts', filter: { minPriority: 'high' } });
  });

  it('ask the series a sparkline or a chart draws, and none otherwise', () => {
    expect(panels.map(panelSeriesAsk)).toEqual([{ fields: ['waiting'] }, undefined, { fields: ['waiting', 'handled'], windowMs: 60_000 }, undefined, undefined, undefined, undefined]);
  });
});
